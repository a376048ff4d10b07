//! A fast CPU 2-D convolution for the models' shapes: the forward pass, the input gradient and
//! the weight gradient lowered to matrix products (im2col / col2im and `gemm`), spread over
//! rayon's threads, and plugged into candle as a custom op so autograd sees an ordinary
//! differentiable tensor. Candle's own CPU backward runs the input gradient as a naive
//! transposed-convolution loop, most of a training step; on CUDA candle's kernels stay.

pub mod geometry;
pub mod matmul;
pub mod op;
pub mod passes;

use std::sync::OnceLock;

use candle_core::{DType, Device, Module, Result, Tensor};

pub use op::Conv2dOp;

/// Which convolution runs on the CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvImpl {
    /// Ocellus's lowered convolution (the default).
    Ocellus,
    /// Candle's own, for comparison: `OCELLUS_CONV=candle`.
    Candle,
}

/// The CPU convolution in use: `OCELLUS_CONV=candle` selects candle's (benchmarks compare
/// the two in separate processes); anything else, or no variable, ours.
pub fn conv_impl() -> ConvImpl {
    static CHOICE: OnceLock<ConvImpl> = OnceLock::new();
    *CHOICE.get_or_init(|| match std::env::var("OCELLUS_CONV").as_deref() {
        Ok("candle") => ConvImpl::Candle,
        _ => ConvImpl::Ocellus,
    })
}

/// `x` (N, C, H, W) convolved with `w` (Cout, C, KH, KW), stride and zero padding on every
/// side: ours for f32 on the CPU, candle's otherwise.
pub fn conv2d(x: &Tensor, w: &Tensor, stride: usize, pad: usize) -> Result<Tensor> {
    let ours = matches!(x.device(), Device::Cpu) && x.dtype() == DType::F32 && w.dtype() == DType::F32 && conv_impl() == ConvImpl::Ocellus;
    if ours {
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
            Some(b) => y.broadcast_add(&b.reshape((1, b.elem_count(), 1, 1))?),
            None => Ok(y),
        }
    }
}

#[cfg(test)]
mod tests;
