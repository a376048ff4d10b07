//! The training loop of the tutorial, for every task: mini-batches, per-epoch validation,
//! best-epoch weights, early stopping, checkpoints, resume and Ctrl-C. The loop trains and
//! tells its [`observers`] (the terminal's [`console`], the run's files); [`resume`] decides
//! where it starts.

pub mod console;
pub mod observers;
pub mod resume;

use std::time::Instant;

use anyhow::{bail, Result};
use rand::rngs::StdRng;
use rand::SeedableRng;

use self::console::{percent, Console};
use self::observers::{BatchEnd, EpochEnd, Observer, Stopped};
use super::checkpoint::{RunConfig, TrainState};
use super::evaluation::evaluate;
use super::history::EpochRecord;
use super::lookahead::Lookahead;
use super::optimiser::Optimiser;
use super::recipe::Recipe;
use super::{interrupt, Lesson, RunFiles, Tally, Trainee};
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

/// The optimiser's state and the lookahead average, for a checkpoint.
fn optimiser_state(optimiser: &Optimiser, lookahead: &Option<Lookahead>) -> Result<std::collections::HashMap<String, candle_core::Tensor>> {
    let mut state = optimiser.state()?;
    if let Some(l) = lookahead {
        state.extend(l.state());
    }
    Ok(state)
}

/// The run in progress: the model, its optimiser and what the loop has done.
struct Run<'a> {
    trainee: &'a mut Trainee,
    lesson: &'a dyn Lesson,
    train: &'a [usize],
    opts: &'a FitOptions,
    optimiser: Optimiser,
    lookahead: Option<Lookahead>,
    state: TrainState,
    observers: Vec<Box<dyn Observer>>,
    batches: usize,
}

impl Run<'_> {
    /// Trains the rest of the current epoch; returns the images trained on, or `None` when
    /// Ctrl-C stopped the run inside it (the checkpoint then holds the position).
    fn train_epoch(&mut self) -> Result<Option<usize>> {
        let recipe = &self.opts.recipe;
        let (epoch, total_steps) = (self.state.epoch, self.batches * recipe.epochs);
        let order = permutation(self.train.len(), mix(self.opts.seed, epoch, usize::MAX));
        let names = self.lesson.metric_names();
        let device = self.trainee.device.clone();
        let started = Instant::now();
        let mut seen = 0usize;
        for b in self.state.batch..self.batches {
            let chunk: Vec<usize> = order[b * recipe.batch_size..((b + 1) * recipe.batch_size).min(self.train.len())].iter().map(|&i| self.train[i]).collect();
            let mut rng = StdRng::seed_from_u64(mix(self.opts.seed, epoch, b));
            ocellus::models::dropout::seed(mix(self.opts.seed ^ 0xd0, epoch, b));
            let out = self.lesson.batch(&self.trainee.network, &chunk, true, Some(&mut rng), &device).map_err(|e| explain(e, recipe.batch_size))?;
            let grads = out.loss.backward().map_err(|e| explain(e, recipe.batch_size))?;
            self.optimiser.set_lr(recipe.lr * recipe.schedule.factor(self.optimiser.steps(), total_steps, epoch, recipe.epochs));
            self.optimiser.step(&grads)?;
            drop(grads);
            if let Some(l) = self.lookahead.as_mut() {
                l.after_step(self.optimiser.steps(), total_steps)?;
            }
            let loss = out.loss.to_scalar::<f32>()? as f64;
            if !loss.is_finite() {
                bail!("the loss became {loss} at epoch {}, batch {b}: try a smaller --lr", epoch + 1);
            }
            self.state.partial.add(loss, chunk.len(), &out.hits);
            seen += chunk.len();
            let message = format!(
                "loss {:.4}  {} {}  {:.0} img/s",
                self.state.partial.loss(),
                names[0],
                percent(self.lesson.metrics(&self.state.partial)[0]),
                seen as f64 / started.elapsed().as_secs_f64()
            );
            self.observers.iter_mut().for_each(|o| o.batch_end(&BatchEnd { message: &message }));
            self.state.batch = b + 1;
            if interrupt::requested() && self.state.batch < self.batches {
                self.state.adam_steps = self.optimiser.steps();
                let optimiser = optimiser_state(&self.optimiser, &self.lookahead)?;
                let event = Stopped { trainee: self.trainee, state: &self.state, optimiser: &optimiser };
                for o in &mut self.observers {
                    o.stopped(&event)?;
                }
                return Ok(None);
            }
        }
        Ok(Some(seen))
    }

    /// Validates the epoch just trained, keeps its record and tells the observers.
    fn end_epoch(&mut self, val: &[usize], seen: usize, seconds: f64) -> Result<()> {
        let recipe = &self.opts.recipe;
        let val_tally = evaluate(&self.trainee.network, self.lesson, val, recipe.batch_size, &self.trainee.device)?;
        let record = EpochRecord {
            epoch: self.state.epoch + 1,
            lr: self.optimiser.lr(),
            train_loss: self.state.partial.loss(),
            train: self.lesson.metrics(&self.state.partial),
            val_loss: val_tally.loss(),
            val: self.lesson.metrics(&val_tally),
            seconds,
        };
        let score = self.lesson.score(&record.val);
        let improved = recipe.keep_last || self.state.best.is_none_or(|(best, _)| score > best);
        if improved {
            self.state.best = Some((score, record.epoch));
            self.state.stale = 0;
        } else {
            self.state.stale += 1;
        }
        self.state.history.push(record.clone());
        self.state.epoch += 1;
        self.state.batch = 0;
        self.state.partial = Tally::default();
        self.state.adam_steps = self.optimiser.steps();
        let optimiser = optimiser_state(&self.optimiser, &self.lookahead)?;
        let event = EpochEnd { trainee: self.trainee, record: &record, state: &self.state, optimiser: &optimiser, improved, images_per_second: seen as f64 / seconds };
        for o in &mut self.observers {
            o.epoch_end(&event)?;
        }
        Ok(())
    }
}

