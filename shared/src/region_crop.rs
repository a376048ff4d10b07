//! RCNN's input: each proposed region cut out of the image and resized to the classifier's
//! input size, the same way for training crops and for detection.

use image::RgbImage;

use crate::boxes::BoxXyxy;
use crate::image_input::{resize, rgb_to_chw};
use crate::InputSize;

/// The pixels of `region` in `image` (outward to whole pixels, clipped, at least 1x1),
/// resized to `size`.
pub fn crop(image: &RgbImage, region: &BoxXyxy, size: InputSize) -> RgbImage {
    let (w, h) = image.dimensions();
    let x0 = (region.x0.floor().max(0.0) as u32).min(w - 1);
    let y0 = (region.y0.floor().max(0.0) as u32).min(h - 1);
    let x1 = (region.x1.ceil() as u32).clamp(x0 + 1, w);
    let y1 = (region.y1.ceil() as u32).clamp(y0 + 1, h);
    resize(&image::imageops::crop_imm(image, x0, y0, x1 - x0, y1 - y0).to_image(), size)
}

/// The crops of `regions` as one (R, 3, H, W) batch of channels-first floats in 0..1.
pub fn crops_chw(image: &RgbImage, regions: &[BoxXyxy], size: InputSize) -> Vec<f32> {
    regions.iter().flat_map(|r| rgb_to_chw(crop(image, r, size).as_raw(), size)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crop_is_the_regions_pixels_resized() {
        let img = RgbImage::from_fn(40, 30, |x, y| image::Rgb([if (10..20).contains(&x) && (5..15).contains(&y) { 255 } else { 0 }, 0, 0]));
        // Exactly the white square: every crop pixel is white.
        let c = crop(&img, &BoxXyxy { x0: 10.0, y0: 5.0, x1: 20.0, y1: 15.0 }, InputSize::square(32));
        assert_eq!(c.dimensions(), (32, 32));
        assert!(c.pixels().all(|p| p.0[0] == 255));
        // A region beyond the image is clipped; a degenerate one still gives one pixel.
        let c = crop(&img, &BoxXyxy { x0: 35.0, y0: 25.0, x1: 90.0, y1: 90.0 }, InputSize::square(8));
        assert!(c.pixels().all(|p| p.0[0] == 0));
        let c = crop(&img, &BoxXyxy { x0: 12.3, y0: 7.0, x1: 12.3, y1: 7.0 }, InputSize::square(4));
        assert!(c.pixels().all(|p| p.0[0] == 255));
        assert_eq!(crops_chw(&img, &[BoxXyxy { x0: 0.0, y0: 0.0, x1: 40.0, y1: 30.0 }; 3], InputSize::square(8)).len(), 3 * 3 * 64);
    }
}
