//! Per-pixel histogram bins for the grouping's colour and texture similarities (Uijlings et al.
//! 2013, section 3.2), computed as OpenCV's selective search does: 25 colour bins per channel
//! over 0..256; for texture, Scharr derivatives along x, y and the two diagonals, positive and
//! negative parts apart (8 maps per channel), each map stretched to 0..255 by its own minimum
//! and maximum, 10 bins each.

use super::color_space::Planes;

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
    let maps = oriented_gradients(planes);
    // Each map's own range, as OpenCV's min-max stretch to 0..255 before binning.
    let ranges: Vec<(f32, f32)> = maps
        .iter()
        .map(|m| m.iter().fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v))))
        .collect();
    let mut texture = vec![0u16; w * h * 3 * ORIENTATIONS];
    for (m, (map, &(lo, hi))) in maps.iter().zip(&ranges).enumerate() {
        let scale = if hi > lo { 255.0 / (hi - lo) } else { 0.0 };
        for (p, &v) in map.iter().enumerate() {
            let level = ((v - lo) * scale).round().clamp(0.0, 255.0);
            let bin = ((level / (256.0 / TEXTURE_BINS as f32)) as usize).min(TEXTURE_BINS - 1);
            texture[p * 3 * ORIENTATIONS + m] = (m * TEXTURE_BINS + bin) as u16;
        }
    }
    PixelBins { color, texture }
}

/// Index reflected into `0..n` without repeating the edge (OpenCV's default border).
fn mirror(i: isize, n: usize) -> usize {
    crate::reflect_padding::reflect(i as i64, n as i64) as usize
}

/// The 8 texture maps of each channel, map `c * 8 + o`: Scharr x+, x-, y+, y-, then the same
/// along the diagonals (x+y and y-x, scaled by 1/sqrt 2, as a 45-degree rotation gives).
fn oriented_gradients(planes: &Planes) -> Vec<Vec<f32>> {
    let (w, h) = (planes.width, planes.height);
    let mut maps = vec![vec![0f32; w * h]; 3 * ORIENTATIONS];
    let at = |x: isize, y: isize, c: usize| planes.data[(mirror(y, h) * w + mirror(x, w)) * 3 + c];
    for y in 0..h as isize {
        for x in 0..w as isize {
            for c in 0..3 {
                let gx = 3.0 * (at(x + 1, y - 1, c) - at(x - 1, y - 1, c)) + 10.0 * (at(x + 1, y, c) - at(x - 1, y, c)) + 3.0 * (at(x + 1, y + 1, c) - at(x - 1, y + 1, c));
                let gy = 3.0 * (at(x - 1, y + 1, c) - at(x - 1, y - 1, c)) + 10.0 * (at(x, y + 1, c) - at(x, y - 1, c)) + 3.0 * (at(x + 1, y + 1, c) - at(x + 1, y - 1, c));
                let (d1, d2) = ((gx + gy) * std::f32::consts::FRAC_1_SQRT_2, (gy - gx) * std::f32::consts::FRAC_1_SQRT_2);
                let p = y as usize * w + x as usize;
                for (k, g) in [gx, gy, d1, d2].into_iter().enumerate() {
                    maps[c * ORIENTATIONS + 2 * k][p] = g.max(0.0);
                    maps[c * ORIENTATIONS + 2 * k + 1][p] = g.min(0.0);
                }
            }
        }
    }
    maps
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
