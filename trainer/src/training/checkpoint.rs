//! Resumable checkpoints: model tensors, optimiser state and the loop's position in one
//! safetensors file, written atomically.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use candle_core::{Device, Tensor};
use ocellus::{weights, ModelCard};
use serde::{Deserialize, Serialize};

use super::history::EpochRecord;
use super::{Recipe, Tally};
use crate::dataset::augment::Augment;

/// Metadata key of the training state.
const STATE_KEY: &str = "ocellus.train_state";
const MODEL_PREFIX: &str = "model.";

/// The settings a resumed run must share with the run it continues, beyond its recipe's
/// (which holds the batch size, the learning rates and the schedule).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Shuffle, split and augmentation seed.
    pub seed: u64,
    /// Augmentation, if on.
    pub augment: Option<Augment>,
    /// Images in the training split.
    pub train_images: usize,
    /// Images in the validation split.
    pub val_images: usize,
    /// The recipe (absent in checkpoints written before recipes, which cannot be resumed).
    #[serde(default)]
    pub recipe: Option<super::Recipe>,
}

/// Where the loop is, and what it has seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Settings of the run.
    pub config: RunConfig,
    /// 0-based epoch in progress (or next to start).
    pub epoch: usize,
    /// Next batch of that epoch.
    pub batch: usize,
    /// Sums over the batches of the epoch in progress.
    pub partial: Tally,
    /// Optimiser steps taken.
    pub adam_steps: usize,
    /// Completed epochs.
    pub history: Vec<EpochRecord>,
    /// Best validation score so far and its 1-based epoch.
    pub best: Option<(f64, usize)>,
    /// Epochs since the best.
    pub stale: usize,
}

impl TrainState {
    /// Explains how `other` (this run's settings) differs from the checkpoint's.
    pub fn check_compatible(&self, other: &RunConfig) -> Result<()> {
        let c = &self.config;
        let (Some(was), Some(now)) = (&c.recipe, &other.recipe) else {
            bail!("cannot resume: the checkpoint was written by an older version that did not record its recipe; --restart starts afresh");
        };
        let mut diffs = Vec::new();
        if was.batch_size != now.batch_size {
            diffs.push(format!("--batch-size was {}", was.batch_size));
        }
        if was.lr != now.lr {
            diffs.push(format!("--lr was {}", was.lr));
        }
        if was.schedule != now.schedule {
            diffs.push(format!("the schedule was {:?}", was.schedule));
        }
        if c.seed != other.seed {
            diffs.push(format!("--seed was {}", c.seed));
        }
        if c.augment != other.augment {
            diffs.push(format!("augmentation was {}", if c.augment.is_some() { "on" } else { "off" }));
        }
        if c.train_images != other.train_images || c.val_images != other.val_images {
            diffs.push(format!(
                "the data had {} training and {} validation images, now {} and {} (other --data or --limit?)",
                c.train_images, c.val_images, other.train_images, other.val_images
            ));
        }
        // Only the epoch count (and patience) may change: the rest shapes every step taken.
        let same_steps = Recipe { epochs: now.epochs, patience: now.patience, batch_size: now.batch_size, lr: now.lr, schedule: now.schedule, ..was.clone() };
        if same_steps != *now {
            diffs.push(format!("the recipe was {}", serde_json::to_string(was).unwrap_or_default()));
        }
        if !diffs.is_empty() {
            bail!("cannot resume: the checkpoint was made with other settings: {}", diffs.join("; "));
        }
        Ok(())
    }
}

/// Everything a checkpoint holds.
pub struct Checkpoint {
    /// The model's card.
    pub card: ModelCard,
    /// Model tensors by name.
    pub model: HashMap<String, Tensor>,
    /// Optimiser tensors by name.
    pub optimizer: HashMap<String, Tensor>,
    /// Loop state.
    pub state: TrainState,
}

/// Writes a checkpoint atomically.
pub fn save(
    path: &Path,
    card: &ModelCard,
    model: HashMap<String, Tensor>,
    optimizer: HashMap<String, Tensor>,
    state: &TrainState,
) -> Result<()> {
    let mut tensors: HashMap<String, Tensor> =
        model.into_iter().map(|(k, v)| (format!("{MODEL_PREFIX}{k}"), v)).collect();
    tensors.extend(optimizer);
    let meta = HashMap::from([(STATE_KEY.to_string(), serde_json::to_string(state)?)]);
    let bytes = weights::to_bytes_with(card, &tensors, meta)?;
    crate::atomic_file::write(path, &bytes)
}

/// Reads a checkpoint written by [`save`].
pub fn load(path: &Path, device: &Device) -> Result<Checkpoint> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read checkpoint {}", path.display()))?;
    let ctx = || format!("checkpoint {}", path.display());
    let meta = weights::read_metadata(&bytes).with_context(ctx)?;
    let state_json = meta
        .get(STATE_KEY)
        .with_context(|| format!("{} is not a training checkpoint (no training state)", path.display()))?;
    let state: TrainState = serde_json::from_str(state_json).with_context(ctx)?;
    let (card, tensors) = weights::read(&bytes, device).with_context(ctx)?;
    let (mut model, mut optimizer) = (HashMap::new(), HashMap::new());
    for (name, t) in tensors {
        match name.strip_prefix(MODEL_PREFIX) {
            Some(rest) => model.insert(rest.to_string(), t),
            None => optimizer.insert(name, t),
        };
    }
    Ok(Checkpoint { card, model, optimizer, state })
}
