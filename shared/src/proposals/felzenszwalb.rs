//! Felzenszwalb-Huttenlocher graph-based segmentation (IJCV 2004): pixels are nodes, 4-neighbour
//! edges (as OpenCV builds the graph) weigh the colour distance, and components merge while the edge between them is no
//! heavier than each one's internal difference plus k / size.

use super::color_space::Planes;
use super::union_find::UnionFind;
use crate::reflect_padding::reflect;

/// A segmentation: one label per pixel, labels `0..count`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segmentation {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Row-major label per pixel.
    pub labels: Vec<u32>,
    /// Number of segments.
    pub count: usize,
}

/// Gaussian smoothing of each channel (separable), as the paper does first; kernel size and
/// mirrored edges as OpenCV's `GaussianBlur` picks them for float images, so segments match.
pub fn smooth(planes: &Planes, sigma: f32) -> Planes {
    if sigma <= 0.0 {
        return planes.clone();
    }
    let radius = (((sigma * 8.0 + 1.0).round() as i64) | 1) / 2;
    let mut kernel: Vec<f32> = (-radius..=radius).map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp()).collect();
    let sum: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= sum);
    let (w, h) = (planes.width as i64, planes.height as i64);
    let pass = |src: &[f32], horizontal: bool| -> Vec<f32> {
        let mut out = vec![0f32; src.len()];
        for y in 0..h {
            for x in 0..w {
                let mut acc = [0f32; 3];
                for (k, weight) in kernel.iter().enumerate() {
                    let d = k as i64 - radius;
                    let (sx, sy) = if horizontal { (reflect(x + d, w), y) } else { (x, reflect(y + d, h)) };
                    let i = ((sy * w + sx) * 3) as usize;
                    for c in 0..3 {
                        acc[c] += weight * src[i + c];
                    }
                }
                let o = ((y * w + x) * 3) as usize;
                out[o..o + 3].copy_from_slice(&acc);
            }
        }
        out
    };
    let data = pass(&pass(&planes.data, true), false);
    Planes { width: planes.width, height: planes.height, data }
}


/// Segments `planes` (already converted to the colour space wanted): smoothing `sigma`,
/// scale `k` (larger: larger segments), and no segment under `min_size` pixels.
pub fn segment(planes: &Planes, sigma: f32, k: f32, min_size: usize) -> Segmentation {
    let (w, h) = (planes.width, planes.height);
    let n = w * h;
    if n == 0 {
        return Segmentation { width: w, height: h, labels: Vec::new(), count: 0 };
    }
    let smoothed = smooth(planes, sigma);
    let dist = |a: usize, b: usize| -> f32 {
        let (pa, pb) = (&smoothed.data[a * 3..a * 3 + 3], &smoothed.data[b * 3..b * 3 + 3]);
        ((pa[0] - pb[0]).powi(2) + (pa[1] - pb[1]).powi(2) + (pa[2] - pb[2]).powi(2)).sqrt()
    };
    let mut edges: Vec<(f32, u32, u32)> = Vec::with_capacity(n * 4);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let mut push = |j: usize| edges.push((dist(i, j), i as u32, j as u32));
            if x + 1 < w {
                push(i + 1);
            }
            if y + 1 < h {
                push(i + w);
            }
        }
    }
    edges.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut sets = UnionFind::new(n);
    let mut threshold = vec![k; n];
    for &(weight, a, b) in &edges {
        let (ra, rb) = (sets.find(a), sets.find(b));
        if ra != rb && weight <= threshold[ra as usize] && weight <= threshold[rb as usize] {
            let root = sets.join(ra, rb);
            threshold[root as usize] = weight + k / sets.size(root) as f32;
        }
    }
    for &(_, a, b) in &edges {
        let (ra, rb) = (sets.find(a), sets.find(b));
        if ra != rb && ((sets.size(ra) as usize) < min_size || (sets.size(rb) as usize) < min_size) {
            sets.join(ra, rb);
        }
    }
    let mut ids = vec![u32::MAX; n];
    let mut count = 0u32;
    let labels = (0..n as u32)
        .map(|p| {
            let root = sets.find(p) as usize;
            if ids[root] == u32::MAX {
                ids[root] = count;
                count += 1;
            }
            ids[root]
        })
        .collect();
    Segmentation { width: w, height: h, labels, count: count as usize }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proposals::color_space::{convert, ColorSpace};
    use image::{Rgb, RgbImage};

    /// Four flat quadrants of distinct colours.
    fn quadrants() -> RgbImage {
        RgbImage::from_fn(40, 30, |x, y| match (x < 20, y < 15) {
            (true, true) => Rgb([200, 30, 30]),
            (false, true) => Rgb([30, 200, 30]),
            (true, false) => Rgb([30, 30, 200]),
            (false, false) => Rgb([230, 230, 40]),
        })
    }

    #[test]
    fn flat_regions_become_segments() {
        // Smoothing turns each hard edge into a 2-pixel ramp; min_size folds those strips in.
        let s = segment(&convert(&quadrants(), ColorSpace::Lab), 0.8, 150.0, 50);
        assert_eq!(s.count, 4, "{:?}", s.labels);
        assert_ne!(s.labels[0], s.labels[39]);
        assert_eq!(s.labels[0], s.labels[13 * 40 + 17]);
    }

    #[test]
    fn small_segments_are_merged_and_edge_cases_hold() {
        let mut img = quadrants();
        img.put_pixel(5, 5, Rgb([0, 0, 0]));
        let s = segment(&convert(&img, ColorSpace::Hsv), 0.0, 1.0, 10);
        assert!(s.count <= 4, "a 1-pixel speck survived: {}", s.count);
        let one = segment(&convert(&RgbImage::new(1, 1), ColorSpace::Lab), 0.8, 150.0, 20);
        assert_eq!((one.count, one.labels.len()), (1, 1));
        let flat = segment(&convert(&RgbImage::from_pixel(300, 2, Rgb([9, 9, 9])), ColorSpace::Lab), 0.8, 150.0, 20);
        assert_eq!(flat.count, 1);
    }
}
