//! `ocellus train classify`: the tutorial's prepare, train and test steps for classification.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use ocellus::{weights, Arch, ModelCard, Task, TrainedModel, TrainingFacts};

use super::prepare_classify::prepare;
use crate::cli::{ArchName, Toggle, TrainClassifyArgs};
use crate::dataset::augment::Augment;
use crate::training::{evaluate, fit, Classification, FitOptions, RunFiles, Trainee};

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

    // Prepare: find, subset, decode and split the data.
    let prepared = prepare(&args.data, args.input, opts.seed, opts.limit)?;
    let (set, parts_split, catalog) = (&prepared.set, &prepared.split, &prepared.catalog);
    let show = std::io::IsTerminal::is_terminal(&std::io::stderr());

    // Train.
    let card = ModelCard::new(Task::Classify, arch, args.input, catalog.labels.clone());
    let mut trainee = Trainee::new(card, &device, opts.seed)?;
    println!("model: {} with {} parameters, input {}", arch, trainee.parameter_count(), args.input);
    let files = RunFiles::for_weights(&opts.out);
    let fit_opts = FitOptions {
        epochs: opts.epochs,
        patience: opts.patience,
        batch_size: opts.batch_size,
        lr: opts.lr,
        cosine: opts.cosine,
        seed: opts.seed,
        augment: (opts.augment == Toggle::On).then_some(Augment::CIFAR),
        resume: opts.resume,
        restart: opts.restart,
        progress: show,
    };
    let objective = Classification;
    let outcome = fit(&mut trainee, set, &parts_split.train, &parts_split.val, &objective, &fit_opts, &files)?;
    if outcome.interrupted {
        return Ok(());
    }
    let Some((best_val, best_epoch)) = outcome.best else {
        bail!("no epoch completed: nothing to save");
    };

    // Test the best epoch's weights, and record the facts in the weights file.
    let (best_card, tensors) = weights::read(&std::fs::read(&files.weights)?, &device)?;
    let best = TrainedModel::from_tensors(best_card, tensors.clone(), &device)?;
    let mut metrics = BTreeMap::from([("val_accuracy".to_string(), best_val)]);
    if !parts_split.test.is_empty() {
        let t = evaluate(&best.network, set, &parts_split.test, &objective, opts.batch_size, &device)?;
        println!(
            "test: top-1 {:.2}%  top-3 {:.2}%  on {} images (best epoch {best_epoch})",
            t.metric(0) * 100.0,
            t.metric(1) * 100.0,
            parts_split.test.len()
        );
        metrics.insert("test_top1".into(), t.metric(0));
        metrics.insert("test_top3".into(), t.metric(1));
    }
    let history = &outcome.history;
    metrics.insert("train_accuracy".into(), history[best_epoch - 1].train[0]);
    metrics.insert("seconds_per_epoch".into(), history.iter().map(|r| r.seconds).sum::<f64>() / history.len() as f64);
    let mut card = best.card.clone();
    card.training = Some(TrainingFacts {
        dataset: args.data.display().to_string(),
        train_images: parts_split.train.len(),
        epochs: outcome.history.len(),
        best_epoch,
        metrics,
        date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        seed: opts.seed,
        limit: opts.limit,
        augment: fit_opts.augment.is_some(),
    });
    crate::atomic_file::write(&files.weights, &weights::to_bytes(&card, &tensors)?)?;
    println!(
        "wrote {} (best epoch {best_epoch}), {}, {}, checkpoint {}",
        files.weights.display(),
        files.history.display(),
        files.plot.display(),
        files.checkpoint.display()
    );
    Ok(())
}
