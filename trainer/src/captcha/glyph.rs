//! One character drawn rotated and coloured onto an image. Written by hand because no crate
//! rasterises a rotated glyph directly: ab_glyph gives the coverage, imageproc rotates it.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{GrayImage, Luma, Rgb, RgbImage};
use imageproc::geometric_transformations::{rotate_about_center, Border, Interpolation};

/// Draws `c` with its centre at (`cx`, `cy`), `size` pixels tall, rotated by `angle` radians.
pub fn draw(img: &mut RgbImage, font: &FontRef<'_>, c: char, size: f32, angle: f32, (cx, cy): (f32, f32), color: Rgb<u8>) {
    let scaled = font.as_scaled(PxScale::from(size));
    let glyph = scaled.scaled_glyph(c);
    let Some(outline) = font.outline_glyph(glyph) else { return };
    let bounds = outline.px_bounds();
    // A square canvas large enough for any rotation of the glyph.
    let side = (bounds.width().hypot(bounds.height()).ceil() as u32 + 2).max(1);
    let mut mask = GrayImage::new(side, side);
    let (ox, oy) = ((side as f32 - bounds.width()) / 2.0, (side as f32 - bounds.height()) / 2.0);
    outline.draw(|x, y, coverage| {
        let (px, py) = ((x as f32 + ox) as u32, (y as f32 + oy) as u32);
        if px < side && py < side {
            mask.put_pixel(px, py, Luma([(coverage.clamp(0.0, 1.0) * 255.0) as u8]));
        }
    });
    let mask = rotate_about_center(&mask, angle, Interpolation::Bilinear, Border::Constant(Luma([0])));
    let (left, top) = (cx - side as f32 / 2.0, cy - side as f32 / 2.0);
    for (x, y, a) in mask.enumerate_pixels() {
        let alpha = a.0[0] as u32;
        if alpha == 0 {
            continue;
        }
        let (px, py) = ((left + x as f32).round() as i64, (top + y as f32).round() as i64);
        if px < 0 || py < 0 || px >= img.width() as i64 || py >= img.height() as i64 {
            continue;
        }
        let dst = img.get_pixel_mut(px as u32, py as u32);
        for k in 0..3 {
            dst.0[k] = ((dst.0[k] as u32 * (255 - alpha) + color.0[k] as u32 * alpha) / 255) as u8;
        }
    }
}
