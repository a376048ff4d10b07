//! The shape of one 2-D convolution, and the lowering of an image to columns (im2col) and
//! back (col2im) that turns it into matrix products.

/// Sizes of a square-stride, symmetric-padding, dilation-1, one-group convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    /// Images in the batch.
    pub batch: usize,
    /// Input channels.
    pub cin: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output channels.
    pub cout: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Stride, both directions.
    pub stride: usize,
    /// Zero padding, every side.
    pub pad: usize,
}

impl ConvGeometry {
    /// Output height.
    pub fn out_h(&self) -> usize {
        (self.h + 2 * self.pad - self.kh) / self.stride + 1
    }

    /// Output width.
    pub fn out_w(&self) -> usize {
        (self.w + 2 * self.pad - self.kw) / self.stride + 1
    }

    /// Rows of the column matrix: one per (input channel, kernel row, kernel column).
    pub fn patch(&self) -> usize {
        self.cin * self.kh * self.kw
    }

    /// Output pixels per channel, the column matrix's width.
    pub fn out_pixels(&self) -> usize {
        self.out_h() * self.out_w()
    }

    /// Input values per image.
    pub fn in_image(&self) -> usize {
        self.cin * self.h * self.w
    }

    /// Output values per image.
    pub fn out_image(&self) -> usize {
        self.cout * self.out_pixels()
    }

    /// True when the column matrix is the image itself (1x1, stride 1, no padding), so the
    /// lowering can be skipped.
    pub fn is_pointwise(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.stride == 1 && self.pad == 0
    }

    /// The output columns `ox` whose input column `ox * stride + j - pad` is inside the image.
    fn valid_columns(&self, j: usize) -> std::ops::Range<usize> {
        let (s, p, ow) = (self.stride, self.pad, self.out_w());
        let lo = if j >= p { 0 } else { (p - j).div_ceil(s) }.min(ow);
        // ox * s + j - p <= w - 1  <=>  ox <= (w - 1 + p - j) / s
        let hi = if self.w + p > j { ((self.w - 1 + p - j) / s + 1).min(ow) } else { 0 };
        lo..hi.max(lo)
    }

    /// Calls `f` for each stretch of one column-matrix row within one output row, in order;
    /// rows of the column matrix are `ld` apart.
    fn walk(&self, ld: usize, mut f: impl FnMut(Stretch)) {
        let (oh, ow, s, p) = (self.out_h(), self.out_w(), self.stride, self.pad);
        for c in 0..self.cin {
            for i in 0..self.kh {
                for j in 0..self.kw {
                    let row = ((c * self.kh + i) * self.kw + j) * ld;
                    let cols = self.valid_columns(j);
                    for oy in 0..oh {
                        let out = row + oy * ow;
                        let iy = (oy * s + i) as isize - p as isize;
                        if iy < 0 || iy >= self.h as isize || cols.is_empty() {
                            f(Stretch::Padding(out..out + ow));
                            continue;
                        }
                        f(Stretch::Padding(out..out + cols.start));
                        // Input offset of output column ox is first + ox * s.
                        let first = (c * self.h + iy as usize) * self.w + j + cols.start * s - p;
                        f(Stretch::Image { col: out + cols.start..out + cols.end, first, step: s });
                        f(Stretch::Padding(out + cols.end..out + ow));
                    }
                }
            }
        }
    }

    /// Writes the column matrix (`patch() x out_pixels()`) of one image into `col`, whose
    /// rows are `ld` apart (`ld` > `out_pixels()` leaves room for other images' columns).
    pub fn im2col(&self, image: &[f32], col: &mut [f32], ld: usize) {
        debug_assert_eq!(image.len(), self.in_image());
        debug_assert!(ld >= self.out_pixels() && col.len() >= (self.patch() - 1) * ld + self.out_pixels());
        self.walk(ld, |stretch| match stretch {
            Stretch::Padding(range) => col[range].fill(0.0),
            Stretch::Image { col: range, first, step: 1 } => {
                let n = range.len();
                col[range].copy_from_slice(&image[first..first + n]);
            }
            Stretch::Image { col: range, first, step } => {
                for (k, d) in col[range].iter_mut().enumerate() {
                    *d = image[first + k * step];
                }
            }
        });
    }

