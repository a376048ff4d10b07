//! The score threshold a trained face detector is meant to be used at: the one with the best
//! F1 (IoU 0.5) on the validation photos, recorded in the model card, where the page's slider
//! and `eval faces` find it.

use anyhow::Result;
use candle_core::Device;
use ocellus::face_detection::{detect, DetectOptions};
use ocellus::{weights, TrainedModel};

use std::path::Path;

use super::average_precision::{quality, PhotoResult};
use super::photo_set::decode_photos;
use crate::dataset::face_boxes::AnnotatedImage;
use crate::dataset::skipped_report;
use super::single_shot_lesson::FacePhoto;
use crate::training::RunFiles;

/// The single-shot detector's candidates: 0.05 to 0.95 in steps of 0.05.
pub fn even_steps() -> Vec<f32> {
    (1..20).map(|step| step as f32 * 0.05).collect()
}

/// The tutorial's detectors' candidates: their softmax scores crowd near 1, so the even steps
/// and then 0.97 to 0.999 (the tutorial's 0.99 among them).
pub fn softmax_steps() -> Vec<f32> {
    let mut steps = even_steps();
    steps.extend([0.97, 0.98, 0.99, 0.995, 0.999]);
    steps
}

/// The threshold among `candidates` with the best F1 (IoU 0.5) on `photos`, and that F1.
pub fn best_threshold(model: &TrainedModel, photos: &[&FacePhoto], candidates: &[f32]) -> Result<(f32, f64)> {
    let all = DetectOptions { threshold: f32::NEG_INFINITY, ..Default::default() };
    let results: Vec<PhotoResult> =
        photos.iter().map(|p| Ok(PhotoResult { found: detect(model, &p.image, all, || 0.0)?.faces, truth: p.faces.clone() })).collect::<Result<_>>()?;
    Ok(best_of(&results, candidates))
}

/// The candidate with the best F1 over already detected `results` (the first on a tie).
fn best_of(results: &[PhotoResult], candidates: &[f32]) -> (f32, f64) {
    let mut best = (0.5f32, -1.0f64);
    for &t in candidates {
        let q = quality(results, 0.5, t);
        let f1 = if q.detections + q.faces == 0 { 0.0 } else { 2.0 * q.true_positives as f64 / (q.detections + q.faces) as f64 };
        if f1 > best.1 {
            best = (t, f1);
        }
    }
    best
}

/// Picks the threshold for the finished run's weights on `photos` and writes it into their
/// card (atomically); an interrupted run, whose card has no training facts yet, is left as
/// it is for `--resume`.
pub fn record_threshold(files: &RunFiles, device: &Device, photos: &[&FacePhoto], candidates: &[f32]) -> Result<()> {
    let (mut card, tensors) = weights::read(&std::fs::read(&files.weights)?, device)?;
    if card.training.is_none() {
        return Ok(());
    }
    let model = TrainedModel::from_tensors(card.clone(), tensors.clone(), device)?;
    let (threshold, f1) = best_threshold(&model, photos, candidates)?;
    println!("threshold: {threshold:.3} (best F1 on the validation photos, {:.2}%)", f1 * 100.0);
    if let Some(facts) = card.training.as_mut() {
        facts.metrics.insert("threshold".into(), threshold as f64);
        facts.metrics.insert("val_f1_at_threshold".into(), f1);
    }
    crate::atomic_file::write(&files.weights, &weights::to_bytes(&card, &tensors)?)?;
    Ok(())
}

/// Decodes the validation photos `val` (CSV indices into `images`) and records the best
/// threshold among `candidates` on them in the card of the weights at `weights`.
pub fn record_on_validation(images: &[AnnotatedImage], val: &[usize], weights: &Path, device: &Device, candidates: &[f32]) -> Result<()> {
    let (decoded, skipped) = decode_photos(images, val);
    skipped_report::print("decoding the validation photos", &skipped);
    let photos: Vec<&FacePhoto> = decoded.iter().map(|(_, p)| p).collect();
    println!("choosing on {} validation photos", photos.len());
    record_threshold(&RunFiles::for_weights(weights), device, &photos, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocellus::boxes::BoxXyxy;
    use ocellus::boxes::merge::Scored;

    #[test]
    fn the_best_f1_threshold_is_picked_from_the_candidates() {
        let face = BoxXyxy { x0: 0.0, y0: 0.0, x1: 10.0, y1: 10.0 };
        let elsewhere = BoxXyxy { x0: 50.0, y0: 50.0, x1: 60.0, y1: 60.0 };
        // Both faces found, at 0.999 and 0.995; false boxes at 0.985 and 0.96.
        let results = vec![
            PhotoResult { found: vec![Scored { bounds: face, score: 0.999 }, Scored { bounds: elsewhere, score: 0.985 }], truth: vec![face] },
            PhotoResult { found: vec![Scored { bounds: face, score: 0.995 }, Scored { bounds: elsewhere, score: 0.96 }], truth: vec![face] },
        ];
        // Above 0.99 only the faces are left: F1 1; above 0.97, 2 of 3 boxes (F1 0.8); the
        // even steps never get past the false boxes (2 of 4, F1 2/3).
        let (t, f1) = best_of(&results, &softmax_steps());
        assert_eq!((t, f1), (0.99, 1.0));
        let (_, f1) = best_of(&results, &even_steps());
        assert!((f1 - 2.0 / 3.0).abs() < 1e-12, "{f1}");
    }
}
