//! Box math shared by proposals, training and the page: boxes as corners and their overlap;
//! offsets between boxes, letterboxing and merging overlapping detections in submodules.

pub mod letterbox;
pub mod merge;
pub mod offsets;
pub mod points;
pub mod window;

use serde::{Deserialize, Serialize};

/// An axis-aligned box by its corners, in pixels (`x1 > x0`, `y1 > y0` for a non-empty box).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoxXyxy {
    /// Left.
    pub x0: f32,
    /// Top.
    pub y0: f32,
    /// Right.
    pub x1: f32,
    /// Bottom.
    pub y1: f32,
}

impl BoxXyxy {
    /// A box from its left, top, width and height.
    pub fn from_xywh(x: f32, y: f32, w: f32, h: f32) -> Self {
        BoxXyxy { x0: x, y0: y, x1: x + w, y1: y + h }
    }

    /// Its width (negative for an inverted box).
    pub fn width(&self) -> f32 {
        self.x1 - self.x0
    }

    /// Its height (negative for an inverted box).
    pub fn height(&self) -> f32 {
        self.y1 - self.y0
    }

    /// Its area (0 for an empty or inverted box).
    pub fn area(&self) -> f32 {
        (self.x1 - self.x0).max(0.0) * (self.y1 - self.y0).max(0.0)
    }

    /// Intersection over union with `other`, in 0..=1 (0 when both are empty).
    pub fn iou(&self, other: &BoxXyxy) -> f32 {
        let w = (self.x1.min(other.x1) - self.x0.max(other.x0)).max(0.0);
        let h = (self.y1.min(other.y1) - self.y0.max(other.y0)).max(0.0);
        let inter = w * h;
        let union = self.area() + other.area() - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }
}

/// A box from the `[x0, y0, x1, y1]` rows that caches and tensors store.
impl From<[f32; 4]> for BoxXyxy {
    fn from([x0, y0, x1, y1]: [f32; 4]) -> Self {
        BoxXyxy { x0, y0, x1, y1 }
    }
}

/// A box as an `[x0, y0, x1, y1]` row.
impl From<BoxXyxy> for [f32; 4] {
    fn from(b: BoxXyxy) -> Self {
        [b.x0, b.y0, b.x1, b.y1]
    }
}

/// A region proposal as a box in the same pixels.
impl From<&crate::proposals::Proposal> for BoxXyxy {
    fn from(p: &crate::proposals::Proposal) -> Self {
        BoxXyxy::from_xywh(p.x as f32, p.y as f32, p.w as f32, p.h as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rows_and_proposals_convert_to_the_same_corners() {
        let b = BoxXyxy { x0: 1.0, y0: 2.0, x1: 5.0, y1: 9.0 };
        assert_eq!(BoxXyxy::from(<[f32; 4]>::from(b)), b);
        assert_eq!(BoxXyxy::from(&crate::proposals::Proposal { x: 1, y: 2, w: 4, h: 7 }), b);
    }

    proptest! {
        #[test]
        fn iou_is_symmetric_and_within_0_and_1(a in (-50f32..50.0, -50f32..50.0, 0f32..60.0, 0f32..60.0),
                                               b in (-50f32..50.0, -50f32..50.0, 0f32..60.0, 0f32..60.0)) {
            let (p, q) = (BoxXyxy::from_xywh(a.0, a.1, a.2, a.3), BoxXyxy::from_xywh(b.0, b.1, b.2, b.3));
            let v = p.iou(&q);
            prop_assert!((0.0..=1.0).contains(&v));
            prop_assert_eq!(v, q.iou(&p));
        }
    }

    #[test]
    fn iou_is_symmetric_bounded_and_exact_on_simple_cases() {
        let a = BoxXyxy::from_xywh(0.0, 0.0, 10.0, 10.0);
        let b = BoxXyxy::from_xywh(5.0, 0.0, 10.0, 10.0);
        assert_eq!(a.iou(&b), 50.0 / 150.0);
        assert_eq!(a.iou(&b), b.iou(&a));
        assert_eq!(a.iou(&a), 1.0);
        assert_eq!(a.iou(&BoxXyxy::from_xywh(20.0, 20.0, 1.0, 1.0)), 0.0);
        let empty = BoxXyxy::from_xywh(3.0, 3.0, 0.0, 0.0);
        assert_eq!(empty.iou(&empty), 0.0);
        // A pseudo-random sweep: always within 0..=1 and symmetric.
        let mut s = 12345u32;
        let mut next = || {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (s >> 16) as f32 % 50.0
        };
        for _ in 0..1000 {
            let p = BoxXyxy::from_xywh(next(), next(), next(), next());
            let q = BoxXyxy::from_xywh(next(), next(), next(), next());
            let v = p.iou(&q);
            assert!((0.0..=1.0).contains(&v) && v == q.iou(&p), "{p:?} {q:?} {v}");
        }
    }
}
