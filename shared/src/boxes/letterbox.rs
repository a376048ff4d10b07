//! Letterboxing (SPEC.md section 9): the image is padded with black, centred, to the target's
//! aspect ratio, then resized to the target size, so shapes are not distorted; boxes map into
//! that space and back out.

use image::{imageops, Rgb, RgbImage};

use super::BoxXyxy;

/// How one image sits in the letterboxed target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Letterbox {
    /// Source width and height.
    pub source: (u32, u32),
    /// Target width and height.
    pub target: (u32, u32),
    /// Black added left and top of the source, in source pixels.
    pub pad: (f32, f32),
    /// Target pixels per source pixel.
    pub scale: f32,
}

impl Letterbox {
    /// The letterbox for a `source`-sized image in a `target`-sized one.
    pub fn new(source: (u32, u32), target: (u32, u32)) -> Letterbox {
        let (w, h) = (source.0.max(1) as f32, source.1.max(1) as f32);
        let (tw, th) = (target.0.max(1) as f32, target.1.max(1) as f32);
        // The padded canvas: the source's larger relative side, the other stretched to fit.
        let (cw, ch) = if w / h > tw / th { (w, w * th / tw) } else { (h * tw / th, h) };
        Letterbox { source, target, pad: ((cw - w) / 2.0, (ch - h) / 2.0), scale: tw / cw }
    }

    /// A source box in target pixels.
    pub fn to_target(&self, b: &BoxXyxy) -> BoxXyxy {
        let (px, py, s) = (self.pad.0, self.pad.1, self.scale);
        BoxXyxy { x0: (b.x0 + px) * s, y0: (b.y0 + py) * s, x1: (b.x1 + px) * s, y1: (b.y1 + py) * s }
    }

    /// A target box in source pixels, clipped to the source image; `None` when nothing of it
    /// is left (it lay in the padding).
    pub fn to_source(&self, b: &BoxXyxy) -> Option<BoxXyxy> {
        let (px, py, s) = (self.pad.0, self.pad.1, self.scale);
        let (w, h) = (self.source.0 as f32, self.source.1 as f32);
        let out = BoxXyxy {
            x0: (b.x0 / s - px).clamp(0.0, w),
            y0: (b.y0 / s - py).clamp(0.0, h),
            x1: (b.x1 / s - px).clamp(0.0, w),
            y1: (b.y1 / s - py).clamp(0.0, h),
        };
        (out.area() > 0.0).then_some(out)
    }

    /// The letterboxed image.
    pub fn apply(&self, img: &RgbImage) -> RgbImage {
        let (w, h) = img.dimensions();
        let (cw, ch) = (((w as f32 + 2.0 * self.pad.0).round() as u32).max(1), ((h as f32 + 2.0 * self.pad.1).round() as u32).max(1));
        let mut canvas = RgbImage::from_pixel(cw, ch, Rgb([0, 0, 0]));
        imageops::overlay(&mut canvas, img, self.pad.0.floor() as i64, self.pad.1.floor() as i64);
        imageops::resize(&canvas, self.target.0, self.target.1, imageops::FilterType::Triangle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_wide_image_is_padded_top_and_bottom() {
        let lb = Letterbox::new((400, 200), (256, 256));
        assert_eq!(lb.pad, (0.0, 100.0));
        assert_eq!(lb.scale, 256.0 / 400.0);
        let whole = lb.to_target(&BoxXyxy { x0: 0.0, y0: 0.0, x1: 400.0, y1: 200.0 });
        assert_eq!(whole, BoxXyxy { x0: 0.0, y0: 64.0, x1: 256.0, y1: 192.0 });
        // A box in the black band maps back to nothing.
        assert_eq!(lb.to_source(&BoxXyxy { x0: 10.0, y0: 0.0, x1: 50.0, y1: 60.0 }), None);
        let img = lb.apply(&RgbImage::from_pixel(400, 200, Rgb([255, 255, 255])));
        assert_eq!(img.dimensions(), (256, 256));
        assert_eq!(img.get_pixel(128, 10).0, [0, 0, 0]);
        assert_eq!(img.get_pixel(128, 128).0, [255, 255, 255]);
    }

    proptest! {
        #[test]
        fn boxes_inside_the_image_round_trip(w in 1u32..2000, h in 1u32..2000, tw in 16u32..512, th in 16u32..512,
                                             fx in 0f32..1.0, fy in 0f32..1.0, fw in 0.01f32..1.0, fh in 0.01f32..1.0) {
            let lb = Letterbox::new((w, h), (tw, th));
            let (x0, y0) = (fx * w as f32, fy * h as f32);
            let b = BoxXyxy { x0, y0, x1: x0 + fw * (w as f32 - x0), y1: y0 + fh * (h as f32 - y0) };
            prop_assume!(b.area() > 1e-3);
            let t = lb.to_target(&b);
            prop_assert!(t.x0 >= -1e-3 && t.y0 >= -1e-3 && t.x1 <= tw as f32 + 1e-2 && t.y1 <= th as f32 + 1e-2, "{t:?}");
            let back = lb.to_source(&t).unwrap();
            for (a, c) in [(back.x0, b.x0), (back.y0, b.y0), (back.x1, b.x1), (back.y1, b.y1)] {
                prop_assert!((a - c).abs() < 1e-2 * (1.0 + w.max(h) as f32 / 100.0), "{back:?} vs {b:?}");
            }
        }
    }
}
