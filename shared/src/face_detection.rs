//! Finding faces, the same way in the trainer's eval and test and in the page (SPEC.md
//! sections 8 and 9): letterbox the photo to the model's square side, propose regions on it by
//! selective search, score every region (Fast-RCNN: one pass over the photo, each region
//! ROI-pooled, offsets regressed; RCNN: each region cropped, resized and classified), keep the
//! regions whose face probability passes the threshold, map them back to the photo and merge
//! overlaps (best score first).

use candle_core::{Device, Tensor};
use image::RgbImage;

use crate::boxes::letterbox::Letterbox;
use crate::boxes::merge::{nms, Scored};
use crate::boxes::offsets::BoxOffsets;
use crate::boxes::points::{decode, grid};
use crate::boxes::window::Window;
use crate::boxes::BoxXyxy;
use crate::image_input::rgb_to_chw;
use crate::models::single_shot::{MULTIPLE, STRIDES};
use crate::models::{FastRcnn, SingleShot};
use crate::proposals::{selective_search, Mode};
use crate::region_crop::crops_chw;
use crate::{Error, InputSize, Network, Task, TrainedModel};

/// RCNN crops classified per forward pass (bounds memory: 200 crops of 32x32 are 2.4 MB).
const CROPS_PER_PASS: usize = 200;
/// The single-shot detector's locations scoring below this are not candidates (the floor
/// detection benchmarks use for the precision-recall curve's tail).
const SINGLE_SHOT_FLOOR: f32 = 0.02;
/// At most this many single-shot candidates per photo, best first, go to merging.
const SINGLE_SHOT_CANDIDATES: usize = 1000;

/// The threshold a face model is meant to be used at: the one its training chose on the
/// validation photos (`threshold` in its card's metrics), else the tutorial's 0.99 for the
/// tutorial's detectors and 0.5 for the single-shot one.
pub fn default_threshold(card: &crate::ModelCard) -> f32 {
    let chosen = card.training.as_ref().and_then(|t| t.metrics.get("threshold")).map(|&v| v as f32);
    chosen.unwrap_or(match card.arch {
        crate::Arch::SingleShot { .. } => 0.5,
        _ => 0.99,
    })
}

/// How to detect.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DetectOptions {
    /// Face probability a region needs (the tutorial's 0.99).
    pub threshold: f32,
    /// Regions overlapping a better one by more than this IoU are dropped (the tutorial's 0.3).
    pub merge_iou: f32,
    /// Proposals scored (the tutorial's 2,000).
    pub proposals: usize,
    /// The single-shot detector's longer side, instead of its card's (camera mode takes a
    /// smaller one: a face in front of a webcam is large, and each frame costs less).
    pub side: Option<u32>,
}

/// The tutorial's merge IoU: a region overlapping a better face by more than this is dropped.
pub const MERGE_IOU: f32 = 0.3;

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions { threshold: 0.99, merge_iou: MERGE_IOU, proposals: 2000, side: None }
    }
}

/// The longer side the single-shot detector scales camera frames to (photos use the card's
/// side, 416 for the shipped one): a face in front of a webcam is large, and a 640x480 frame
/// then costs 0.6 of the pixels, which keeps the page's camera mode above 15 frames a second
/// on a slow CPU.
pub const CAMERA_SIDE: u32 = 320;

/// What a detection run found, and what each stage cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Detections {
    /// Faces in the photo's pixels, best first.
    pub faces: Vec<Scored>,
    /// Every scored region before the threshold and merging (photo pixels, offsets applied),
    /// so that a caller can re-threshold without running the model again.
    pub candidates: Vec<Scored>,
    /// Milliseconds for selective search.
    pub proposals_ms: f64,
    /// Milliseconds for the model.
    pub model_ms: f64,
}

impl Detections {
    /// The faces at another threshold and merge IoU, from the same candidates.
    pub fn rethreshold(&self, threshold: f32, merge_iou: f32) -> Vec<Scored> {
        faces_at(&self.candidates, threshold, merge_iou)
    }
}

/// The faces among scored `candidates` at `threshold`, overlaps merged (best first): what a
/// detection keeps, and what the page's slider redraws without running the model again.
pub fn faces_at(candidates: &[Scored], threshold: f32, merge_iou: f32) -> Vec<Scored> {
    let kept: Vec<Scored> = candidates.iter().filter(|c| c.score > threshold).copied().collect();
    nms(&kept, merge_iou)
}

/// A photo as the tutorial's detectors see it: letterboxed to a square side, with the regions
/// selective search proposes on that square (in its pixels).
pub struct Letterboxed {
    /// How the photo maps onto the square.
    pub letterbox: Letterbox,
    /// The square image.
    pub input: RgbImage,
    /// Up to the asked number of proposals, as boxes in `input`'s pixels.
    pub proposals: Vec<BoxXyxy>,
}

