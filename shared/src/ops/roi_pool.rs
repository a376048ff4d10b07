//! ROI pooling for Fast-RCNN (SPEC.md section 9) as one batched candle custom op: every region
//! of interest is cut out of its image's feature map and max-pooled to a fixed grid with
//! PyTorch's adaptive bin edges (`AdaptiveMaxPool2d` on the crop, as the tutorial does per
//! region in a Python loop). The backward pass sends each bin's gradient to its maximum.
//! The custom op runs on the CPU, natively and in the browser; on another device (CUDA), or
//! with candle's kernels chosen, the same pooling is built from candle's own ops.

use candle_core::{bail, CpuStorage, CustomOp2, DType, Device, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use crate::ops::kernel_choice::ours_for;
use crate::ops::support::operand::{cpu_f32_data, f32_data};

const OP: &str = "roi pool";

/// Pools `features` (N, C, H, W) inside `rois` (R, 5: image index, x0, y0, x1, y1 in
/// feature-map pixels, corners) to (R, C, `out`, `out`).
pub fn roi_pool(features: &Tensor, rois: &Tensor, out: usize) -> Result<Tensor> {
    if ours_for(features) && matches!(rois.device(), Device::Cpu) {
        features.contiguous()?.apply_op2(&rois.contiguous()?, RoiPool { out })
    } else {
        roi_pool_with_candle_ops(features, rois, out)
    }
}

/// [`roi_pool`] from candle's narrow, max and concatenation, on any device, with candle's
/// autograd: per region the crop, then the maximum of each column bin, then of each row bin
/// (a rectangle's maximum is the maximum of its columns' maxima). About `2 * out + 3` small
/// ops a region: slower than the custom op, but it runs wherever the features are.
fn roi_pool_with_candle_ops(features: &Tensor, rois: &Tensor, out: usize) -> Result<Tensor> {
    let op = RoiPool { out };
    let ((n, _, h, w), r) = op.shapes(features.layout(), rois.layout())?;
    // The regions are a few numbers: read them on the host to cut the crops.
    let flat: Vec<f32> = rois.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
    let windows = op.windows(&flat, r, (n, h, w))?;
    let bins = |len: usize| (0..out).map(move |b| (b * len / out, ((b + 1) * len).div_ceil(out)));
    let pooled = windows
        .iter()
        .map(|win| {
            let (rh, rw) = (win.y1 - win.y0, win.x1 - win.x0);
            let crop = features.narrow(0, win.image, 1)?.narrow(2, win.y0, rh)?.narrow(3, win.x0, rw)?;
            let columns = bins(rw).map(|(s, e)| crop.narrow(3, s, e - s)?.max_keepdim(3)).collect::<Result<Vec<_>>>()?;
            let columns = Tensor::cat(&columns, 3)?;
            let cells = bins(rh).map(|(s, e)| columns.narrow(2, s, e - s)?.max_keepdim(2)).collect::<Result<Vec<_>>>()?;
            Tensor::cat(&cells, 2)
        })
        .collect::<Result<Vec<_>>>()?;
    if pooled.is_empty() {
        return Tensor::zeros((0, features.dim(1)?, out, out), features.dtype(), features.device());
    }
    Tensor::cat(&pooled, 0)
}

#[derive(Clone, Copy, Debug)]
struct RoiPool {
    out: usize,
}

/// A region's pixel window in its image: rows `y0..y1`, columns `x0..x1`, never empty.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Window {
    image: usize,
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
}

