//! RCNN's lesson: every prepared region cut out of its letterboxed photo and resized to the
//! classifier's input (the tutorial's 32x32), classified face / background with the split
//! cross-entropy, scored by balanced accuracy.

use candle_core::{Result, Tensor};
use ocellus::boxes::BoxXyxy;
use ocellus::region_crop::crop;
use ocellus::InputSize;

use super::loss::split_cross_entropy;
use super::photo_set::Photo;
use super::region_lesson::region_metrics;
use crate::dataset::{ImageSet, Source};
use crate::training::{Objective, Tally};

/// RCNN's metrics, as the history file names them.
pub const CROP_METRICS: &[&str] = &["label_accuracy", "face_recall", "background_recall"];

/// Face / background classification of crops.
pub struct CropClassification;

impl Objective for CropClassification {
    fn metric_names(&self) -> &'static [&'static str] {
        CROP_METRICS
    }

    fn loss(&self, logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
        split_cross_entropy(logits, targets)
    }

    fn hits(&self, logits: &Tensor, targets: &Tensor) -> Result<Vec<(f64, f64)>> {
        let scores = logits.to_vec2::<f32>()?;
        let (mut faces, mut faces_right, mut background, mut background_right) = (0.0, 0.0, 0.0, 0.0);
        for (row, label) in scores.iter().zip(targets.to_vec1::<u32>()?) {
            let says_face = row[1] > row[0];
            if label == 1 {
                faces += 1.0;
                faces_right += says_face as u8 as f64;
            } else {
                background += 1.0;
                background_right += !says_face as u8 as f64;
            }
        }
        Ok(vec![(faces_right, faces), (background_right, background)])
    }

    fn metrics(&self, tally: &Tally) -> Vec<f64> {
        region_metrics(tally)[..3].to_vec()
    }
}

/// The crops of every region of `photos` at `size`, and for each crop the index of its photo
/// in `photos`.
pub fn crops(photos: &[Photo], size: InputSize, source: impl Fn(&Photo) -> Source) -> (ImageSet, Vec<usize>) {
    let mut items = Vec::new();
    let mut photo_of = Vec::new();
    for (p, photo) in photos.iter().enumerate() {
        for (r, &label) in photo.samples.regions.iter().zip(&photo.samples.labels) {
            let region = BoxXyxy::from(*r);
            items.push((crop(&photo.image, &region, size).into_raw(), vec![label], source(photo)));
            photo_of.push(p);
        }
    }
    (ImageSet::from_pixels(size, items), photo_of)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn balanced_hits_and_the_split_loss() {
        let d = &Device::Cpu;
        let logits = Tensor::new(&[[0f32, 3.], [3., 0.], [0., 3.], [3., 0.]], d).unwrap();
        let labels = Tensor::new(&[1u32, 1, 0, 0], d).unwrap();
        let hits = CropClassification.hits(&logits, &labels).unwrap();
        assert_eq!(hits, vec![(1.0, 2.0), (1.0, 2.0)]);
        let mut tally = Tally::default();
        tally.add(0.0, 4, &hits);
        assert_eq!(CropClassification.metrics(&tally), vec![0.5, 0.5, 0.5]);
        assert!(CropClassification.loss(&logits, &labels).unwrap().to_scalar::<f32>().unwrap() > 0.0);
    }
}
