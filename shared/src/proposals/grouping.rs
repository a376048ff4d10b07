//! Hierarchical grouping (Uijlings et al. 2013, algorithm 1): start from the segmentation's
//! regions and repeatedly merge the most similar pair of neighbours until one region is left;
//! every region ever formed is a proposal.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::features::{PixelBins, COLOR_LEN, TEXTURE_LEN};
use super::felzenszwalb::Segmentation;

/// Which similarities a strategy adds up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Strategy {
    /// Colour histogram intersection.
    pub color: bool,
    /// Texture histogram intersection.
    pub texture: bool,
    /// Favour merging small regions first.
    pub size: bool,
    /// Favour regions that fill each other's gaps.
    pub fill: bool,
}

impl Strategy {
    /// Colour + texture + size + fill.
    pub const CTSF: Strategy = Strategy { color: true, texture: true, size: true, fill: true };
    /// Texture + size + fill.
    pub const TSF: Strategy = Strategy { color: false, texture: true, size: true, fill: true };
    /// Fill only.
    pub const F: Strategy = Strategy { color: false, texture: false, size: false, fill: true };
    /// Size only.
    pub const S: Strategy = Strategy { color: false, texture: false, size: true, fill: false };

    /// How alike two regions are under this strategy: the sum of the measures it turns on.
    fn similarity(&self, a: &Region, b: &Region, image_size: f64) -> f64 {
        let mut s = 0.0;
        if self.color {
            s += intersection(&a.color, &b.color);
        }
        if self.texture {
            s += intersection(&a.texture, &b.texture);
        }
        if self.size {
            s += 1.0 - (a.size + b.size) / image_size;
        }
        if self.fill {
            s += 1.0 - (a.bounds.union(b.bounds).area() - a.size - b.size) / image_size;
        }
        s
    }
}

/// A region's bounding box, corners inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bounds {
    /// Left column.
    pub x0: u32,
    /// Top row.
    pub y0: u32,
    /// Right column.
    pub x1: u32,
    /// Bottom row.
    pub y1: u32,
}

impl Bounds {
    fn union(self, o: Bounds) -> Bounds {
        Bounds { x0: self.x0.min(o.x0), y0: self.y0.min(o.y0), x1: self.x1.max(o.x1), y1: self.y1.max(o.y1) }
    }

    fn area(self) -> f64 {
        ((self.x1 - self.x0 + 1) as f64) * ((self.y1 - self.y0 + 1) as f64)
    }
}

/// A region the grouping formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grouped {
    /// Its bounding box.
    pub bounds: Bounds,
    /// Its level in the hierarchy: 1 for a segment, 1 + the higher level of its parts.
    pub level: u32,
}

struct Region {
    bounds: Bounds,
    level: u32,
    size: f64,
    color: Vec<f32>,
    texture: Vec<f32>,
    neighbours: Vec<usize>,
    alive: bool,
}

fn intersection(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x.min(*y) as f64).sum()
}

fn normalise(h: &mut [f32]) {
    let sum: f32 = h.iter().sum();
    if sum > 0.0 {
        h.iter_mut().for_each(|v| *v /= sum);
    }
}

#[derive(PartialEq)]
struct Pair(f64, usize, usize);

impl Eq for Pair {}

impl PartialOrd for Pair {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pair {
    /// Most similar first; ties broken by region indices so the order is deterministic.
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then_with(|| other.1.cmp(&self.1)).then_with(|| other.2.cmp(&self.2))
    }
}

/// Every region the grouping forms, in creation order (the segments first, the whole image
/// last). Segments touching at an edge or a corner are neighbours.
pub fn group(seg: &Segmentation, bins: &PixelBins, strategy: Strategy) -> Vec<Grouped> {
    let n = seg.count;
    if n == 0 {
        return Vec::new();
    }
    let image_size = (seg.width * seg.height) as f64;
    let mut regions = segment_regions(seg, bins);
    let similarity = |a: &Region, b: &Region| strategy.similarity(a, b, image_size);
    let mut heap = BinaryHeap::new();
    for i in 0..n {
        for &j in &regions[i].neighbours {
            if i < j {
                heap.push(Pair(similarity(&regions[i], &regions[j]), i, j));
            }
        }
    }
    while let Some(Pair(_, i, j)) = heap.pop() {
        if !regions[i].alive || !regions[j].alive {
            continue;
        }
        let merged = merge(&regions[i], &regions[j], i, j);
        let t = regions.len();
        regions[i].alive = false;
        regions[j].alive = false;
        for &k in &merged.neighbours {
            let list = &mut regions[k].neighbours;
            list.retain(|&x| x != i && x != j);
            list.push(t);
        }
        for &k in &merged.neighbours {
            heap.push(Pair(similarity(&merged, &regions[k]), k.min(t), k.max(t)));
        }
        regions.push(merged);
    }
    regions.into_iter().map(|r| Grouped { bounds: r.bounds, level: r.level }).collect()
}

