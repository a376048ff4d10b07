//! The three passes of a convolution lowered to matrix products: forward `Y = W · cols(X)`,
//! input gradient `dX = col2im(Wᵀ · dY)`, weight gradient `dW = Σ dY · cols(X)ᵀ`. Images go
//! in chunks, side by side in one column matrix, so that the products stay wide when the
//! feature maps are small (a 4x4 map alone makes a 16-column product that no kernel runs
//! well); chunks are spread over threads, or the product itself is threaded when there are
//! fewer chunks than threads.

use rayon::prelude::*;

use super::geometry::ConvGeometry;
use super::lowering::Lowering;
use super::matmul::{matmul, MatRef};
use crate::ops::support::threads::threads;

/// Output pixels a chunk aims at: products narrower than this lose much of the kernel's speed.
const MIN_COLUMNS: usize = 256;

/// Images per chunk. When the chunks are spread over the threads, their count is rounded up
/// to a multiple of the threads so that no thread waits for another's extra chunk (ResNet's
/// 4x4 maps at batch 100 made 7 chunks of 16 images: 4 on one thread, 3 on the other).
fn chunk_images(g: &ConvGeometry, threads: usize) -> usize {
    let batch = g.batch.max(1);
    let chunk = MIN_COLUMNS.div_ceil(g.out_pixels().max(1)).clamp(1, batch);
    let chunks = batch.div_ceil(chunk);
    if threads > 1 && chunks >= threads && chunks % threads != 0 {
        batch.div_ceil(chunks.next_multiple_of(threads))
    } else {
        chunk
    }
}

/// Per-thread work space: the column matrix and a chunk-wide gradient or product.
#[derive(Default)]
struct Scratch {
    cols: Vec<f32>,
    wide: Vec<f32>,
}

fn sized(buf: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
    &mut buf[..len]
}

/// Runs `f(first image, images, output chunk, scratch, product threads)` for every chunk of
/// `per_out`-sized outputs, in parallel over chunks when there are enough of them.
fn per_chunk(out: &mut [f32], per_out: usize, g: &ConvGeometry, f: impl Fn(usize, usize, &mut [f32], &mut Scratch, usize) + Sync) {
    let threads = threads();
    let chunk = chunk_images(g, threads);
    let chunks = g.batch.div_ceil(chunk);
    let size = chunk * per_out.max(1);
    if threads > 1 && chunks >= threads {
        out.par_chunks_mut(size).enumerate().for_each_init(Scratch::default, |s, (i, o)| f(i * chunk, o.len() / per_out.max(1), o, s, 1));
    } else {
        let mut s = Scratch::default();
        for (i, o) in out.chunks_mut(size).enumerate() {
            f(i * chunk, o.len() / per_out.max(1), o, &mut s, threads);
        }
    }
}

/// The column matrix of images `first..first + images` of `x`, side by side: the image itself
/// for a single image under a pointwise convolution, else written into `buf`.
fn columns<'a>(g: &ConvGeometry, lowering: &Lowering, x: &'a [f32], first: usize, images: usize, buf: &'a mut Vec<f32>) -> MatRef<'a> {
    let (hw, width) = (g.out_pixels(), images * g.out_pixels());
    if images == 1 && g.is_pointwise() {
        return MatRef::rows(&x[first * g.in_image()..(first + 1) * g.in_image()], g.patch(), hw);
    }
    let cols = sized(buf, g.patch() * width);
    for i in 0..images {
        let n = first + i;
        lowering.im2col(&x[n * g.in_image()..(n + 1) * g.in_image()], &mut cols[i * hw..], width);
    }
    MatRef::rows(cols, g.patch(), width)
}

