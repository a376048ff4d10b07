//! The single-shot detector's lesson: in training, a batch is one random square view of each
//! photo (`photo_crop`; without augmentation the whole photo); in validation and test, each
//! whole photo scaled to the detector's side as the page sees it. Scored by the point loss, and by the faces found at a 0.5 score
//! after merging: recall, precision and their harmonic mean (F1), which picks the best epoch.

use candle_core::{Device, Result, Tensor};
use image::RgbImage;
use ocellus::boxes::merge::{nms, Scored};
use ocellus::boxes::points::{decode, grid, Point};
use ocellus::boxes::window::Window;
use ocellus::boxes::BoxXyxy;
use ocellus::models::single_shot::{MULTIPLE, STRIDES};
use ocellus::Network;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use super::photo_crop::{faces_in, random_view, View};
use super::point_loss::point_loss;
use super::point_targets::{assign, PointTarget, MIN_FACE};
use crate::dataset::augment::Augment;
use crate::training::{BatchOutcome, Lesson, Tally};

/// The metrics as the history file names them.
pub const METRICS: &[&str] = &["f1", "recall", "precision"];
/// The score and merge IoU at which the epoch metrics count faces.
const COUNT_AT: (f32, f32) = (0.5, 0.3);

/// A photo in memory with its faces (photo pixels).
pub struct FacePhoto {
    /// The decoded photo.
    pub image: RgbImage,
    /// Its faces.
    pub faces: Vec<BoxXyxy>,
}

/// Photos for the single-shot detector.
pub struct SingleShotLesson<'a> {
    /// The photos.
    pub photos: &'a [FacePhoto],
    /// The training views' side.
    pub crop: u32,
    /// Validation and test photos are scaled so that their longer side is this.
    pub side: u32,
    /// Train on random views (`photo_crop`); without it training sees whole photos too.
    pub augment: bool,
}

/// (true positives, faces, detections) of `found` against `truth` at IoU 0.5, one face per
/// detection, best score first; detections of faces too small to learn count for nothing.
pub fn count_hits(found: &[Scored], truth: &[BoxXyxy]) -> (usize, usize, usize) {
    let mut taken = vec![false; truth.len()];
    let (mut tp, mut det) = (0, 0);
    for f in found {
        let best = truth.iter().enumerate().filter(|(i, _)| !taken[*i]).map(|(i, t)| (i, f.bounds.iou(t))).max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((i, iou)) if iou >= 0.5 => {
                taken[i] = true;
                if truth[i].width().max(truth[i].height()) >= MIN_FACE {
                    tp += 1;
                    det += 1;
                }
            }
            _ => det += 1,
        }
    }
    let faces = truth.iter().filter(|t| t.width().max(t.height()) >= MIN_FACE).count();
    (tp, faces, det)
}

impl SingleShotLesson<'_> {
    /// Runs one group of same-sized inputs: loss and hits.
    fn run(&self, network: &Network, views: Vec<View>, size: (usize, usize), train: bool, device: &Device) -> Result<(Tensor, [usize; 3])> {
        let Network::SingleShot(model) = network else {
            candle_core::bail!("the single-shot lesson needs a single-shot model");
        };
        let (w, h) = size;
        let n = views.len();
        let points: Vec<Point> = grid(w, h, &STRIDES);
        let mut pixels = Vec::with_capacity(n * 3 * w * h);
        let mut targets: Vec<PointTarget> = Vec::with_capacity(n * points.len());
        let mut faces = Vec::with_capacity(n);
        for v in views {
            pixels.extend_from_slice(&v.pixels);
            targets.extend(assign(&points, &v.faces));
            faces.push(v.faces);
        }
        let x = Tensor::from_vec(pixels, (n, 3, h, w), device)?;
        let out = model.forward_flat(&x, train)?;
        let flat = out.flatten_to(1)?;
        let loss = point_loss(&flat, &points, &targets, &faces, device)?;
        let raw = out.detach().to_vec3::<f32>()?;
        let mut hits = [0usize; 3];
        for (image, truth) in raw.iter().zip(&faces) {
            let values: Vec<f32> = image.iter().flatten().copied().collect();
            let found = nms(&decode(&values, &points, COUNT_AT.0, 300), COUNT_AT.1);
            let (tp, gt, det) = count_hits(&found, truth);
            hits = [hits[0] + tp, hits[1] + gt, hits[2] + det];
        }
        Ok((loss, hits))
    }
}

