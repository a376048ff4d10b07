//! `ocellus train faces`: the tutorial's face detectors. Prepares the regions of the photos
//! (resumable cache), letterboxes the photos into memory, splits them 80/10/10 by photo, and
//! trains Fast-RCNN on whole photos with their regions or RCNN on the regions' crops, with the
//! shared training loop (checkpoints, resume, early stopping on balanced label accuracy), then
//! records the score threshold with the best F1 on the validation photos in the card.

use anyhow::{bail, Result};
use ocellus::boxes::offsets::OffsetScale;
use ocellus::{face_labels, Arch, InputSize, ModelCard, Task};

use crate::dataset::skipped_report;
use super::train_run::{train_and_record, MetricKeys};
use crate::training::Recipe;
use crate::cli::{DetectorName, OffsetTargets, TrainFacesArgs, TrainOptions};
use crate::dataset::augment::Augment;
use crate::dataset::face_boxes::{self, AnnotatedImage};
use crate::dataset::split::Split;
use crate::dataset::Source;
use crate::detection::crop_lesson::{crops, CropClassification};
use crate::detection::photo_set::{load, split_photos, Photo};
use crate::detection::threshold_choice::{record_on_validation, softmax_steps};
use crate::detection::region_lesson::RegionLesson;
use crate::detection::region_preparation::prepare_photos;
use crate::detection::sample_cache::RegionSettings;
use crate::training::trainee::Trainee;
use crate::training::warm_start::start_from;
use crate::training::ImageLesson;
use ocellus::models::pyramid::MULTIPLE;

/// Positions in `photos` of the photos whose CSV index is in `indices`.
fn positions(photos: &[Photo], indices: &[usize]) -> Vec<usize> {
    let wanted: std::collections::HashSet<usize> = indices.iter().copied().collect();
    photos.iter().enumerate().filter(|(_, p)| wanted.contains(&p.index)).map(|(i, _)| i).collect()
}

/// Runs the command.
pub fn run(args: TrainFacesArgs) -> Result<()> {
    let side = args.side.unwrap_or(256);
    let crop = args.crop.unwrap_or(InputSize::square(32));
    let (csv, images) = args.faces.paths()?;
    let fast = matches!(args.arch, DetectorName::FastRcnn | DetectorName::PyramidFastRcnn);
    if args.arch == DetectorName::PyramidFastRcnn && side % MULTIPLE != 0 {
        bail!("--side for the pyramid Fast-RCNN must be a multiple of {MULTIPLE} (e.g. 416), not {side}");
    }
    let opts = &TrainOptions { batch_size: Some(args.train.batch_size_or(if fast { 50 } else { 100 })?), ..args.train.clone() };
    let device = opts.device.open()?;
    let data = face_boxes::read(&csv, &images)?;
    println!("data: {} photos with {} face boxes in {}", data.images.len(), data.boxes, csv.display());
    skipped_report::print("reading the boxes", &data.skipped);
    let parts = split_photos(data.images.len(), opts.limit, opts.seed);
    let mut wanted: Vec<usize> = parts.train.iter().chain(&parts.val).chain(&parts.test).copied().collect();
    wanted.sort_unstable();
    let chosen: Vec<&AnnotatedImage> = wanted.iter().map(|&i| &data.images[i]).collect();
    let cache = args.cache.clone().unwrap_or_else(|| opts.out.with_extension("regions.jsonl"));
    let records = prepare_photos(&chosen, &cache, RegionSettings { side, proposals: args.proposals, sampling: args.sampling })?;
    let (photos, skipped) = load(&data.images, &wanted, records, side);
    skipped_report::print("loading the photos", &skipped);
    let split = Split { train: positions(&photos, &parts.train), val: positions(&photos, &parts.val), test: positions(&photos, &parts.test) };
    println!("photos: {} train, {} validation, {} test", split.train.len(), split.val.len(), split.test.len());
    if split.train.is_empty() || split.val.is_empty() {
        bail!("need photos with regions in both the training and the validation split");
    }
    let task = Task::Faces { side };
    let flip = opts.augment_on();
    if fast {
        let width = args.width.unwrap_or(1);
        let arch = if args.arch == DetectorName::PyramidFastRcnn { Arch::PyramidFastRcnn { width } } else { Arch::FastRcnn { width } };
        let mut card = ModelCard::new(task, arch, InputSize::square(side), face_labels());
        card.offset_scale = match args.offsets {
            OffsetTargets::Tutorial => OffsetScale::TUTORIAL,
            OffsetTargets::Scaled => OffsetScale::FASTER_RCNN,
        };
        let keys = MetricKeys {
            val: "val_label_accuracy",
            train: "train_label_accuracy",
            test: &["test_label_accuracy", "test_face_recall", "test_background_recall", "test_offset_accuracy"],
            shown: &["label accuracy", "face recall", "background recall", "offset accuracy"],
        };
        let lesson = RegionLesson { photos: &photos, flip, offset_scale: card.offset_scale };
        let setup = |trainee: &Trainee| start_from(trainee, args.init_from.as_deref());
        train_and_record(card, &lesson, &split, &csv, &keys, &opts.recipe(Recipe::tutorial(100))?, &setup, opts, &device)?;
        return record_on_validation(&data.images, &parts.val, &opts.out, &device, &softmax_steps());
    }
    let (set, photo_of) = crops(&photos, crop, |p| Source::File(data.images[p.index].path.clone()));
    let by_photo = |photo_positions: &[usize]| -> Vec<usize> {
        let wanted: std::collections::HashSet<usize> = photo_positions.iter().copied().collect();
        (0..photo_of.len()).filter(|&c| wanted.contains(&photo_of[c])).collect()
    };
    let crop_split = Split { train: by_photo(&split.train), val: by_photo(&split.val), test: by_photo(&split.test) };
    println!("crops: {} train, {} validation, {} test", crop_split.train.len(), crop_split.val.len(), crop_split.test.len());
    let card = ModelCard::new(task, Arch::ResNet18 { width: args.width.unwrap_or(16) }, crop, face_labels());
    let keys = MetricKeys {
        val: "val_label_accuracy",
        train: "train_label_accuracy",
        test: &["test_label_accuracy", "test_face_recall", "test_background_recall"],
        shown: &["label accuracy", "face recall", "background recall"],
    };
    let augment = flip.then_some(Augment { pad: 2, flip: true, reflect: false, distort: false });
    let lesson = ImageLesson { set: &set, objective: &CropClassification, augment, views: Default::default() };
    let setup = |trainee: &Trainee| start_from(trainee, args.init_from.as_deref());
    train_and_record(card, &lesson, &crop_split, &csv, &keys, &opts.recipe(Recipe::tutorial(100))?, &setup, opts, &device)?;
    record_on_validation(&data.images, &parts.val, &opts.out, &device, &softmax_steps())
}

