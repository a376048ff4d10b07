//! SGD with Nesterov momentum and per-parameter learning-rate multipliers and weight decay,
//! with state that can be saved and restored (PyTorch's update: g += wd * p;
//! buf = momentum * buf + g; p -= lr * (g + momentum * buf)).
//!
//! candle-nn's SGD has neither momentum nor parameter groups, hence this one.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};

/// How one parameter is updated.
#[derive(Clone, Debug)]
pub struct Group {
    /// Multiplies the optimiser's learning rate.
    pub lr_scale: f64,
    /// Weight decay added to the gradient (PyTorch's coupled form).
    pub weight_decay: f64,
    /// The parameter is updated only in steps before this one (`None`: always).
    pub until_step: Option<usize>,
}

/// The optimiser.
pub struct Sgd {
    vars: Vec<(String, Var, Group)>,
    momentum_buffers: Vec<Tensor>,
    /// Momentum (0.85 in airbench).
    pub momentum: f64,
    /// Base learning rate (the schedule sets it before each step).
    pub lr: f64,
    step: usize,
}

impl Sgd {
    /// An optimiser over `vars` (name, variable, group).
    pub fn new(mut vars: Vec<(String, Var, Group)>, lr: f64, momentum: f64) -> Result<Self> {
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let momentum_buffers = vars.iter().map(|(_, v, _)| v.zeros_like()).collect::<Result<_>>()?;
        Ok(Sgd { vars, momentum_buffers, momentum, lr, step: 0 })
    }

    /// Steps taken.
    pub fn steps(&self) -> usize {
        self.step
    }

    /// One update from `grads`; parameters without a gradient are left alone.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        for ((_, var, group), buf) in self.vars.iter().zip(self.momentum_buffers.iter_mut()) {
            if group.until_step.is_some_and(|end| self.step >= end) {
                continue;
            }
            let Some(g) = grads.get(var) else { continue };
            let theta = var.as_detached_tensor();
            let g = if group.weight_decay > 0.0 { (g + (&theta * group.weight_decay)?)? } else { g.clone() };
            *buf = ((&*buf * self.momentum)? + &g)?.detach();
            let update = (g + (&*buf * self.momentum)?)?;
            var.set(&(theta - (update * (self.lr * group.lr_scale))?)?)?;
        }
        self.step += 1;
        Ok(())
    }

    /// The momentum buffers, named for a checkpoint.
    pub fn state(&self) -> HashMap<String, Tensor> {
        self.vars.iter().zip(&self.momentum_buffers).map(|((name, _, _), b)| (format!("sgd.momentum.{name}"), b.clone())).collect()
    }

    /// Restores buffers saved by [`Sgd::state`] and the step count.
    pub fn restore(&mut self, tensors: &HashMap<String, Tensor>, steps: usize) -> Result<()> {
        for ((name, var, _), slot) in self.vars.iter().zip(self.momentum_buffers.iter_mut()) {
            let key = format!("sgd.momentum.{name}");
            let t = tensors.get(&key).ok_or_else(|| candle_core::Error::Msg(format!("checkpoint has no optimiser state {key}")))?;
            *slot = t.to_device(var.device())?.reshape(var.shape())?;
        }
        self.step = steps;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn group() -> Group {
        Group { lr_scale: 1.0, weight_decay: 0.0, until_step: None }
    }

    #[test]
    fn nesterov_steps_match_pytorch_by_hand() {
        // f(w) = w^2 / 2, so g = w. From w = 1, lr 0.1, momentum 0.9, wd 0.5: g = 1.5, buf = 1.5,
        // update = 1.5 + 0.9 * 1.5 = 2.85, w = 1 - 0.285 = 0.715.
        let w = Var::new(&[1f32], &Device::Cpu).unwrap();
        let mut sgd = Sgd::new(vec![("w".into(), w.clone(), Group { weight_decay: 0.5, ..group() })], 0.1, 0.9).unwrap();
        let loss = |w: &Var| (w.as_tensor().sqr().unwrap() * 0.5).unwrap().sum_all().unwrap();
        sgd.step(&loss(&w).backward().unwrap()).unwrap();
        let v = w.as_tensor().to_vec1::<f32>().unwrap()[0];
        assert!((v - 0.715).abs() < 1e-6, "{v}");
        // Second step: g = 0.715 * 1.5 = 1.0725, buf = 0.9 * 1.5 + 1.0725 = 2.4225,
        // update = 1.0725 + 0.9 * 2.4225 = 3.25275, w = 0.715 - 0.325275.
        sgd.step(&loss(&w).backward().unwrap()).unwrap();
        let v = w.as_tensor().to_vec1::<f32>().unwrap()[0];
        assert!((v - (0.715 - 0.325275)).abs() < 1e-5, "{v}");
    }

    #[test]
    fn groups_scale_the_rate_and_stop_on_time() {
        let a = Var::new(&[1f32], &Device::Cpu).unwrap();
        let b = Var::new(&[1f32], &Device::Cpu).unwrap();
        let vars = vec![("a".into(), a.clone(), Group { lr_scale: 2.0, ..group() }), ("b".into(), b.clone(), Group { until_step: Some(1), ..group() })];
        let mut sgd = Sgd::new(vars, 0.1, 0.0).unwrap();
        for _ in 0..2 {
            let loss = (a.as_tensor() + b.as_tensor()).unwrap().sum_all().unwrap();
            sgd.step(&loss.backward().unwrap()).unwrap();
        }
        assert!((a.as_tensor().to_vec1::<f32>().unwrap()[0] - 0.6).abs() < 1e-6);
        assert!((b.as_tensor().to_vec1::<f32>().unwrap()[0] - 0.9).abs() < 1e-6, "b stops after one step");
    }

    #[test]
    fn restored_state_continues_the_same_path() {
        let run = |split: bool| {
            let w = Var::new(&[2f32, -1.0], &Device::Cpu).unwrap();
            let make = |w: &Var| Sgd::new(vec![("w".into(), w.clone(), group())], 0.05, 0.85).unwrap();
            let mut sgd = make(&w);
            for i in 0..6 {
                if split && i == 3 {
                    let (state, steps) = (sgd.state(), sgd.steps());
                    sgd = make(&w);
                    sgd.restore(&state, steps).unwrap();
                }
                sgd.step(&w.as_tensor().sqr().unwrap().sum_all().unwrap().backward().unwrap()).unwrap();
            }
            w.as_tensor().to_vec1::<f32>().unwrap()
        };
        assert_eq!(run(false), run(true));
    }
}