/// Letterboxes `photo` to `side` x `side` and proposes up to `count` regions on it (selective
/// search, fast mode): the first step of training and of detection alike.
pub fn letterboxed_proposals(photo: &RgbImage, side: u32, count: usize) -> Letterboxed {
    let letterbox = Letterbox::new(photo.dimensions(), (side, side));
    let input = letterbox.apply(photo);
    let proposals = selective_search(&input, Mode::Fast, count, 1).iter().map(BoxXyxy::from).collect();
    Letterboxed { letterbox, input, proposals }
}

/// The regions of `proposals` as Fast-RCNN's (R, 5) input: image 0, corners.
fn roi_tensor(proposals: &[BoxXyxy], device: &Device) -> candle_core::Result<Tensor> {
    let flat: Vec<f32> = proposals.iter().flat_map(|b| [0.0, b.x0, b.y0, b.x1, b.y1]).collect();
    Tensor::from_vec(flat, (proposals.len(), 5), device)
}

/// Fast-RCNN's face probability and moved box per proposal, in the letterboxed image.
fn score_fast_rcnn(model: &FastRcnn, input: &RgbImage, proposals: &[BoxXyxy], device: &Device) -> candle_core::Result<Vec<(f32, BoxXyxy)>> {
    let side = InputSize { width: input.width(), height: input.height() };
    let image = Tensor::from_vec(rgb_to_chw(input.as_raw(), side), (1, 3, side.height as usize, side.width as usize), device)?;
    let (logits, offsets) = model.forward_t(&image, &roi_tensor(proposals, device)?, false)?;
    let probs = candle_nn::ops::softmax(&logits, 1)?.to_vec2::<f32>()?;
    let offsets = offsets.to_vec2::<f32>()?;
    Ok(proposals.iter().zip(probs).zip(offsets).map(|((p, prob), off)| (prob[1], BoxOffsets::from_array([off[0], off[1], off[2], off[3]]).apply(p))).collect())
}

/// RCNN's face probability per proposal: each crop classified on its own.
fn score_rcnn(network: &Network, crop: InputSize, input: &RgbImage, proposals: &[BoxXyxy], device: &Device) -> candle_core::Result<Vec<(f32, BoxXyxy)>> {
    let mut scored = Vec::with_capacity(proposals.len());
    for chunk in proposals.chunks(CROPS_PER_PASS) {
        let x = Tensor::from_vec(crops_chw(input, chunk, crop), (chunk.len(), 3, crop.height as usize, crop.width as usize), device)?;
        let probs = candle_nn::ops::softmax(&network.forward_t(&x, false)?, 1)?.to_vec2::<f32>()?;
        scored.extend(chunk.iter().zip(probs).map(|(p, prob)| (prob[1], *p)));
    }
    Ok(scored)
}

/// The single-shot detector's candidates in `photo`: the whole photo scaled to `side` on
/// its longer side, one pass, every location above the floor decoded to a box in the photo.
pub fn single_shot_candidates(model: &SingleShot, photo: &RgbImage, side: u32, device: &Device) -> candle_core::Result<Vec<Scored>> {
    let window = Window::fit_long_side(photo.dimensions(), side, MULTIPLE);
    let (w, h) = (window.out.0 as usize, window.out.1 as usize);
    let x = Tensor::from_vec(window.sample_chw(photo), (1, 3, h, w), device)?;
    let raw = model.forward_flat(&x, false)?.flatten_all()?.to_vec1::<f32>()?;
    let found = decode(&raw, &grid(w, h, &STRIDES), SINGLE_SHOT_FLOOR, SINGLE_SHOT_CANDIDATES);
    Ok(found.into_iter().filter_map(|s| window.to_source(&s.bounds, photo.dimensions()).map(|bounds| Scored { bounds, score: s.score })).collect())
}

