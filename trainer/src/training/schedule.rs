//! Learning-rate schedules: the factor that multiplies the base rate at each step.

use serde::{Deserialize, Serialize};

/// How the learning rate moves over a run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Schedule {
    /// The base rate throughout (the tutorial's).
    Constant,
    /// Half a cosine from the base rate to zero over the epochs, stepped once per epoch.
    Cosine,
    /// Linear from `start` to 1 over the first `warmup` fraction of the steps, then linear to
    /// `end` at the last step (airbench's triangle).
    WarmupLinear {
        /// Fraction of the steps spent warming up.
        warmup: f64,
        /// Factor at the first step.
        start: f64,
        /// Factor at the last step.
        end: f64,
    },
}

impl Schedule {
    /// The factor at `step` of `total_steps` (0-based), in epoch `epoch` of `epochs`.
    pub fn factor(&self, step: usize, total_steps: usize, epoch: usize, epochs: usize) -> f64 {
        match *self {
            Schedule::Constant => 1.0,
            Schedule::Cosine => 0.5 * (1.0 + (std::f64::consts::PI * epoch as f64 / epochs.max(1) as f64).cos()),
            Schedule::WarmupLinear { warmup, start, end } => {
                let t = step as f64 / total_steps.max(1) as f64;
                if t < warmup {
                    start + (1.0 - start) * t / warmup
                } else {
                    1.0 + (end - 1.0) * ((t - warmup) / (1.0 - warmup)).min(1.0)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triangle_rises_then_falls() {
        let s = Schedule::WarmupLinear { warmup: 0.25, start: 0.2, end: 0.0 };
        assert!((s.factor(0, 100, 0, 1) - 0.2).abs() < 1e-12);
        assert!((s.factor(25, 100, 0, 1) - 1.0).abs() < 1e-12);
        assert!((s.factor(100, 100, 0, 1) - 0.0).abs() < 1e-12);
        assert!((s.factor(50, 100, 0, 1) - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn cosine_steps_per_epoch() {
        assert_eq!(Schedule::Cosine.factor(7, 100, 0, 4), 1.0);
        assert!((Schedule::Cosine.factor(0, 100, 2, 4) - 0.5).abs() < 1e-12);
        assert_eq!(Schedule::Constant.factor(50, 100, 3, 4), 1.0);
    }
}
