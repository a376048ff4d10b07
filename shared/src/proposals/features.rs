//! Per-pixel histogram bins for the grouping's colour and texture similarities (Uijlings et al.
//! 2013, section 3.2): 25 colour bins per channel; for texture, Gaussian (sigma 1) derivatives
//! in 8 orientations per channel, 10 bins each.

use super::color_space::Planes;
use super::felzenszwalb::smooth;

/// Colour bins per channel.
pub const COLOR_BINS: usize = 25;
/// Texture orientations.
pub const ORIENTATIONS: usize = 8;
/// Texture bins per orientation.
pub const TEXTURE_BINS: usize = 10;
/// Length of a colour histogram (3 channels).
pub const COLOR_LEN: usize = 3 * COLOR_BINS;
/// Length of a texture histogram (3 channels x 8 orientations).
pub const TEXTURE_LEN: usize = 3 * ORIENTATIONS * TEXTURE_BINS;

/// Each pixel's histogram slots: 3 colour slots and 24 texture slots.
#[derive(Clone, Debug)]
pub struct PixelBins {
    /// `3` colour slots per pixel, indices into a colour histogram.
    pub color: Vec<u16>,
    /// `24` texture slots per pixel, indices into a texture histogram.
    pub texture: Vec<u16>,
}

/// Computes every pixel's slots for `planes` (values 0..256 per channel).
pub fn pixel_bins(planes: &Planes) -> PixelBins {
    let (w, h) = (planes.width, planes.height);
    let color = planes
        .data
        .iter()
        .enumerate()
        .map(|(i, &v)| ((i % 3) * COLOR_BINS + ((v.clamp(0.0, 255.999) / 256.0 * COLOR_BINS as f32) as usize)) as u16)
        .collect();
    let smoothed = smooth(planes, 1.0);
    let at = |x: usize, y: usize, c: usize| smoothed.data[(y * w + x) * 3 + c];
    // Directional derivative responses, kept non-negative: 8 orientations cover both signs.
    let mut responses = vec![0f32; w * h * 3 * ORIENTATIONS];
    let mut max = [1e-6f32; 3];
    let dirs: Vec<(f32, f32)> =
        (0..ORIENTATIONS).map(|o| (o as f32 * std::f32::consts::TAU / ORIENTATIONS as f32).sin_cos()).map(|(s, c)| (c, s)).collect();
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let gx = (at((x + 1).min(w - 1), y, c) - at(x.saturating_sub(1), y, c)) / 2.0;
                let gy = (at(x, (y + 1).min(h - 1), c) - at(x, y.saturating_sub(1), c)) / 2.0;
                for (o, (dx, dy)) in dirs.iter().enumerate() {
                    let r = (gx * dx + gy * dy).max(0.0);
                    responses[((y * w + x) * 3 + c) * ORIENTATIONS + o] = r;
                    max[c] = max[c].max(r);
                }
            }
        }
    }
    let texture = responses
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            let (c, o) = ((i / ORIENTATIONS) % 3, i % ORIENTATIONS);
            let bin = ((r / max[c] * TEXTURE_BINS as f32) as usize).min(TEXTURE_BINS - 1);
            ((c * ORIENTATIONS + o) * TEXTURE_BINS + bin) as u16
        })
        .collect();
    PixelBins { color, texture }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proposals::color_space::{convert, ColorSpace};

    #[test]
    fn every_pixel_has_its_slots_in_range() {
        let img = image::RgbImage::from_fn(9, 7, |x, y| image::Rgb([(x * 30) as u8, (y * 30) as u8, 255]));
        let bins = pixel_bins(&convert(&img, ColorSpace::Lab));
        assert_eq!(bins.color.len(), 9 * 7 * 3);
        assert_eq!(bins.texture.len(), 9 * 7 * 24);
        assert!(bins.color.iter().all(|&b| (b as usize) < COLOR_LEN));
        assert!(bins.texture.iter().all(|&b| (b as usize) < TEXTURE_LEN));
    }
}
