//! Captcha-style distortion on RGB8 pixels at the model's input size: a small random affine
//! warp (rotation, scale, shear, shift; edges repeated) and colour changes (channel order,
//! brightness, contrast, grain). Never a flip: that would change the text.

use ocellus::InputSize;
use rand::Rng;

/// Most rotation, in radians (about 6 degrees).
const ROTATION: f32 = 0.1;
/// Scale drawn from 1 +/- this, apart for x and y.
const SCALE: f32 = 0.1;
/// Horizontal shear, as a fraction of the height.
const SHEAR: f32 = 0.15;
/// Most shift, as a fraction of the width and of the height.
const SHIFT: (f32, f32) = (0.05, 0.08);
/// Most standard deviation of the added grain, in 0..255 units.
const GRAIN: f32 = 10.0;

/// Writes a distorted copy of `src` (H, W, C pixels of `size`) into `dst`.
pub fn distort(src: &[u8], size: InputSize, rng: &mut impl Rng, dst: &mut [u8]) {
    let (w, h) = (size.width as usize, size.height as usize);
    let (wf, hf) = (w as f32, h as f32);
    let angle = rng.random_range(-ROTATION..=ROTATION);
    let (sx, sy) = (1.0 + rng.random_range(-SCALE..=SCALE), 1.0 + rng.random_range(-SCALE..=SCALE));
    let shear = rng.random_range(-SHEAR..=SHEAR);
    let (tx, ty) = (rng.random_range(-SHIFT.0..=SHIFT.0) * wf, rng.random_range(-SHIFT.1..=SHIFT.1) * hf);
    // The inverse map, output pixel -> source point, about the image centre.
    let (cos, sin) = (angle.cos(), angle.sin());
    let (cx, cy) = (wf / 2.0, hf / 2.0);
    let order = channel_order(rng);
    let contrast = rng.random_range(0.75f32..=1.25);
    let brightness = rng.random_range(-25.0f32..=25.0);
    let grain = if rng.random_bool(0.5) { rng.random_range(0.0..=GRAIN) } else { 0.0 };
    for y in 0..h {
        for x in 0..w {
            let (u, v) = (x as f32 + 0.5 - cx - tx, y as f32 + 0.5 - cy - ty);
            let (ru, rv) = (cos * u + sin * v, -sin * u + cos * v);
            let su = ru / sx - shear * rv / sy;
            let sv = rv / sy;
            let px = sample(src, w, h, su + cx - 0.5, sv + cy - 0.5);
            let noise = if grain > 0.0 { grain * standard_normal(rng) } else { 0.0 };
            let d = (y * w + x) * 3;
            for c in 0..3 {
                let value = (px[order[c]] - 127.5) * contrast + 127.5 + brightness + noise;
                dst[d + c] = value.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
}

/// A random permutation of the three channels (the identity half of the time).
fn channel_order(rng: &mut impl Rng) -> [usize; 3] {
    const ORDERS: [[usize; 3]; 6] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    if rng.random_bool(0.5) {
        ORDERS[0]
    } else {
        ORDERS[rng.random_range(1..6)]
    }
}

/// Bilinear sample at (x, y) in pixel coordinates, the edge pixels repeated outside.
fn sample(src: &[u8], w: usize, h: usize, x: f32, y: f32) -> [f32; 3] {
    let x = x.clamp(0.0, (w - 1) as f32);
    let y = y.clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let at = |xx: usize, yy: usize, c: usize| src[(yy * w + xx) * 3 + c] as f32;
    [0, 1, 2].map(|c| {
        let top = at(x0, y0, c) * (1.0 - fx) + at(x1, y0, c) * fx;
        let bottom = at(x0, y1, c) * (1.0 - fx) + at(x1, y1, c) * fx;
        top * (1.0 - fy) + bottom * fy
    })
}

/// One draw of N(0, 1) (Box-Muller).
fn standard_normal(rng: &mut impl Rng) -> f32 {
    let u1: f32 = rng.random_range(f32::EPSILON..1.0);
    let u2: f32 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// A dark vertical bar on a light ground, as a glyph stroke.
    fn bar(size: InputSize, column: usize) -> Vec<u8> {
        let (w, h) = (size.width as usize, size.height as usize);
        (0..h * w).flat_map(|i| if i % w == column { [20, 20, 20] } else { [230, 230, 230] }).collect()
    }

    fn darkest_column(px: &[u8], size: InputSize) -> usize {
        let (w, h) = (size.width as usize, size.height as usize);
        (0..w).min_by_key(|&x| (0..h).map(|y| px[(y * w + x) * 3] as u32).sum::<u32>()).unwrap()
    }

    #[test]
    fn distortion_moves_strokes_a_little_and_keeps_them() {
        let size = InputSize { width: 40, height: 20 };
        let src = bar(size, 20);
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut moved = 0;
        for _ in 0..50 {
            let mut dst = vec![0; src.len()];
            distort(&src, size, &mut rng, &mut dst);
            let col = darkest_column(&dst, size);
            // At most 5% of the width shifted, plus rotation, shear and scale about the centre.
            assert!((15..=25).contains(&col), "bar moved to column {col}");
            moved += (col != 20) as usize;
            // The stroke is still far darker than the ground somewhere in every image.
            let (lo, hi) = (dst.iter().min().unwrap(), dst.iter().max().unwrap());
            assert!(*hi as i32 - *lo as i32 > 80, "contrast lost: {lo}..{hi}");
        }
        assert!(moved > 10, "the warp should usually move the bar ({moved} of 50)");
    }

    #[test]
    fn same_draws_same_image() {
        let size = InputSize { width: 12, height: 8 };
        let src: Vec<u8> = (0..288).map(|i| (i * 7 % 256) as u8).collect();
        let (mut a, mut b) = (vec![0; 288], vec![0; 288]);
        distort(&src, size, &mut rand::rngs::StdRng::seed_from_u64(9), &mut a);
        distort(&src, size, &mut rand::rngs::StdRng::seed_from_u64(9), &mut b);
        assert_eq!(a, b);
    }
}
