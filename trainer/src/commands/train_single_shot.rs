//! `ocellus train faces --arch single-shot`: decodes the photos into memory, splits them
//! 80/10/10 by photo (the same seeded split as the tutorial's detectors), trains on random
//! square views with the shared loop, then picks the score threshold with the best F1 on the
//! validation photos and records it in the model card, where the page and `eval` find it.

use anyhow::{bail, Result};
use ocellus::{face_labels, Arch, InputSize, ModelCard, Task};

use crate::dataset::skipped_report;
use super::train_run::{train_and_record, MetricKeys};
use crate::training::Recipe;
use crate::cli::{TrainFacesArgs, TrainOptions};
use crate::dataset::face_boxes;
use crate::dataset::split::Split;
use crate::detection::photo_set::{decode_photos, split_photos};
use crate::detection::single_shot_lesson::{FacePhoto, SingleShotLesson};
use crate::detection::threshold_choice::{even_steps, record_threshold};
use crate::training::warm_start::start_from;
use crate::training::RunFiles;

/// The longer side photos are scaled to, by default.
pub const DEFAULT_SIDE: u32 = 416;
/// The training views' side, by default.
pub const DEFAULT_CROP: u32 = 320;

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
    train_and_record(card, &lesson, &split, &csv, &keys, &opts.recipe(Recipe::tutorial(100))?, &|t| start_from(t, args.init_from.as_deref()), opts, &device)?;

    let val: Vec<&FacePhoto> = split.val.iter().map(|&i| &photos[i]).collect();
    record_threshold(&RunFiles::for_weights(&opts.out), &device, &val, &even_steps())
}
