//! Row-major single-precision matrix products on the `gemm` crate (the one candle uses), so
//! the convolution passes can name their operands' strides instead of copying transposes.

use gemm::{gemm, Parallelism};

/// A read-only matrix view: `rows x cols` with the given row and column strides.
#[derive(Clone, Copy)]
pub struct MatRef<'a> {
    /// The elements.
    pub data: &'a [f32],
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Distance between rows.
    pub row_stride: usize,
    /// Distance between columns.
    pub col_stride: usize,
}

impl<'a> MatRef<'a> {
    /// A contiguous row-major matrix.
    pub fn rows(data: &'a [f32], rows: usize, cols: usize) -> Self {
        MatRef { data, rows, cols, row_stride: cols, col_stride: 1 }
    }

    /// The transpose, as a view.
    pub fn t(self) -> Self {
        MatRef { data: self.data, rows: self.cols, cols: self.rows, row_stride: self.col_stride, col_stride: self.row_stride }
    }

    fn fits(&self) -> bool {
        self.rows == 0 || self.cols == 0 || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride < self.data.len()
    }
}

/// `dst = a * b` (or `dst += a * b` with `accumulate`), `dst` contiguous row-major, on
/// `threads` threads.
pub fn matmul(dst: &mut [f32], a: MatRef, b: MatRef, accumulate: bool, threads: usize) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "inner dimensions differ");
    assert_eq!(dst.len(), m * n, "destination size");
    assert!(a.fits() && b.fits(), "matrix view outside its data");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst.fill(0.0);
        }
        return;
    }
    // Below this many multiply-adds, handing work to another thread costs more than it saves
    // (a batch-1 captcha ResNet ran 3.6x slower on 2 threads than on 1 without it).
    const PARALLEL_FROM: usize = 1 << 24;
    let parallelism = if threads > 1 && m * n * k >= PARALLEL_FROM { Parallelism::Rayon(threads) } else { Parallelism::None };
    // SAFETY: every view was checked to lie inside its slice, and `dst` is exclusively borrowed
    // and exactly m x n.
    unsafe {
        gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_with_transposed_views_and_accumulation() {
        // a: 2x3, b: 3x2.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
        let mut d = [0f32; 4];
        matmul(&mut d, MatRef::rows(&a, 2, 3), MatRef::rows(&b, 3, 2), false, 1);
        assert_eq!(d, [58.0, 64.0, 139.0, 154.0]);
        matmul(&mut d, MatRef::rows(&a, 2, 3), MatRef::rows(&b, 3, 2), true, 2);
        assert_eq!(d, [116.0, 128.0, 278.0, 308.0]);
        // a^T (3x2) times a (2x3).
        let mut e = [0f32; 9];
        matmul(&mut e, MatRef::rows(&a, 2, 3).t(), MatRef::rows(&a, 2, 3), false, 1);
        assert_eq!(e, [17.0, 22.0, 27.0, 22.0, 29.0, 36.0, 27.0, 36.0, 45.0]);
    }
}
