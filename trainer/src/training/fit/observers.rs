//! What the training loop tells about its progress, and the observers that keep the run's
//! files from it (as burn's `Learner` hands its events to renderers and checkpointers): the
//! best weights, the checkpoint, the history CSV and the plot, written in that order at each
//! epoch's end, each atomically.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Result;
use candle_core::Tensor;

use crate::training::checkpoint::{self, TrainState};
use crate::training::history::{self, EpochRecord};
use crate::training::{plot, RunFiles, Trainee};

/// A batch just trained.
pub struct BatchEnd<'a> {
    /// The epoch's running loss and metrics so far, as the progress line shows them.
    pub message: &'a str,
}

/// An epoch just finished and validated; `state` already counts it.
pub struct EpochEnd<'a> {
    /// The model after the epoch.
    pub trainee: &'a Trainee,
    /// The epoch's numbers.
    pub record: &'a EpochRecord,
    /// The loop's state after it (the history ends with `record`).
    pub state: &'a TrainState,
    /// The optimiser's (and lookahead's) tensors after it.
    pub optimiser: &'a HashMap<String, Tensor>,
    /// Whether its weights are the run's best (and so are kept).
    pub improved: bool,
    /// Images trained on per second in its training pass.
    pub images_per_second: f64,
}

/// The run stopping inside an epoch (Ctrl-C): the state to continue from.
pub struct Stopped<'a> {
    /// The model now.
    pub trainee: &'a Trainee,
    /// Where the loop is.
    pub state: &'a TrainState,
    /// The optimiser's (and lookahead's) tensors now.
    pub optimiser: &'a HashMap<String, Tensor>,
}

/// Something told of the loop's events; every method does nothing unless it cares.
pub trait Observer {
    /// An epoch starts at batch `first_batch` (not 0 when resumed mid-epoch).
    fn epoch_start(&mut self, _epoch: usize, _first_batch: usize) {}
    /// A batch was trained.
    fn batch_end(&mut self, _event: &BatchEnd) {}
    /// An epoch ended.
    fn epoch_end(&mut self, _event: &EpochEnd) -> Result<()> {
        Ok(())
    }
    /// The run stops mid-epoch.
    fn stopped(&mut self, _event: &Stopped) -> Result<()> {
        Ok(())
    }
}

/// Writes the weights of each epoch that is the best so far.
pub struct BestWeights(pub PathBuf);

impl Observer for BestWeights {
    fn epoch_end(&mut self, e: &EpochEnd) -> Result<()> {
        if e.improved {
            crate::atomic_file::write(&self.0, &e.trainee.weights_bytes()?)?;
        }
        Ok(())
    }
}

/// Writes the checkpoint after each epoch and when the run stops mid-epoch.
pub struct Checkpoints(pub PathBuf);

impl Observer for Checkpoints {
    fn epoch_end(&mut self, e: &EpochEnd) -> Result<()> {
        checkpoint::save(&self.0, &e.trainee.card, e.trainee.tensors(), e.optimiser.clone(), e.state)
    }

    fn stopped(&mut self, e: &Stopped) -> Result<()> {
        checkpoint::save(&self.0, &e.trainee.card, e.trainee.tensors(), e.optimiser.clone(), e.state)
    }
}

/// Writes the history CSV after each epoch.
pub struct HistoryCsv {
    /// Where.
    pub path: PathBuf,
    /// The lesson's metric names.
    pub names: &'static [&'static str],
}

impl Observer for HistoryCsv {
    fn epoch_end(&mut self, e: &EpochEnd) -> Result<()> {
        history::write_csv(&self.path, self.names, &e.state.history)
    }
}

/// Draws the per-epoch plot after each epoch.
pub struct Plot {
    /// Where.
    pub path: PathBuf,
    /// Its title.
    pub title: String,
}

impl Observer for Plot {
    fn epoch_end(&mut self, e: &EpochEnd) -> Result<()> {
        plot::draw(&self.path, &self.title, 0, &e.state.history)
    }
}

/// The observers that keep a run's files, in the order they write.
pub fn run_files(files: &RunFiles, names: &'static [&'static str], title: String) -> Vec<Box<dyn Observer>> {
    vec![
        Box::new(BestWeights(files.weights.clone())),
        Box::new(Checkpoints(files.checkpoint.clone())),
        Box::new(HistoryCsv { path: files.history.clone(), names }),
        Box::new(Plot { path: files.plot.clone(), title }),
    ]
}
