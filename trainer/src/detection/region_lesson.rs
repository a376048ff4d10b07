//! Fast-RCNN's lesson: a batch is a set of letterboxed photos (the tutorial's 50) with all
//! their prepared regions; the split loss and the region metrics score it. Training may flip
//! a photo left-right, its regions and offsets with it.

use candle_core::{Device, Result, Tensor};
use image::RgbImage;
use ocellus::boxes::offsets::{BoxOffsets, OffsetScale};
use ocellus::boxes::BoxXyxy;
use ocellus::image_input::rgb_to_chw;
use ocellus::{InputSize, Network};
use rand::rngs::StdRng;
use rand::Rng;

use super::loss::{split_loss, RegionTally, RegionTargets};
use super::photo_set::Photo;
use crate::dataset::augment::Augment;
use crate::training::{BatchOutcome, Lesson, Tally};

/// The metrics of a face detector's regions, as the history file names them.
pub const REGION_METRICS: &[&str] = &["label_accuracy", "face_recall", "background_recall", "offset_accuracy"];

/// Photos and their regions for Fast-RCNN.
pub struct RegionLesson<'a> {
    /// The letterboxed photos.
    pub photos: &'a [Photo],
    /// Flip photos left-right at random in training.
    pub flip: bool,
    /// The model's offset scaling, which picks the offset loss.
    pub offset_scale: OffsetScale,
}

/// A region mirrored left-right in an image `side` pixels wide.
fn mirror(b: &BoxXyxy, side: f32) -> BoxXyxy {
    BoxXyxy { x0: side - b.x1, y0: b.y0, x1: side - b.x0, y1: b.y1 }
}

/// A region and its offsets after mirroring the photo: the true box is mirrored too and the
/// offsets encoded again (dx changes sign and shifts by the width change; dy, dw, dh stay).
fn mirrored(region: [f32; 4], offsets: [f32; 4], side: f32) -> ([f32; 4], [f32; 4]) {
    let r = BoxXyxy::from(region);
    let truth = BoxOffsets::from_array(offsets).apply(&r);
    let (r2, t2) = (mirror(&r, side), mirror(&truth, side));
    let o2 = BoxOffsets::encode(&r2, &t2).map_or(offsets, BoxOffsets::to_array);
    (r2.into(), o2)
}

/// Region hits as the tally sums them: face recall, background recall, offset closeness.
pub fn region_hits(t: &RegionTally) -> Vec<(f64, f64)> {
    let offsets = 4.0 * t.faces as f64;
    vec![(t.faces_right as f64, t.faces as f64), (t.background_right as f64, t.background as f64), (offsets - t.offset_error, offsets)]
}

/// [`REGION_METRICS`] from summed [`region_hits`]: balanced accuracy first.
pub fn region_metrics(tally: &Tally) -> Vec<f64> {
    let ratio = |i: usize, empty: f64| match (tally.hits.get(i), tally.totals.get(i)) {
        (Some(h), Some(t)) if *t > 0.0 => h / t,
        _ => empty,
    };
    let (faces, background) = (ratio(0, 1.0), ratio(1, 1.0));
    vec![(faces + background) / 2.0, faces, background, ratio(2, 1.0)]
}

impl Lesson for RegionLesson<'_> {
    fn metric_names(&self) -> &'static [&'static str] {
        REGION_METRICS
    }

    fn augment(&self) -> Option<Augment> {
        self.flip.then_some(Augment { pad: 0, flip: true, reflect: false, distort: false })
    }

    fn batch(&self, network: &Network, indices: &[usize], train: bool, mut rng: Option<&mut StdRng>, device: &Device) -> Result<BatchOutcome> {
        let Network::FastRcnn(model) = network else {
            candle_core::bail!("the region lesson needs a Fast-RCNN model");
        };
        let first = &self.photos[indices[0]].image;
        let (w, h) = first.dimensions();
        let size = InputSize { width: w, height: h };
        let (mut pixels, mut rois, mut labels, mut offsets) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (k, &i) in indices.iter().enumerate() {
            let photo = &self.photos[i];
            let flip = self.flip && rng.as_mut().is_some_and(|r| r.random_bool(0.5));
            let image: std::borrow::Cow<RgbImage> =
                if flip { std::borrow::Cow::Owned(image::imageops::flip_horizontal(&photo.image)) } else { std::borrow::Cow::Borrowed(&photo.image) };
            pixels.extend(rgb_to_chw(image.as_raw(), size));
            let s = &photo.samples;
            for ((region, &label), &off) in s.regions.iter().zip(&s.labels).zip(&s.offsets) {
                let (region, off) = if flip { mirrored(*region, off, w as f32) } else { (*region, off) };
                rois.extend([k as f32, region[0], region[1], region[2], region[3]]);
                labels.push(label);
                offsets.extend(off);
            }
        }
        let n = labels.len();
        let images = Tensor::from_vec(pixels, (indices.len(), 3, h as usize, w as usize), device)?;
        let rois = Tensor::from_vec(rois, (n, 5), device)?;
        let truth = RegionTargets { labels: Tensor::from_vec(labels, n, device)?, offsets: Tensor::from_vec(offsets, (n, 4), device)? };
        let (logits, predicted) = model.forward_t(&images, &rois, train)?;
        let loss = split_loss(&logits, &predicted, &truth, self.offset_scale)?;
        let mut tally = RegionTally::default();
        tally.add(&logits, &predicted, &truth)?;
        Ok(BatchOutcome { loss, hits: region_hits(&tally) })
    }

    fn metrics(&self, tally: &Tally) -> Vec<f64> {
        region_metrics(tally)
    }

    /// Both heads matter to a detector: the mean of label and offset accuracy.
    fn score(&self, metrics: &[f64]) -> f64 {
        (metrics[0] + metrics[3]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirroring_keeps_the_true_box_mirrored() {
        let region = [10.0, 20.0, 50.0, 70.0];
        let truth = BoxXyxy { x0: 14.0, y0: 18.0, x1: 58.0, y1: 66.0 };
        let r = BoxXyxy { x0: 10.0, y0: 20.0, x1: 50.0, y1: 70.0 };
        let off = BoxOffsets::encode(&r, &truth).unwrap().to_array();
        let (r2, o2) = mirrored(region, off, 100.0);
        assert_eq!(r2, [50.0, 20.0, 90.0, 70.0]);
        let back = BoxOffsets::from_array(o2).apply(&BoxXyxy::from(r2));
        let want = mirror(&truth, 100.0);
        for (a, b) in [(back.x0, want.x0), (back.y0, want.y0), (back.x1, want.x1), (back.y1, want.y1)] {
            assert!((a - b).abs() < 1e-4, "{back:?} vs {want:?}");
        }
        // Mirroring twice gives the region and offsets back.
        let (r3, o3) = mirrored(r2, o2, 100.0);
        assert_eq!(r3, region);
        assert!(o3.iter().zip(off).all(|(a, b)| (a - b).abs() < 1e-5));
    }

    #[test]
    fn balanced_accuracy_is_the_mean_of_the_recalls() {
        let t = RegionTally { faces_right: 9, faces: 10, background_right: 50, background: 100, offset_error: 4.0 };
        let mut tally = Tally::default();
        tally.add(1.0, 2, &region_hits(&t));
        let m = region_metrics(&tally);
        assert!((m[0] - 0.7).abs() < 1e-12 && (m[1] - 0.9).abs() < 1e-12 && (m[2] - 0.5).abs() < 1e-12 && (m[3] - 0.9).abs() < 1e-12, "{m:?}");
    }
}
