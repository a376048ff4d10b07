//! Region proposals by selective search (Uijlings et al., IJCV 2013), in pure Rust so that the
//! same code runs natively and in the page: Felzenszwalb-Huttenlocher segmentation, then
//! hierarchical grouping, diversified over colour spaces, segmentation scales and similarity
//! strategies, with the paper's randomised ranking.

pub mod color_space;
pub mod features;
pub mod felzenszwalb;
pub mod grouping;
pub mod union_find;

use std::collections::HashSet;

use image::RgbImage;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use color_space::{convert, ColorSpace};
use features::pixel_bins;
use felzenszwalb::segment;
use grouping::{group, Bounds, Strategy};

/// Images are segmented at most this many pixels a side (larger ones are shrunk first and the
/// boxes scaled back): proposals for a 4000-pixel photo at full size would take minutes and be
/// no better for objects of the sizes detectors look for.
pub const MAX_SIDE: u32 = 800;

/// Gaussian smoothing before segmentation, as the paper and OpenCV use.
const SIGMA: f32 = 0.8;

/// Smallest segment, in pixels (OpenCV's graph segmentation default).
const MIN_SIZE: usize = 100;

/// How much diversification to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// OpenCV's `switchToSelectiveSearchFast`: HSV and Lab, k = 150, 300 and 450, strategies
    /// colour+texture+size+fill and texture+size+fill (12 groupings).
    Fast,
    /// OpenCV's `switchToSelectiveSearchQuality`: HSV, Lab, intensity, hue and rgI; k = 150 to
    /// 750 by 150; strategies CTSF, TSF, fill and size (80 groupings).
    Quality,
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "fast" => Ok(Mode::Fast),
            "quality" => Ok(Mode::Quality),
            other => Err(format!("unknown mode {other:?}: fast or quality")),
        }
    }
}

/// A proposed box in the image's pixels: left, top, width, height.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Proposal {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width (at least 1).
    pub w: u32,
    /// Height (at least 1).
    pub h: u32,
}

struct Plan {
    spaces: &'static [ColorSpace],
    ks: &'static [f32],
    strategies: &'static [Strategy],
}

fn plan(mode: Mode) -> Plan {
    match mode {
        Mode::Fast => Plan { spaces: &[ColorSpace::Hsv, ColorSpace::Lab], ks: &[150.0, 300.0, 450.0], strategies: &[Strategy::CTSF, Strategy::TSF] },
        Mode::Quality => Plan {
            spaces: &[ColorSpace::Hsv, ColorSpace::Lab, ColorSpace::Intensity, ColorSpace::Hue, ColorSpace::RgI],
            ks: &[150.0, 300.0, 450.0, 600.0, 750.0],
            strategies: &[Strategy::CTSF, Strategy::TSF, Strategy::F, Strategy::S],
        },
    }
}

/// Proposals for `img`, best first, duplicates removed, at most `max` of them. The ranking is
/// the paper's randomised one as OpenCV implements it: each region scores its level in the
/// hierarchy (1 for a segment, one more than the higher of its two parts for a merge) times a
/// random number in [0, 1) drawn from `seed`; lowest scores first, so small regions come
/// early but large ones are mixed in.
pub fn selective_search(img: &RgbImage, mode: Mode, max: usize, seed: u64) -> Vec<Proposal> {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 || max == 0 {
        return Vec::new();
    }
    let scale = (MAX_SIDE as f64 / w.max(h) as f64).min(1.0);
    let small;
    let work = if scale < 1.0 {
        let (sw, sh) = (((w as f64 * scale).round() as u32).max(1), ((h as f64 * scale).round() as u32).max(1));
        small = image::imageops::resize(img, sw, sh, image::imageops::FilterType::Triangle);
        &small
    } else {
        img
    };
    let plan = plan(mode);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut scored: Vec<(f64, Bounds)> = Vec::new();
    for &space in plan.spaces {
        let planes = convert(work, space);
        let bins = pixel_bins(&planes);
        for &k in plan.ks {
            let seg = segment(&planes, SIGMA, k, MIN_SIZE);
            for &strategy in plan.strategies {
                for region in group(&seg, &bins, strategy) {
                    scored.push((rng.random::<f64>() * region.level as f64, region.bounds));
                }
            }
        }
    }
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (sx, sy) = (w as f64 / work.width() as f64, h as f64 / work.height() as f64);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (_, b) in scored {
        let b: Bounds = b;
        let x = (b.x0 as f64 * sx).floor() as u32;
        let y = (b.y0 as f64 * sy).floor() as u32;
        let x1 = (((b.x1 + 1) as f64 * sx).ceil() as u32).min(w);
        let y1 = (((b.y1 + 1) as f64 * sy).ceil() as u32).min(h);
        let p = Proposal { x, y, w: (x1 - x).max(1), h: (y1 - y).max(1) };
        if seen.insert(p) {
            out.push(p);
            if out.len() == max {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    /// Three rectangles of distinct colours on a grey background.
    fn scene() -> RgbImage {
        let mut img = RgbImage::from_pixel(160, 120, Rgb([128, 128, 128]));
        for (x0, y0, x1, y1, c) in [(10, 10, 50, 40, [220, 20, 20]), (70, 20, 140, 60, [20, 180, 40]), (30, 70, 90, 110, [30, 40, 210])] {
            for y in y0..y1 {
                for x in x0..x1 {
                    img.put_pixel(x, y, Rgb(c));
                }
            }
        }
        img
    }

    #[test]
    fn each_rectangle_comes_back_as_a_proposal() {
        let boxes = selective_search(&scene(), Mode::Fast, 2000, 1);
        for want in [Proposal { x: 10, y: 10, w: 40, h: 30 }, Proposal { x: 70, y: 20, w: 70, h: 40 }, Proposal { x: 30, y: 70, w: 60, h: 40 }] {
            assert!(boxes.contains(&want), "{want:?} missing from {boxes:?}");
        }
        assert!(boxes.contains(&Proposal { x: 0, y: 0, w: 160, h: 120 }));
    }

    #[test]
    fn seeded_and_deduplicated_and_truncated() {
        let a = selective_search(&scene(), Mode::Fast, 2000, 7);
        assert_eq!(a, selective_search(&scene(), Mode::Fast, 2000, 7));
        let unique: HashSet<_> = a.iter().collect();
        assert_eq!(unique.len(), a.len());
        assert_eq!(selective_search(&scene(), Mode::Fast, 3, 7), a[..3].to_vec());
    }

    #[test]
    fn awkward_images_never_panic() {
        assert_eq!(selective_search(&RgbImage::new(1, 1), Mode::Fast, 10, 1), vec![Proposal { x: 0, y: 0, w: 1, h: 1 }]);
        let flat = selective_search(&RgbImage::from_pixel(64, 48, Rgb([5, 5, 5])), Mode::Quality, 10, 1);
        assert_eq!(flat, vec![Proposal { x: 0, y: 0, w: 64, h: 48 }]);
        for (w, h) in [(2000, 3), (3, 900), (1200, 800)] {
            let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, ((x / 7 + y / 5) % 256) as u8]));
            let boxes = selective_search(&img, Mode::Fast, 50, 1);
            assert!(!boxes.is_empty());
            assert!(boxes.iter().all(|b| b.x + b.w <= w && b.y + b.h <= h && b.w > 0 && b.h > 0), "{w}x{h}: {boxes:?}");
        }
        assert!(selective_search(&RgbImage::new(0, 0), Mode::Fast, 10, 1).is_empty());
    }
}
