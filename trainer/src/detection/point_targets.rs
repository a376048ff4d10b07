//! Which face each location of the single-shot detector learns (FCOS's assignment with
//! centre sampling): a face is given to one pyramid level by its size, and on that level the
//! locations inside the face and near its centre learn it; a location claimed by two faces
//! learns the smaller. Faces too small to see are ignored (neither face nor background).

use ocellus::boxes::points::Point;
use ocellus::boxes::BoxXyxy;

/// Faces whose longer side is under this many input pixels are ignored, not punished.
pub const MIN_FACE: f32 = 8.0;
/// Positives lie within this many strides of the face's centre, along each axis.
const CENTRE_RADIUS: f32 = 1.5;

/// What one location learns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PointTarget {
    /// No face: its score should be 0.
    Background,
    /// Inside a face too small to learn: left out of the loss.
    Ignored,
    /// The face at this index of the image's faces.
    Face(usize),
}

/// The stride of the level that learns a face whose longer side is `size` input pixels.
pub fn level_stride(size: f32) -> f32 {
    if size < 64.0 {
        8.0
    } else if size < 128.0 {
        16.0
    } else {
        32.0
    }
}

fn inside(p: &Point, b: &BoxXyxy) -> bool {
    p.x > b.x0 && p.x < b.x1 && p.y > b.y0 && p.y < b.y1
}

/// The target of every point of one image with faces `faces` (input pixels).
pub fn assign(points: &[Point], faces: &[BoxXyxy]) -> Vec<PointTarget> {
    let mut targets = vec![PointTarget::Background; points.len()];
    for (k, f) in faces.iter().enumerate() {
        let size = f.width().max(f.height());
        if size < MIN_FACE {
            for (t, p) in targets.iter_mut().zip(points) {
                if *t == PointTarget::Background && inside(p, f) {
                    *t = PointTarget::Ignored;
                }
            }
            continue;
        }
        let stride = level_stride(size);
        let (cx, cy) = ((f.x0 + f.x1) / 2.0, (f.y0 + f.y1) / 2.0);
        let reach = CENTRE_RADIUS * stride;
        let mut claimed = false;
        let mut nearest: Option<(f32, usize)> = None;
        for (i, p) in points.iter().enumerate() {
            if p.stride != stride {
                continue;
            }
            let d = (p.x - cx).abs().max((p.y - cy).abs());
            if nearest.is_none_or(|(best, _)| d < best) {
                nearest = Some((d, i));
            }
            if d < reach && inside(p, f) && claim(&mut targets[i], k, faces) {
                claimed = true;
            }
        }
        // A thin face can fall between the points: the nearest one learns it.
        if let (false, Some((_, i))) = (claimed, nearest) {
            claim(&mut targets[i], k, faces);
        }
    }
    targets
}

/// Gives the point to face `k` unless a smaller face holds it; true when it did.
fn claim(target: &mut PointTarget, k: usize, faces: &[BoxXyxy]) -> bool {
    match *target {
        PointTarget::Face(other) if faces[other].area() <= faces[k].area() => false,
        _ => {
            *target = PointTarget::Face(k);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocellus::boxes::points::grid;

    #[test]
    fn a_face_is_learnt_near_its_centre_on_the_level_of_its_size() {
        let points = grid(128, 128, &[8, 16, 32]);
        let small = BoxXyxy { x0: 10.0, y0: 10.0, x1: 42.0, y1: 42.0 };
        let targets = assign(&points, &[small]);
        let positives: Vec<&Point> = points.iter().zip(&targets).filter(|(_, t)| **t == PointTarget::Face(0)).map(|(p, _)| p).collect();
        // Centre (26, 26), reach 12 on the stride-8 level: x and y in {20, 28, 36}.
        assert!(!positives.is_empty());
        assert!(positives.iter().all(|p| p.stride == 8.0 && (p.x - 26.0).abs() < 12.0 && (p.y - 26.0).abs() < 12.0), "{positives:?}");
        assert_eq!(positives.len(), 9);
        let big = BoxXyxy { x0: 0.0, y0: 0.0, x1: 100.0, y1: 90.0 };
        let targets = assign(&points, &[big]);
        assert!(points
            .iter()
            .zip(&targets)
            .all(|(p, t)| (*t == PointTarget::Face(0)) == (p.stride == 16.0 && (p.x - 50.0).abs() < 24.0 && (p.y - 45.0).abs() < 24.0)));
    }

    #[test]
    fn tiny_faces_are_ignored_and_overlaps_go_to_the_smaller_face() {
        let points = grid(64, 64, &[8, 16, 32]);
        let tiny = BoxXyxy { x0: 2.0, y0: 2.0, x1: 7.0, y1: 7.0 };
        let targets = assign(&points, &[tiny]);
        assert_eq!(targets[0], PointTarget::Ignored);
        assert_eq!(targets.iter().filter(|t| **t == PointTarget::Ignored).count(), 1);
        let outer = BoxXyxy { x0: 0.0, y0: 0.0, x1: 60.0, y1: 60.0 };
        let inner = BoxXyxy { x0: 16.0, y0: 16.0, x1: 48.0, y1: 48.0 };
        let targets = assign(&points, &[outer, inner]);
        // Both on the stride-8 level around nearly the same centre: the smaller face wins the
        // points both claim, the larger keeps the rest of its own.
        let at = |x: f32, y: f32| targets[points.iter().position(|p| p.stride == 8.0 && p.x == x && p.y == y).unwrap()];
        for (x, y) in [(28.0, 28.0), (36.0, 36.0), (28.0, 36.0)] {
            assert_eq!(at(x, y), PointTarget::Face(1));
        }
        assert_eq!(at(20.0, 20.0), PointTarget::Face(0));
        // A thin face still gets its nearest point.
        let thin = BoxXyxy { x0: 20.0, y0: 29.0, x1: 50.0, y1: 34.0 };
        assert!(assign(&points, &[thin]).contains(&PointTarget::Face(0)));
    }
}
