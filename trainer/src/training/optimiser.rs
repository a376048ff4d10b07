//! The optimiser a recipe asks for, behind one face for the training loop.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor};

use super::adam::Adam;
use super::sgd::Sgd;

/// Adam (the tutorial's) or Nesterov SGD (the fast recipe's).
pub enum Optimiser {
    /// See [`Adam`].
    Adam(Adam),
    /// See [`Sgd`].
    Sgd(Sgd),
}

impl Optimiser {
    /// Sets the learning rate of the next step.
    pub fn set_lr(&mut self, lr: f64) {
        match self {
            Optimiser::Adam(o) => o.lr = lr,
            Optimiser::Sgd(o) => o.lr = lr,
        }
    }

    /// The learning rate of the next step.
    pub fn lr(&self) -> f64 {
        match self {
            Optimiser::Adam(o) => o.lr,
            Optimiser::Sgd(o) => o.lr,
        }
    }

    /// One update.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        match self {
            Optimiser::Adam(o) => o.step(grads),
            Optimiser::Sgd(o) => o.step(grads),
        }
    }

    /// Steps taken.
    pub fn steps(&self) -> usize {
        match self {
            Optimiser::Adam(o) => o.steps(),
            Optimiser::Sgd(o) => o.steps(),
        }
    }

    /// The state to checkpoint, by name.
    pub fn state(&self) -> Result<HashMap<String, Tensor>> {
        match self {
            Optimiser::Adam(o) => o.state(),
            Optimiser::Sgd(o) => Ok(o.state()),
        }
    }

    /// Restores a checkpointed state after `steps` steps.
    pub fn restore(&mut self, tensors: &HashMap<String, Tensor>, steps: usize) -> Result<()> {
        match self {
            Optimiser::Adam(o) => o.restore(tensors, steps),
            Optimiser::Sgd(o) => o.restore(tensors, steps),
        }
    }
}
