//! Running sums of loss and hits over the batches of an epoch.

use serde::{Deserialize, Serialize};

/// Sums over the samples seen so far: loss, and for each metric hits out of a total.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Sum of per-batch mean loss times batch size.
    pub loss_sum: f64,
    /// Samples seen.
    pub samples: usize,
    /// Hits per metric.
    pub hits: Vec<f64>,
    /// What each metric's hits are out of.
    pub totals: Vec<f64>,
}

impl Tally {
    /// Adds one batch: its mean loss, its size and its (hits, total) per metric.
    pub fn add(&mut self, mean_loss: f64, batch: usize, metrics: &[(f64, f64)]) {
        self.loss_sum += mean_loss * batch as f64;
        self.samples += batch;
        if self.hits.len() < metrics.len() {
            self.hits.resize(metrics.len(), 0.0);
            self.totals.resize(metrics.len(), 0.0);
        }
        for (i, (h, t)) in metrics.iter().enumerate() {
            self.hits[i] += h;
            self.totals[i] += t;
        }
    }

    /// Mean loss per sample.
    pub fn loss(&self) -> f64 {
        if self.samples == 0 { 0.0 } else { self.loss_sum / self.samples as f64 }
    }

    /// Metric `i` as a fraction in 0..1.
    pub fn metric(&self, i: usize) -> f64 {
        match (self.hits.get(i), self.totals.get(i)) {
            (Some(h), Some(t)) if *t > 0.0 => h / t,
            _ => 0.0,
        }
    }

    /// All metrics as fractions.
    pub fn metrics(&self) -> Vec<f64> {
        (0..self.hits.len()).map(|i| self.metric(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_means() {
        let mut t = Tally::default();
        t.add(1.0, 10, &[(5.0, 10.0)]);
        t.add(4.0, 30, &[(30.0, 30.0)]);
        assert!((t.loss() - 3.25).abs() < 1e-12);
        assert!((t.metric(0) - 35.0 / 40.0).abs() < 1e-12);
        assert_eq!(t.metric(3), 0.0);
    }
}