impl RoiPool {
    /// The windows of every region, clamped into the map (a region outside it keeps one
    /// pixel at the nearest edge, so that every region pools something).
    fn windows(&self, rois: &[f32], count: usize, (n, h, w): (usize, usize, usize)) -> Result<Vec<Window>> {
        rois.chunks_exact(5)
            .take(count)
            .map(|r| {
                let image = r[0] as usize;
                if r[0] < 0.0 || image >= n {
                    bail!("roi pool: region names image {} of a batch of {n}", r[0]);
                }
                let clamp = |v: f32, hi: usize| (v.max(0.0) as usize).min(hi);
                let (x0, y0) = (clamp(r[1].floor(), w - 1), clamp(r[2].floor(), h - 1));
                let (x1, y1) = (clamp(r[3].ceil(), w).max(x0 + 1), clamp(r[4].ceil(), h).max(y0 + 1));
                Ok(Window { image, x0, y0, x1, y1 })
            })
            .collect()
    }

    /// For every output value of one region (channel, bin row, bin column), the input index
    /// of its bin's maximum, written to `argmax` (`c * out * out` long).
    fn region_argmax(&self, x: &[f32], win: &Window, (c, h, w): (usize, usize, usize), argmax: &mut [usize]) {
        let o = self.out;
        let (rw, rh) = (win.x1 - win.x0, win.y1 - win.y0);
        for ch in 0..c {
            let plane = (win.image * c + ch) * h * w;
            for by in 0..o {
                let (ys, ye) = (win.y0 + by * rh / o, win.y0 + ((by + 1) * rh).div_ceil(o));
                for bx in 0..o {
                    let (xs, xe) = (win.x0 + bx * rw / o, win.x0 + ((bx + 1) * rw).div_ceil(o));
                    let mut best = plane + ys * w + xs;
                    for y in ys..ye {
                        for at in plane + y * w + xs..plane + y * w + xe {
                            if x[at] > x[best] {
                                best = at;
                            }
                        }
                    }
                    argmax[(ch * o + by) * o + bx] = best;
                }
            }
        }
    }

    /// The input index of every output value's maximum, regions spread over the threads.
    fn argmax(&self, x: &[f32], windows: &[Window], dims: (usize, usize, usize)) -> Vec<usize> {
        let per_region = dims.0 * self.out * self.out;
        let mut argmax = vec![0usize; windows.len() * per_region];
        argmax.par_chunks_mut(per_region.max(1)).zip(windows.par_iter()).for_each(|(out, win)| self.region_argmax(x, win, dims, out));
        argmax
    }

    fn shapes(&self, l1: &Layout, l2: &Layout) -> Result<((usize, usize, usize, usize), usize)> {
        let &[n, c, h, w] = l1.shape().dims() else { bail!("roi pool: features must be NCHW, got {:?}", l1.shape()) };
        let &[r, five] = l2.shape().dims() else { bail!("roi pool: regions must be (R, 5), got {:?}", l2.shape()) };
        if five != 5 || h == 0 || w == 0 || self.out == 0 {
            bail!("roi pool: regions must be (R, 5) over a non-empty map, got {:?} and {:?}", l2.shape(), l1.shape());
        }
        Ok(((n, c, h, w), r))
    }
}

