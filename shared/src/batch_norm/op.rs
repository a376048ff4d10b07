//! Training-mode batch normalisation of an NCHW tensor as one candle custom op: statistics,
//! normalisation and the affine step in two passes over the data, and a backward pass that
//! gives all three gradients from two more, instead of the dozen element-wise tensors
//! candle-nn's composed version allocates and keeps for autograd.

use std::sync::{Arc, Mutex};

use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use crate::conv::passes::threads;
use crate::op_operand::{cpu_f32_data, f32_data};

const OP: &str = "batch norm";

/// The batch's per-channel statistics, kept for the backward pass and the running averages.
#[derive(Clone, Debug, Default)]
pub struct BatchStats {
    /// Mean per channel.
    pub mean: Vec<f32>,
    /// Biased variance per channel (what the normalisation divides by).
    pub var: Vec<f32>,
    /// 1 / sqrt(var + eps) per channel.
    pub inv_std: Vec<f32>,
    /// Values per channel (N * H * W).
    pub count: usize,
}

/// `(x, gamma, beta) -> gamma * (x - mean) / sqrt(var + eps) + beta` over the batch's statistics.
#[derive(Clone, Debug)]
pub struct BatchNormOp {
    /// Added to the variance.
    pub eps: f32,
    /// Filled by the forward pass.
    pub stats: Arc<Mutex<BatchStats>>,
}

/// (N, C, H*W) of an NCHW-or-NC layout.
fn dims(layout: &Layout) -> Result<(usize, usize, usize)> {
    match layout.shape().dims() {
        [n, c] => Ok((*n, *c, 1)),
        [n, c, rest @ ..] => Ok((*n, *c, rest.iter().product())),
        other => bail!("batch norm: input must have at least 2 dimensions, got {other:?}"),
    }
}

/// Runs `f(channel)` for every channel, on the threads when there are several.
fn per_channel<T: Send>(channels: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    if threads() > 1 {
        (0..channels).into_par_iter().map(f).collect()
    } else {
        (0..channels).map(f).collect()
    }
}

/// Visits channel `c`'s values: one contiguous run of `hw` per image.
fn runs(data: &[f32], n: usize, c: usize, channels: usize, hw: usize) -> impl Iterator<Item = &[f32]> {
    (0..n).map(move |b| &data[(b * channels + c) * hw..(b * channels + c + 1) * hw])
}

/// Fills `out` (NCHW) block by block: `f(channel, input offset, block)` for each image's
/// channel, in parallel when there are several threads.
fn per_block(out: &mut [f32], channels: usize, hw: usize, f: impl Fn(usize, usize, &mut [f32]) + Sync + Send) {
    let hw = hw.max(1);
    if threads() > 1 {
        out.par_chunks_mut(hw).enumerate().for_each(|(i, block)| f(i % channels, i * hw, block));
    } else {
        out.chunks_mut(hw).enumerate().for_each(|(i, block)| f(i % channels, i * hw, block));
    }
}

impl CustomOp3 for BatchNormOp {
    fn name(&self) -> &'static str {
        "ocellus-batch-norm"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let (n, channels, hw) = dims(l1)?;
        let (x, gamma, beta) = (f32_data(OP, s1, l1, "input")?, f32_data(OP, s2, l2, "weight")?, f32_data(OP, s3, l3, "bias")?);
        if gamma.len() != channels || beta.len() != channels {
            bail!("batch norm: {channels} channels but {} weights and {} biases", gamma.len(), beta.len());
        }
        let count = n * hw;
        let moments = per_channel(channels, |c| {
            // Two-pass mean and variance, in f64, for the precision of large batches.
            let sum: f64 = runs(x, n, c, channels, hw).flatten().map(|&v| v as f64).sum();
            let mean = sum / count as f64;
            let var = runs(x, n, c, channels, hw).flatten().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / count as f64;
            (mean as f32, var as f32, (1.0 / (var + self.eps as f64).sqrt()) as f32)
        });
        let stats = BatchStats {
            mean: moments.iter().map(|m| m.0).collect(),
            var: moments.iter().map(|m| m.1).collect(),
            inv_std: moments.iter().map(|m| m.2).collect(),
            count,
        };
        let mut y = vec![0f32; x.len()];
        per_block(&mut y, channels, hw, |c, at, block| {
            let (mean, scale, shift) = (stats.mean[c], stats.inv_std[c] * gamma[c], beta[c]);
            let len = block.len();
            for (o, &v) in block.iter_mut().zip(&x[at..at + len]) {
                *o = (v - mean) * scale + shift;
            }
        });
        *self.stats.lock().expect("batch-norm statistics lock") = stats;
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, gamma: &Tensor, _beta: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let stats = self.stats.lock().expect("batch-norm statistics lock").clone();
        let grad = grad.contiguous()?;
        let (xs, xl) = x.storage_and_layout();
        let (gs, gl) = gamma.storage_and_layout();
        let (ds, dl) = grad.storage_and_layout();
        let (xv, gv, dv) = (cpu_f32_data(OP, &xs, xl, "input")?, cpu_f32_data(OP, &gs, gl, "weight")?, cpu_f32_data(OP, &ds, dl, "gradient")?);
        let (n, channels, hw) = dims(xl)?;
        let m = stats.count as f32;
        // Per channel: dbeta = sum dy, dgamma = sum dy * xhat,
        // dx = gamma * inv_std / M * (M * dy - dbeta - xhat * dgamma).
        let sums = per_channel(channels, |c| {
            let (mean, inv) = (stats.mean[c], stats.inv_std[c]);
            let (mut dbeta, mut dgamma) = (0f64, 0f64);
            for (xr, dr) in runs(xv, n, c, channels, hw).zip(runs(dv, n, c, channels, hw)) {
                for (&x, &d) in xr.iter().zip(dr) {
                    dbeta += d as f64;
                    dgamma += d as f64 * ((x - mean) * inv) as f64;
                }
            }
            (dgamma as f32, dbeta as f32)
        });
        let mut dx = vec![0f32; xv.len()];
        per_block(&mut dx, channels, hw, |c, at, block| {
            let (mean, inv, (dg, db)) = (stats.mean[c], stats.inv_std[c], sums[c]);
            let k = gv[c] * inv / m;
            let len = block.len();
            for ((o, &x), &d) in block.iter_mut().zip(&xv[at..at + len]).zip(&dv[at..at + len]) {
                *o = k * (m * d - db - (x - mean) * inv * dg);
            }
        });
        let (dgamma, dbeta): (Vec<f32>, Vec<f32>) = sums.into_iter().unzip();
        let device = x.device();
        let dx = Tensor::from_vec(dx, xl.shape().clone(), device)?;
        Ok((Some(dx), Some(Tensor::from_vec(dgamma, channels, device)?), Some(Tensor::from_vec(dbeta, channels, device)?)))
    }
}
