//! Dropout with a seedable generator, so that a training run is reproducible from its seed
//! (candle's CPU random numbers cannot be seeded).

use std::cell::RefCell;

use candle_core::{Result, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

thread_local! {
    static RNG: RefCell<StdRng> = RefCell::new(StdRng::seed_from_u64(0));
}

/// Seeds this thread's dropout generator (the trainer does so before every batch).
pub fn seed(seed: u64) {
    RNG.with(|r| *r.borrow_mut() = StdRng::seed_from_u64(seed));
}

/// Zeroes each value with probability `p` and scales the rest by 1/(1-p) when training;
/// the identity otherwise.
pub fn dropout(xs: &Tensor, p: f32, train: bool) -> Result<Tensor> {
    if !train || p <= 0.0 {
        return Ok(xs.clone());
    }
    let keep = 1.0 / (1.0 - p);
    let mask: Vec<f32> = RNG.with(|r| {
        let mut r = r.borrow_mut();
        (0..xs.elem_count()).map(|_| if r.random::<f32>() < p { 0.0 } else { keep }).collect()
    });
    xs * Tensor::from_vec(mask, xs.shape(), xs.device())?.to_dtype(xs.dtype())?
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn seeded_masks_repeat_and_keep_the_expectation() {
        let x = Tensor::ones(10_000, candle_core::DType::F32, &Device::Cpu).unwrap();
        seed(7);
        let a = dropout(&x, 0.1, true).unwrap().to_vec1::<f32>().unwrap();
        seed(7);
        let b = dropout(&x, 0.1, true).unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(a, b);
        let zeros = a.iter().filter(|&&v| v == 0.0).count();
        assert!((800..1200).contains(&zeros), "{zeros}");
        let mean: f32 = a.iter().sum::<f32>() / a.len() as f32;
        assert!((mean - 1.0).abs() < 0.03, "{mean}");
        assert_eq!(dropout(&x, 0.1, false).unwrap().to_vec1::<f32>().unwrap(), vec![1.0; 10_000]);
    }
}
