//! Lookahead with a moving average (airbench): every few steps the weights move to an
//! exponential average of themselves, and that average grows stiffer towards the end of the
//! run, so the last weights are a smoothed version of the last steps'.

use std::collections::HashMap;

use candle_core::{Result, Tensor, Var};

/// Steps between updates.
pub const EVERY: usize = 5;

/// The average of every tensor of the model (BatchNorm's running statistics too).
pub struct Lookahead {
    average: Vec<(String, Var, Tensor)>,
}

impl Lookahead {
    /// Starts the average at the current values of `vars`.
    pub fn new(mut vars: Vec<(String, Var)>) -> Result<Self> {
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let average = vars.into_iter().map(|(n, v)| Ok((n, v.clone(), v.as_detached_tensor().copy()?))).collect::<Result<_>>()?;
        Ok(Lookahead { average })
    }

    /// The average's weight on its old value after `step` of `total` steps: 0.95^5 (t/T)^3.
    pub fn decay(step: usize, total: usize) -> f64 {
        0.95f64.powi(EVERY as i32) * (step as f64 / total.max(1) as f64).powi(3)
    }

    /// After optimiser step `step` (1-based) of `total`: every [`EVERY`] steps, average and
    /// set the weights to the average.
    pub fn after_step(&mut self, step: usize, total: usize) -> Result<()> {
        if step % EVERY != 0 {
            return Ok(());
        }
        let decay = Self::decay(step, total);
        for (_, var, avg) in self.average.iter_mut() {
            *avg = ((&*avg * decay)? + (var.as_detached_tensor() * (1.0 - decay))?)?;
            var.set(avg)?;
        }
        Ok(())
    }

    /// The average, named for a checkpoint.
    pub fn state(&self) -> HashMap<String, Tensor> {
        self.average.iter().map(|(n, _, t)| (format!("lookahead.{n}"), t.clone())).collect()
    }

    /// Restores an average saved by [`Lookahead::state`].
    pub fn restore(&mut self, tensors: &HashMap<String, Tensor>) -> Result<()> {
        for (name, var, avg) in self.average.iter_mut() {
            let key = format!("lookahead.{name}");
            let t = tensors.get(&key).ok_or_else(|| candle_core::Error::Msg(format!("checkpoint has no lookahead average {key}")))?;
            *avg = t.to_device(var.device())?.reshape(var.shape())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn averages_every_fifth_step() {
        let w = Var::new(&[0f32], &Device::Cpu).unwrap();
        let mut la = Lookahead::new(vec![("w".into(), w.clone())]).unwrap();
        w.set(&Tensor::new(&[1f32], &Device::Cpu).unwrap()).unwrap();
        la.after_step(4, 10).unwrap();
        assert_eq!(w.as_tensor().to_vec1::<f32>().unwrap(), vec![1.0], "no update off the beat");
        la.after_step(5, 10).unwrap();
        let d = Lookahead::decay(5, 10) as f32;
        let v = w.as_tensor().to_vec1::<f32>().unwrap()[0];
        assert!((v - (1.0 - d)).abs() < 1e-6, "{v} vs {}", 1.0 - d);
        assert!((Lookahead::decay(10, 10) - 0.95f64.powi(5)).abs() < 1e-12);
    }
}
