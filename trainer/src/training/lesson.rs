//! What a run learns from: examples by index, turned into a batch's loss and metrics. Image
//! classification and captchas learn from an [`ImageSet`]; Fast-RCNN from photos and their
//! regions (`detection::region_lesson`). The training loop only sees this trait.

use candle_core::{Device, Result, Tensor};
use ocellus::test_views::TestViews;
use ocellus::Network;
use rand::rngs::StdRng;

use super::{Objective, Tally};
use crate::dataset::augment::Augment;
use crate::dataset::ImageSet;

/// A batch's outcome: the loss to minimise and (hits, total) per counted quantity.
pub struct BatchOutcome {
    /// Scalar loss tensor (backward runs from it in training).
    pub loss: Tensor,
    /// Counts summed over an epoch by [`Tally`].
    pub hits: Vec<(f64, f64)>,
}

/// Examples to learn from, and how to score them.
pub trait Lesson {
    /// Metric names, as they appear in the history file; the first is the one early stopping
    /// watches.
    fn metric_names(&self) -> &'static [&'static str];
    /// Runs `network` on the examples `indices`; `augment` (training only) draws the
    /// augmentation.
    fn batch(&self, network: &Network, indices: &[usize], train: bool, augment: Option<&mut StdRng>, device: &Device) -> Result<BatchOutcome>;
    /// The training-time augmentation, recorded in checkpoints and model cards.
    fn augment(&self) -> Option<Augment>;
    /// Runs the finished model on the examples `indices` as it will answer (by default as in
    /// validation; a classifier averages its test-time views).
    fn final_batch(&self, network: &Network, indices: &[usize], device: &Device) -> Result<BatchOutcome> {
        self.batch(network, indices, false, None, device)
    }
    /// The validation score that picks the best epoch (by default the first metric).
    fn score(&self, metrics: &[f64]) -> f64 {
        metrics.first().copied().unwrap_or(0.0)
    }
    /// The metrics (fractions in 0..1, in the order of [`Lesson::metric_names`]) of a tally.
    fn metrics(&self, tally: &Tally) -> Vec<f64> {
        tally.metrics()
    }
}

/// Whole images with targets, scored by an [`Objective`].
pub struct ImageLesson<'a> {
    /// The decoded images.
    pub set: &'a ImageSet,
    /// Loss and hits.
    pub objective: &'a dyn Objective,
    /// Training-time augmentation.
    pub augment: Option<Augment>,
    /// The views the finished model's answers average over.
    pub views: TestViews,
}

impl Lesson for ImageLesson<'_> {
    fn metric_names(&self) -> &'static [&'static str] {
        self.objective.metric_names()
    }

    fn augment(&self) -> Option<Augment> {
        self.augment
    }

    fn batch(&self, network: &Network, indices: &[usize], train: bool, rng: Option<&mut StdRng>, device: &Device) -> Result<BatchOutcome> {
        let aug = self.augment.as_ref().zip(rng);
        let (x, y) = self.set.batch(indices, aug, device).map_err(|e| candle_core::Error::Msg(format!("{e:#}")))?;
        let logits = network.forward_t(&x, train)?;
        let loss = self.objective.loss(&logits, &y)?;
        let hits = self.objective.hits(&logits, &y)?;
        Ok(BatchOutcome { loss, hits })
    }

    fn final_batch(&self, network: &Network, indices: &[usize], device: &Device) -> Result<BatchOutcome> {
        let (x, y) = self.set.batch::<StdRng>(indices, None, device).map_err(|e| candle_core::Error::Msg(format!("{e:#}")))?;
        let logits = ocellus::test_views::logits(network, &x, self.views)?;
        Ok(BatchOutcome { loss: self.objective.loss(&logits, &y)?, hits: self.objective.hits(&logits, &y)? })
    }

    fn metrics(&self, tally: &Tally) -> Vec<f64> {
        self.objective.metrics(tally)
    }
}