/// Faces in `photo` found by a face model (RCNN, Fast-RCNN or the single-shot detector);
/// `clock` gives milliseconds (the page has no `Instant`).
pub fn detect(model: &TrainedModel, photo: &RgbImage, options: DetectOptions, clock: impl Fn() -> f64) -> crate::Result<Detections> {
    let Task::Faces { side } = model.card.task else {
        return Err(Error::WrongTask { expected: "faces".into(), found: model.card.task.name().into() });
    };
    if let Network::SingleShot(net) = &model.network {
        let start = clock();
        let candidates = single_shot_candidates(net, photo, options.side.unwrap_or(side), model.device())?;
        let mut found = Detections { faces: Vec::new(), candidates, proposals_ms: 0.0, model_ms: clock() - start };
        found.faces = found.rethreshold(options.threshold, options.merge_iou);
        return Ok(found);
    }
    let start = clock();
    let Letterboxed { letterbox, input, proposals } = letterboxed_proposals(photo, side, options.proposals);
    let proposals_ms = clock() - start;
    let start = clock();
    let device = model.device();
    let scored = match (&model.network, proposals.is_empty()) {
        (_, true) => Vec::new(),
        (Network::FastRcnn(m), false) => score_fast_rcnn(m, &input, &proposals, device)?,
        (network, false) => score_rcnn(network, model.card.input, &input, &proposals, device)?,
    };
    let candidates: Vec<Scored> = scored.into_iter().filter_map(|(score, b)| letterbox.to_source(&b).map(|bounds| Scored { bounds, score })).collect();
    let mut found = Detections { faces: Vec::new(), candidates, proposals_ms, model_ms: clock() - start };
    found.faces = found.rethreshold(options.threshold, options.merge_iou);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Arch, ModelCard};

    /// An untrained model (Fast-RCNN's with its offset head zeroed).
    fn untrained(arch: Arch, input: InputSize) -> TrainedModel {
        let bytes = match arch {
            Arch::FastRcnn { .. } => crate::fixtures::face_model_bytes(64),
            _ => crate::fixtures::untrained_model_bytes(&ModelCard::new(Task::Faces { side: 64 }, arch, input, crate::model_card::face_labels())),
        };
        TrainedModel::from_bytes(&bytes, &Device::Cpu).unwrap()
    }

    #[test]
    fn both_detectors_give_boxes_inside_the_photo_and_honour_the_threshold() {
        let photo = RgbImage::from_fn(90, 60, |x, y| image::Rgb([(x * 2) as u8, (y * 3) as u8, if (20..50).contains(&x) { 200 } else { 30 }]));
        let options = DetectOptions { proposals: 50, ..Default::default() };
        for model in [untrained(Arch::FastRcnn { width: 1 }, InputSize::square(64)), untrained(Arch::ResNet18 { width: 2 }, InputSize::square(16))] {
            let got = detect(&model, &photo, options, || 0.0).unwrap();
            assert!(!got.candidates.is_empty(), "{:?}", model.card.arch);
            for c in &got.candidates {
                assert!(c.bounds.x0 >= 0.0 && c.bounds.y0 >= 0.0 && c.bounds.x1 <= 90.0 && c.bounds.y1 <= 60.0 && c.bounds.area() > 0.0, "{c:?}");
                assert!((0.0..=1.0).contains(&c.score));
            }
            // A threshold below every score keeps everything but overlaps; 1 keeps nothing.
            let all = detect(&model, &photo, DetectOptions { threshold: -1.0, ..options }, || 0.0).unwrap();
            assert!(!all.faces.is_empty() && all.faces.len() <= all.candidates.len());
            assert_eq!(all.rethreshold(1.0, 0.3), Vec::new());
            assert!(detect(&model, &photo, DetectOptions { threshold: 1.0, ..options }, || 0.0).unwrap().faces.is_empty());
        }
    }

    #[test]
    fn a_smaller_single_shot_side_still_answers_in_the_photos_pixels() {
        let model = untrained(Arch::SingleShot { width: 1 }, InputSize::square(64));
        let photo = RgbImage::from_fn(200, 120, |x, y| image::Rgb([(x ^ y) as u8, (x * 3) as u8, (y * 5) as u8]));
        let all = DetectOptions { threshold: f32::NEG_INFINITY, ..Default::default() };
        let full = detect(&model, &photo, all, || 0.0).unwrap();
        let small = detect(&model, &photo, DetectOptions { side: Some(32), ..all }, || 0.0).unwrap();
        assert!(!small.candidates.is_empty() && small.candidates.len() < full.candidates.len(), "{} vs {}", small.candidates.len(), full.candidates.len());
        for c in &small.candidates {
            assert!(c.bounds.x0 >= 0.0 && c.bounds.y0 >= 0.0 && c.bounds.x1 <= 200.0 && c.bounds.y1 <= 120.0, "{c:?}");
        }
    }

    #[test]
    fn a_classifier_is_not_a_detector() {
        let card = ModelCard::new(Task::Classify, Arch::LeNet, InputSize::square(32), vec!["a".into(), "b".into()]);
        let model = TrainedModel::from_bytes(&crate::fixtures::untrained_model_bytes(&card), &Device::Cpu).unwrap();
        let err = detect(&model, &RgbImage::new(8, 8), DetectOptions::default(), || 0.0).unwrap_err();
        assert!(err.to_string().contains("faces"), "{err}");
    }
}
