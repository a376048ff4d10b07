//! Training-time augmentation on RGB8 pixels: the usual CIFAR recipe of a random crop
//! from a zero-padded image and a random horizontal flip, and captchas' distortion.

use ocellus::reflect_padding::reflect;
use ocellus::InputSize;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Which augmentations to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Augment {
    /// Zero padding on each side before a random crop back to the input size (0: no crop).
    pub pad: u32,
    /// Flip left-right with probability 1/2 (wrong for text such as captchas).
    pub flip: bool,
    /// Fill the shifted-in border by reflecting the image (as PyTorch's reflect padding)
    /// instead of with black.
    #[serde(default)]
    pub reflect: bool,
    /// Then a small random warp and colour change ([`super::distortion`]), for captchas.
    #[serde(default)]
    pub distort: bool,
}

impl Augment {
    /// The standard CIFAR-10 recipe: pad 4, random crop, random flip.
    pub const CIFAR: Augment = Augment { pad: 4, flip: true, reflect: false, distort: false };

    /// airbench's: shifts of up to 2 pixels with reflected borders, random flips.
    pub const SHIFT_REFLECT: Augment = Augment { pad: 2, flip: true, reflect: true, distort: false };

    /// For captchas: the distortion's own small shifts, rotations, scales and colour changes,
    /// never a flip (it would change the text).
    pub const CAPTCHA: Augment = Augment { pad: 0, flip: false, reflect: false, distort: true };

    /// Writes an augmented copy of `src` (H, W, C pixels of `size`) into `dst`.
    pub fn apply(&self, src: &[u8], size: InputSize, rng: &mut impl Rng, dst: &mut [u8]) {
        if self.distort {
            let mut shifted = vec![0; dst.len()];
            Augment { distort: false, ..*self }.apply(src, size, rng, &mut shifted);
            super::distortion::distort(&shifted, size, rng, dst);
            return;
        }
        let (w, h) = (size.width as i64, size.height as i64);
        let pad = self.pad as i64;
        let (dx, dy) = if pad > 0 {
            (rng.random_range(-pad..=pad), rng.random_range(-pad..=pad))
        } else {
            (0, 0)
        };
        let flip = self.flip && rng.random_bool(0.5);
        for y in 0..h {
            for x in 0..w {
                let mut sx = if flip { w - 1 - x } else { x } + dx;
                let mut sy = y + dy;
                if self.reflect {
                    sx = reflect(sx, w);
                    sy = reflect(sy, h);
                }
                let d = ((y * w + x) * 3) as usize;
                if sx < 0 || sy < 0 || sx >= w || sy >= h {
                    dst[d..d + 3].fill(0);
                } else {
                    let s = ((sy * w + sx) * 3) as usize;
                    dst[d..d + 3].copy_from_slice(&src[s..s + 3]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn no_op_augment_copies() {
        let size = InputSize { width: 3, height: 2 };
        let src: Vec<u8> = (0..18).collect();
        let mut dst = vec![0; 18];
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        Augment { pad: 0, flip: false, reflect: false, distort: false }.apply(&src, size, &mut rng, &mut dst);
        assert_eq!(src, dst);
    }

    #[test]
    fn flip_alone_gives_the_image_or_its_mirror() {
        let size = InputSize { width: 4, height: 2 };
        let src: Vec<u8> = (1..=24).collect();
        let mirror: Vec<u8> = (0..2)
            .flat_map(|y| (0..4).rev().flat_map(move |x| (0..3).map(move |c| (y * 12 + x * 3 + c + 1) as u8)))
            .collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let (mut same, mut flipped) = (0, 0);
        for _ in 0..40 {
            let mut dst = vec![0; 24];
            Augment { pad: 0, flip: true, reflect: false, distort: false }.apply(&src, size, &mut rng, &mut dst);
            if dst == src {
                same += 1;
            } else {
                assert_eq!(dst, mirror);
                flipped += 1;
            }
        }
        assert!(same > 5 && flipped > 5, "{same} {flipped}");
    }

    #[test]
    fn crop_shifts_keep_pixels_from_the_image_or_zero() {
        let size = InputSize::square(8);
        let src: Vec<u8> = (0..192).map(|i| (i % 250) as u8 + 1).collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        for _ in 0..20 {
            let mut dst = vec![0; 192];
            Augment { pad: 2, flip: false, reflect: false, distort: false }.apply(&src, size, &mut rng, &mut dst);
            let zero_px = dst.chunks(3).filter(|p| p == &[0, 0, 0]).count();
            assert!(zero_px <= 2 * 8 + 2 * 8, "at most 2 padded rows and 2 columns: {zero_px}");
            // Every kept pixel is some source pixel.
            for p in dst.chunks(3).filter(|p| p != &[0, 0, 0]) {
                assert!(src.chunks(3).any(|q| q == p));
            }
        }
    }

    #[test]
    fn reflected_shifts_never_leave_black_borders() {
        let size = InputSize { width: 5, height: 4 };
        let src: Vec<u8> = (0..60).map(|i| i as u8 + 1).collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        for _ in 0..20 {
            let mut dst = vec![0; 60];
            Augment::SHIFT_REFLECT.apply(&src, size, &mut rng, &mut dst);
            assert!(dst.iter().all(|&v| v != 0), "every pixel comes from the image");
        }
    }
}
