//! `ocellus train faces --arch single-shot`: decodes the photos into memory, splits them
//! 80/10/10 by photo (the same seeded split as the tutorial's detectors), trains on random
//! square views with the shared loop, then picks the score threshold with the best F1 on the
//! validation photos and records it in the model card, where the page and `eval` find it.

use anyhow::{bail, Result};
use ocellus::face_detection::{detect, DetectOptions};
use ocellus::{face_labels, weights, Arch, InputSize, ModelCard, Task, TrainedModel};
use rayon::prelude::*;

use crate::dataset::skipped_report;
use super::train_run::{train_and_record, MetricKeys};
use crate::training::Recipe;
use crate::cli::{TrainFacesArgs, TrainOptions};
use crate::dataset::face_boxes::{self, AnnotatedImage};
use crate::dataset::split::Split;
use crate::dataset::Skipped;
use crate::detection::average_precision::{quality, PhotoResult};
use crate::detection::photo_set::{read_photo, split_photos};
use crate::detection::single_shot_lesson::{FacePhoto, SingleShotLesson};
use crate::training::RunFiles;

/// The longer side photos are scaled to, by default.
pub const DEFAULT_SIDE: u32 = 416;
/// The training views' side, by default.
pub const DEFAULT_CROP: u32 = 320;

/// Decodes `wanted` photos; unreadable ones are returned as skipped.
fn decode_photos(images: &[AnnotatedImage], wanted: &[usize]) -> (Vec<(usize, FacePhoto)>, Vec<Skipped>) {
    let results: Vec<Result<(usize, FacePhoto), Skipped>> = wanted
        .par_iter()
        .map(|&i| {
            let image = read_photo(&images[i].path)?;
            Ok((i, FacePhoto { image, faces: images[i].boxes.clone() }))
        })
        .collect();
    let (mut photos, mut skipped) = (Vec::new(), Vec::new());
    for r in results {
        match r {
            Ok(p) => photos.push(p),
            Err(s) => skipped.push(s),
        }
    }
    (photos, skipped)
}

/// The threshold with the best F1 (IoU 0.5) on `photos`, from 0.05 to 0.95 in steps of 0.05.
fn best_threshold(model: &TrainedModel, photos: &[&FacePhoto]) -> Result<(f32, f64)> {
    let all = DetectOptions { threshold: f32::NEG_INFINITY, ..Default::default() };
    let results: Vec<PhotoResult> =
        photos.iter().map(|p| Ok(PhotoResult { found: detect(model, &p.image, all, || 0.0)?.faces, truth: p.faces.clone() })).collect::<Result<_>>()?;
    let mut best = (0.5f32, -1.0f64);
    for step in 1..20 {
        let t = step as f32 * 0.05;
        let q = quality(&results, 0.5, t);
        let f1 = if q.detections + q.faces == 0 { 0.0 } else { 2.0 * q.true_positives as f64 / (q.detections + q.faces) as f64 };
        if f1 > best.1 {
            best = (t, f1);
        }
    }
    Ok(best)
}

/// Runs the command.
pub fn run(args: TrainFacesArgs) -> Result<()> {
    let side = args.side.unwrap_or(DEFAULT_SIDE);
    let crop = args.crop.unwrap_or(InputSize::square(DEFAULT_CROP));
    if crop.width != crop.height || crop.width % 32 != 0 {
        bail!("--crop for the single-shot detector is one side, a multiple of 32 (e.g. 320), not {crop}");
    }
    let (csv, images) = args.faces.paths()?;
    let opts = &TrainOptions { batch_size: Some(args.train.batch_size_or(32)?), ..args.train.clone() };
    let device = opts.device.open()?;
    let data = face_boxes::read(&csv, &images)?;
    println!("data: {} photos with {} face boxes in {}", data.images.len(), data.boxes, csv.display());
    skipped_report::print("reading the boxes", &data.skipped);
    let parts = split_photos(data.images.len(), opts.limit, opts.seed);
    let wanted: Vec<usize> = parts.train.iter().chain(&parts.val).chain(&parts.test).copied().collect();
    let (decoded, skipped) = decode_photos(&data.images, &wanted);
    skipped_report::print("decoding the photos", &skipped);
    let position: std::collections::HashMap<usize, usize> = decoded.iter().enumerate().map(|(k, (i, _))| (*i, k)).collect();
    let keep = |v: &[usize]| -> Vec<usize> { v.iter().filter_map(|i| position.get(i).copied()).collect() };
    let split = Split { train: keep(&parts.train), val: keep(&parts.val), test: keep(&parts.test) };
    let photos: Vec<FacePhoto> = decoded.into_iter().map(|(_, p)| p).collect();
    println!("photos: {} train, {} validation, {} test", split.train.len(), split.val.len(), split.test.len());
    if split.train.is_empty() || split.val.is_empty() {
        bail!("need readable photos in both the training and the validation split");
    }
    let card = ModelCard::new(Task::Faces { side }, Arch::SingleShot { width: args.width.unwrap_or(1) }, crop, face_labels());
    let keys = MetricKeys { val: "val_f1", train: "train_f1", test: &["test_f1", "test_recall", "test_precision"], shown: &["F1", "recall", "precision"] };
    let augment = opts.augment_on();
    if !augment {
        println!("note: without --augment on the detector trains on whole photos only; the random views are what make it generalise");
    }
    let lesson = SingleShotLesson { photos: &photos, crop: crop.width, side, augment };
    train_and_record(card, &lesson, &split, &csv, &keys, &opts.recipe(Recipe::tutorial(100))?, &|_| Ok(()), opts, &device)?;

    let files = RunFiles::for_weights(&opts.out);
    let (mut card, tensors) = weights::read(&std::fs::read(&files.weights)?, &device)?;
    if card.training.is_none() {
        return Ok(()); // interrupted: `--resume` continues
    }
    let model = TrainedModel::from_tensors(card.clone(), tensors.clone(), &device)?;
    let val: Vec<&FacePhoto> = split.val.iter().map(|&i| &photos[i]).collect();
    let (threshold, f1) = best_threshold(&model, &val)?;
    println!("threshold: {threshold:.2} (best F1 on the validation photos, {:.2}%)", f1 * 100.0);
    if let Some(facts) = card.training.as_mut() {
        facts.metrics.insert("threshold".into(), threshold as f64);
        facts.metrics.insert("val_f1_at_threshold".into(), f1);
    }
    crate::atomic_file::write(&files.weights, &weights::to_bytes(&card, &tensors)?)?;
    Ok(())
}
