//! Adam with state that can be saved and restored.
//!
//! candle-nn offers AdamW, but its moment estimates are private, so a resumed run could
//! not continue where it stopped; this optimiser keeps them as named tensors.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};
use ocellus::ops::kernel_choice::ours_for;

use ocellus::ops::adam::{AdamScalars, MomentUpdate, ParameterUpdate};

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
        let scalars = AdamScalars {
            lr: self.lr as f32,
            beta1: b1 as f32,
            beta2: b2 as f32,
            bias1: (1.0 - b1.powi(t)) as f32,
            bias2: (1.0 - b2.powi(t)) as f32,
            eps: self.eps as f32,
            weight_decay: self.weight_decay as f32,
        };
        for (i, (_, var)) in self.vars.iter().enumerate() {
            // Detached, so that the moments do not chain every step's graph to the next.
            let Some(g) = grads.get(var).map(Tensor::detach) else { continue };
            let step = if ours_for(var.as_tensor()) { fused_step } else { composed_step };
            (self.m[i], self.v[i]) = step(var, &g, &self.m[i], &self.v[i], scalars)?;
        }
        Ok(())
    }

    /// Copies of the moment estimates as named tensors (`adam.m.<var>`, `adam.v.<var>`): the
    /// next step rewrites the moments in place.
    pub fn state(&self) -> Result<HashMap<String, Tensor>> {
        let mut out = HashMap::new();
        for (i, (name, _)) in self.vars.iter().enumerate() {
            out.insert(format!("adam.m.{name}"), self.m[i].copy()?);
            out.insert(format!("adam.v.{name}"), self.v[i].copy()?);
        }
        Ok(out)
    }

    /// Restores moment estimates saved by [`Adam::state`] and the step count.
    pub fn restore(&mut self, tensors: &HashMap<String, Tensor>, steps: usize) -> Result<()> {
        for (i, (name, var)) in self.vars.iter().enumerate() {
            for (kind, slot) in [("m", &mut self.m[i]), ("v", &mut self.v[i])] {
                let key = format!("adam.{kind}.{name}");
                let t = tensors.get(&key).ok_or_else(|| candle_core::Error::Msg(format!("checkpoint has no optimiser state {key}")))?;
                // A copy of its own: the steps rewrite it in place.
                *slot = t.to_device(var.device())?.reshape(var.shape())?.copy()?;
            }
        }
        self.step = steps;
        Ok(())
    }
}

/// One parameter's step from candle's tensor ops (any device); returns the new moments.
fn composed_step(var: &Var, g: &Tensor, m: &Tensor, v: &Tensor, s: AdamScalars) -> Result<(Tensor, Tensor)> {
    let (b1, b2) = (s.beta1 as f64, s.beta2 as f64);
    let m = ((m * b1)? + (g * (1.0 - b1))?)?.detach();
    let v = ((v * b2)? + (g.sqr()? * (1.0 - b2))?)?.detach();
    let update = ((&m / s.bias1 as f64)? / ((&v / s.bias2 as f64)?.sqrt()? + s.eps as f64)?)?;
    let theta = var.as_detached_tensor();
    let theta = if s.weight_decay > 0.0 { (&theta * (1.0 - s.lr as f64 * s.weight_decay as f64))? } else { theta };
    var.set(&(theta - (update * s.lr as f64)?)?)?;
    Ok((m, v))
}

