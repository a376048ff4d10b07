//! The training loop of the tutorial, for every task: mini-batches, per-epoch validation,
//! best-epoch weights, early stopping; plus checkpoints, resume and Ctrl-C.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use candle_core::Device;
use indicatif::{ProgressBar, ProgressStyle};
use ocellus::Network;
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::adam::Adam;
use super::lookahead::Lookahead;
use super::optimiser::Optimiser;
use super::recipe::{OptimiserKind, Recipe};
use super::sgd::{Group, Sgd};
use super::checkpoint::{self, RunConfig, TrainState};
use super::history::{self, EpochRecord};
use super::schedule::Schedule;
use super::{interrupt, plot, Lesson, RunFiles, Tally, Trainee};
use crate::dataset::augment::Augment;
use crate::dataset::split::permutation;
use crate::device::explain;

/// How to train.
#[derive(Clone, Debug)]
pub struct FitOptions {
    /// Optimiser, rates, schedule, epochs, batch size.
    pub recipe: Recipe,
    /// Seed of shuffles and augmentation.
    pub seed: u64,
    /// Training-time augmentation.
    pub augment: Option<Augment>,
    /// Continue from the checkpoint instead of starting afresh.
    pub resume: bool,
    /// Start afresh and replace an existing checkpoint.
    pub restart: bool,
    /// Draw progress bars.
    pub progress: bool,
}

/// How a run ended.
#[derive(Clone, Debug)]
pub struct FitOutcome {
    /// All completed epochs.
    pub history: Vec<EpochRecord>,
    /// Best validation score and its 1-based epoch, if any epoch completed.
    pub best: Option<(f64, usize)>,
    /// Whether Ctrl-C stopped it (the checkpoint holds the position).
    pub interrupted: bool,
}

