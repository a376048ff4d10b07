//! What every `train <task>` command does once its data is prepared: build the model, run the
//! shared training loop, test the best epoch's weights, and record the facts in the file.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Result};
use candle_core::Device;
use ocellus::{weights, ModelCard, TrainedModel, TrainingFacts};

use crate::cli::TrainOptions;
use crate::dataset::split::Split;
use crate::training::{evaluate_final, fit, FitOptions, Lesson, Recipe, RunFiles, RunLock, Trainee};

/// How a task names its metrics in the model card.
pub struct MetricKeys {
    /// The best validation score (the objective's first metric).
    pub val: &'static str,
    /// The first metric on the training split at the best epoch.
    pub train: &'static str,
    /// Each of the objective's metrics on the test split.
    pub test: &'static [&'static str],
    /// How the test line names each metric (`top-1`, `code`, ...).
    pub shown: &'static [&'static str],
}

/// Trains `card` on `prepared`, then tests and records; returns without saving facts when the
/// run was interrupted (its checkpoint lets `--resume` continue).
/// `setup` runs on the freshly initialised model (e.g. to set weights computed from the data).
#[allow(clippy::too_many_arguments)]
pub fn train_and_record(
    card: ModelCard,
    lesson: &dyn Lesson,
    parts: &Split,
    data: &Path,
    keys: &MetricKeys,
    recipe: &Recipe,
    setup: &dyn Fn(&Trainee) -> Result<()>,
    opts: &TrainOptions,
    device: &Device,
) -> Result<()> {
    let _lock = RunLock::acquire(&opts.out)?;
    let augment = lesson.augment();
    let mut trainee = Trainee::new(card, device, opts.seed)?;
    setup(&trainee)?;
    println!("model: {} with {} parameters, input {}", trainee.card.arch, trainee.parameter_count(), trainee.card.input);
    let files = RunFiles::for_weights(&opts.out);
    let stale = files.remove_stale_temps()?;
    if stale > 0 {
        println!("removed {stale} half-written file(s) an interrupted run left beside {}", opts.out.display());
    }
    let fit_opts = FitOptions {
        recipe: recipe.clone(),
        seed: opts.seed,
        augment,
        resume: opts.resume,
        restart: opts.restart,
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let outcome = fit(&mut trainee, lesson, &parts.train, &parts.val, &fit_opts, &files)?;
    if outcome.interrupted {
        return Ok(());
    }
    let Some((_, best_epoch)) = outcome.best else {
        bail!("no epoch completed: nothing to save");
    };

    let (best_card, tensors) = weights::read(&std::fs::read(&files.weights)?, device)?;
    let best = TrainedModel::from_tensors(best_card, tensors.clone(), device)?;
    let best_val = &outcome.history[best_epoch - 1].val;
    let mut metrics = BTreeMap::from([(keys.val.to_string(), best_val[0])]);
    if !parts.test.is_empty() {
        let t = lesson.metrics(&evaluate_final(&best.network, lesson, &parts.test, recipe.batch_size, device)?);
        let shown: Vec<String> = keys.shown.iter().zip(&t).map(|(n, v)| format!("{n} {:.2}%", v * 100.0)).collect();
        println!("test: {} on {} images (best epoch {best_epoch})", shown.join("  "), parts.test.len());
        for (key, v) in keys.test.iter().zip(&t) {
            metrics.insert(key.to_string(), *v);
        }
    }
    let history = &outcome.history;
    metrics.insert(keys.train.into(), history[best_epoch - 1].train[0]);
    let seconds: f64 = history.iter().map(|r| r.seconds).sum();
    metrics.insert("seconds_per_epoch".into(), seconds / history.len() as f64);
    metrics.insert("training_seconds".into(), seconds);
    let mut card = best.card.clone();
    card.training = Some(TrainingFacts {
        dataset: data.display().to_string(),
        train_images: parts.train.len(),
        epochs: history.len(),
        best_epoch,
        metrics,
        date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        seed: opts.seed,
        limit: opts.limit,
        augment: augment.is_some(),
        recipe: Some(serde_json::to_string(recipe)?),
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
