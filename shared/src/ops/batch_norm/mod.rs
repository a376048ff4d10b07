//! Batch normalisation with candle-nn's parameters and names (weight, bias, running_mean,
//! running_var) and PyTorch's settings; in training on the CPU it runs one fused op
//! ([`op::BatchNormOp`]) instead of candle-nn's chain of element-wise tensors, with the ReLU
//! (and the residual add) that follow it in a ResNet folded in.

pub(crate) mod op;

use std::sync::{Arc, Mutex};

use candle_core::{ModuleT, Result, Tensor, Var};

use crate::ops::kernel_choice::ours_for;
use op::{BatchNormOp, BatchStats, Epilogue};

/// PyTorch's defaults, which the tutorial's models were trained with.
const EPS: f64 = 1e-5;
const MOMENTUM: f64 = 0.1;

/// A batch-norm layer over channel dimension 1.
#[derive(Clone, Debug)]
pub struct BatchNorm {
    inner: candle_nn::BatchNorm,
    eps: f64,
    momentum: f64,
}

impl BatchNorm {
    /// A layer for `channels` channels, parameters under `vb`, with PyTorch's settings.
    pub fn new(channels: usize, vb: candle_nn::VarBuilder) -> Result<Self> {
        Self::with_settings(channels, EPS, MOMENTUM, vb)
    }

    /// A layer with `eps` added to the variance and running averages that take `momentum` of
    /// each batch's statistics (PyTorch's meaning of momentum).
    pub fn with_settings(channels: usize, eps: f64, momentum: f64, vb: candle_nn::VarBuilder) -> Result<Self> {
        let config = candle_nn::BatchNormConfig { eps, momentum, ..Default::default() };
        Ok(BatchNorm { inner: candle_nn::batch_norm(channels, config, vb)?, eps, momentum })
    }

    /// `gelu(self(x))` (the tanh form), one op in training on the CPU.
    pub fn forward_gelu_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        if train && ours_for(x) {
            self.forward_fused(x, Epilogue::Gelu, None)
        } else {
            crate::ops::gelu::gelu(&self.inner.forward_t(x, train)?)
        }
    }

    /// `relu(self(x))`, one op in training on the CPU.
    pub fn forward_relu_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        if train && ours_for(x) {
            self.forward_fused(x, Epilogue::Relu, None)
        } else {
            self.inner.forward_t(x, train)?.relu()
        }
    }

    /// `relu(self(x) + skip)`, the end of a ResNet block, one op in training on the CPU.
    pub fn forward_add_relu_t(&self, x: &Tensor, skip: &Tensor, train: bool) -> Result<Tensor> {
        if train && ours_for(x) {
            self.forward_fused(x, Epilogue::ResidualRelu, Some(skip))
        } else {
            (self.inner.forward_t(x, train)? + skip)?.relu()
        }
    }

    /// Training forward with the fused op; updates the running averages the way PyTorch does
    /// (the variance unbiased).
    fn forward_fused(&self, x: &Tensor, epilogue: Epilogue, skip: Option<&Tensor>) -> Result<Tensor> {
        let (gamma, beta) = self.inner.weight_and_bias().expect("built affine");
        let stats = Arc::new(Mutex::new(BatchStats::default()));
        let op = BatchNormOp { eps: self.eps as f32, epilogue, stats: stats.clone() };
        let x = x.contiguous()?;
        let y = match skip {
            // The op has three operands: gamma and beta travel as one (2, C) tensor.
            Some(skip) => x.apply_op3(&Tensor::stack(&[gamma, beta], 0)?, &skip.contiguous()?, op)?,
            None => x.apply_op3(gamma, beta, op)?,
        };
        let stats = stats.lock().expect("batch-norm statistics lock");
        let device = x.device();
        let unbias = stats.count as f64 / (stats.count as f64 - 1.0).max(1.0);
        let update = |running: &Tensor, batch: &[f32], factor: f64| -> Result<()> {
            let batch = Tensor::from_slice(batch, batch.len(), device)?;
            let next = ((running * (1.0 - self.momentum))? + (batch * (self.momentum * factor))?)?;
            // The running statistics are the VarMap's own variables: setting them in place is
            // how they are saved with the weights.
            Var::from_tensor(running)?.set(&next)
        };
        update(self.inner.running_mean(), &stats.mean, 1.0)?;
        update(self.inner.running_var(), &stats.var, unbias)?;
        Ok(y)
    }
}

impl ModuleT for BatchNorm {
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        if train && ours_for(x) {
            self.forward_fused(x, Epilogue::None, None)
        } else {
            self.inner.forward_t(x, train)
        }
    }
}

#[cfg(test)]
mod tests;