/// One parameter's step by the in-place kernels (f32 on the CPU); returns the moments, updated
/// where they lie.
fn fused_step(var: &Var, g: &Tensor, m: &Tensor, v: &Tensor, scalars: AdamScalars) -> Result<(Tensor, Tensor)> {
    let g = g.contiguous()?;
    let (m, v) = (m.contiguous()?, v.contiguous()?);
    m.inplace_op2(&g, &MomentUpdate::First(scalars.beta1))?;
    v.inplace_op2(&g, &MomentUpdate::Second(scalars.beta2))?;
    var.as_tensor().inplace_op3(&m, &v, &ParameterUpdate(scalars))?;
    Ok((m, v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn the_in_place_step_matches_the_composed_one() {
        let seed: u64 = rand::random();
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
        // Over two parallel chunks, and an odd size.
        for n in [7usize, 40_000] {
            let random = |rng: &mut rand::rngs::StdRng, scale: f32| -> Tensor {
                let values: Vec<f32> = (0..n).map(|_| rand::Rng::random_range(rng, -1.0..1.0) * scale).collect();
                Tensor::from_vec(values, n, &Device::Cpu).unwrap()
            };
            let start = random(&mut rng, 1.0);
            let (a, b) = (Var::from_tensor(&start).unwrap(), Var::from_tensor(&start).unwrap());
            // Four tensors of their own: the in-place kernel rewrites its moments' storage.
            let zeros = || start.zeros_like().unwrap();
            let (mut ma, mut va, mut mb, mut vb) = (zeros(), zeros(), zeros(), zeros());
            for t in 1..=4 {
                let g = random(&mut rng, 0.1);
                let s = AdamScalars {
                    lr: 0.01,
                    beta1: 0.9,
                    beta2: 0.999,
                    bias1: 1.0 - 0.9f32.powi(t),
                    bias2: 1.0 - 0.999f32.powi(t),
                    eps: 1e-8,
                    weight_decay: 0.01,
                };
                (ma, va) = fused_step(&a, &g, &ma, &va, s).unwrap();
                (mb, vb) = composed_step(&b, &g, &mb, &vb, s).unwrap();
            }
            for (x, y, what) in [(a.as_tensor(), b.as_tensor(), "parameter"), (&ma, &mb, "first moment"), (&va, &vb, "second moment")] {
                let diff = (x - y).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
                let scale = y.abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
                assert!(diff <= 1e-5 * scale.max(1e-6), "{what} n {n} seed {seed}: {diff} of {scale}");
            }
        }
    }

    #[test]
    fn first_step_moves_each_weight_by_lr_against_the_gradient_sign() {
        // With bias correction, Adam's first step is lr * sign(g) (up to eps).
        let w = Var::new(&[1.0f32, -2.0, 3.0], &Device::Cpu).unwrap();
        let loss = (w.as_tensor() * Tensor::new(&[2.0f32, -1.0, 0.5], &Device::Cpu).unwrap()).unwrap().sum_all().unwrap();
        let mut adam = Adam::new(vec![("w".into(), w.clone())], 0.1).unwrap();
        adam.step(&loss.backward().unwrap()).unwrap();
        let got = w.as_tensor().to_vec1::<f32>().unwrap();
        for (g, e) in got.iter().zip([0.9f32, -1.9, 2.9]) {
            assert!((g - e).abs() < 1e-5, "{got:?}");
        }
    }

    #[test]
    fn saved_state_is_not_rewritten_by_later_steps() {
        let w = Var::new(&[1.0f32, 2.0], &Device::Cpu).unwrap();
        let mut adam = Adam::new(vec![("w".into(), w.clone())], 0.1).unwrap();
        let step = |adam: &mut Adam| adam.step(&(w.as_tensor().sqr().unwrap()).sum_all().unwrap().backward().unwrap()).unwrap();
        step(&mut adam);
        let saved = adam.state().unwrap();
        let before = saved["adam.m.w"].to_vec1::<f32>().unwrap();
        step(&mut adam);
        assert_eq!(saved["adam.m.w"].to_vec1::<f32>().unwrap(), before);
        // And a restored optimiser does not write into the tensors it was restored from.
        let mut restored = Adam::new(vec![("w".into(), w.clone())], 0.1).unwrap();
        restored.restore(&saved, 1).unwrap();
        step(&mut restored);
        assert_eq!(saved["adam.m.w"].to_vec1::<f32>().unwrap(), before);
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
        for (name, t) in adam.state().unwrap() {
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
                    let state = adam.state().unwrap();
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
