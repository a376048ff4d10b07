//! Training-mode batch normalisation of an NCHW tensor as one candle custom op, optionally
//! followed in the same pass by a ReLU, or by a residual add and a ReLU (the end of a ResNet
//! block): statistics, normalisation and the epilogue in three passes over the data, and a
//! backward pass that gives every gradient from two more, instead of the dozen element-wise
//! tensors candle-nn's composed version allocates and keeps for autograd (and the four passes
//! of candle's ReLU backward, and the add's two gradient copies).

use std::sync::{Arc, Mutex};

use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use crate::ops::support::filled::{filled, filled_pair};
use crate::ops::gelu::{gelu_slope, gelu_value};
use crate::ops::support::operand::{cpu_f32_data, f32_data};
use crate::ops::support::threads::in_parallel;

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

/// What the op does after normalising, and so what its second and third operands are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Epilogue {
    /// `(x, gamma, beta) -> bn(x)`.
    None,
    /// `(x, gamma, beta) -> relu(bn(x))`.
    Relu,
    /// `(x, [gamma; beta] as (2, C), skip) -> relu(bn(x) + skip)`.
    ResidualRelu,
    /// `(x, gamma, beta) -> gelu(bn(x))` (the tanh form, [`crate::ops::gelu`]).
    Gelu,
}

/// `(x, ..) -> gamma * (x - mean) / sqrt(var + eps) + beta` over the batch's statistics, then
/// the epilogue.
#[derive(Clone, Debug)]
pub struct BatchNormOp {
    /// Added to the variance.
    pub eps: f32,
    /// What follows the normalisation.
    pub epilogue: Epilogue,
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
    if in_parallel(channels) {
        (0..channels).into_par_iter().map(f).collect()
    } else {
        (0..channels).map(f).collect()
    }
}

/// Visits channel `c`'s values: one contiguous run of `hw` per image.
fn runs(data: &[f32], n: usize, c: usize, channels: usize, hw: usize) -> impl Iterator<Item = &[f32]> {
    (0..n).map(move |b| &data[(b * channels + c) * hw..(b * channels + c + 1) * hw])
}

/// Lanes of the partial sums: in-order f32 sums do not vectorise, sixteen running sums do.
const LANES: usize = 16;

/// Sums of `f(x[i], y[i], d[i])` (a pair) over one run, in f32 lanes (a run is one image's
/// channel, at most a few thousand values; runs are added up in f64).
fn run_sums(x: &[f32], y: &[f32], d: &[f32], f: impl Fn(f32, f32, f32) -> (f32, f32)) -> (f32, f32) {
    let (mut a, mut b) = ([0f32; LANES], [0f32; LANES]);
    let done = x.len() - x.len() % LANES;
    for ((cx, cy), cd) in x[..done].chunks_exact(LANES).zip(y[..done].chunks_exact(LANES)).zip(d[..done].chunks_exact(LANES)) {
        for i in 0..LANES {
            let (p, q) = f(cx[i], cy[i], cd[i]);
            a[i] += p;
            b[i] += q;
        }
    }
    let (mut ta, mut tb) = (0f32, 0f32);
    for ((&xv, &yv), &dv) in x[done..].iter().zip(&y[done..]).zip(&d[done..]) {
        let (p, q) = f(xv, yv, dv);
        ta += p;
        tb += q;
    }
    (a.iter().sum::<f32>() + ta, b.iter().sum::<f32>() + tb)
}

/// Sum of `f(a[i])` over one run.
fn run_sum(a: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    run_sums(a, a, a, |v, _, _| (f(v), 0.0)).0
}

/// The gradient that reaches the normalisation: none where the ReLU clamped its output.
fn through_relu(relu: bool, y: f32, dy: f32) -> f32 {
    if relu && y <= 0.0 {
        0.0
    } else {
        dy
    }
}

impl BatchNormOp {
    fn relu(&self) -> bool {
        matches!(self.epilogue, Epilogue::Relu | Epilogue::ResidualRelu)
    }

    /// gamma, beta and the skip input from the second and third operands.
    fn operands<'a>(
        &self,
        channels: usize,
        s2: &'a CpuStorage,
        l2: &Layout,
        s3: &'a CpuStorage,
        l3: &Layout,
    ) -> Result<(&'a [f32], &'a [f32], Option<&'a [f32]>)> {
        let (gamma, beta, skip) = if self.epilogue == Epilogue::ResidualRelu {
            let params = f32_data(OP, s2, l2, "weight and bias")?;
            let (gamma, beta) = params.split_at(params.len() / 2);
            (gamma, beta, Some(f32_data(OP, s3, l3, "skip input")?))
        } else {
            (f32_data(OP, s2, l2, "weight")?, f32_data(OP, s3, l3, "bias")?, None)
        };
        if gamma.len() != channels || beta.len() != channels {
            bail!("batch norm: {channels} channels but {} weights and {} biases", gamma.len(), beta.len());
        }
        Ok((gamma, beta, skip))
    }
}

