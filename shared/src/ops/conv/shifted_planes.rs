//! The lowering of a "same" convolution (stride 1, output the input's size: a 3x3 kernel with
//! padding 1) by shifted planes. Each row of its column matrix, one kernel tap of one input
//! channel, is the whole input plane shifted by the tap's offset, with zeros where the shift
//! leaves the image; so a row is one contiguous copy with the edge columns masked, instead of
//! one short copy per output row. On ResNet's 4x4 and 8x8 maps the per-row walk spent more
//! time on its loop than on the copies.

use std::ops::Range;

use super::geometry::ConvGeometry;

/// The per-tap ranges and the edge masks of one geometry.
pub struct ShiftedPlanes {
    /// Per tap (i, j), row-major: the row's indices whose source lies inside the plane, and
    /// the source's offset from the index.
    taps: Vec<(Range<usize>, isize)>,
    /// Per kernel column j: whether output pixel k's source column is inside the image.
    inside: Vec<Vec<bool>>,
    /// Kernel width (taps per kernel row).
    kw: usize,
    /// Pixels per plane.
    plane: usize,
}

impl ShiftedPlanes {
    /// The shifted-plane form of `g`, if its output has its input's size at stride 1.
    pub fn of(g: &ConvGeometry) -> Option<Self> {
        if g.stride != 1 || g.kh != 2 * g.pad + 1 || g.kw != 2 * g.pad + 1 || g.h == 0 || g.w == 0 {
            return None;
        }
        let (h, w, p) = (g.h as isize, g.w as isize, g.pad as isize);
        let plane = g.h * g.w;
        let mut taps = Vec::with_capacity(g.kh * g.kw);
        for i in 0..g.kh as isize {
            for j in 0..g.kw as isize {
                let (dy, dx) = (i - p, j - p);
                let offset = dy * w + dx;
                // Output rows whose source row is inside; then indices whose source is in the plane
                // (the masked edge columns of the first and last rows may fall outside it).
                let (top, bottom) = ((-dy).max(0), (h - dy).min(h));
                let lo = (top * w).max(-offset);
                let hi = (bottom * w).min(h * w - offset);
                // A tap that misses the image altogether (a kernel wider than it) reads nothing.
                taps.push(if hi > lo { (lo as usize..hi as usize, offset) } else { (0..0, 0) });
            }
        }
        let inside = (0..g.kw as isize).map(|j| (0..plane as isize).map(|k| (0..w).contains(&(k % w + j - p))).collect()).collect();
        Some(ShiftedPlanes { taps, inside, kw: g.kw, plane })
    }

    /// Writes the column matrix of one image (`channels` planes) into `col`, rows `ld` apart.
    pub fn im2col(&self, image: &[f32], col: &mut [f32], ld: usize) {
        let taps = self.taps.len();
        for (c, plane) in image.chunks_exact(self.plane).enumerate() {
            for (t, (range, offset)) in self.taps.iter().enumerate() {
                let row = &mut col[(c * taps + t) * ld..(c * taps + t) * ld + self.plane];
                let src = &plane[(range.start as isize + offset) as usize..(range.end as isize + offset) as usize];
                let inside = &self.inside[t % self.kw][range.clone()];
                row[..range.start].fill(0.0);
                for ((d, &s), &m) in row[range.clone()].iter_mut().zip(src).zip(inside) {
                    *d = if m { s } else { 0.0 };
                }
                row[range.end..].fill(0.0);
            }
        }
    }

    /// Adds the column matrix `col` (rows `ld` apart) back into one image's gradient.
    pub fn col2im(&self, col: &[f32], image: &mut [f32], ld: usize) {
        let taps = self.taps.len();
        for (c, plane) in image.chunks_exact_mut(self.plane).enumerate() {
            for (t, (range, offset)) in self.taps.iter().enumerate() {
                let row = &col[(c * taps + t) * ld + range.start..(c * taps + t) * ld + range.end];
                let dst = &mut plane[(range.start as isize + offset) as usize..(range.end as isize + offset) as usize];
                let inside = &self.inside[t % self.kw][range.clone()];
                for ((d, &v), &m) in dst.iter_mut().zip(row).zip(inside) {
                    *d += if m { v } else { 0.0 };
                }
            }
        }
    }
}
