//! The single-shot detector's locations and how its outputs become boxes: every cell of every
//! pyramid level is a point at the cell's centre; the network gives a score logit and four
//! log-distances (in units of the level's stride) from the point to the box's sides.

use super::merge::Scored;
use super::BoxXyxy;

/// Log-distances are clamped to this range before `exp`, in training and in inference alike
/// (e^6 strides is far beyond any photo; the clamp only keeps an untrained net finite).
pub const LOG_DISTANCE: (f32, f32) = (-8.0, 6.0);

/// One location of the pyramid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Centre x, in input pixels.
    pub x: f32,
    /// Centre y, in input pixels.
    pub y: f32,
    /// The level's stride.
    pub stride: f32,
}

/// Every location of an input `width` x `height` (multiples of the coarsest stride), level by
/// level (finest first), row by row: the order of the network's flattened output.
pub fn grid(width: usize, height: usize, strides: &[usize]) -> Vec<Point> {
    let mut points = Vec::new();
    for &s in strides {
        for i in 0..height / s {
            for j in 0..width / s {
                points.push(Point { x: (j as f32 + 0.5) * s as f32, y: (i as f32 + 0.5) * s as f32, stride: s as f32 });
            }
        }
    }
    points
}

/// The logistic function.
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// The box that raw log-distances `d` (left, top, right, bottom) give at `p`.
pub fn decode_box(p: &Point, d: [f32; 4]) -> BoxXyxy {
    let dist = |v: f32| v.clamp(LOG_DISTANCE.0, LOG_DISTANCE.1).exp() * p.stride;
    BoxXyxy { x0: p.x - dist(d[0]), y0: p.y - dist(d[1]), x1: p.x + dist(d[2]), y1: p.y + dist(d[3]) }
}

/// The scored boxes of one image's raw outputs (5 values per point, in `points`' order) whose
/// score is at least `floor`, best first, at most `keep` of them.
pub fn decode(raw: &[f32], points: &[Point], floor: f32, keep: usize) -> Vec<Scored> {
    let mut found: Vec<Scored> = raw
        .chunks_exact(5)
        .zip(points)
        .filter_map(|(o, p)| {
            let score = sigmoid(o[0]);
            (score >= floor).then(|| Scored { bounds: decode_box(p, [o[1], o[2], o[3], o[4]]), score })
        })
        .collect();
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    found.truncate(keep);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_runs_level_by_level_and_row_by_row() {
        let g = grid(64, 32, &[8, 16, 32]);
        assert_eq!(g.len(), 8 * 4 + 4 * 2 + 2);
        assert_eq!(g[0], Point { x: 4.0, y: 4.0, stride: 8.0 });
        assert_eq!(g[1], Point { x: 12.0, y: 4.0, stride: 8.0 });
        assert_eq!(g[8], Point { x: 4.0, y: 12.0, stride: 8.0 });
        assert_eq!(g[32], Point { x: 8.0, y: 8.0, stride: 16.0 });
        assert_eq!(g[41], Point { x: 48.0, y: 16.0, stride: 32.0 });
    }

    #[test]
    fn outputs_decode_to_boxes_around_their_point_best_first() {
        let points = [Point { x: 20.0, y: 20.0, stride: 8.0 }, Point { x: 40.0, y: 20.0, stride: 8.0 }];
        // log(1) = 0: one stride on every side; log(2): two strides.
        let raw = [0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 2f32.ln(), 0.0, 2f32.ln(), 0.0];
        let found = decode(&raw, &points, 0.1, 10);
        assert_eq!(found.len(), 2);
        assert!((found[0].score - sigmoid(3.0)).abs() < 1e-6);
        let b = found[0].bounds;
        assert!((b.x0 - 24.0).abs() < 1e-4 && (b.y0 - 12.0).abs() < 1e-4 && (b.x1 - 56.0).abs() < 1e-4 && (b.y1 - 28.0).abs() < 1e-4, "{b:?}");
        assert_eq!(found[1].bounds, BoxXyxy { x0: 12.0, y0: 12.0, x1: 28.0, y1: 28.0 });
        assert_eq!(decode(&raw, &points, 0.9, 10).len(), 1);
        assert_eq!(decode(&raw, &points, 0.1, 1).len(), 1);
    }
}