/// The output-shaped gradient of images `first..first + images` as one (cout, images * hw)
/// matrix: a view for a single image, else gathered into `buf`.
fn gradient<'a>(g: &ConvGeometry, dy: &'a [f32], first: usize, images: usize, buf: &'a mut Vec<f32>) -> MatRef<'a> {
    let (hw, width) = (g.out_pixels(), images * g.out_pixels());
    let chunk = &dy[first * g.out_image()..(first + images) * g.out_image()];
    if images == 1 {
        return MatRef::rows(chunk, g.cout, hw);
    }
    let wide = sized(buf, g.cout * width);
    for (i, image) in chunk.chunks_exact(g.out_image()).enumerate() {
        for (c, plane) in image.chunks_exact(hw).enumerate() {
            wide[c * width + i * hw..c * width + (i + 1) * hw].copy_from_slice(plane);
        }
    }
    MatRef::rows(wide, g.cout, width)
}

/// Forward: `x` is NCHW, `w` is (cout, cin, kh, kw); returns NCHW output.
pub fn forward(g: &ConvGeometry, x: &[f32], w: &[f32]) -> Vec<f32> {
    let mut y = crate::ops::support::zeroed::zeros(g.batch * g.out_image());
    let weights = MatRef::rows(w, g.cout, g.patch());
    let lowering = Lowering::of(g);
    per_chunk(&mut y, g.out_image(), g, |first, images, out, s, threads| {
        let cols = columns(g, &lowering, x, first, images, &mut s.cols);
        if images == 1 {
            matmul(out, weights, cols, false, threads);
            return;
        }
        let (hw, width) = (g.out_pixels(), images * g.out_pixels());
        let wide = sized(&mut s.wide, g.cout * width);
        matmul(wide, weights, cols, false, threads);
        for (i, image) in out.chunks_exact_mut(g.out_image()).enumerate() {
            for (c, plane) in image.chunks_exact_mut(hw).enumerate() {
                plane.copy_from_slice(&wide[c * width + i * hw..c * width + (i + 1) * hw]);
            }
        }
    });
    y
}

/// Input gradient: `dy` is the output's gradient (NCHW); returns the gradient of `x`.
pub fn input_grad(g: &ConvGeometry, dy: &[f32], w: &[f32]) -> Vec<f32> {
    let mut dx = crate::ops::support::zeroed::zeros(g.batch * g.in_image());
    let weights_t = MatRef::rows(w, g.cout, g.patch()).t();
    let lowering = Lowering::of(g);
    per_chunk(&mut dx, g.in_image(), g, |first, images, out, s, threads| {
        let grad = gradient(g, dy, first, images, &mut s.wide);
        if images == 1 && g.is_pointwise() {
            matmul(out, weights_t, grad, false, threads);
            return;
        }
        let (hw, width) = (g.out_pixels(), images * g.out_pixels());
        let cols = sized(&mut s.cols, g.patch() * width);
        matmul(cols, weights_t, grad, false, threads);
        for (i, image) in out.chunks_exact_mut(g.in_image()).enumerate() {
            lowering.col2im(&cols[i * hw..], image, width);
        }
    });
    dx
}

/// Output channels from which the weight gradient is taken transposed (a full row of the
/// product kernel's 16-lane registers).
const TRANSPOSED_FROM: usize = 16;

/// Weight gradient, summed over the batch: returns (cout, cin, kh, kw).
pub fn weight_grad(g: &ConvGeometry, x: &[f32], dy: &[f32]) -> Vec<f32> {
    let size = g.cout * g.patch();
    let threads = threads();
    let chunk = chunk_images(g, threads);
    let chunks = g.batch.div_ceil(chunk);
    // With enough output channels, the product is taken as dW^T = columns * dY^T: `gemm` then
    // reads the column matrix where it lies instead of packing a copy of it for every chunk.
    let transposed = g.cout >= TRANSPOSED_FROM;
    let lowering = Lowering::of(g);
    // Sum over chunks `range` into `acc`.
    let accumulate = |range: std::ops::Range<usize>, acc: &mut [f32], product_threads: usize| {
        let mut s = Scratch::default();
        for c in range {
            let (first, images) = (c * chunk, chunk.min(g.batch - c * chunk));
            let cols = columns(g, &lowering, x, first, images, &mut s.cols);
            let grad = gradient(g, dy, first, images, &mut s.wide);
            if transposed {
                matmul(acc, cols, grad.t(), true, product_threads);
            } else {
                matmul(acc, grad, cols.t(), true, product_threads);
            }
        }
    };
    let partials = if threads > 1 && chunks >= threads {
        let per = chunks.div_ceil(threads);
        (0..threads)
            .into_par_iter()
            .map(|t| {
                let mut acc = vec![0f32; size];
                accumulate(t * per..((t + 1) * per).min(chunks), &mut acc, 1);
                acc
            })
            .collect()
    } else {
        let mut acc = vec![0f32; size];
        accumulate(0..chunks, &mut acc, threads);
        vec![acc]
    };
    sum_partials(partials, g.cout, g.patch(), transposed)
}