/// One region per segment: its box, size, normalised colour and texture histograms and its
/// neighbours (the segments it touches at an edge or a corner).
fn segment_regions(seg: &Segmentation, bins: &PixelBins) -> Vec<Region> {
    let w = seg.width;
    let mut regions: Vec<Region> = (0..seg.count)
        .map(|_| Region {
            bounds: Bounds { x0: u32::MAX, y0: u32::MAX, x1: 0, y1: 0 },
            level: 1,
            size: 0.0,
            color: vec![0.0; COLOR_LEN],
            texture: vec![0.0; TEXTURE_LEN],
            neighbours: Vec::new(),
            alive: true,
        })
        .collect();
    for (p, &label) in seg.labels.iter().enumerate() {
        let r = &mut regions[label as usize];
        let (x, y) = ((p % w) as u32, (p / w) as u32);
        r.bounds = Bounds { x0: r.bounds.x0.min(x), y0: r.bounds.y0.min(y), x1: r.bounds.x1.max(x), y1: r.bounds.y1.max(y) };
        r.size += 1.0;
        for &b in &bins.color[p * 3..p * 3 + 3] {
            r.color[b as usize] += 1.0;
        }
        for &b in &bins.texture[p * 24..p * 24 + 24] {
            r.texture[b as usize] += 1.0;
        }
        let (x, has_right) = (p % w, (p % w) + 1 < w);
        let right = if has_right { Some(seg.labels[p + 1]) } else { None };
        let below = seg.labels.get(p + w).copied();
        let below_right = if has_right { seg.labels.get(p + w + 1).copied() } else { None };
        let below_left = if x > 0 { seg.labels.get(p + w - 1).copied() } else { None };
        for other in [right, below, below_right, below_left].into_iter().flatten() {
            if other != label {
                regions[label as usize].neighbours.push(other as usize);
                regions[other as usize].neighbours.push(label as usize);
            }
        }
    }
    for r in &mut regions {
        normalise(&mut r.color);
        normalise(&mut r.texture);
        r.neighbours.sort_unstable();
        r.neighbours.dedup();
    }
    regions
}

/// Regions `a` (index `i`) and `b` (index `j`) as one: histograms mixed by size, neighbours
/// joined (without the two themselves).
fn merge(a: &Region, b: &Region, i: usize, j: usize) -> Region {
    let size = a.size + b.size;
    let mix = |x: &[f32], y: &[f32]| -> Vec<f32> { x.iter().zip(y).map(|(p, q)| ((p * a.size as f32) + (q * b.size as f32)) / size as f32).collect() };
    let mut neighbours: Vec<usize> = a.neighbours.iter().chain(&b.neighbours).copied().filter(|&k| k != i && k != j).collect();
    neighbours.sort_unstable();
    neighbours.dedup();
    Region {
        bounds: a.bounds.union(b.bounds),
        level: a.level.max(b.level) + 1,
        size,
        color: mix(&a.color, &b.color),
        texture: mix(&a.texture, &b.texture),
        neighbours,
        alive: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proposals::color_space::{convert, ColorSpace};
    use crate::proposals::features::pixel_bins;
    use crate::proposals::felzenszwalb::segment;
    use image::{Rgb, RgbImage};

    #[test]
    fn grouping_ends_in_the_whole_image_and_keeps_every_segment() {
        let img = RgbImage::from_fn(40, 30, |x, y| match (x < 20, y < 15) {
            (true, true) => Rgb([200, 30, 30]),
            (false, true) => Rgb([30, 200, 30]),
            (true, false) => Rgb([30, 30, 200]),
            (false, false) => Rgb([230, 230, 40]),
        });
        let planes = convert(&img, ColorSpace::Lab);
        let seg = segment(&planes, 0.8, 150.0, 50);
        let boxes = group(&seg, &pixel_bins(&planes), Strategy::CTSF);
        assert_eq!(boxes.len(), 2 * seg.count - 1, "n segments make n - 1 merges");
        assert_eq!(boxes.last().unwrap().bounds, Bounds { x0: 0, y0: 0, x1: 39, y1: 29 });
        assert!(boxes[..seg.count].iter().all(|r| r.level == 1));
        assert!(boxes.last().unwrap().level >= 3, "four segments need at least two levels of merges");
        let boxes: Vec<Bounds> = boxes.iter().map(|r| r.bounds).collect();
        // The yellow quadrant, give or take the pixel of the blurred edge.
        assert!(boxes.iter().any(|b| b.x0.abs_diff(20) <= 1 && b.y0.abs_diff(15) <= 1 && b.x1 == 39 && b.y1 == 29), "{boxes:?}");
    }
}
