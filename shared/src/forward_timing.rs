//! Timing a model's forward pass the same way natively and in the browser, so the two can be
//! compared. The clock is passed in because `std::time::Instant` does not exist in the page.

use crate::{Result, TrainedModel};

/// Times `runs` forward passes at batch 1 on the model's fixed bench input, after one untimed
/// warm-up pass; `now_ms` is a monotonic clock in milliseconds.
pub fn time_forward(model: &TrainedModel, runs: usize, now_ms: impl Fn() -> f64) -> Result<Vec<f64>> {
    let x = model.bench_input()?;
    model.logits(&x)?;
    (0..runs)
        .map(|_| {
            let start = now_ms();
            // Reading the result back makes sure the pass really ran.
            model.logits(&x)?.flatten_all()?.to_vec1::<f32>()?;
            Ok(now_ms() - start)
        })
        .collect()
}

/// The median of some timings (0 for none).
pub fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
