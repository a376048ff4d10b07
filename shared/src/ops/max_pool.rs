//! Non-overlapping max pooling (kernel = stride, as LeNet uses it) as one candle custom op on
//! the CPU, optionally fused with the ReLU before it (ReLU then max-pool equals max-pool then
//! ReLU, on a quarter of the values): a single pass forward, and a backward that sends each
//! window's gradient to its maximum (the first one on ties, as PyTorch does). Candle's own
//! backward builds it from an upsample, a comparison, an average pool and two products over
//! the whole tensor, and its ReLU backward from four more passes.

use candle_core::{bail, CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use crate::ops::kernel_choice::ours_for;
use crate::ops::support::operand::{cpu_f32_data, f32_data};
use crate::ops::support::threads::in_parallel;

const OP: &str = "max pool";

/// `x` (N, C, H, W) max-pooled over `k`x`k` windows with stride `k` (the edge rows and columns
/// that do not fill a window are dropped): ours for f32 on the CPU, candle's otherwise.
pub fn max_pool2d(x: &Tensor, k: usize) -> Result<Tensor> {
    if ours_for(x) {
        x.contiguous()?.apply_op1(MaxPoolOp { k, relu: false })
    } else {
        x.max_pool2d(k)
    }
}

/// `max_pool2d(x.relu(), k)` as one op: ours for f32 on the CPU, candle's two otherwise.
pub fn relu_max_pool2d(x: &Tensor, k: usize) -> Result<Tensor> {
    if ours_for(x) {
        x.contiguous()?.apply_op1(MaxPoolOp { k, relu: true })
    } else {
        x.relu()?.max_pool2d(k)
    }
}

/// The pooling op; `k` is the window side and the stride; `relu` clamps the maxima at zero.
#[derive(Clone, Copy, Debug)]
struct MaxPoolOp {
    k: usize,
    relu: bool,
}

/// Planes per parallel task: enough work to pay for the hand-over.
const PLANES_PER_TASK: usize = 8;

/// Runs `f(plane index, input plane, output plane)` over matching planes of `input` and
/// `output`, on the threads when there are several.
fn per_plane(input: &[f32], in_len: usize, output: &mut [f32], out_len: usize, f: impl Fn(usize, &[f32], &mut [f32]) + Sync + Send) {
    if in_parallel(output.len() / out_len.max(1)) {
        output.par_chunks_mut(out_len).zip(input.par_chunks(in_len)).enumerate().with_min_len(PLANES_PER_TASK).for_each(|(p, (o, i))| f(p, i, o));
    } else {
        output.chunks_mut(out_len).zip(input.chunks(in_len)).enumerate().for_each(|(p, (o, i))| f(p, i, o));
    }
}

impl MaxPoolOp {
    /// (planes, h, w, out_h, out_w)
    fn dims(&self, layout: &Layout) -> Result<(usize, usize, usize, usize, usize)> {
        let &[n, c, h, w] = layout.shape().dims() else { bail!("max pool: input must be NCHW, got {:?}", layout.shape()) };
        if self.k == 0 || h < self.k || w < self.k {
            bail!("max pool: {}x{} window does not fit {h}x{w}", self.k, self.k);
        }
        Ok((n * c, h, w, h / self.k, w / self.k))
    }

    /// One plane's window maxima, row by row of windows.
    fn pool_plane(&self, plane: &[f32], w: usize, out: &mut [f32]) {
        let k = self.k;
        let ow = w / k;
        for (oy, orow) in out.chunks_exact_mut(ow).enumerate() {
            let rows = &plane[oy * k * w..(oy + 1) * k * w];
            if k == 2 {
                // The common case, in a form the compiler vectorises.
                let (r0, r1) = rows.split_at(w);
                for ((o, a), b) in orow.iter_mut().zip(r0.chunks_exact(2)).zip(r1.chunks_exact(2)) {
                    *o = a[0].max(a[1]).max(b[0].max(b[1]));
                }
            } else {
                orow.fill(f32::NEG_INFINITY);
                for row in rows.chunks_exact(w) {
                    for (o, win) in orow.iter_mut().zip(row.chunks_exact(k)) {
                        *o = win.iter().fold(*o, |m, &v| m.max(v));
                    }
                }
            }
            if self.relu {
                orow.iter_mut().for_each(|o| *o = o.max(0.0));
            }
        }
    }

    /// The 2x2 windows of one row of outputs, branch-free: each window's gradient goes to its
    /// first cell holding the output value. `x` and `dx` are the two input rows (width `w`).
    fn window_rows_2(&self, x: &[f32], dx: &mut [f32], y: &[f32], g: &[f32]) {
        let w = x.len() / 2;
        let (x0, x1) = x.split_at(w);
        let (d0, d1) = dx.split_at_mut(w);
        let windows = x0.chunks_exact(2).zip(x1.chunks_exact(2)).zip(d0.chunks_exact_mut(2).zip(d1.chunks_exact_mut(2)));
        for (((a, b), (da, db)), (&y, &g)) in windows.zip(y.iter().zip(g)) {
            let g = if self.relu && y <= 0.0 { 0.0 } else { g };
            let (m0, m1, m2) = (a[0] == y, a[1] == y, b[0] == y);
            let first = [m0, m1 && !m0, m2 && !m0 && !m1];
            da[0] = if first[0] { g } else { 0.0 };
            da[1] = if first[1] { g } else { 0.0 };
            db[0] = if first[2] { g } else { 0.0 };
            // The last cell also takes a NaN window's gradient, which matches no cell.
            db[1] = if first.iter().any(|&f| f) { 0.0 } else { g };
        }
    }

    /// Index in the plane of window (oy, ox)'s first cell holding `value`, else of its first
    /// maximum (when the maximum is NaN).
    fn source(&self, plane: &[f32], w: usize, oy: usize, ox: usize, value: f32) -> usize {
        let k = self.k;
        let corner = oy * k * w + ox * k;
        let window = &plane[corner..corner + (k - 1) * w + k];
        for i in 0..k {
            for (j, &v) in window[i * w..i * w + k].iter().enumerate() {
                if v == value {
                    return corner + i * w + j;
                }
            }
        }
        let mut best = 0;
        for i in 0..k {
            for j in 0..k {
                if window[i * w + j] > window[best] {
                    best = i * w + j;
                }
            }
        }
        corner + best
    }
}

impl CustomOp1 for MaxPoolOp {
    fn name(&self) -> &'static str {
        if self.relu {
            "ocellus-relu-max-pool2d"
        } else {
            "ocellus-max-pool2d"
        }
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (planes, h, w, oh, ow) = self.dims(layout)?;
        let x = f32_data(OP, storage, layout, "input")?;
        let mut y = crate::ops::support::zeroed::zeros(planes * oh * ow);
        per_plane(x, h * w, &mut y, oh * ow, |_, plane, out| self.pool_plane(plane, w, out));
        let dims = layout.shape().dims();
        Ok((CpuStorage::F32(y), Shape::from((dims[0], dims[1], oh, ow))))
    }

    fn bwd(&self, x: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let grad = grad.contiguous()?;
        let (xs, xl) = x.storage_and_layout();
        let (ys, yl) = res.storage_and_layout();
        let (gs, gl) = grad.storage_and_layout();
        let xv = cpu_f32_data(OP, &xs, xl, "input")?;
        let (yv, gv) = (cpu_f32_data(OP, &ys, yl, "output")?, cpu_f32_data(OP, &gs, gl, "gradient")?);
        let (_, h, w, oh, ow) = self.dims(xl)?;
        let mut dx = crate::ops::support::zeroed::zeros(xv.len());
        let out_len = oh * ow;
        per_plane(xv, h * w, &mut dx, h * w, |p, plane, dplane| {
            let (y, g) = (&yv[p * out_len..(p + 1) * out_len], &gv[p * out_len..(p + 1) * out_len]);
            for oy in 0..oh {
                let (yrow, grow) = (&y[oy * ow..(oy + 1) * ow], &g[oy * ow..(oy + 1) * ow]);
                if self.k == 2 {
                    self.window_rows_2(&plane[2 * oy * w..(2 * oy + 2) * w], &mut dplane[2 * oy * w..(2 * oy + 2) * w], yrow, grow);
                    continue;
                }
                for (ox, (&y, &g)) in yrow.iter().zip(grow).enumerate() {
                    // A clamped maximum passes no gradient.
                    if !(self.relu && y <= 0.0) {
                        dplane[self.source(plane, w, oy, ox, y)] += g;
                    }
                }
            }
        });
        Ok(Some(Tensor::from_vec(dx, xl.shape().clone(), x.device())?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};
    use rand::{Rng, SeedableRng};

    /// The gradient by definition: each window's output gradient lands on its maximum.
    /// With `relu`, a window whose maximum is not positive passes nothing.
    fn naive_grad(x: &[f32], g: &[f32], dims: [usize; 4], k: usize, relu: bool) -> Vec<f32> {
        let [n, c, h, w] = dims;
        let (oh, ow) = (h / k, w / k);
        let mut dx = vec![0f32; x.len()];
        for p in 0..n * c {
            for oy in 0..oh {
                for ox in 0..ow {
                    let cells = (0..k * k).map(|i| p * h * w + (oy * k + i / k) * w + ox * k + i % k);
                    // max_by keeps the last of equal maxima; reversed, the first.
                    let best = cells.rev().max_by(|&a, &b| x[a].total_cmp(&x[b])).unwrap();
                    if !relu || x[best] > 0.0 {
                        dx[best] += g[(p * oh + oy) * ow + ox];
                    }
                }
            }
        }
        dx
    }

    #[test]
    fn forward_matches_candle_and_backward_the_definition() {
        let seed: u64 = rand::rng().random();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let cases = [([2, 3, 8, 8], 2), ([1, 2, 7, 5], 2), ([3, 1, 9, 9], 3), ([2, 6, 28, 28], 2), ([20, 4, 10, 10], 2)];
        for ((dims, k), relu) in cases.into_iter().flat_map(|c| [(c, false), (c, true)]) {
            let n: usize = dims.iter().product();
            let values: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let x = Var::from_tensor(&Tensor::from_vec(values.clone(), &dims, &Device::Cpu).unwrap()).unwrap();
            let ours = x.as_tensor().apply_op1(MaxPoolOp { k, relu }).unwrap();
            let theirs = if relu { x.as_tensor().relu().unwrap() } else { x.as_tensor().clone() }.max_pool2d(k).unwrap();
            let diff = (&ours - &theirs).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
            assert_eq!(diff, 0.0, "{dims:?} relu {relu} seed {seed}");
            let probe: Vec<f32> = (0..ours.elem_count()).map(|_| rng.random_range(-1.0..1.0)).collect();
            let probe_t = Tensor::from_vec(probe.clone(), ours.shape(), &Device::Cpu).unwrap();
            let grads = (ours * &probe_t).unwrap().sum_all().unwrap().backward().unwrap();
            let got: Vec<f32> = grads.get(&x).unwrap().flatten_all().unwrap().to_vec1().unwrap();
            // Not against candle's backward: candle 0.11 multiplies the gradient by the share of
            // maxima in the window (1/k² without ties) instead of dividing by their count.
            assert_eq!(got, naive_grad(&values, &probe, dims, k, relu), "{dims:?} relu {relu} seed {seed}");
        }
    }

    #[test]
    fn ties_send_the_gradient_to_the_first_maximum() {
        let x = Var::from_tensor(&Tensor::new(&[[[[1f32, 1.], [1., 1.]]]], &Device::Cpu).unwrap()).unwrap();
        let y = x.as_tensor().apply_op1(MaxPoolOp { k: 2, relu: false }).unwrap();
        let g = y.sum_all().unwrap().backward().unwrap();
        assert_eq!(g.get(&x).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap(), vec![1.0, 0.0, 0.0, 0.0]);
    }
}
