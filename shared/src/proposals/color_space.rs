//! The colour spaces selective search segments in, with OpenCV's 8-bit scales (hue 0..180,
//! everything else 0..255) so that its k values mean the same here.

use image::RgbImage;

/// A colour space of the diversification strategies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorSpace {
    /// Hue, saturation, value.
    Hsv,
    /// CIE L*a*b*.
    Lab,
    /// Grey (intensity) in all three channels.
    Intensity,
    /// Hue alone, in all three channels.
    Hue,
    /// Normalised r, g and intensity.
    RgI,
}

/// A three-channel f32 image, channels interleaved.
#[derive(Clone, Debug)]
pub struct Planes {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height * 3` values.
    pub data: Vec<f32>,
}

impl Planes {
    /// The three values of pixel (x, y).
    pub fn at(&self, x: usize, y: usize) -> [f32; 3] {
        let i = (y * self.width + x) * 3;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }
}

fn hsv(r: f32, g: f32, b: f32) -> [f32; 3] {
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let d = max - min;
    let h = if d == 0.0 {
        0.0
    } else if max == r {
        60.0 * ((g - b) / d).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / d + 2.0)
    } else {
        60.0 * ((r - g) / d + 4.0)
    };
    let s = if max == 0.0 { 0.0 } else { d / max };
    [h / 2.0, s * 255.0, max * 255.0]
}

fn lab(r: f32, g: f32, b: f32) -> [f32; 3] {
    let lin = |c: f32| if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) };
    let (r, g, b) = (lin(r), lin(g), lin(b));
    let x = (0.412_453 * r + 0.357_580 * g + 0.180_423 * b) / 0.950_456;
    let y = 0.212_671 * r + 0.715_160 * g + 0.072_169 * b;
    let z = (0.019_334 * r + 0.119_193 * g + 0.950_227 * b) / 1.088_754;
    let f = |t: f32| if t > 0.008_856 { t.cbrt() } else { 7.787 * t + 16.0 / 116.0 };
    let l = if y > 0.008_856 { 116.0 * y.cbrt() - 16.0 } else { 903.3 * y };
    let (a, bb) = (500.0 * (f(x) - f(y)), 200.0 * (f(y) - f(z)));
    [l * 255.0 / 100.0, a + 128.0, bb + 128.0]
}

/// Converts an RGB image to `space`.
pub fn convert(img: &RgbImage, space: ColorSpace) -> Planes {
    let (width, height) = (img.width() as usize, img.height() as usize);
    let mut data = Vec::with_capacity(width * height * 3);
    for p in img.pixels() {
        let [r, g, b] = p.0.map(|v| v as f32 / 255.0);
        let v = match space {
            ColorSpace::Hsv => hsv(r, g, b),
            ColorSpace::Lab => lab(r, g, b),
            ColorSpace::Intensity => [(r + g + b) / 3.0 * 255.0; 3],
            ColorSpace::Hue => [hsv(r, g, b)[0]; 3],
            ColorSpace::RgI => {
                let sum = (r + g + b).max(1e-6);
                [r / sum * 255.0, g / sum * 255.0, (r + g + b) / 3.0 * 255.0]
            }
        };
        // OpenCV's conversions write 8-bit images: rounded and saturated.
        data.extend(v.map(|c| c.round().clamp(0.0, 255.0)));
    }
    Planes { width, height, data }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primaries_land_where_opencv_puts_them() {
        let img = RgbImage::from_fn(3, 1, |x, _| image::Rgb([[255, 0, 0], [0, 255, 0], [255, 255, 255]][x as usize]));
        let h = convert(&img, ColorSpace::Hsv);
        assert_eq!(h.at(0, 0), [0.0, 255.0, 255.0]);
        assert_eq!(h.at(1, 0), [60.0, 255.0, 255.0]);
        let l = convert(&img, ColorSpace::Lab);
        let white = l.at(2, 0);
        assert!((white[0] - 255.0).abs() < 0.5 && (white[1] - 128.0).abs() < 0.5 && (white[2] - 128.0).abs() < 0.5, "{white:?}");
        let red = l.at(0, 0);
        assert!((red[0] - 136.0).abs() < 2.0 && red[1] > 200.0, "{red:?}");
    }
}
