//! Scoring a network on some examples of a lesson, batch by batch: in evaluation mode as each
//! epoch's validation does, or the way the finished model answers (with its test-time views).

use anyhow::Result;
use candle_core::Device;
use ocellus::Network;

use super::{BatchOutcome, Lesson, Tally};
use crate::device::explain;

/// Scores `network` in evaluation mode on the examples `indices` of `lesson`.
pub fn evaluate(network: &Network, lesson: &dyn Lesson, indices: &[usize], batch_size: usize, device: &Device) -> Result<Tally> {
    tally_batches(indices, batch_size, |chunk| lesson.batch(network, chunk, false, None, device))
}

/// Scores `network` on the examples `indices` the way the finished model answers (with its
/// test-time views, where the lesson has them).
pub fn evaluate_final(network: &Network, lesson: &dyn Lesson, indices: &[usize], batch_size: usize, device: &Device) -> Result<Tally> {
    tally_batches(indices, batch_size, |chunk| lesson.final_batch(network, chunk, device))
}

/// Sums the outcomes of `run` over `indices` in chunks of `batch_size`.
fn tally_batches(indices: &[usize], batch_size: usize, run: impl Fn(&[usize]) -> candle_core::Result<BatchOutcome>) -> Result<Tally> {
    let mut tally = Tally::default();
    for chunk in indices.chunks(batch_size.max(1)) {
        let out = run(chunk).map_err(|e| explain(e, batch_size))?;
        tally.add(out.loss.to_scalar::<f32>()? as f64, chunk.len(), &out.hits);
    }
    Ok(tally)
}