impl Lesson for SingleShotLesson<'_> {
    fn metric_names(&self) -> &'static [&'static str] {
        METRICS
    }

    fn augment(&self) -> Option<Augment> {
        // Crops, flips and colour jitter are this lesson's own; the record says whether they ran.
        self.augment.then_some(Augment { pad: 0, flip: true, reflect: false, distort: false })
    }

    fn batch(&self, network: &Network, indices: &[usize], train: bool, rng: Option<&mut StdRng>, device: &Device) -> Result<BatchOutcome> {
        let mut groups: Vec<((usize, usize), Vec<View>)> = Vec::new();
        if let (true, true, Some(rng)) = (train, self.augment, rng) {
            let seeds: Vec<u64> = indices.iter().map(|_| rng.random()).collect();
            let views = indices
                .par_iter()
                .zip(seeds)
                .map(|(&i, seed)| random_view(&self.photos[i].image, &self.photos[i].faces, self.crop, &mut StdRng::seed_from_u64(seed)))
                .collect();
            groups.push(((self.crop as usize, self.crop as usize), views));
        } else {
            let views: Vec<((usize, usize), View)> = indices
                .par_iter()
                .map(|&i| {
                    let p = &self.photos[i];
                    let window = Window::fit_long_side(p.image.dimensions(), self.side, MULTIPLE);
                    let size = (window.out.0 as usize, window.out.1 as usize);
                    (size, View { pixels: window.sample_chw(&p.image), faces: faces_in(&window, &p.faces) })
                })
                .collect();
            for (size, view) in views {
                match groups.iter_mut().find(|(s, _)| *s == size) {
                    Some((_, g)) => g.push(view),
                    None => groups.push((size, vec![view])),
                }
            }
        }
        let mut losses = Vec::new();
        let mut hits = [0usize; 3];
        for (size, views) in groups {
            let n = views.len() as f64;
            let (loss, h) = self.run(network, views, size, train, device)?;
            losses.push((loss * (n / indices.len() as f64))?);
            hits = [hits[0] + h[0], hits[1] + h[1], hits[2] + h[2]];
        }
        let loss = losses.into_iter().reduce(|a, b| (a + b).expect("scalar losses add")).expect("at least one group");
        let [tp, gt, det] = hits.map(|v| v as f64);
        Ok(BatchOutcome { loss, hits: vec![(tp, gt), (tp, det)] })
    }

    fn metrics(&self, tally: &Tally) -> Vec<f64> {
        let tp = tally.hits.first().copied().unwrap_or(0.0);
        let gt = tally.totals.first().copied().unwrap_or(0.0);
        let det = tally.totals.get(1).copied().unwrap_or(0.0);
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        vec![ratio(2.0 * tp, gt + det), ratio(tp, gt), ratio(tp, det)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_pair_each_face_with_one_detection() {
        let face = |x: f32| BoxXyxy { x0: x, y0: 0.0, x1: x + 20.0, y1: 20.0 };
        let s = |b: BoxXyxy, score: f32| Scored { bounds: b, score };
        let truth = [face(0.0), face(100.0), BoxXyxy { x0: 200.0, y0: 0.0, x1: 205.0, y1: 5.0 }];
        // Two detections on the first face: one hit, one false; one miss; the tiny face's
        // detection counts for nothing.
        let found = [s(face(1.0), 0.9), s(face(0.0), 0.8), s(BoxXyxy { x0: 200.0, y0: 0.0, x1: 205.0, y1: 5.0 }, 0.7), s(face(300.0), 0.6)];
        assert_eq!(count_hits(&found, &truth), (1, 2, 3));
        assert_eq!(count_hits(&[], &truth), (0, 2, 0));
    }
}
