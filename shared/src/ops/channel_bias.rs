//! Adding a per-channel bias to an NCHW tensor as one candle custom op on the CPU. Candle's
//! broadcast add is quick forward, but its backward reduces the gradient over the batch and
//! pixel dimensions with a generic strided sum that was a fifth of LeNet's step.

use candle_core::{bail, CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};

use crate::ops::kernel_choice::ours_for;
use crate::ops::support::operand::{cpu_f32_data, f32_data};

const OP: &str = "channel bias";

/// `x` (N, C, ...) plus `bias` (C) on every channel: ours for f32 on the CPU, candle's
/// broadcast otherwise.
pub fn add_channel_bias(x: &Tensor, bias: &Tensor) -> Result<Tensor> {
    if ours_for(x) && ours_for(bias) {
        x.contiguous()?.apply_op2(&bias.contiguous()?, ChannelBias)
    } else {
        let mut shape = vec![1; x.rank()];
        shape[1] = bias.elem_count();
        x.broadcast_add(&bias.reshape(shape)?)
    }
}

struct ChannelBias;

/// (channels, values per channel per image)
fn dims(layout: &Layout, bias: usize) -> Result<(usize, usize)> {
    let dims = layout.shape().dims();
    if dims.len() < 2 || dims[1] != bias {
        bail!("channel bias: {bias} biases for a tensor of shape {dims:?}");
    }
    Ok((dims[1], dims[2..].iter().product()))
}

impl CustomOp2 for ChannelBias {
    fn name(&self) -> &'static str {
        "ocellus-channel-bias"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let (x, b) = (f32_data(OP, s1, l1, "input")?, f32_data(OP, s2, l2, "bias")?);
        let (channels, hw) = dims(l1, b.len())?;
        let mut y = x.to_vec();
        for (i, block) in y.chunks_mut(hw.max(1)).enumerate() {
            let add = b[i % channels];
            block.iter_mut().for_each(|v| *v += add);
        }
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(&self, _x: &Tensor, bias: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let db = {
            let (gs, gl) = grad.storage_and_layout();
            let g = cpu_f32_data(OP, &gs, gl, "gradient")?;
            let (channels, hw) = dims(gl, bias.elem_count())?;
            let mut sums = vec![0f64; channels];
            for (i, block) in g.chunks(hw.max(1)).enumerate() {
                sums[i % channels] += block.iter().map(|&v| v as f64).sum::<f64>();
            }
            Tensor::from_vec(sums.into_iter().map(|s| s as f32).collect::<Vec<f32>>(), channels, bias.device())?
        };
        Ok((Some(grad), Some(db)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn matches_candle_broadcast_add_and_its_gradients() {
        let x = Var::from_tensor(&Tensor::rand(-1f32, 1f32, (3, 4, 5, 6), &Device::Cpu).unwrap()).unwrap();
        let b = Var::from_tensor(&Tensor::rand(-1f32, 1f32, 4, &Device::Cpu).unwrap()).unwrap();
        let probe = Tensor::rand(-1f32, 1f32, (3, 4, 5, 6), &Device::Cpu).unwrap();
        let ours = x.as_tensor().apply_op2(b.as_tensor(), ChannelBias).unwrap();
        let theirs = x.as_tensor().broadcast_add(&b.as_tensor().reshape((1, 4, 1, 1)).unwrap()).unwrap();
        let max_diff = |a: &Tensor, b: &Tensor| (a - b).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert_eq!(max_diff(&ours, &theirs), 0.0);
        let g1 = (ours * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let g2 = (theirs * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        assert_eq!(max_diff(g1.get(&x).unwrap(), g2.get(&x).unwrap()), 0.0);
        assert!(max_diff(g1.get(&b).unwrap(), g2.get(&b).unwrap()) < 1e-5);
    }

    #[test]
    fn a_bias_of_the_wrong_length_is_an_error() {
        let x = Tensor::zeros((1, 3, 2, 2), candle_core::DType::F32, &Device::Cpu).unwrap();
        let b = Tensor::zeros(2, candle_core::DType::F32, &Device::Cpu).unwrap();
        let err = x.apply_op2(&b, ChannelBias).unwrap_err().to_string();
        assert!(err.contains("2 biases"), "{err}");
    }
}
