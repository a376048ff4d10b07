//! Adam's update of one parameter in place, on the threads: the CPU fast path of
//! the trainer's Adam optimiser. Three candle in-place ops (first moment, second moment, parameter)
//! rewrite the tensors where they lie; composed from candle's tensor ops the same update takes
//! thirteen passes, each allocating a parameter-sized tensor, and a copy into the variable.

use candle_core::{bail, CpuStorage, InplaceOp2, InplaceOp3, Layout, Result};
use rayon::prelude::*;

use super::support::operand::{f32_data, f32_data_mut};
use super::support::threads::in_parallel;

const OP: &str = "Adam";

/// The scalars of one step.
#[derive(Clone, Copy, Debug)]
pub struct AdamScalars {
    /// Learning rate.
    pub lr: f32,
    /// First-moment decay.
    pub beta1: f32,
    /// Second-moment decay.
    pub beta2: f32,
    /// 1 - beta1^t.
    pub bias1: f32,
    /// 1 - beta2^t.
    pub bias2: f32,
    /// Added to the root of the second moment.
    pub eps: f32,
    /// Decoupled weight decay (0: none).
    pub weight_decay: f32,
}

/// Values per parallel task: below this the hand-over costs more than the pass.
const CHUNK: usize = 1 << 14;

/// Runs `f(offset, chunk)` over `out`, in parallel chunks when it is large and there are threads.
fn on_chunks(out: &mut [f32], f: impl Fn(usize, &mut [f32]) + Sync + Send) {
    if in_parallel(out.len() / CHUNK) {
        out.par_chunks_mut(CHUNK).enumerate().for_each(|(i, c)| f(i * CHUNK, c));
    } else {
        f(0, out);
    }
}

/// A moment estimate moved towards the gradient (`Second`: its square) in place:
/// `m <- beta * m + (1 - beta) * g`.
#[derive(Clone, Copy, Debug)]
pub enum MomentUpdate {
    /// The mean of the gradient, decay beta1.
    First(f32),
    /// The mean of its square, decay beta2.
    Second(f32),
}

impl InplaceOp2 for MomentUpdate {
    fn name(&self) -> &'static str {
        "ocellus-adam-moment"
    }

    fn cpu_fwd(&self, s1: &mut CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<()> {
        let g = f32_data(OP, s2, l2, "gradient")?;
        let m = f32_data_mut(OP, s1, l1, "moment")?;
        if m.len() != g.len() {
            bail!("{OP}: moment has {} values, gradient {}", m.len(), g.len());
        }
        let (beta, square) = match *self {
            MomentUpdate::First(b) => (b, false),
            MomentUpdate::Second(b) => (b, true),
        };
        on_chunks(m, |at, m| {
            let len = m.len();
            for (m, &g) in m.iter_mut().zip(&g[at..at + len]) {
                *m = beta * *m + (1.0 - beta) * if square { g * g } else { g };
            }
        });
        Ok(())
    }
}

/// The parameter's step from the updated moments, in place.
#[derive(Clone, Copy, Debug)]
pub struct ParameterUpdate(pub AdamScalars);

impl InplaceOp3 for ParameterUpdate {
    fn name(&self) -> &'static str {
        "ocellus-adam-parameter"
    }

    fn cpu_fwd(&self, s1: &mut CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<()> {
        let s = self.0;
        let (m, v) = (f32_data(OP, s2, l2, "first moment")?, f32_data(OP, s3, l3, "second moment")?);
        let theta = f32_data_mut(OP, s1, l1, "parameter")?;
        if m.len() != theta.len() || v.len() != theta.len() {
            bail!("{OP}: parameter has {} values, moments {} and {}", theta.len(), m.len(), v.len());
        }
        let decay = 1.0 - s.lr * s.weight_decay;
        on_chunks(theta, |at, theta| {
            let len = theta.len();
            for ((t, &m), &v) in theta.iter_mut().zip(&m[at..at + len]).zip(&v[at..at + len]) {
                *t = *t * decay - s.lr * (m / s.bias1) / ((v / s.bias2).sqrt() + s.eps);
            }
        });
        Ok(())
    }
}
