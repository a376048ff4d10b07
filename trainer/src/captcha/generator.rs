//! Generating labelled captchas in the tutorial's style (rotated glyphs in several fonts, noise
//! lines and curves, shifting background colours, a wave warp), deterministic for a seed:
//! image `i` depends only on (seed, i), so threads may draw them in any order.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_cubic_bezier_curve_mut, draw_line_segment_mut};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use super::fonts::fonts;
use super::glyph;
use super::style::{Ground, Style};

/// What a generation run did.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The files written, in serial order.
    pub files: Vec<PathBuf>,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// The RNG seed of image `i` (splitmix64 of the pair).
fn image_seed(seed: u64, i: u64) -> u64 {
    let mut z = seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A random code as drawn: symbols of the alphabet, letters in random case.
pub fn random_code(style: &Style, rng: &mut impl Rng) -> String {
    (0..style.length)
        .map(|_| {
            let c = style.alphabet.symbol(rng.random_range(0..style.alphabet.len()));
            if rng.random_bool(0.5) { c.to_uppercase().next().unwrap_or(c) } else { c }
        })
        .collect()
}

fn light(rng: &mut impl Rng) -> [f32; 3] {
    [rng.random_range(170.0..255.0), rng.random_range(170.0..255.0), rng.random_range(170.0..255.0)]
}

fn dark(rng: &mut impl Rng) -> Rgb<u8> {
    Rgb([rng.random_range(0..140), rng.random_range(0..140), rng.random_range(0..140)])
}

/// A ground colour of `style`'s ground.
fn ground_colour(style: &Style, rng: &mut impl Rng) -> [f32; 3] {
    match style.ground {
        Ground::Light => light(rng),
        Ground::Dark => light(rng).map(|v| 255.0 - v),
    }
}

/// An ink colour (glyphs and noise) that stands out from `style`'s ground.
fn ink(style: &Style, rng: &mut impl Rng) -> Rgb<u8> {
    match style.ground {
        Ground::Light => dark(rng),
        Ground::Dark => Rgb(dark(rng).0.map(|v| 255 - v)),
    }
}

/// Draws `code` (as it should appear, case included) in `style`.
pub fn render(code: &str, style: &Style, rng: &mut impl Rng) -> RgbImage {
    let (w, h) = (style.width, style.height);
    // Background: a diagonal blend of two light colours.
    let (a, b) = (ground_colour(style, rng), ground_colour(style, rng));
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let t = (x as f32 / w as f32 + y as f32 / h as f32) / 2.0;
        Rgb([0, 1, 2].map(|k| (a[k] + (b[k] - a[k]) * t) as u8))
    });
    let (wf, hf) = (w as f32, h as f32);
    for _ in 0..style.curves {
        let p = |rng: &mut dyn rand::RngCore| (rng.random_range(0.0..wf), rng.random_range(0.0..hf));
        let (p0, p1, p2, p3) = (p(rng), p(rng), p(rng), p(rng));
        draw_cubic_bezier_curve_mut(&mut img, (0.0, p0.1), (wf, p3.1), p1, p2, ink(style, rng));
    }
    // Glyphs, evenly spaced with jitter, each in its own font, size, angle and colour.
    let n = code.chars().count().max(1) as f32;
    let step = wf / (n + 0.6);
    for (i, c) in code.chars().enumerate() {
        let font = match style.fonts.len() {
            0 => &fonts()[rng.random_range(0..fonts().len())],
            n => &fonts()[style.fonts[rng.random_range(0..n)] % fonts().len()],
        };
        let size = hf * rng.random_range(0.62..0.86);
        let angle = rng.random_range(-0.5f32..0.5);
        let cx = step * (i as f32 + 0.8) + rng.random_range(-step * 0.12..step * 0.12);
        let cy = hf / 2.0 + rng.random_range(-hf * 0.1..hf * 0.1);
        glyph::draw(&mut img, font, c, size, angle, (cx, cy), ink(style, rng));
    }
    for _ in 0..style.lines {
        let start = (rng.random_range(0.0..wf * 0.3), rng.random_range(0.0..hf));
        let end = (rng.random_range(wf * 0.7..wf), rng.random_range(0.0..hf));
        draw_line_segment_mut(&mut img, start, end, ink(style, rng));
    }
    let img = wave(&img, rng.random_range(1.0..2.5), rng.random_range(hf * 0.8..hf * 2.0), rng.random_range(0.0..6.3));
    speckle(img, style, rng)
}

