//! `ocellus train classify`: the tutorial's prepare, train and test steps for classification.

use anyhow::Result;
use ocellus::{Arch, ModelCard, Task};

use crate::dataset::prepared::prepare;
use super::train_run::{train_and_record, MetricKeys};
use crate::cli::{ArchName, Toggle, TrainClassifyArgs, TrainSplit};
use crate::dataset::augment::Augment;
use crate::training::{patch_whitening, Classification, ImageLesson, Recipe};

/// Runs the command.
pub fn run(args: TrainClassifyArgs) -> Result<()> {
    let arch = match args.arch {
        ArchName::Lenet => Arch::LeNet,
        ArchName::Resnet18 => Arch::ResNet18 { width: args.width },
        ArchName::WhitenedCnn => Arch::WhitenedCnn { width: args.width },
    };
    let opts = &args.train;
    let mut recipe = opts.recipe(Recipe::for_classify(args.recipe, arch))?;
    match opts.augment {
        Some(Toggle::On) if recipe.augment.is_none() => recipe.augment = Some(Augment::CIFAR),
        Some(Toggle::Off) => recipe.augment = None,
        _ => {}
    }
    println!("recipe: {}", serde_json::to_string(&recipe)?);
    let device = opts.device.open()?;
    let mut prepared = prepare(&args.data, args.input, opts.seed, opts.limit)?;
    if args.split == TrainSplit::TrainVal {
        // The validation images join the training ones: they can no longer choose an epoch, so
        // the schedule runs to its end and the last epoch's weights are kept.
        let val = prepared.split.val.clone();
        prepared.split.train.extend(val);
        recipe.patience = recipe.epochs;
        recipe.keep_last = true;
        println!("training on the training and validation splits ({} images); validation figures below are on seen images", prepared.split.train.len());
    }
    let mut card = ModelCard::new(Task::Classify, arch, args.input, prepared.catalog.labels.clone());
    card.views = recipe.views;
    let keys = MetricKeys { val: "val_accuracy", train: "train_accuracy", test: &["test_top1", "test_top3"], shown: &["top-1", "top-3"] };
    let objective = Classification { label_smoothing: recipe.label_smoothing };
    let lesson = ImageLesson { set: &prepared.set, objective: &objective, augment: recipe.augment, views: recipe.views };
    let setup = |trainee: &crate::training::Trainee| patch_whitening::initialise(trainee, &prepared.set, &prepared.split.train);
    train_and_record(card, &lesson, &prepared.split, &args.data, &keys, &recipe, &setup, opts, &device)
}