/// Trains `trainee` on the examples `train` of `lesson` and chooses the best epoch on `val`,
/// writing the best weights, the checkpoint, the history and the plot to `files`.
pub fn fit(trainee: &mut Trainee, lesson: &dyn Lesson, train: &[usize], val: &[usize], opts: &FitOptions, files: &RunFiles) -> Result<FitOutcome> {
    if train.is_empty() || val.is_empty() {
        bail!("need at least one training and one validation image (have {} and {})", train.len(), val.len());
    }
    let recipe = &opts.recipe;
    let config = RunConfig { seed: opts.seed, augment: opts.augment, train_images: train.len(), val_images: val.len(), recipe: Some(recipe.clone()) };
    let batches = train.len().div_ceil(recipe.batch_size);
    let mut optimiser = Optimiser::for_recipe(trainee, recipe, batches)?;
    let mut lookahead = if recipe.lookahead { Some(Lookahead::new(trainee.all_vars())?) } else { None };
    let state = resume::start(trainee, &mut optimiser, &mut lookahead, config, opts, files)?;
    super::memory_check::check_batch_fits(trainee, lesson, train, recipe.batch_size, &trainee.device)?;
    interrupt::install();
    let names = lesson.metric_names();
    let mut observers: Vec<Box<dyn Observer>> = vec![Box::new(Console::new(opts.progress, batches, recipe.epochs, names))];
    observers.extend(observers::run_files(files, names, format!("{} {} per epoch", trainee.card.arch, names[0])));
    let mut run = Run { trainee, lesson, train, opts, optimiser, lookahead, state, observers, batches };
    while run.state.epoch < recipe.epochs && run.state.stale < recipe.patience {
        let epoch = run.state.epoch;
        run.observers.iter_mut().for_each(|o| o.epoch_start(epoch, run.state.batch));
        let started = Instant::now();
        let Some(seen) = run.train_epoch()? else {
            println!("stopped at epoch {}, batch {}; checkpoint saved to {} (continue with --resume)", epoch + 1, run.state.batch, files.checkpoint.display());
            return Ok(FitOutcome { history: run.state.history, best: run.state.best, interrupted: true });
        };
        run.end_epoch(val, seen, started.elapsed().as_secs_f64())?;
        if interrupt::requested() {
            println!("stopped after epoch {}; continue with --resume", epoch + 1);
            return Ok(FitOutcome { history: run.state.history, best: run.state.best, interrupted: true });
        }
    }
    if run.state.stale >= recipe.patience {
        println!("early stop: no better validation {} for {} epochs", names[0], recipe.patience);
    }
    Ok(FitOutcome { history: run.state.history, best: run.state.best, interrupted: false })
}
