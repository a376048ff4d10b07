//! Finding faces with a Fast-RCNN model, the same way in the trainer's eval and in the page
//! (SPEC.md section 9): letterbox the photo to the model's square input, propose regions on
//! it by selective search, score every region and regress its offsets in one pass, keep the
//! regions whose face probability passes the threshold, move them by their offsets, map them
//! back to the photo and merge overlaps (best score first).

use candle_core::{Device, Tensor};
use image::RgbImage;

use crate::boxes::letterbox::Letterbox;
use crate::boxes::merge::{nms, Scored};
use crate::boxes::offsets::BoxOffsets;
use crate::boxes::BoxXyxy;
use crate::image_input::rgb_to_chw;
use crate::models::FastRcnn;
use crate::proposals::{selective_search, Mode};
use crate::InputSize;

/// How to detect.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DetectOptions {
    /// The model's square input side (256 in the tutorial).
    pub side: u32,
    /// Face probability a region needs (the tutorial's 0.99).
    pub threshold: f32,
    /// Regions overlapping a better one by more than this IoU are dropped (the tutorial's 0.3).
    pub merge_iou: f32,
    /// Proposals scored (the tutorial's 2,000).
    pub proposals: usize,
}

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions { side: 256, threshold: 0.99, merge_iou: 0.3, proposals: 2000 }
    }
}

/// What a detection run found, and what each stage cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Detections {
    /// Faces in the photo's pixels, best first.
    pub faces: Vec<Scored>,
    /// Every scored region before the threshold and merging (photo pixels, offsets applied).
    pub candidates: Vec<Scored>,
    /// Milliseconds for selective search.
    pub proposals_ms: f64,
    /// Milliseconds for the model.
    pub model_ms: f64,
}

/// The regions of `proposals` as the model's (R, 5) input: image 0, corners.
fn roi_tensor(proposals: &[BoxXyxy], device: &Device) -> candle_core::Result<Tensor> {
    let flat: Vec<f32> = proposals.iter().flat_map(|b| [0.0, b.x0, b.y0, b.x1, b.y1]).collect();
    Tensor::from_vec(flat, (proposals.len(), 5), device)
}

/// Faces in `photo`; `clock` gives milliseconds (the page has no `Instant`).
pub fn detect(model: &FastRcnn, photo: &RgbImage, options: DetectOptions, clock: impl Fn() -> f64) -> candle_core::Result<Detections> {
    let letterbox = Letterbox::new(photo.dimensions(), (options.side, options.side));
    let input = letterbox.apply(photo);
    let start = clock();
    let proposals: Vec<BoxXyxy> =
        selective_search(&input, Mode::Fast, options.proposals, 1).iter().map(|p| BoxXyxy::from_xywh(p.x as f32, p.y as f32, p.w as f32, p.h as f32)).collect();
    let proposals_ms = clock() - start;
    let start = clock();
    let device = Device::Cpu;
    let size = InputSize::square(options.side);
    let image = Tensor::from_vec(rgb_to_chw(input.as_raw(), size), (1, 3, options.side as usize, options.side as usize), &device)?;
    let mut candidates = Vec::new();
    if !proposals.is_empty() {
        let (logits, offsets) = model.forward_t(&image, &roi_tensor(&proposals, &device)?, false)?;
        let probs = candle_nn::ops::softmax(&logits, 1)?.to_vec2::<f32>()?;
        let offsets = offsets.to_vec2::<f32>()?;
        for ((p, prob), off) in proposals.iter().zip(&probs).zip(&offsets) {
            let moved = BoxOffsets::from_array([off[0], off[1], off[2], off[3]]).apply(p);
            if let Some(bounds) = letterbox.to_source(&moved) {
                candidates.push(Scored { bounds, score: prob[1] });
            }
        }
    }
    let kept: Vec<Scored> = candidates.iter().filter(|c| c.score > options.threshold).copied().collect();
    let faces = nms(&kept, options.merge_iou);
    Ok(Detections { faces, candidates, proposals_ms, model_ms: clock() - start })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::DType;
    use candle_nn::{VarBuilder, VarMap};

    #[test]
    fn an_untrained_model_gives_boxes_inside_the_photo_and_honours_the_threshold() {
        let varmap = VarMap::new();
        let model = FastRcnn::new(1, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).unwrap();
        let photo = RgbImage::from_fn(90, 60, |x, y| image::Rgb([(x * 2) as u8, (y * 3) as u8, if (20..50).contains(&x) { 200 } else { 30 }]));
        let options = DetectOptions { side: 64, proposals: 50, ..Default::default() };
        let got = detect(&model, &photo, options, || 0.0).unwrap();
        assert!(!got.candidates.is_empty());
        for c in &got.candidates {
            assert!(c.bounds.x0 >= 0.0 && c.bounds.y0 >= 0.0 && c.bounds.x1 <= 90.0 && c.bounds.y1 <= 60.0 && c.bounds.area() > 0.0, "{c:?}");
            assert!((0.0..=1.0).contains(&c.score));
        }
        // Threshold 0 keeps everything but overlaps; 1 keeps nothing.
        let all = detect(&model, &photo, DetectOptions { threshold: -1.0, ..options }, || 0.0).unwrap();
        assert!(!all.faces.is_empty() && all.faces.len() <= all.candidates.len());
        assert!(detect(&model, &photo, DetectOptions { threshold: 1.0, ..options }, || 0.0).unwrap().faces.is_empty());
    }
}