    /// Adds the column matrix `col` (rows `ld` apart) back into one image's gradient (the
    /// adjoint of `im2col`).
    pub fn col2im(&self, col: &[f32], image: &mut [f32], ld: usize) {
        debug_assert_eq!(image.len(), self.in_image());
        debug_assert!(ld >= self.out_pixels() && col.len() >= (self.patch() - 1) * ld + self.out_pixels());
        self.walk(ld, |stretch| match stretch {
            Stretch::Padding(_) => {}
            Stretch::Image { col: range, first, step: 1 } => {
                let n = range.len();
                for (d, v) in image[first..first + n].iter_mut().zip(&col[range]) {
                    *d += v;
                }
            }
            Stretch::Image { col: range, first, step } => {
                for (k, v) in col[range].iter().enumerate() {
                    image[first + k * step] += v;
                }
            }
        });
    }
}

/// A run of one column-matrix row: reading padding, or reading the image every `step` values
/// from offset `first`.
enum Stretch {
    Padding(std::ops::Range<usize>),
    Image { col: std::ops::Range<usize>, first: usize, step: usize },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(cin: usize, h: usize, w: usize, k: usize, stride: usize, pad: usize) -> ConvGeometry {
        ConvGeometry { batch: 1, cin, h, w, cout: 1, kh: k, kw: k, stride, pad }
    }

    /// The column matrix by definition, one element at a time.
    fn naive_im2col(g: &ConvGeometry, image: &[f32]) -> Vec<f32> {
        let mut col = Vec::new();
        for c in 0..g.cin {
            for i in 0..g.kh {
                for j in 0..g.kw {
                    for oy in 0..g.out_h() {
                        for ox in 0..g.out_w() {
                            let (iy, ix) = ((oy * g.stride + i) as isize - g.pad as isize, (ox * g.stride + j) as isize - g.pad as isize);
                            let inside = iy >= 0 && ix >= 0 && iy < g.h as isize && ix < g.w as isize;
                            col.push(if inside { image[(c * g.h + iy as usize) * g.w + ix as usize] } else { 0.0 });
                        }
                    }
                }
            }
        }
        col
    }

    #[test]
    fn im2col_matches_the_definition_and_col2im_is_its_adjoint() {
        for (cin, h, w, k, stride, pad) in [(1, 5, 5, 3, 1, 1), (2, 7, 4, 3, 2, 1), (3, 6, 9, 5, 1, 2), (2, 5, 6, 1, 2, 0), (1, 3, 3, 5, 1, 2), (2, 8, 8, 3, 3, 0), (1, 1, 1, 3, 1, 1)] {
            let g = geometry(cin, h, w, k, stride, pad);
            let image: Vec<f32> = (0..g.in_image()).map(|i| (i as f32 * 0.37).sin()).collect();
            let mut col = vec![f32::NAN; g.patch() * g.out_pixels()];
            g.im2col(&image, &mut col, g.out_pixels());
            assert_eq!(col, naive_im2col(&g, &image), "{g:?}");
            // With room for a second image's columns on the right of each row.
            let ld = g.out_pixels() * 2 + 1;
            let mut wide = vec![f32::NAN; g.patch() * ld];
            g.im2col(&image, &mut wide, ld);
            let left: Vec<f32> = wide.chunks(ld).flat_map(|row| row[..g.out_pixels()].to_vec()).collect();
            assert_eq!(left, col, "{g:?} with ld {ld}");
            // <im2col(x), y> == <x, col2im(y)> for any y.
            let y: Vec<f32> = (0..col.len()).map(|i| (i as f32 * 0.11).cos()).collect();
            let mut back = vec![0f32; g.in_image()];
            g.col2im(&y, &mut back, g.out_pixels());
            let lhs: f64 = col.iter().zip(&y).map(|(a, b)| (a * b) as f64).sum();
            let rhs: f64 = image.iter().zip(&back).map(|(a, b)| (a * b) as f64).sum();
            assert!((lhs - rhs).abs() < 1e-3, "{g:?}: {lhs} vs {rhs}");
        }
    }
}