impl CustomOp3 for BatchNormOp {
    fn name(&self) -> &'static str {
        match self.epilogue {
            Epilogue::None => "ocellus-batch-norm",
            Epilogue::Relu => "ocellus-batch-norm-relu",
            Epilogue::ResidualRelu => "ocellus-batch-norm-add-relu",
            Epilogue::Gelu => "ocellus-batch-norm-gelu",
        }
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let (n, channels, hw) = dims(l1)?;
        let x = f32_data(OP, s1, l1, "input")?;
        let (gamma, beta, skip) = self.operands(channels, s2, l2, s3, l3)?;
        if skip.is_some_and(|s| s.len() != x.len()) {
            bail!("batch norm: the skip input's shape differs from the input's {:?}", l1.shape());
        }
        let count = n * hw;
        let moments = per_channel(channels, |c| {
            // Two-pass mean and variance, runs summed in f64, for the precision of large batches
            // (a one-pass shifted sum of squares measured slower here, twice).
            let sum: f64 = runs(x, n, c, channels, hw).map(|r| run_sum(r, |v| v) as f64).sum();
            let mean = (sum / count as f64) as f32;
            let dev: f64 = runs(x, n, c, channels, hw).map(|r| run_sum(r, |v| (v - mean) * (v - mean)) as f64).sum();
            let var = dev / count as f64;
            (mean, var as f32, (1.0 / (var + self.eps as f64).sqrt()) as f32)
        });
        let stats = BatchStats {
            mean: moments.iter().map(|m| m.0).collect(),
            var: moments.iter().map(|m| m.1).collect(),
            inv_std: moments.iter().map(|m| m.2).collect(),
            count,
        };
        let floor = if self.relu() { 0.0 } else { f32::NEG_INFINITY };
        let gelu = self.epilogue == Epilogue::Gelu;
        let image = channels * hw;
        // SAFETY: every value of each image's chunk is written, channel by channel.
        let y = unsafe {
            filled(x.len(), image, |at, out| {
                for (c, block) in out.chunks_mut(hw.max(1)).enumerate() {
                    let (mean, scale, shift) = (stats.mean[c], stats.inv_std[c] * gamma[c], beta[c]);
                    let from = at + c * hw;
                    let input = &x[from..from + block.len()];
                    match skip {
                        Some(skip) => {
                            for ((o, &v), &s) in block.iter_mut().zip(input).zip(&skip[from..from + input.len()]) {
                                o.write(((v - mean) * scale + shift + s).max(floor));
                            }
                        }
                        None if gelu => {
                            for (o, &v) in block.iter_mut().zip(input) {
                                o.write(gelu_value((v - mean) * scale + shift));
                            }
                        }
                        None => {
                            for (o, &v) in block.iter_mut().zip(input) {
                                o.write(((v - mean) * scale + shift).max(floor));
                            }
                        }
                    }
                }
            })
        };
        *self.stats.lock().expect("batch-norm statistics lock") = stats;
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, arg2: &Tensor, arg3: &Tensor, res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let stats = self.stats.lock().expect("batch-norm statistics lock").clone();
        let grad = grad.contiguous()?;
        let (xs, xl) = x.storage_and_layout();
        let (ps, pl) = arg2.storage_and_layout();
        let (ys, yl) = res.storage_and_layout();
        let (ds, dl) = grad.storage_and_layout();
        let (xv, yv, dv) = (cpu_f32_data(OP, &xs, xl, "input")?, cpu_f32_data(OP, &ys, yl, "output")?, cpu_f32_data(OP, &ds, dl, "gradient")?);
        // gamma is the first half of the parameters with a residual, the weight otherwise.
        let params = cpu_f32_data(OP, &ps, pl, "weight")?;
        let (n, channels, hw) = dims(xl)?;
        let gv = &params[..channels];
        let (m, relu) = (stats.count as f32, self.relu());
        // With a GELU epilogue the gradient through it needs the normalised value back: beta too.
        let (bs, bl) = arg3.storage_and_layout();
        let bv = if self.epilogue == Epilogue::Gelu { cpu_f32_data(OP, &bs, bl, "bias")? } else { &[][..] };
        // The gradient through GELU at the normalised value z = (x - mean) * inv_std * gamma + beta.
        let through_gelu = |c: usize, x: f32, d: f32| d * gelu_slope((x - stats.mean[c]) * stats.inv_std[c] * gv[c] + bv[c]);
        // Per channel, with g the gradient through the ReLU: dbeta = sum g,
        // dgamma = sum g * xhat, dx = gamma * inv_std / M * (M * g - dbeta - xhat * dgamma).
        let sums = per_channel(channels, |c| {
            let (mean, inv) = (stats.mean[c], stats.inv_std[c]);
            let (mut dbeta, mut dgamma) = (0f64, 0f64);
            for ((xr, yr), dr) in runs(xv, n, c, channels, hw).zip(runs(yv, n, c, channels, hw)).zip(runs(dv, n, c, channels, hw)) {
                // The epilogue is chosen per run, not per value, so each loop stays branch-free.
                let (db, dg) = if bv.is_empty() {
                    run_sums(xr, yr, dr, |x, y, d| {
                        let g = through_relu(relu, y, d);
                        (g, g * (x - mean))
                    })
                } else {
                    run_sums(xr, yr, dr, |x, _, d| {
                        let g = through_gelu(c, x, d);
                        (g, g * (x - mean))
                    })
                };
                dbeta += db as f64;
                dgamma += (dg * inv) as f64;
            }
            (dgamma as f32, dbeta as f32)
        });
        // Channel c's dx: gamma * inv_std / M * (M * g - dbeta - xhat * dgamma), as k * (M * g - b - (x - mean) * a).
        let coefficients = |c: usize| {
            let (mean, inv, (dg, db)) = (stats.mean[c], stats.inv_std[c], sums[c]);
            (gv[c] * inv / m, db, mean, inv * dg)
        };
        let (image, hw1) = (channels * hw, hw.max(1));
        let (dgamma, dbeta): (Vec<f32>, Vec<f32>) = sums.iter().copied().unzip();
        let device = x.device();
        if self.epilogue == Epilogue::ResidualRelu {
            // The skip input takes the gradient through the ReLU unchanged: written in the same pass.
            // SAFETY: every value of both chunks is written.
            let (dx, dskip) = unsafe {
                filled_pair(xv.len(), image, |at, dx, dskip| {
                    for (c, (bx, bs)) in dx.chunks_mut(hw1).zip(dskip.chunks_mut(hw1)).enumerate() {
                        let (k, b, mean, a) = coefficients(c);
                        let (from, len) = (at + c * hw, bx.len());
                        let inputs = xv[from..from + len].iter().zip(&yv[from..from + len]).zip(&dv[from..from + len]);
                        for ((ox, os), ((&x, &y), &d)) in bx.iter_mut().zip(bs.iter_mut()).zip(inputs) {
                            let g = through_relu(relu, y, d);
                            ox.write(k * (m * g - b - (x - mean) * a));
                            os.write(g);
                        }
                    }
                })
            };
            let dparams = Tensor::from_vec([dgamma, dbeta].concat(), (2, channels), device)?;
            let shape = xl.shape().clone();
            return Ok((Some(Tensor::from_vec(dx, shape.clone(), device)?), Some(dparams), Some(Tensor::from_vec(dskip, shape, device)?)));
        }
        // SAFETY: every value of each image's chunk is written.
        let dx = unsafe {
            filled(xv.len(), image, |at, out| {
                for (c, block) in out.chunks_mut(hw1).enumerate() {
                    let (k, b, mean, a) = coefficients(c);
                    let (from, len) = (at + c * hw, block.len());
                    let inputs = xv[from..from + len].iter().zip(&yv[from..from + len]).zip(&dv[from..from + len]);
                    if bv.is_empty() {
                        for (o, ((&x, &y), &d)) in block.iter_mut().zip(inputs) {
                            o.write(k * (m * through_relu(relu, y, d) - b - (x - mean) * a));
                        }
                    } else {
                        for (o, ((&x, _), &d)) in block.iter_mut().zip(inputs) {
                            o.write(k * (m * through_gelu(c, x, d) - b - (x - mean) * a));
                        }
                    }
                }
            })
        };
        let dx = Tensor::from_vec(dx, xl.shape().clone(), device)?;
        Ok((Some(dx), Some(Tensor::from_vec(dgamma, channels, device)?), Some(Tensor::from_vec(dbeta, channels, device)?)))
    }
}