/// Mixes seed, epoch and batch into one RNG seed (splitmix64 finaliser).
fn mix(seed: u64, epoch: usize, batch: usize) -> u64 {
    let mut z = seed ^ (epoch as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (batch as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Scores `network` in evaluation mode on the examples `indices` of `lesson`.
pub fn evaluate(network: &Network, lesson: &dyn Lesson, indices: &[usize], batch_size: usize, device: &Device) -> Result<Tally> {
    tally_batches(indices, batch_size, |chunk| lesson.batch(network, chunk, false, None, device))
}

/// Sums the outcomes of `run` over `indices` in chunks of `batch_size`.
fn tally_batches(indices: &[usize], batch_size: usize, run: impl Fn(&[usize]) -> candle_core::Result<super::BatchOutcome>) -> Result<Tally> {
    let mut tally = Tally::default();
    for chunk in indices.chunks(batch_size.max(1)) {
        let out = run(chunk).map_err(|e| explain(e, batch_size))?;
        tally.add(out.loss.to_scalar::<f32>()? as f64, chunk.len(), &out.hits);
    }
    Ok(tally)
}

/// The recipe's optimiser over the trainee's parameters: Nesterov SGD gives BatchNorm biases
/// their own rate and trains a whitening layer's bias only for its first epochs.
pub fn optimiser(trainee: &Trainee, recipe: &Recipe, batches: usize) -> Result<Optimiser> {
    use ocellus::models::whitened_cnn::{is_norm_bias, WHITEN_BIAS};
    Ok(match recipe.optimiser {
        OptimiserKind::Adam => Optimiser::Adam(Adam::new(trainee.trainable(), recipe.lr)?),
        OptimiserKind::Nesterov { momentum } => {
            let vars = trainee
                .trainable()
                .into_iter()
                .map(|(name, var)| {
                    let scale = if is_norm_bias(&name) { recipe.norm_bias_lr_scale } else { 1.0 };
                    let until_step = (name == WHITEN_BIAS).then_some(recipe.whiten_bias_epochs * batches);
                    // The per-step decay (lr * wd) stays the same whatever the rate's multiplier.
                    let group = Group { lr_scale: scale, weight_decay: recipe.weight_decay / scale, until_step };
                    (name, var, group)
                })
                .collect();
            Optimiser::Sgd(Sgd::new(vars, recipe.lr, momentum)?)
        }
    })
}

/// The optimiser's state and the lookahead average, for a checkpoint.
fn optimiser_state(optimiser: &Optimiser, lookahead: &Option<Lookahead>) -> Result<std::collections::HashMap<String, candle_core::Tensor>> {
    let mut state = optimiser.state()?;
    if let Some(l) = lookahead {
        state.extend(l.state());
    }
    Ok(state)
}

/// Scores `network` on the examples `indices` the way the finished model answers (with its
/// test-time views, where the lesson has them).
pub fn evaluate_final(network: &Network, lesson: &dyn Lesson, indices: &[usize], batch_size: usize, device: &Device) -> Result<Tally> {
    tally_batches(indices, batch_size, |chunk| lesson.final_batch(network, chunk, device))
}

fn percent(v: f64) -> String {
    format!("{:.2}%", v * 100.0)
}

/// Trains `trainee` on the examples `train` of `lesson` and chooses the best epoch on `val`,
/// writing the best weights, the checkpoint, the history and the plot to `files`.
pub fn fit(
    trainee: &mut Trainee,
    lesson: &dyn Lesson,
    train: &[usize],
    val: &[usize],
    opts: &FitOptions,
    files: &RunFiles,
) -> Result<FitOutcome> {
    if train.is_empty() || val.is_empty() {
        bail!("need at least one training and one validation image (have {} and {})", train.len(), val.len());
    }
    let recipe = &opts.recipe;
    let config = RunConfig {
        batch_size: recipe.batch_size,
        lr: recipe.lr,
        cosine: recipe.schedule == Schedule::Cosine,
        seed: opts.seed,
        augment: opts.augment,
        train_images: train.len(),
        val_images: val.len(),
        recipe: Some(recipe.clone()),
    };
    if !opts.resume && !opts.restart && files.checkpoint.exists() {
        bail!(
            "{} holds an earlier run: pass --resume to continue it, or --restart to start afresh and replace it",
            files.checkpoint.display()
        );
    }
    let batches = train.len().div_ceil(recipe.batch_size);
    let total_steps = batches * recipe.epochs;
    let mut adam = optimiser(trainee, recipe, batches)?;
    let mut lookahead = if recipe.lookahead { Some(Lookahead::new(trainee.all_vars())?) } else { None };
    let mut state = TrainState {
        config: config.clone(),
        epoch: 0,
        batch: 0,
        partial: Tally::default(),
        adam_steps: 0,
        history: Vec::new(),
        best: None,
        stale: 0,
    };
    if opts.resume {
        let ckpt = checkpoint::load(&files.checkpoint, &trainee.device)
            .context("--resume needs the checkpoint of an earlier run")?;
        if ckpt.card.task != trainee.card.task || ckpt.card.arch != trainee.card.arch || ckpt.card.input != trainee.card.input || ckpt.card.labels != trainee.card.labels {
            bail!(
                "cannot resume: {} holds a {} model for {} input with {} labels; this run asks for {} at {} with {} labels",
                files.checkpoint.display(),
                ckpt.card.arch,
                ckpt.card.input,
                ckpt.card.labels.len(),
                trainee.card.arch,
                trainee.card.input,
                trainee.card.labels.len()
            );
        }
        ckpt.state.check_compatible(&config)?;
        trainee.restore(&ckpt.model)?;
        adam.restore(&ckpt.optimizer, ckpt.state.adam_steps)?;
        if let Some(l) = lookahead.as_mut() {
            l.restore(&ckpt.optimizer)?;
        }
        state = ckpt.state;
        println!(
            "resuming from {} at epoch {}, batch {} ({} epochs done)",
            files.checkpoint.display(),
            state.epoch + 1,
            state.batch,
            state.history.len()
        );
    }
    super::memory_check::check_batch_fits(trainee, lesson, train, recipe.batch_size, &trainee.device)?;
    interrupt::install();
    let names = lesson.metric_names();
    let device = trainee.device.clone();
    while state.epoch < recipe.epochs && state.stale < recipe.patience {
        let epoch = state.epoch;
        let order = permutation(train.len(), mix(opts.seed, epoch, usize::MAX));
        let bar = if opts.progress { ProgressBar::new(batches as u64) } else { ProgressBar::hidden() };
        bar.set_style(
            ProgressStyle::with_template("epoch {prefix} {bar:25} {pos}/{len} batches  {msg}  ETA {eta}")
                .expect("valid template"),
        );
        bar.set_prefix(format!("{}/{}", epoch + 1, recipe.epochs));
        bar.set_position(state.batch as u64);
        let started = Instant::now();
        let mut seen_now = 0usize;
        for b in state.batch..batches {
            let chunk: Vec<usize> = order[b * recipe.batch_size..((b + 1) * recipe.batch_size).min(train.len())]
                .iter()
                .map(|&i| train[i])
                .collect();
            let mut rng = StdRng::seed_from_u64(mix(opts.seed, epoch, b));
            ocellus::models::dropout::seed(mix(opts.seed ^ 0xd0, epoch, b));
            let out = lesson.batch(&trainee.network, &chunk, true, Some(&mut rng), &device).map_err(|e| explain(e, recipe.batch_size))?;
            let loss = out.loss;
            let grads = loss.backward().map_err(|e| explain(e, recipe.batch_size))?;
            adam.set_lr(recipe.lr * recipe.schedule.factor(adam.steps(), total_steps, epoch, recipe.epochs));
            adam.step(&grads)?;
            drop(grads);
            if let Some(l) = lookahead.as_mut() {
                l.after_step(adam.steps(), total_steps)?;
            }
            let loss_value = loss.to_scalar::<f32>()? as f64;
            if !loss_value.is_finite() {
                bail!("the loss became {loss_value} at epoch {}, batch {b}: try a smaller --lr", epoch + 1);
            }
            state.partial.add(loss_value, chunk.len(), &out.hits);
            seen_now += chunk.len();
            bar.inc(1);
            bar.set_message(format!(
                "loss {:.4}  {} {}  {:.0} img/s",
                state.partial.loss(),
                names[0],
                percent(lesson.metrics(&state.partial)[0]),
                seen_now as f64 / started.elapsed().as_secs_f64()
            ));
            state.batch = b + 1;
            if interrupt::requested() && state.batch < batches {
                bar.abandon();
                state.adam_steps = adam.steps();
                checkpoint::save(&files.checkpoint, &trainee.card, trainee.tensors(), optimiser_state(&adam, &lookahead)?, &state)?;
                println!(
                    "stopped at epoch {}, batch {}; checkpoint saved to {} (continue with --resume)",
                    epoch + 1,
                    state.batch,
                    files.checkpoint.display()
                );
                return Ok(FitOutcome { history: state.history, best: state.best, interrupted: true });
            }
        }
        bar.finish_and_clear();
        let seconds = started.elapsed().as_secs_f64();
        let val_tally = evaluate(&trainee.network, lesson, val, recipe.batch_size, &device)?;
        let record = EpochRecord {
            epoch: epoch + 1,
            lr: adam.lr(),
            train_loss: state.partial.loss(),
            train: lesson.metrics(&state.partial),
            val_loss: val_tally.loss(),
            val: lesson.metrics(&val_tally),
            seconds,
        };
        let score = lesson.score(&record.val);
        let improved = recipe.keep_last || state.best.is_none_or(|(best, _)| score > best);
        if improved {
            state.best = Some((score, epoch + 1));
            state.stale = 0;
            crate::atomic_file::write(&files.weights, &trainee.weights_bytes()?)?;
        } else {
            state.stale += 1;
        }
        println!(
            "epoch {:>3}/{}  train loss {:.4} {} {}  val loss {:.4} {} {}  {:.1} s ({:.0} img/s){}",
            epoch + 1,
            recipe.epochs,
            record.train_loss,
            names[0],
            percent(record.train[0]),
            record.val_loss,
            names[0],
            percent(record.val[0]),
            seconds,
            seen_now as f64 / seconds,
            if improved { "  *best*" } else { "" }
        );
        state.history.push(record);
        state.epoch += 1;
        state.batch = 0;
        state.partial = Tally::default();
        state.adam_steps = adam.steps();
        checkpoint::save(&files.checkpoint, &trainee.card, trainee.tensors(), optimiser_state(&adam, &lookahead)?, &state)?;
        history::write_csv(&files.history, names, &state.history)?;
        let title = format!("{} {} per epoch", trainee.card.arch, names[0]);
        plot::draw(&files.plot, &title, 0, &state.history)?;
        if interrupt::requested() {
            println!("stopped after epoch {}; continue with --resume", epoch + 1);
            return Ok(FitOutcome { history: state.history, best: state.best, interrupted: true });
        }
    }
    if state.stale >= recipe.patience {
        println!("early stop: no better validation {} for {} epochs", names[0], recipe.patience);
    }
    Ok(FitOutcome { history: state.history, best: state.best, interrupted: false })
}
