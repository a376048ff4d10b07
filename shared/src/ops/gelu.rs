//! GELU in its tanh form (candle's `gelu`, so that the page's unfused forward gives the same
//! values), as one candle custom op on the CPU: one pass forward and one backward, where
//! candle's backward builds the derivative from a dozen element-wise tensors. The scalar
//! function and its derivative also serve the batch-norm op's GELU epilogue.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

use crate::ops::support::filled::filled;
use crate::ops::kernel_choice::ours_for;
use crate::ops::support::operand::{cpu_f32_data, f32_data};

const OP: &str = "gelu";

/// sqrt(2 / pi), the tanh form's scale.
const SCALE: f32 = 0.797_884_6;
/// The tanh form's cubic coefficient.
const CUBIC: f32 = 0.044_715;

/// `0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))`.
#[inline(always)]
pub fn gelu_value(z: f32) -> f32 {
    0.5 * z * (1.0 + (SCALE * z * (1.0 + CUBIC * z * z)).tanh())
}

/// The derivative of [`gelu_value`] at `z`.
#[inline(always)]
pub fn gelu_slope(z: f32) -> f32 {
    let t = (SCALE * z * (1.0 + CUBIC * z * z)).tanh();
    0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * SCALE * (1.0 + 3.0 * CUBIC * z * z)
}

/// `x.gelu()`: ours for f32 on the CPU, candle's otherwise.
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    if ours_for(x) {
        x.contiguous()?.apply_op1(GeluOp)
    } else {
        x.gelu()
    }
}

/// Values per parallel chunk.
const CHUNK: usize = 1 << 14;

/// The op.
#[derive(Clone, Copy, Debug)]
struct GeluOp;

impl CustomOp1 for GeluOp {
    fn name(&self) -> &'static str {
        "ocellus-gelu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_data(OP, storage, layout, "input")?;
        // SAFETY: every value of every chunk is written.
        let y = unsafe {
            filled(x.len(), CHUNK, |at, out| {
                for (o, &v) in out.iter_mut().zip(&x[at..]) {
                    o.write(gelu_value(v));
                }
            })
        };
        Ok((CpuStorage::F32(y), layout.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let grad = grad.contiguous()?;
        let (xs, xl) = x.storage_and_layout();
        let (ds, dl) = grad.storage_and_layout();
        let (xv, dv) = (cpu_f32_data(OP, &xs, xl, "input")?, cpu_f32_data(OP, &ds, dl, "gradient")?);
        // SAFETY: every value of every chunk is written.
        let dx = unsafe {
            filled(xv.len(), CHUNK, |at, out| {
                for ((o, &v), &d) in out.iter_mut().zip(&xv[at..]).zip(&dv[at..]) {
                    o.write(d * gelu_slope(v));
                }
            })
        };
        Ok(Some(Tensor::from_vec(dx, xl.shape().clone(), x.device())?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn op_matches_candle_forward_and_backward() {
        let values: Vec<f32> = (0..5000).map(|i| (i as f32 - 2500.0) / 300.0).collect();
        let x = Var::from_vec(values, (2, 50, 50), &Device::Cpu).unwrap();
        let probe = Tensor::rand(-1f32, 1f32, (2, 50, 50), &Device::Cpu).unwrap();
        let (ours, theirs) = (gelu(&x).unwrap(), x.gelu().unwrap());
        let err = (&ours - &theirs).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(err < 1e-5, "forward differs by {err}");
        let ga = (ours * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let gb = (theirs * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let err = (ga.get(&x).unwrap() - gb.get(&x).unwrap()).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(err < 1e-4, "gradient differs by {err}");
    }

    #[test]
    fn slope_is_the_derivative() {
        for z in [-4.0f32, -1.3, -0.2, 0.0, 0.4, 1.7, 3.5] {
            let h = 1e-3;
            let numeric = (gelu_value(z + h) - gelu_value(z - h)) / (2.0 * h);
            assert!((numeric - gelu_slope(z)).abs() < 1e-3, "at {z}: {numeric} vs {}", gelu_slope(z));
        }
    }
}