/// Shifts each row sideways along a sine wave (the tutorial's warped glyphs).
fn wave(img: &RgbImage, amplitude: f32, period: f32, phase: f32) -> RgbImage {
    let (w, h) = img.dimensions();
    RgbImage::from_fn(w, h, |x, y| {
        let sx = x as f32 + amplitude * (std::f32::consts::TAU * y as f32 / period + phase).sin();
        let x0 = sx.floor().clamp(0.0, (w - 1) as f32) as u32;
        let x1 = (x0 + 1).min(w - 1);
        let t = (sx - sx.floor()).clamp(0.0, 1.0);
        let (p, q) = (img.get_pixel(x0, y), img.get_pixel(x1, y));
        Rgb([0, 1, 2].map(|k| (p.0[k] as f32 * (1.0 - t) + q.0[k] as f32 * t) as u8))
    })
}

/// Sprinkles ink dots over about 1% of the pixels.
fn speckle(mut img: RgbImage, style: &Style, rng: &mut impl Rng) -> RgbImage {
    let (w, h) = img.dimensions();
    for _ in 0..(w * h / 100) {
        let (x, y) = (rng.random_range(0..w), rng.random_range(0..h));
        img.put_pixel(x, y, ink(style, rng));
    }
    img
}

/// Image `i` of the run with `seed`: its code as drawn and its pixels.
pub fn nth(style: &Style, seed: u64, i: u64) -> (String, RgbImage) {
    let mut rng = StdRng::seed_from_u64(image_seed(seed, i));
    let code = random_code(style, &mut rng);
    let img = render(&code, style, &mut rng);
    (code, img)
}

/// Writes `count` captchas to `out` as `<serial>-<CODE>.png`, in parallel.
pub fn generate(out: &Path, count: usize, seed: u64, style: &Style) -> Result<Generated> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let digits = count.to_string().len().max(5);
    let start = Instant::now();
    let files = (0..count)
        .into_par_iter()
        .map(|i| {
            let (code, img) = nth(style, seed, i as u64);
            let path = out.join(format!("{i:0digits$}-{code}.png"));
            img.save(&path).with_context(|| format!("cannot write {}", path.display()))?;
            Ok(path)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Generated { files, seconds: start.elapsed().as_secs_f64() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocellus::captcha_code::{code_from_file_name, Alphabet};

    #[test]
    fn same_seed_same_images_other_seed_other_images() {
        let style = Style::default();
        let (c1, a) = nth(&style, 7, 3);
        let (c2, b) = nth(&style, 7, 3);
        assert_eq!((c1.clone(), a.as_raw()), (c2, b.as_raw()));
        let (c3, d) = nth(&style, 8, 3);
        assert!(c1 != c3 || a.as_raw() != d.as_raw());
        assert_eq!(a.dimensions(), (120, 50));
    }

    #[test]
    fn files_are_named_with_their_codes_and_parse_back() {
        let dir = tempfile::tempdir().unwrap();
        let style = Style { length: 5, alphabet: Alphabet::new("abc123"), width: 90, height: 30, ..Style::default() };
        let run = generate(dir.path(), 12, 1, &style).unwrap();
        assert_eq!(run.files.len(), 12);
        for (i, f) in run.files.iter().enumerate() {
            let name = f.file_name().unwrap().to_str().unwrap();
            assert!(name.starts_with(&format!("{i:05}-")), "{name}");
            let code = code_from_file_name(name).unwrap();
            assert_eq!(style.alphabet.encode(&code, 5).unwrap().len(), 5, "{name}");
            let img = image::open(f).unwrap();
            assert_eq!((img.width(), img.height()), (90, 30));
        }
        let again = generate(dir.path(), 12, 1, &style).unwrap();
        assert_eq!(run.files, again.files);
    }

    #[test]
    fn glyphs_leave_ink() {
        // The same background without glyphs differs from the captcha: characters were drawn.
        let style = Style { lines: 0, curves: 0, ..Style::default() };
        let (_, with) = nth(&style, 3, 0);
        let dark = with.pixels().filter(|p| p.0.iter().map(|&v| v as u32).sum::<u32>() < 300).count();
        assert!(dark > 200, "only {dark} dark pixels");
        // On a dark ground the glyphs are light.
        let (_, night) = nth(&Style { ground: Ground::Dark, fonts: vec![2], ..style }, 3, 0);
        let light = night.pixels().filter(|p| p.0.iter().map(|&v| v as u32).sum::<u32>() > 465).count();
        let dark = night.pixels().filter(|p| p.0.iter().map(|&v| v as u32).sum::<u32>() < 300).count();
        assert!(light > 200 && dark > light, "{light} light pixels, {dark} dark ones");
    }
}