impl CustomOp2 for RoiPool {
    fn name(&self) -> &'static str {
        "ocellus-roi-pool"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let ((n, c, h, w), r) = self.shapes(l1, l2)?;
        let (x, rois) = (f32_data(OP, s1, l1, "features")?, f32_data(OP, s2, l2, "regions")?);
        let windows = self.windows(rois, r, (n, h, w))?;
        let y: Vec<f32> = self.argmax(x, &windows, (c, h, w)).into_iter().map(|i| x[i]).collect();
        Ok((CpuStorage::F32(y), Shape::from((r, c, self.out, self.out))))
    }

    fn bwd(&self, features: &Tensor, rois: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let (xs, xl) = features.storage_and_layout();
        let (rs, rl) = rois.storage_and_layout();
        let (gs, gl) = grad.storage_and_layout();
        let ((n, c, h, w), r) = self.shapes(xl, rl)?;
        let (x, rv, g) = (cpu_f32_data(OP, &xs, xl, "features")?, cpu_f32_data(OP, &rs, rl, "regions")?, cpu_f32_data(OP, &gs, gl, "gradient")?);
        let windows = self.windows(rv, r, (n, h, w))?;
        let mut dx = vec![0f32; x.len()];
        for (o, i) in self.argmax(x, &windows, (c, h, w)).into_iter().enumerate() {
            dx[i] += g[o];
        }
        Ok((Some(Tensor::from_vec(dx, xl.shape().clone(), features.device())?), None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};
    use rand::{Rng, SeedableRng};

    #[test]
    fn each_region_pools_like_adaptive_max_pool_on_its_crop() {
        let seed: u64 = rand::rng().random();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let (n, c, h, w) = (2, 3, 17, 23);
        // Distinct values at least 0.01 apart, shuffled: no ties, and the 1e-3 nudge below
        // cannot change which value is a bin's maximum.
        let mut values: Vec<f32> = (0..n * c * h * w).map(|i| i as f32 * 0.01 - 10.0).collect();
        rand::seq::SliceRandom::shuffle(values.as_mut_slice(), &mut rng);
        let x = Var::from_tensor(&Tensor::from_vec(values, (n, c, h, w), &Device::Cpu).unwrap()).unwrap();
        // Regions of every shape: larger and smaller than the grid, at edges, one outside.
        let rois: Vec<[f32; 5]> = vec![[0., 0., 0., 23., 17.], [1., 3.2, 4.7, 9.1, 8.0], [0., 20., 15., 23., 17.], [1., 5., 5., 6., 6.], [1., 40., 40., 50., 50.]];
        let r = Tensor::from_vec(rois.concat(), (rois.len(), 5), &Device::Cpu).unwrap();
        let pooled = roi_pool(x.as_tensor(), &r, 5).unwrap();
        assert_eq!(pooled.dims(), &[5, 3, 5, 5]);
        let win = RoiPool { out: 5 }.windows(&rois.concat(), rois.len(), (n, h, w)).unwrap();
        assert_eq!(win[1], Window { image: 1, x0: 3, y0: 4, x1: 10, y1: 8 });
        assert_eq!(win[4], Window { image: 1, x0: 22, y0: 16, x1: 23, y1: 17 });
        for (i, wdw) in win.iter().enumerate() {
            // candle's max pool is not adaptive; build the reference bin by bin from narrow + max.
            let crop = x.as_tensor().get(wdw.image).unwrap().narrow(1, wdw.y0, wdw.y1 - wdw.y0).unwrap().narrow(2, wdw.x0, wdw.x1 - wdw.x0).unwrap();
            let (rh, rw) = (wdw.y1 - wdw.y0, wdw.x1 - wdw.x0);
            for by in 0..5 {
                for bx in 0..5 {
                    let (ys, ye, xs, xe) = (by * rh / 5, ((by + 1) * rh).div_ceil(5), bx * rw / 5, ((bx + 1) * rw).div_ceil(5));
                    let want = crop.narrow(1, ys, ye - ys).unwrap().narrow(2, xs, xe - xs).unwrap().flatten_from(1).unwrap().max(1).unwrap();
                    let got = pooled.get(i).unwrap().narrow(1, by, 1).unwrap().narrow(2, bx, 1).unwrap().flatten_all().unwrap();
                    assert_eq!(got.to_vec1::<f32>().unwrap(), want.to_vec1::<f32>().unwrap(), "region {i} bin {by},{bx} seed {seed}");
                }
            }
        }
        // Gradient: every output's gradient lands on the input that was its value; summed.
        let probe = Tensor::rand(0f32, 1f32, pooled.shape(), &Device::Cpu).unwrap();
        let grads = (&pooled * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let dx = grads.get(&x).unwrap();
        let total_in: f32 = dx.sum_all().unwrap().to_scalar().unwrap();
        let total_out: f32 = probe.sum_all().unwrap().to_scalar().unwrap();
        assert!((total_in - total_out).abs() < 1e-3, "seed {seed}");
        // Moving a maximum's input a little changes the loss by its gradient times the move.
        let flat_dx: Vec<f32> = dx.flatten_all().unwrap().to_vec1().unwrap();
        let hot = flat_dx.iter().position(|&g| g > 0.0).unwrap();
        let probe_v: Vec<f32> = probe.flatten_all().unwrap().to_vec1().unwrap();
        // Summed in f64: the change is far below f32's resolution at the loss's size.
        let loss = |t: &Tensor| -> f64 {
            let y: Vec<f32> = roi_pool(t, &r, 5).unwrap().flatten_all().unwrap().to_vec1().unwrap();
            y.iter().zip(&probe_v).map(|(a, b)| *a as f64 * *b as f64).sum()
        };
        let mut bumped: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
        let step = (bumped[hot] + 1e-3) - bumped[hot];
        bumped[hot] += 1e-3;
        let delta = loss(&Tensor::from_vec(bumped, (n, c, h, w), &Device::Cpu).unwrap()) - loss(x.as_tensor());
        assert!((delta / step as f64 - flat_dx[hot] as f64).abs() < 1e-3, "seed {seed}: {} vs {}", delta / step as f64, flat_dx[hot]);
    }

    #[test]
    fn candle_ops_pool_and_backpropagate_like_the_custom_op() {
        // The path CUDA takes (and `OCELLUS_KERNELS=candle`): same values, same gradient.
        let (n, c, h, w) = (2, 3, 13, 19);
        let mut values: Vec<f32> = (0..n * c * h * w).map(|i| i as f32 * 0.01 - 5.0).collect();
        rand::seq::SliceRandom::shuffle(values.as_mut_slice(), &mut rand::rngs::StdRng::seed_from_u64(7));
        let x = Var::from_tensor(&Tensor::from_vec(values, (n, c, h, w), &Device::Cpu).unwrap()).unwrap();
        let rois: Vec<[f32; 5]> = vec![[0., 0., 0., 19., 13.], [1., 2.5, 3.7, 11.1, 9.0], [1., 17., 11., 19., 13.], [0., 4., 4., 5., 5.], [1., 30., 30., 40., 40.]];
        let r = Tensor::from_vec(rois.concat(), (rois.len(), 5), &Device::Cpu).unwrap();
        let probe = Tensor::rand(0f32, 1f32, (rois.len(), c, 4, 4), &Device::Cpu).unwrap();
        let run = |pool: &dyn Fn() -> Tensor| {
            let y = pool();
            let dx = (&y * &probe).unwrap().sum_all().unwrap().backward().unwrap().get(&x).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            (y.flatten_all().unwrap().to_vec1::<f32>().unwrap(), dx)
        };
        let ours = run(&|| roi_pool(x.as_tensor(), &r, 4).unwrap());
        let candle = run(&|| roi_pool_with_candle_ops(x.as_tensor(), &r, 4).unwrap());
        assert_eq!(ours.0, candle.0);
        for (i, (a, b)) in ours.1.iter().zip(&candle.1).enumerate() {
            assert!((a - b).abs() < 1e-5, "gradient {i}: {a} vs {b}");
        }
        let err = roi_pool_with_candle_ops(x.as_tensor(), &Tensor::new(&[[2f32, 0., 0., 2., 2.]], &Device::Cpu).unwrap(), 4).unwrap_err();
        assert!(err.to_string().contains("image 2 of a batch of 2"), "{err}");
    }

    #[test]
    fn a_region_of_a_missing_image_is_an_error() {
        let x = Tensor::zeros((1, 1, 4, 4), candle_core::DType::F32, &Device::Cpu).unwrap();
        let r = Tensor::new(&[[1f32, 0., 0., 2., 2.]], &Device::Cpu).unwrap();
        let err = roi_pool(&x, &r, 5).unwrap_err().to_string();
        assert!(err.contains("image 1 of a batch of 1"), "{err}");
    }
}
