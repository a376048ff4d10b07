//! What a task optimises and how it scores: the loss and the metrics of a batch.

use candle_core::{Result, Tensor};
use ocellus::prediction::top_k_indices;

use super::Tally;

/// A task's loss and metrics. The first metric is the one early stopping watches.
pub trait Objective {
    /// Metric names, as they appear in the history file.
    fn metric_names(&self) -> &'static [&'static str];
    /// The training loss of a batch (a scalar tensor).
    fn loss(&self, logits: &Tensor, targets: &Tensor) -> Result<Tensor>;
    /// (hits, total) for each metric of a batch.
    fn hits(&self, logits: &Tensor, targets: &Tensor) -> Result<Vec<(f64, f64)>>;
    /// The metrics of an epoch's summed hits (by default each hits / total).
    fn metrics(&self, tally: &Tally) -> Vec<f64> {
        tally.metrics()
    }
}

/// Single-label classification: cross-entropy loss (with optional label smoothing), top-1
/// and top-3 accuracy.
#[derive(Clone, Copy, Debug, Default)]
pub struct Classification {
    /// The share of the target spread evenly over all classes (0: plain cross-entropy).
    pub label_smoothing: f64,
}

impl Classification {
    /// Plain cross-entropy, as the tutorial trains.
    pub const PLAIN: Classification = Classification { label_smoothing: 0.0 };
}

impl Objective for Classification {
    fn metric_names(&self) -> &'static [&'static str] {
        &["accuracy", "top3"]
    }

    fn loss(&self, logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
        let plain = candle_nn::loss::cross_entropy(logits, targets)?;
        if self.label_smoothing == 0.0 {
            return Ok(plain);
        }
        // Cross-entropy against the uniform distribution: minus the mean log-probability.
        let uniform = candle_nn::ops::log_softmax(logits, 1)?.mean_all()?.neg()?;
        (plain * (1.0 - self.label_smoothing))? + (uniform * self.label_smoothing)?
    }

    fn hits(&self, logits: &Tensor, targets: &Tensor) -> Result<Vec<(f64, f64)>> {
        let scores = logits.to_vec2::<f32>()?;
        let truth = targets.to_vec1::<u32>()?;
        let (mut top1, mut top3) = (0.0, 0.0);
        for (row, &t) in scores.iter().zip(&truth) {
            let best = top_k_indices(row, 3);
            if best.first() == Some(&(t as usize)) {
                top1 += 1.0;
            }
            if best.contains(&(t as usize)) {
                top3 += 1.0;
            }
        }
        let n = truth.len() as f64;
        Ok(vec![(top1, n), (top3, n)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn top1_and_top3() {
        let logits = Tensor::new(&[[5f32, 1., 2., 3.], [0., 1., 2., 3.]], &Device::Cpu).unwrap();
        let targets = Tensor::new(&[0u32, 0], &Device::Cpu).unwrap();
        let h = Classification::PLAIN.hits(&logits, &targets).unwrap();
        assert_eq!(h, vec![(1.0, 2.0), (1.0, 2.0)]);
        let loss = Classification::PLAIN.loss(&logits, &targets).unwrap().to_scalar::<f32>().unwrap();
        assert!(loss > 0.0);
    }

    #[test]
    fn label_smoothing_mixes_in_the_uniform_target() {
        // Two classes, logits (0, ln 3): p = (1/4, 3/4). Target 1 with smoothing 0.2 is
        // (0.1, 0.9): loss = -(0.1 ln 1/4 + 0.9 ln 3/4).
        let logits = Tensor::new(&[[0f32, 3f32.ln()]], &Device::Cpu).unwrap();
        let targets = Tensor::new(&[1u32], &Device::Cpu).unwrap();
        let loss = Classification { label_smoothing: 0.2 }.loss(&logits, &targets).unwrap().to_scalar::<f32>().unwrap();
        let expected = -(0.1 * 0.25f32.ln() + 0.9 * 0.75f32.ln());
        assert!((loss - expected).abs() < 1e-6, "{loss} vs {expected}");
    }
}
