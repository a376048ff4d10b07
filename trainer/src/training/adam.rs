//! Adam with state that can be saved and restored.
//!
//! candle-nn offers AdamW, but its moment estimates are private, so a resumed run could
//! not continue where it stopped; this optimiser keeps them as named tensors.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};

/// Adam (Kingma & Ba) with optional decoupled weight decay; PyTorch's defaults.
pub struct Adam {
    vars: Vec<(String, Var)>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    step: usize,
    /// Learning rate; may be changed between steps (schedules).
    pub lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
}

impl Adam {
    /// Adam over `vars` (name, variable) with learning rate `lr` and no weight decay.
    pub fn new(mut vars: Vec<(String, Var)>, lr: f64) -> Result<Self> {
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let m = vars.iter().map(|(_, v)| v.zeros_like()).collect::<Result<Vec<_>>>()?;
        let v = vars.iter().map(|(_, v)| v.zeros_like()).collect::<Result<Vec<_>>>()?;
        Ok(Adam { vars, m, v, step: 0, lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 })
    }

    /// Steps taken so far.
    pub fn steps(&self) -> usize {
        self.step
    }

    /// One update from the gradients of a backward pass.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.step += 1;
        let t = self.step as i32;
        let (b1, b2) = (self.beta1, self.beta2);
        let c1 = 1.0 - b1.powi(t);
        let c2 = 1.0 - b2.powi(t);
        for (i, (_, var)) in self.vars.iter().enumerate() {
            // Detached, so that the moments do not chain every step's graph to the next.
            let Some(g) = grads.get(var).map(Tensor::detach) else { continue };
            let m = ((&self.m[i] * b1)? + (&g * (1.0 - b1))?)?.detach();
            let v = ((&self.v[i] * b2)? + (g.sqr()? * (1.0 - b2))?)?.detach();
            let update = ((&m / c1)? / ((&v / c2)?.sqrt()? + self.eps)?)?;
            let theta = var.as_detached_tensor();
            let theta = if self.weight_decay > 0.0 { (&theta * (1.0 - self.lr * self.weight_decay))? } else { theta };
            var.set(&(theta - (update * self.lr)?)?)?;
            self.m[i] = m;
            self.v[i] = v;
        }
        Ok(())
    }

    /// The moment estimates as named tensors (`adam.m.<var>`, `adam.v.<var>`).
    pub fn state(&self) -> HashMap<String, Tensor> {
        let mut out = HashMap::new();
        for (i, (name, _)) in self.vars.iter().enumerate() {
            out.insert(format!("adam.m.{name}"), self.m[i].clone());
            out.insert(format!("adam.v.{name}"), self.v[i].clone());
        }
        out
    }

    /// Restores moment estimates saved by [`Adam::state`] and the step count.
    pub fn restore(&mut self, tensors: &HashMap<String, Tensor>, steps: usize) -> Result<()> {
        for (i, (name, var)) in self.vars.iter().enumerate() {
            for (kind, slot) in [("m", &mut self.m[i]), ("v", &mut self.v[i])] {
                let key = format!("adam.{kind}.{name}");
                let t = tensors
                    .get(&key)
                    .ok_or_else(|| candle_core::Error::Msg(format!("checkpoint has no optimiser state {key}")))?;
                *slot = t.to_device(var.device())?.reshape(var.shape())?;
            }
        }
        self.step = steps;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn first_step_moves_each_weight_by_lr_against_the_gradient_sign() {
        // With bias correction, Adam's first step is lr * sign(g) (up to eps).
        let w = Var::new(&[1.0f32, -2.0, 3.0], &Device::Cpu).unwrap();
        let loss = (w.as_tensor() * Tensor::new(&[2.0f32, -1.0, 0.5], &Device::Cpu).unwrap())
            .unwrap()
            .sum_all()
            .unwrap();
        let mut adam = Adam::new(vec![("w".into(), w.clone())], 0.1).unwrap();
        adam.step(&loss.backward().unwrap()).unwrap();
        let got = w.as_tensor().to_vec1::<f32>().unwrap();
        for (g, e) in got.iter().zip([0.9f32, -1.9, 2.9]) {
            assert!((g - e).abs() < 1e-5, "{got:?}");
        }
    }

    #[test]
    fn moments_hold_no_graph_between_steps() {
        // Regression: moments built from undetached gradients chained every step's graph
        // to the next, leaking the whole history (7 GB after two LeNet epochs).
        let w = Var::new(&[1.0f32, 2.0], &Device::Cpu).unwrap();
        let mut adam = Adam::new(vec![("w".into(), w.clone())], 0.1).unwrap();
        for _ in 0..3 {
            let loss = (w.as_tensor().sqr().unwrap() * 3.0).unwrap().sum_all().unwrap();
            adam.step(&loss.backward().unwrap()).unwrap();
        }
        for (name, t) in adam.state() {
            assert!(!t.track_op(), "{name} still tracks its graph");
        }
    }

    #[test]
    fn restored_state_continues_identically() {
        let run = |split: bool| -> Vec<f32> {
            let w = Var::new(&[0.5f32, -0.5], &Device::Cpu).unwrap();
            let mut adam = Adam::new(vec![("w".into(), w.clone())], 0.05).unwrap();
            for step in 0..6 {
                if split && step == 3 {
                    let state = adam.state();
                    let steps = adam.steps();
                    adam = Adam::new(vec![("w".into(), w.clone())], 0.05).unwrap();
                    adam.restore(&state, steps).unwrap();
                }
                let loss = w.as_tensor().sqr().unwrap().sum_all().unwrap();
                adam.step(&loss.backward().unwrap()).unwrap();
            }
            w.as_tensor().to_vec1::<f32>().unwrap()
        };
        assert_eq!(run(false), run(true));
    }
}
