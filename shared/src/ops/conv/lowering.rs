//! How one convolution turns images into columns and back: by shifted planes when it keeps
//! the image's size at stride 1, else by the general walk of [`ConvGeometry`].

use super::geometry::ConvGeometry;
use super::shifted_planes::ShiftedPlanes;

/// The lowering chosen for one geometry, built once per pass.
pub struct Lowering<'a> {
    geometry: &'a ConvGeometry,
    shifted: Option<ShiftedPlanes>,
}

impl<'a> Lowering<'a> {
    /// The fastest lowering that fits `g`.
    pub fn of(geometry: &'a ConvGeometry) -> Self {
        Lowering { geometry, shifted: ShiftedPlanes::of(geometry) }
    }

    /// Writes one image's column matrix into `col`, rows `ld` apart.
    pub fn im2col(&self, image: &[f32], col: &mut [f32], ld: usize) {
        match &self.shifted {
            Some(s) => s.im2col(image, col, ld),
            None => self.geometry.im2col(image, col, ld),
        }
    }

    /// Adds the column matrix `col` (rows `ld` apart) into one image's gradient.
    pub fn col2im(&self, col: &[f32], image: &mut [f32], ld: usize) {
        match &self.shifted {
            Some(s) => s.col2im(col, image, ld),
            None => self.geometry.col2im(col, image, ld),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both lowerings give the same columns, and the same gradient back, on "same" shapes
    /// (including kernels wider than the image) and on shapes only the walk handles.
    #[test]
    fn shifted_planes_agree_with_the_walk() {
        for (cin, h, w, k, stride, pad) in
            [(2, 4, 4, 3, 1, 1), (3, 7, 5, 3, 1, 1), (1, 3, 3, 5, 1, 2), (2, 1, 1, 3, 1, 1), (1, 2, 6, 5, 1, 2), (2, 5, 5, 3, 2, 1), (1, 6, 6, 5, 1, 0)]
        {
            let g = ConvGeometry { batch: 1, cin, h, w, cout: 1, kh: k, kw: k, stride, pad };
            let lowering = Lowering::of(&g);
            assert_eq!(lowering.shifted.is_some(), stride == 1 && k == 2 * pad + 1, "{g:?}");
            let image: Vec<f32> = (0..g.in_image()).map(|i| (i as f32 * 0.37).sin()).collect();
            let ld = g.out_pixels() + 3;
            let (mut ours, mut walk) = (vec![f32::NAN; g.patch() * ld], vec![f32::NAN; g.patch() * ld]);
            lowering.im2col(&image, &mut ours, ld);
            g.im2col(&image, &mut walk, ld);
            let used = |m: &[f32]| -> Vec<f32> { m.chunks(ld).flat_map(|r| r[..g.out_pixels()].to_vec()).collect() };
            assert_eq!(used(&ours), used(&walk), "{g:?}");
            let cols: Vec<f32> = (0..g.patch() * ld).map(|i| (i as f32 * 0.11).cos()).collect();
            let (mut back_ours, mut back_walk) = (vec![0.5f32; g.in_image()], vec![0.5f32; g.in_image()]);
            lowering.col2im(&cols, &mut back_ours, ld);
            g.col2im(&cols, &mut back_walk, ld);
            for (a, b) in back_ours.iter().zip(&back_walk) {
                assert!((a - b).abs() < 1e-5, "{g:?}: {a} vs {b}");
            }
        }
    }
}