/// Output channels per task of the final sum: a full row of 16-lane registers.
const SUM_CHANNELS: usize = 16;

/// The weight gradient (cout, patch) as the sum of per-thread partial sums, each (cout, patch),
/// or (patch, cout) when `transposed`: one pass on the threads, transposing as it adds.
fn sum_partials(mut partials: Vec<Vec<f32>>, cout: usize, patch: usize, transposed: bool) -> Vec<f32> {
    if partials.len() == 1 && !transposed {
        return partials.pop().expect("one partial sum");
    }
    let mut dw = vec![0f32; cout * patch];
    let add_block = |b: usize, rows: &mut [f32]| {
        let first = b * SUM_CHANNELS;
        let channels = rows.len() / patch;
        for part in &partials {
            if transposed {
                for (p, column) in part.chunks_exact(cout).enumerate() {
                    for (c, &v) in column[first..first + channels].iter().enumerate() {
                        rows[c * patch + p] += v;
                    }
                }
            } else {
                rows.iter_mut().zip(&part[first * patch..(first + channels) * patch]).for_each(|(d, v)| *d += v);
            }
        }
    };
    if partials.len() > 1 || (transposed && threads() > 1) {
        dw.par_chunks_mut(SUM_CHANNELS * patch).enumerate().for_each(|(b, rows)| add_block(b, rows));
    } else {
        dw.chunks_mut(SUM_CHANNELS * patch).enumerate().for_each(|(b, rows)| add_block(b, rows));
    }
    dw
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(batch: usize, side: usize) -> ConvGeometry {
        ConvGeometry { batch, cin: 8, h: side, w: side, cout: 8, kh: 3, kw: 3, stride: 1, pad: 1 }
    }

    #[test]
    fn partial_sums_add_up_and_transpose() {
        // 18 channels: a block of 16 and one of 2; patch 5; three partials, (patch, cout).
        let (cout, patch) = (18, 5);
        let partials: Vec<Vec<f32>> = (0..3).map(|t| (0..cout * patch).map(|i| (i * 7 + t * 100) as f32).collect()).collect();
        let dw = sum_partials(partials.clone(), cout, patch, true);
        for c in 0..cout {
            for p in 0..patch {
                let want: f32 = partials.iter().map(|part| part[p * cout + c]).sum();
                assert_eq!(dw[c * patch + p], want, "channel {c} tap {p}");
            }
        }
        // Not transposed: a plain sum, and one partial comes back as it is.
        let plain = sum_partials(partials.clone(), cout, patch, false);
        assert!(plain.iter().enumerate().all(|(i, &v)| v == partials.iter().map(|p| p[i]).sum::<f32>()));
        assert_eq!(sum_partials(vec![partials[1].clone()], cout, patch, false), partials[1]);
    }

    #[test]
    fn chunks_split_evenly_over_the_threads() {
        // 4x4 maps: 16 images a chunk alone, 7 chunks; on 2 threads 8 chunks of at most 13.
        let g = geometry(100, 4);
        assert_eq!(chunk_images(&g, 1), 16);
        assert_eq!(chunk_images(&g, 2), 13);
        assert_eq!(100usize.div_ceil(chunk_images(&g, 2)) % 2, 0);
        // Already even, or fewer chunks than threads: unchanged.
        assert_eq!(chunk_images(&geometry(100, 32), 2), 1);
        assert_eq!(chunk_images(&geometry(3, 4), 4), 3);
    }
}
