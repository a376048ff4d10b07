//! The three passes of a convolution lowered to matrix products, per image: forward
//! `Y = W · cols(X)`, input gradient `dX = col2im(Wᵀ · dY)`, weight gradient
//! `dW = Σ dY · cols(X)ᵀ`. Images are spread over threads when the batch is large enough;
//! otherwise the matrix product itself is threaded.

use rayon::prelude::*;

use super::geometry::ConvGeometry;
use super::matmul::{matmul, MatRef};

/// Threads the passes may use: rayon's (RAYON_NUM_THREADS, else the cores) natively, one in
/// the browser, where the worker has no thread pool.
pub fn threads() -> usize {
    if cfg!(target_arch = "wasm32") {
        1
    } else {
        candle_core::utils::get_num_threads()
    }
}

/// Runs `f(image index, output slice, scratch)` for every image, in parallel over images when
/// there are at least as many images as threads; returns the threads each call's matrix
/// product should use.
fn per_image(out: &mut [f32], per_out: usize, scratch: usize, f: impl Fn(usize, &mut [f32], &mut Vec<f32>, usize) + Sync) {
    let threads = threads();
    let images = out.len() / per_out.max(1);
    if threads > 1 && images >= threads {
        out.par_chunks_mut(per_out).enumerate().for_each_init(|| vec![0f32; scratch], |buf, (n, o)| f(n, o, buf, 1));
    } else {
        let mut buf = vec![0f32; scratch];
        for (n, o) in out.chunks_mut(per_out.max(1)).enumerate() {
            f(n, o, &mut buf, threads);
        }
    }
}

/// The column matrix of image `n` of `x`: the image itself for a pointwise convolution, else
/// written into `buf`.
fn columns<'a>(g: &ConvGeometry, x: &'a [f32], n: usize, buf: &'a mut [f32]) -> MatRef<'a> {
    let image = &x[n * g.in_image()..(n + 1) * g.in_image()];
    if g.is_pointwise() {
        MatRef::rows(image, g.patch(), g.out_pixels())
    } else {
        g.im2col(image, buf);
        MatRef::rows(buf, g.patch(), g.out_pixels())
    }
}

fn scratch(g: &ConvGeometry) -> usize {
    if g.is_pointwise() {
        0
    } else {
        g.patch() * g.out_pixels()
    }
}

/// Forward: `x` is NCHW, `w` is (cout, cin, kh, kw); returns NCHW output.
pub fn forward(g: &ConvGeometry, x: &[f32], w: &[f32]) -> Vec<f32> {
    let mut y = vec![0f32; g.batch * g.out_image()];
    let weights = MatRef::rows(w, g.cout, g.patch());
    per_image(&mut y, g.out_image(), scratch(g), |n, out, buf, threads| {
        let cols = columns(g, x, n, buf);
        matmul(out, weights, cols, false, threads);
    });
    y
}

/// Input gradient: `dy` is the output's gradient (NCHW); returns the gradient of `x`.
pub fn input_grad(g: &ConvGeometry, dy: &[f32], w: &[f32]) -> Vec<f32> {
    let mut dx = vec![0f32; g.batch * g.in_image()];
    let weights_t = MatRef::rows(w, g.cout, g.patch()).t();
    let pointwise = g.is_pointwise();
    per_image(&mut dx, g.in_image(), g.patch() * g.out_pixels() * (!pointwise) as usize, |n, image, buf, threads| {
        let grad = MatRef::rows(&dy[n * g.out_image()..(n + 1) * g.out_image()], g.cout, g.out_pixels());
        if pointwise {
            matmul(image, weights_t, grad, false, threads);
        } else {
            matmul(buf, weights_t, grad, false, threads);
            g.col2im(buf, image);
        }
    });
    dx
}

/// Weight gradient, summed over the batch: returns (cout, cin, kh, kw).
pub fn weight_grad(g: &ConvGeometry, x: &[f32], dy: &[f32]) -> Vec<f32> {
    let size = g.cout * g.patch();
    let threads = threads();
    // Sum over the images of `range` into `acc`.
    let accumulate = |range: std::ops::Range<usize>, acc: &mut Vec<f32>, gemm_threads: usize| {
        let mut buf = vec![0f32; scratch(g)];
        for n in range {
            let cols = columns(g, x, n, &mut buf);
            let grad = MatRef::rows(&dy[n * g.out_image()..(n + 1) * g.out_image()], g.cout, g.out_pixels());
            matmul(acc, grad, cols.t(), true, gemm_threads);
        }
    };
    if threads > 1 && g.batch >= threads {
        let per = g.batch.div_ceil(threads);
        (0..threads)
            .into_par_iter()
            .map(|t| {
                let mut acc = vec![0f32; size];
                accumulate(t * per..((t + 1) * per).min(g.batch), &mut acc, 1);
                acc
            })
            .reduce_with(|mut a, b| {
                a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
                a
            })
            .unwrap_or_else(|| vec![0f32; size])
    } else {
        let mut acc = vec![0f32; size];
        accumulate(0..g.batch, &mut acc, threads);
        acc
    }
}
