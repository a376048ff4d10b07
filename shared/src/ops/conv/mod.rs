//! A fast CPU 2-D convolution for the models' shapes: the forward pass, the input gradient and
//! the weight gradient lowered to matrix products (im2col / col2im and `gemm`), spread over
//! rayon's threads, and plugged into candle as a custom op so autograd sees an ordinary
//! differentiable tensor. Candle's own CPU backward runs the input gradient as a naive
//! transposed-convolution loop, most of a training step; on CUDA candle's kernels stay.

pub(crate) mod geometry;
pub(crate) mod lowering;
pub(crate) mod matmul;
pub(crate) mod op;
pub(crate) mod passes;
pub(crate) mod shifted_planes;

use candle_core::{Module, Result, Tensor};

use crate::ops::channel_bias::add_channel_bias;
use crate::ops::kernel_choice::ours_for;

pub use op::Conv2dOp;

/// `x` (N, C, H, W) convolved with `w` (Cout, C, KH, KW), stride and zero padding on every
/// side: ours for f32 on the CPU, candle's otherwise.
pub fn conv2d(x: &Tensor, w: &Tensor, stride: usize, pad: usize) -> Result<Tensor> {
    if ours_for(x) && ours_for(w) {
        x.contiguous()?.apply_op2(&w.contiguous()?, Conv2dOp { stride, pad })
    } else {
        x.conv2d(w, pad, stride, 1, 1)
    }
}

/// A convolution layer with candle-nn's parameters, names and initialisation (so weights
/// files are unchanged), running [`conv2d`].
#[derive(Clone, Debug)]
pub struct Conv2d {
    inner: candle_nn::Conv2d,
}

impl Conv2d {
    /// A layer as `candle_nn::conv2d` (`bias` true) or `conv2d_no_bias` would make it.
    pub fn new(cin: usize, cout: usize, k: usize, stride: usize, pad: usize, bias: bool, vb: candle_nn::VarBuilder) -> Result<Self> {
        let cfg = candle_nn::Conv2dConfig { padding: pad, stride, ..Default::default() };
        let inner = if bias { candle_nn::conv2d(cin, cout, k, cfg, vb)? } else { candle_nn::conv2d_no_bias(cin, cout, k, cfg, vb)? };
        Ok(Conv2d { inner })
    }
}

impl Module for Conv2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let cfg = self.inner.config();
        let y = conv2d(x, self.inner.weight(), cfg.stride, cfg.padding)?;
        match self.inner.bias() {
            Some(b) => add_channel_bias(&y, b),
            None => Ok(y),
        }
    }
}

#[cfg(test)]
mod tests;
