//! `ocellus train classify`: the tutorial's prepare, train and test steps for classification.

use anyhow::{bail, Result};
use ocellus::{Arch, ModelCard, Task};

use super::prepare_classify::prepare;
use super::train_run::{train_and_record, MetricKeys};
use crate::cli::{ArchName, Toggle, TrainClassifyArgs};
use crate::dataset::augment::Augment;
use crate::training::Classification;

/// Runs the command.
pub fn run(args: TrainClassifyArgs) -> Result<()> {
    let opts = &args.train;
    if opts.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    let device = crate::device::open(&opts.device)?;
    let arch = match args.arch {
        ArchName::Lenet => Arch::LeNet,
        ArchName::Resnet18 => Arch::ResNet18 { width: args.width },
    };
    let prepared = prepare(&args.data, args.input, opts.seed, opts.limit)?;
    let card = ModelCard::new(Task::Classify, arch, args.input, prepared.catalog.labels.clone());
    let keys = MetricKeys { val: "val_accuracy", train: "train_accuracy", test: &["test_top1", "test_top3"], shown: &["top-1", "top-3"] };
    let augment = (opts.augment == Toggle::On).then_some(Augment::CIFAR);
    train_and_record(card, &prepared, &args.data, &Classification, augment, &keys, opts, &device)
}
