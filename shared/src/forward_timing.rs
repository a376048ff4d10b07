//! Timing a model's forward pass the same way natively and in the browser, so the two can be
//! compared. The clock is passed in because `std::time::Instant` does not exist in the page.

use crate::{Result, TrainedModel};

/// Untimed passes before the timed ones: at least this many milliseconds of them...
pub const WARM_UP_MS: f64 = 1000.0;
/// ...and at least this many. One pass was too few: in headless Chromium the first ResNet-18
/// timed ran 2x slower than the same network timed next (6.95 against 3.45 ms, the two
/// captcha readers in either order), V8 still compiling its hot wasm with the optimising tier.
pub const WARM_UP_PASSES: usize = 3;
/// ...and at most this many, so that a clock that never moves cannot hang the timing.
pub const WARM_UP_MAX_PASSES: usize = 200;

/// Times `runs` forward passes at batch 1 on the model's fixed bench input, after untimed
/// warm-up passes (`WARM_UP_PASSES`, and `WARM_UP_MS` of them); `now_ms` is a monotonic clock
/// in milliseconds.
pub fn time_forward(model: &TrainedModel, runs: usize, now_ms: impl Fn() -> f64) -> Result<Vec<f64>> {
    let x = model.bench_input()?;
    let start = now_ms();
    let mut passes = 0;
    while passes < WARM_UP_PASSES || (passes < WARM_UP_MAX_PASSES && now_ms() - start < WARM_UP_MS) {
        model.logits(&x)?.flatten_all()?.to_vec1::<f32>()?;
        passes += 1;
    }
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

    fn lenet() -> TrainedModel {
        use crate::{Arch, InputSize, ModelCard, Task};
        let card = ModelCard::new(Task::Classify, Arch::LeNet, InputSize::square(32), vec!["a".into(), "b".into()]);
        let varmap = candle_nn::VarMap::new();
        let vb = candle_nn::VarBuilder::from_varmap(&varmap, candle_core::DType::F32, &candle_core::Device::Cpu);
        crate::models::Network::build(card.arch, card.input, 2, vb).unwrap();
        let tensors = varmap.data().lock().unwrap().iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect();
        TrainedModel::from_tensors(card, tensors, &candle_core::Device::Cpu).unwrap()
    }

    #[test]
    fn the_warm_up_lasts_its_time_and_a_stopped_clock_cannot_hang_it() {
        use std::cell::Cell;
        let model = lenet();
        // A clock that moves 100 ms at each reading: ten warm-up passes fill the second.
        let t = Cell::new(0.0);
        let clock = || {
            t.set(t.get() + 100.0);
            t.get()
        };
        let times = time_forward(&model, 4, clock).unwrap();
        assert_eq!(times, vec![100.0; 4]);
        let readings = (t.get() / 100.0) as usize;
        // 1 at the start, 10 until a second has passed (the first 3 passes read none), 2 a timed pass.
        assert_eq!(readings, 1 + 10 + 8);
        // A clock stuck at 0 stops the warm-up at its cap.
        assert_eq!(time_forward(&model, 2, || 0.0).unwrap(), vec![0.0; 2]);
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
