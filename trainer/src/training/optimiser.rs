//! The optimiser a recipe asks for, behind one face for the training loop.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor};

use super::adam::Adam;
use super::recipe::{OptimiserKind, Recipe};
use super::sgd::{Group, Sgd};
use super::Trainee;

/// Adam (the tutorial's) or Nesterov SGD (the fast recipe's).
pub enum Optimiser {
    /// See [`Adam`].
    Adam(Adam),
    /// See [`Sgd`].
    Sgd(Sgd),
}

impl Optimiser {
    /// The recipe's optimiser over the trainee's parameters: Nesterov SGD gives BatchNorm
    /// biases their own rate and trains a whitening layer's bias only for its first epochs
    /// (`batches` per epoch).
    pub fn for_recipe(trainee: &Trainee, recipe: &Recipe, batches: usize) -> Result<Optimiser> {
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
