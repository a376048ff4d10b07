//! Training recipes: the tutorial's (Adam 1e-3, constant rate, no augmentation) and the fast
//! one (airbench's: Nesterov SGD with per-group rates, a warm-up/decay triangle, label
//! smoothing, lookahead, flips and reflect-padded shifts, test-time views), each with the
//! settings that suit an architecture; command-line options override single settings.

use clap::ValueEnum;
use ocellus::test_views::TestViews;
use ocellus::Arch;
use serde::{Deserialize, Serialize};

use super::schedule::Schedule;
use crate::dataset::augment::Augment;

/// A recipe's name, as `--recipe` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecipeName {
    /// The tutorial's: Adam at 1e-3, constant, no augmentation, early stopping.
    Tutorial,
    /// Nesterov SGD, warm-up and decay, label smoothing, lookahead, flips and shifts.
    Fast,
    /// The captcha reader's: Adam warmed up and decayed, the captcha distortion.
    #[value(skip)]
    Captcha,
}

/// Which optimiser, and its own setting.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OptimiserKind {
    /// Adam with PyTorch's defaults.
    Adam,
    /// SGD with Nesterov momentum.
    Nesterov {
        /// Momentum.
        momentum: f64,
    },
}

/// Everything a run's training depends on besides the data and the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    /// The recipe this started from.
    pub name: RecipeName,
    /// The optimiser.
    pub optimiser: OptimiserKind,
    /// Base learning rate, for the loss averaged over the batch.
    pub lr: f64,
    /// Weight decay (coupled: added to the gradient), for every parameter but BatchNorm biases.
    pub weight_decay: f64,
    /// BatchNorm biases' learning-rate multiplier (their decay per step is kept the same).
    pub norm_bias_lr_scale: f64,
    /// The learning-rate schedule.
    pub schedule: Schedule,
    /// Label smoothing of the cross-entropy.
    pub label_smoothing: f64,
    /// Lookahead averaging of the weights.
    pub lookahead: bool,
    /// Most epochs.
    pub epochs: usize,
    /// Epochs without a better validation score before stopping.
    pub patience: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Training-time augmentation.
    pub augment: Option<Augment>,
    /// The views test-time answers average over (written into the card).
    pub views: TestViews,
    /// Epochs during which the whitening layer's bias trains (its filters never do).
    pub whiten_bias_epochs: usize,
    /// Keep the last epoch's weights rather than the best on validation (when validation
    /// images are trained on).
    #[serde(default)]
    pub keep_last: bool,
}

impl Recipe {
    /// The tutorial's recipe with batches of `batch_size`.
    pub fn tutorial(batch_size: usize) -> Recipe {
        Recipe {
            name: RecipeName::Tutorial,
            optimiser: OptimiserKind::Adam,
            lr: 1e-3,
            weight_decay: 0.0,
            norm_bias_lr_scale: 1.0,
            schedule: Schedule::Constant,
            label_smoothing: 0.0,
            lookahead: false,
            epochs: 100,
            patience: 20,
            batch_size,
            augment: None,
            views: TestViews::Single,
            whiten_bias_epochs: 0,
            keep_last: false,
        }
    }

    /// The fast recipe as it suits `arch` (image classification).
    pub fn fast(arch: Arch) -> Recipe {
        match arch {
            // airbench94's hyper-parameters, converted from its summed loss (lr 11.5/k, decay
            // 0.0153*1024/k per step with k = 1024 * (1 + 1/(1 - 0.85))) to a mean loss over
            // batches of 1024: lr 1.5 and a decay of 0.002 of each weight per step.
            Arch::WhitenedCnn { .. } => Recipe {
                name: RecipeName::Fast,
                optimiser: OptimiserKind::Nesterov { momentum: 0.85 },
                lr: 1.5,
                weight_decay: 0.002 / 1.5,
                norm_bias_lr_scale: 64.0,
                schedule: Schedule::WarmupLinear { warmup: 0.23, start: 0.2, end: 0.07 },
                label_smoothing: 0.2,
                lookahead: true,
                epochs: 10,
                patience: 10,
                batch_size: 1024,
                augment: Some(Augment::SHIFT_REFLECT),
                views: TestViews::MirrorShift,
                whiten_bias_epochs: 3,
                keep_last: false,
            },
            // The usual strong CIFAR recipe for plain and residual nets (one-cycle-like
            // triangle, Nesterov momentum 0.9, decay 5e-4, smoothing 0.1, pad-crop and flip);
            // ResNet-18's epochs cost 15 minutes each here, so it gets ten.
            _ => Recipe {
                name: RecipeName::Fast,
                optimiser: OptimiserKind::Nesterov { momentum: 0.9 },
                lr: 0.1,
                weight_decay: 5e-4,
                norm_bias_lr_scale: 1.0,
                schedule: Schedule::WarmupLinear { warmup: 0.15, start: 0.1, end: 0.0 },
                label_smoothing: 0.1,
                lookahead: false,
                epochs: if matches!(arch, Arch::ResNet18 { .. }) { 10 } else { 30 },
                patience: 30,
                batch_size: 128,
                augment: Some(Augment::CIFAR),
                views: TestViews::Mirror,
                whiten_bias_epochs: 0,
                keep_last: false,
            },
        }
    }

    /// The captcha reader's default, chosen on validation captchas: Adam warmed up over the
    /// first tenth of the steps and decayed linearly, the captcha distortion, `epochs` epochs
    /// with the best one kept.
    pub fn captcha(epochs: usize) -> Recipe {
        Recipe {
            name: RecipeName::Captcha,
            lr: 2e-3,
            schedule: Schedule::WarmupLinear { warmup: 0.1, start: 0.1, end: 0.02 },
            epochs,
            patience: epochs,
            augment: Some(Augment::CAPTCHA),
            ..Recipe::tutorial(100)
        }
    }

    /// The recipe named `name` for classification; without a name, the fast recipe, which
    /// trains every architecture best (LeNet: 69.4% against the tutorial recipe's 60.2%).
    pub fn for_classify(name: Option<RecipeName>, arch: Arch) -> Recipe {
        match name.unwrap_or(RecipeName::Fast) {
            RecipeName::Tutorial => Recipe::tutorial(100),
            RecipeName::Fast | RecipeName::Captcha => Recipe::fast(arch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_architecture_defaults_to_the_fast_recipe_and_the_tutorial_one_is_a_flag_away() {
        let fast = Recipe::for_classify(None, Arch::WhitenedCnn { width: 64 });
        assert_eq!(fast.name, RecipeName::Fast);
        assert_eq!(fast.views, TestViews::MirrorShift);
        // airbench's decay per step: lr * wd = 0.0153 * 1024 / (1024 * (1 + 1 / 0.15)).
        assert!((fast.lr * fast.weight_decay - 0.0153 / (1.0 + 1.0 / 0.15)).abs() < 1e-5);
        assert_eq!(Recipe::for_classify(None, Arch::LeNet).name, RecipeName::Fast);
        assert_eq!(Recipe::for_classify(None, Arch::ResNet18 { width: 64 }).epochs, 10);
        assert_eq!(Recipe::for_classify(Some(RecipeName::Tutorial), Arch::LeNet), Recipe::tutorial(100));
        assert_eq!(Recipe::for_classify(Some(RecipeName::Tutorial), Arch::WhitenedCnn { width: 64 }).optimiser, OptimiserKind::Adam);
    }
}
