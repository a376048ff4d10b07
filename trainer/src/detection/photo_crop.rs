//! The single-shot detector's training views of a photo: a random square crop over a wide
//! range of scales (from a third of the short side, zooming in on faces, to half again more
//! than it, zooming out with grey beyond the photo), resampled to the training size, flipped
//! left-right half the time, with brightness, contrast and saturation jitter; its faces are
//! those whose centre falls in the crop, clipped to it.

use image::RgbImage;
use ocellus::boxes::window::Window;
use ocellus::boxes::BoxXyxy;
use rand::rngs::StdRng;
use rand::Rng;

/// The crop's side, as a fraction of the photo's shorter side.
const SCALE: (f32, f32) = (0.35, 1.6);

/// One input: (3, size, size) pixel values in 0..1 and its faces in input pixels.
pub struct View {
    /// Channels-first pixels.
    pub pixels: Vec<f32>,
    /// The faces.
    pub faces: Vec<BoxXyxy>,
}

/// The faces of `boxes` seen through `window` (centre inside, clipped to the output).
pub fn faces_in(window: &Window, boxes: &[BoxXyxy]) -> Vec<BoxXyxy> {
    let (w, h) = (window.out.0 as f32, window.out.1 as f32);
    boxes
        .iter()
        .map(|b| window.to_output(b))
        .filter(|b| {
            let (cx, cy) = ((b.x0 + b.x1) / 2.0, (b.y0 + b.y1) / 2.0);
            cx > 0.0 && cx < w && cy > 0.0 && cy < h
        })
        .map(|b| BoxXyxy { x0: b.x0.max(0.0), y0: b.y0.max(0.0), x1: b.x1.min(w), y1: b.y1.min(h) })
        .collect()
}

/// A random training view of `photo` with faces `boxes`, `size` pixels square.
pub fn random_view(photo: &RgbImage, boxes: &[BoxXyxy], size: u32, rng: &mut StdRng) -> View {
    let (w, h) = (photo.width() as f32, photo.height() as f32);
    let side = rng.random_range(SCALE.0..SCALE.1) * w.min(h);
    let place = |extent: f32, rng: &mut StdRng| {
        let (a, b) = ((extent - side).min(0.0), (extent - side).max(0.0));
        if b > a {
            rng.random_range(a..b)
        } else {
            a
        }
    };
    let origin = (place(w, rng), place(h, rng));
    let window = Window::square(origin, side, size);
    let mut pixels = window.sample_chw(photo);
    let mut faces = faces_in(&window, boxes);
    if rng.random_bool(0.5) {
        flip(&mut pixels, size as usize);
        let s = size as f32;
        for f in &mut faces {
            *f = BoxXyxy { x0: s - f.x1, y0: f.y0, x1: s - f.x0, y1: f.y1 };
        }
    }
    jitter(&mut pixels, rng.random_range(-0.125..0.125), rng.random_range(0.6..1.4), rng.random_range(0.6..1.4));
    View { pixels, faces }
}

/// Mirrors a (3, n, n) image left-right in place.
fn flip(pixels: &mut [f32], n: usize) {
    for row in pixels.chunks_exact_mut(n) {
        row.reverse();
    }
}

/// Adds `brightness`, scales the contrast about the image's mean and the saturation about each
/// pixel's grey, clamped to 0..1.
fn jitter(pixels: &mut [f32], brightness: f32, contrast: f32, saturation: f32) {
    let plane = pixels.len() / 3;
    let mean = pixels.iter().sum::<f32>() / pixels.len().max(1) as f32;
    let (r, rest) = pixels.split_at_mut(plane);
    let (g, b) = rest.split_at_mut(plane);
    for i in 0..plane {
        let grey = 0.299 * r[i] + 0.587 * g[i] + 0.114 * b[i];
        for v in [&mut r[i], &mut g[i], &mut b[i]] {
            let s = grey + (*v - grey) * saturation;
            *v = ((s - mean) * contrast + mean + brightness).clamp(0.0, 1.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn views_keep_the_faces_whose_centre_they_hold_and_flip_them_with_the_pixels() {
        let photo = RgbImage::from_fn(200, 100, |x, _| image::Rgb([if x < 100 { 255 } else { 0 }, 0, 0]));
        let face = BoxXyxy { x0: 20.0, y0: 20.0, x1: 60.0, y1: 60.0 };
        let window = Window::square((0.0, 0.0), 100.0, 50);
        assert_eq!(faces_in(&window, &[face]), vec![BoxXyxy { x0: 10.0, y0: 10.0, x1: 30.0, y1: 30.0 }]);
        assert!(faces_in(&Window::square((50.0, 0.0), 100.0, 50), &[face]).is_empty());
        let mut seen_flip = false;
        for seed in 0..40 {
            let view = random_view(&photo, &[face], 64, &mut StdRng::seed_from_u64(seed));
            assert_eq!(view.pixels.len(), 3 * 64 * 64);
            assert!(view.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
            for f in &view.faces {
                assert!(f.x0 >= 0.0 && f.y0 >= 0.0 && f.x1 <= 64.0 && f.y1 <= 64.0 && f.area() > 0.0, "{f:?}");
            }
            seen_flip |= view.faces.iter().any(|f| f.x0 > 32.0);
        }
        assert!(seen_flip, "the face sits on the left: some flipped views put it on the right");
    }

    #[test]
    fn jitter_without_change_keeps_the_pixels() {
        let mut px = vec![0.2, 0.4, 0.9, 0.1, 0.5, 0.7];
        let before = px.clone();
        jitter(&mut px, 0.0, 1.0, 1.0);
        assert!(px.iter().zip(&before).all(|(a, b)| (a - b).abs() < 1e-6));
    }
}
