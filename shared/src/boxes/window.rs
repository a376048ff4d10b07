//! A window of a photo resampled to a network's input: a rectangle of the source (it may reach
//! past the photo's edges, which read as mid-grey) scaled to `out` pixels by bilinear sampling.
//! The single-shot detector sees whole photos this way in the page and the trainer, and random
//! square crops this way in training, so both resample the same way.

use image::RgbImage;

use super::BoxXyxy;

/// The value of pixels outside the photo, in 0..1.
pub const FILL: f32 = 0.5;

/// A source rectangle mapped onto an output of `out` pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// Left and top of the rectangle, in source pixels (may be negative).
    pub origin: (f32, f32),
    /// Source pixels per output pixel, along x and y.
    pub step: (f32, f32),
    /// Output width and height.
    pub out: (u32, u32),
}

impl Window {
    /// The whole photo scaled so that its longer side is `side` pixels, the output padded right
    /// and bottom to a multiple of `multiple` (the network's largest stride).
    pub fn fit_long_side(source: (u32, u32), side: u32, multiple: u32) -> Window {
        let (w, h) = (source.0.max(1) as f32, source.1.max(1) as f32);
        let scale = side.max(1) as f32 / w.max(h);
        let m = multiple.max(1);
        let round_up = |v: f32| ((v * scale).round().max(1.0) as u32).div_ceil(m) * m;
        Window { origin: (0.0, 0.0), step: (1.0 / scale, 1.0 / scale), out: (round_up(w), round_up(h)) }
    }

    /// A square of `size` source pixels with its top-left corner at `origin`, scaled to `out`
    /// x `out` pixels.
    pub fn square(origin: (f32, f32), size: f32, out: u32) -> Window {
        let step = size / out.max(1) as f32;
        Window { origin, step: (step, step), out: (out, out) }
    }

    /// A source box in output pixels.
    pub fn to_output(&self, b: &BoxXyxy) -> BoxXyxy {
        let (ox, oy) = self.origin;
        let (sx, sy) = self.step;
        BoxXyxy { x0: (b.x0 - ox) / sx, y0: (b.y0 - oy) / sy, x1: (b.x1 - ox) / sx, y1: (b.y1 - oy) / sy }
    }

    /// An output box in source pixels, clipped to a `source`-sized photo; `None` when nothing
    /// of it is left.
    pub fn to_source(&self, b: &BoxXyxy, source: (u32, u32)) -> Option<BoxXyxy> {
        let (ox, oy) = self.origin;
        let (sx, sy) = self.step;
        let (w, h) = (source.0 as f32, source.1 as f32);
        let out = BoxXyxy {
            x0: (b.x0 * sx + ox).clamp(0.0, w),
            y0: (b.y0 * sy + oy).clamp(0.0, h),
            x1: (b.x1 * sx + ox).clamp(0.0, w),
            y1: (b.y1 * sy + oy).clamp(0.0, h),
        };
        (out.area() > 0.0).then_some(out)
    }

    /// The window's pixels as f32 in 0..1, channels first (3, out.1, out.0), bilinear.
    pub fn sample_chw(&self, img: &RgbImage) -> Vec<f32> {
        let (ow, oh) = (self.out.0 as usize, self.out.1 as usize);
        let (w, h) = (img.width() as i64, img.height() as i64);
        let raw = img.as_raw();
        let plane = ow * oh;
        let mut out = vec![FILL; 3 * plane];
        // Per-column source positions once: the left neighbour and its weight (None outside).
        let axis = |count: usize, origin: f32, step: f32, limit: i64| -> Vec<Option<(i64, i64, f32)>> {
            (0..count)
                .map(|i| {
                    let s = origin + (i as f32 + 0.5) * step - 0.5;
                    if s < -0.5 || s > limit as f32 - 0.5 {
                        return None;
                    }
                    let f = s.floor();
                    let a = (f as i64).clamp(0, limit - 1);
                    let b = (f as i64 + 1).clamp(0, limit - 1);
                    Some((a, b, s - f))
                })
                .collect()
        };
        let xs = axis(ow, self.origin.0, self.step.0, w);
        let ys = axis(oh, self.origin.1, self.step.1, h);
        let at = |x: i64, y: i64, c: usize| raw[((y * w + x) * 3) as usize + c] as f32;
        for (v, yv) in ys.iter().enumerate() {
            let Some((y0, y1, fy)) = *yv else { continue };
            for (u, xu) in xs.iter().enumerate() {
                let Some((x0, x1, fx)) = *xu else { continue };
                for c in 0..3 {
                    let top = at(x0, y0, c) * (1.0 - fx) + at(x1, y0, c) * fx;
                    let bottom = at(x0, y1, c) * (1.0 - fx) + at(x1, y1, c) * fx;
                    out[c * plane + v * ow + u] = (top * (1.0 - fy) + bottom * fy) / 255.0;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_long_side_fits_and_the_output_is_padded_to_the_stride() {
        let w = Window::fit_long_side((612, 408), 416, 32);
        assert_eq!(w.out, (416, 288));
        let portrait = Window::fit_long_side((408, 612), 416, 32);
        assert_eq!(portrait.out, (288, 416));
        assert_eq!(Window::fit_long_side((1, 1), 416, 32).out, (416, 416));
        // Boxes map out and back.
        let b = BoxXyxy { x0: 10.0, y0: 20.0, x1: 100.0, y1: 200.0 };
        let back = w.to_source(&w.to_output(&b), (612, 408)).unwrap();
        assert!((back.x0 - b.x0).abs() < 1e-3 && (back.y1 - b.y1).abs() < 1e-3, "{back:?}");
        // The padding is outside the photo.
        assert_eq!(w.to_source(&BoxXyxy { x0: 0.0, y0: 280.0, x1: 10.0, y1: 288.0 }, (612, 408)), None);
    }

    #[test]
    fn sampling_copies_at_scale_one_and_fills_outside() {
        let img = RgbImage::from_fn(4, 3, |x, y| image::Rgb([(x * 50) as u8, (y * 80) as u8, 7]));
        let same = Window { origin: (0.0, 0.0), step: (1.0, 1.0), out: (4, 3) }.sample_chw(&img);
        for y in 0..3 {
            for x in 0..4 {
                assert_eq!(same[y * 4 + x], (x * 50) as f32 / 255.0);
                assert_eq!(same[12 + y * 4 + x], (y * 80) as f32 / 255.0);
            }
        }
        // A window shifted two pixels left: the first two columns are outside the photo.
        let shifted = Window { origin: (-2.0, 0.0), step: (1.0, 1.0), out: (4, 3) }.sample_chw(&img);
        assert_eq!((shifted[0], shifted[1], shifted[2]), (FILL, FILL, 0.0));
        // Halving averages neighbours.
        let half = Window::square((0.0, 0.0), 2.0, 1).sample_chw(&img);
        assert!((half[0] - 25.0 / 255.0).abs() < 1e-6, "{half:?}");
    }
}
