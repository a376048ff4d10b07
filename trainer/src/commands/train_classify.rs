//! `ocellus train classify`: the tutorial's prepare, train and test steps for classification.

use anyhow::Result;
use ocellus::{Arch, ModelCard, Task};

use super::prepare_classify::prepare;
use super::train_run::{train_and_record, MetricKeys};
use crate::cli::{TrainOptions, ArchName, Toggle, TrainClassifyArgs};
use crate::dataset::augment::Augment;
use crate::training::{Classification, ImageLesson};

/// Runs the command.
pub fn run(args: TrainClassifyArgs) -> Result<()> {
    let opts = &TrainOptions { batch_size: Some(args.train.batch_size_or(100)?), ..args.train.clone() };
    let device = crate::device::open(&opts.device)?;
    let arch = match args.arch {
        ArchName::Lenet => Arch::LeNet,
        ArchName::Resnet18 => Arch::ResNet18 { width: args.width },
    };
    let prepared = prepare(&args.data, args.input, opts.seed, opts.limit)?;
    let card = ModelCard::new(Task::Classify, arch, args.input, prepared.catalog.labels.clone());
    let keys = MetricKeys { val: "val_accuracy", train: "train_accuracy", test: &["test_top1", "test_top3"], shown: &["top-1", "top-3"] };
    let augment = (opts.augment == Toggle::On).then_some(Augment::CIFAR);
    let lesson = ImageLesson { set: &prepared.set, objective: &Classification, augment };
    train_and_record(card, &lesson, &prepared.split, &args.data, &keys, opts, &device)
}
