//! Non-overlapping max pooling (kernel = stride, as LeNet uses it) as one candle custom op on
//! the CPU: a single pass forward, and a backward that sends each window's gradient to its
//! maximum (the first one on ties, as PyTorch does). Candle's own backward builds it from an
//! upsample, a comparison, an average pool and two products over the whole tensor.

use candle_core::{bail, CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

use crate::kernel_choice::ours_for;
use crate::op_operand::{cpu_f32_data, f32_data};

const OP: &str = "max pool";

/// `x` (N, C, H, W) max-pooled over `k`x`k` windows with stride `k` (the edge rows and columns
/// that do not fill a window are dropped): ours for f32 on the CPU, candle's otherwise.
pub fn max_pool2d(x: &Tensor, k: usize) -> Result<Tensor> {
    if ours_for(x) {
        x.contiguous()?.apply_op1(MaxPoolOp { k })
    } else {
        x.max_pool2d(k)
    }
}

/// The pooling op; `k` is the window side and the stride.
#[derive(Clone, Copy, Debug)]
struct MaxPoolOp {
    k: usize,
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

    /// Index in the plane of window (oy, ox)'s first maximum.
    fn argmax(&self, plane: &[f32], w: usize, oy: usize, ox: usize) -> usize {
        let mut best = oy * self.k * w + ox * self.k;
        for i in 0..self.k {
            let row = (oy * self.k + i) * w + ox * self.k;
            for at in row..row + self.k {
                if plane[at] > plane[best] {
                    best = at;
                }
            }
        }
        best
    }
}

impl CustomOp1 for MaxPoolOp {
    fn name(&self) -> &'static str {
        "ocellus-max-pool2d"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (planes, h, w, oh, ow) = self.dims(layout)?;
        let x = f32_data(OP, storage, layout, "input")?;
        let mut y = Vec::with_capacity(planes * oh * ow);
        for plane in x.chunks_exact(h * w) {
            for oy in 0..oh {
                for ox in 0..ow {
                    y.push(plane[self.argmax(plane, w, oy, ox)]);
                }
            }
        }
        let dims = layout.shape().dims();
        Ok((CpuStorage::F32(y), Shape::from((dims[0], dims[1], oh, ow))))
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let grad = grad.contiguous()?;
        let (xs, xl) = x.storage_and_layout();
        let (gs, gl) = grad.storage_and_layout();
        let (xv, gv) = (cpu_f32_data(OP, &xs, xl, "input")?, cpu_f32_data(OP, &gs, gl, "gradient")?);
        let (_, h, w, oh, ow) = self.dims(xl)?;
        let mut dx = vec![0f32; xv.len()];
        for ((plane, dplane), g) in xv.chunks_exact(h * w).zip(dx.chunks_exact_mut(h * w)).zip(gv.chunks_exact(oh * ow)) {
            for oy in 0..oh {
                for ox in 0..ow {
                    dplane[self.argmax(plane, w, oy, ox)] += g[oy * ow + ox];
                }
            }
        }
        Ok(Some(Tensor::from_vec(dx, xl.shape().clone(), x.device())?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};
    use rand::{Rng, SeedableRng};

    /// The gradient by definition: each window's output gradient lands on its maximum.
    fn naive_grad(x: &[f32], g: &[f32], dims: [usize; 4], k: usize) -> Vec<f32> {
        let [n, c, h, w] = dims;
        let (oh, ow) = (h / k, w / k);
        let mut dx = vec![0f32; x.len()];
        for p in 0..n * c {
            for oy in 0..oh {
                for ox in 0..ow {
                    let cells = (0..k * k).map(|i| p * h * w + (oy * k + i / k) * w + ox * k + i % k);
                    let best = cells.max_by(|&a, &b| x[a].total_cmp(&x[b])).unwrap();
                    dx[best] += g[(p * oh + oy) * ow + ox];
                }
            }
        }
        dx
    }

    #[test]
    fn forward_matches_candle_and_backward_the_definition() {
        let seed: u64 = rand::rng().random();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        for (dims, k) in [([2, 3, 8, 8], 2), ([1, 2, 7, 5], 2), ([3, 1, 9, 9], 3), ([2, 6, 28, 28], 2)] {
            let n: usize = dims.iter().product();
            let values: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let x = Var::from_tensor(&Tensor::from_vec(values.clone(), &dims, &Device::Cpu).unwrap()).unwrap();
            let ours = x.as_tensor().apply_op1(MaxPoolOp { k }).unwrap();
            let theirs = x.as_tensor().max_pool2d(k).unwrap();
            let diff = (&ours - &theirs).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
            assert_eq!(diff, 0.0, "{dims:?} seed {seed}");
            let probe: Vec<f32> = (0..ours.elem_count()).map(|_| rng.random_range(-1.0..1.0)).collect();
            let probe_t = Tensor::from_vec(probe.clone(), ours.shape(), &Device::Cpu).unwrap();
            let grads = (ours * &probe_t).unwrap().sum_all().unwrap().backward().unwrap();
            let got: Vec<f32> = grads.get(&x).unwrap().flatten_all().unwrap().to_vec1().unwrap();
            // Not against candle's backward: candle 0.11 multiplies the gradient by the share of
            // maxima in the window (1/k² without ties) instead of dividing by their count.
            assert_eq!(got, naive_grad(&values, &probe, dims, k), "{dims:?} seed {seed}");
        }
    }

    #[test]
    fn ties_send_the_gradient_to_the_first_maximum() {
        let x = Var::from_tensor(&Tensor::new(&[[[[1f32, 1.], [1., 1.]]]], &Device::Cpu).unwrap()).unwrap();
        let y = x.as_tensor().apply_op1(MaxPoolOp { k: 2 }).unwrap();
        let g = y.sum_all().unwrap().backward().unwrap();
        assert_eq!(g.get(&x).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap(), vec![1.0, 0.0, 0.0, 0.0]);
    }
}
