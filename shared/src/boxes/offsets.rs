//! Box offsets (SPEC.md section 9): how far a proposal must move and stretch to become the
//! true box, relative to the proposal's size, so that one regression head serves boxes of
//! every size.

use serde::{Deserialize, Serialize};

use super::BoxXyxy;

/// The largest log stretch applied, either way (ln 10,000): beyond any real box, far below
/// f32's overflow (e^88), so an untrained or diverged head gives huge or tiny but finite,
/// non-empty boxes.
pub const MAX_LOG_STRETCH: f32 = 9.210_34;

/// Offsets from a proposal (x1, y1, w1, h1) to a target (x2, y2, w2, h2):
/// dx = (x2 - x1) / w1, dy = (y2 - y1) / h1, dw = ln(w2 / w1), dh = ln(h2 / h1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoxOffsets {
    /// Left edge shift in proposal widths.
    pub dx: f32,
    /// Top edge shift in proposal heights.
    pub dy: f32,
    /// Log width ratio.
    pub dw: f32,
    /// Log height ratio.
    pub dh: f32,
}

impl BoxOffsets {
    /// The offsets taking `proposal` to `target`; `None` when either box is empty (no ratio).
    pub fn encode(proposal: &BoxXyxy, target: &BoxXyxy) -> Option<BoxOffsets> {
        let (w1, h1, w2, h2) = (proposal.width(), proposal.height(), target.width(), target.height());
        if w1 <= 0.0 || h1 <= 0.0 || w2 <= 0.0 || h2 <= 0.0 {
            return None;
        }
        Some(BoxOffsets { dx: (target.x0 - proposal.x0) / w1, dy: (target.y0 - proposal.y0) / h1, dw: (w2 / w1).ln(), dh: (h2 / h1).ln() })
    }

    /// `proposal` moved and stretched by these offsets (the inverse of [`BoxOffsets::encode`]).
    /// Stretches are capped at [`MAX_LOG_STRETCH`] either way, so that a wild prediction cannot
    /// overflow to an infinite (and then NaN) box.
    pub fn apply(&self, proposal: &BoxXyxy) -> BoxXyxy {
        let (w1, h1) = (proposal.width(), proposal.height());
        let stretch = |d: f32| d.clamp(-MAX_LOG_STRETCH, MAX_LOG_STRETCH).exp();
        BoxXyxy::from_xywh(proposal.x0 + self.dx * w1, proposal.y0 + self.dy * h1, w1 * stretch(self.dw), h1 * stretch(self.dh))
    }

    /// As an array, the order the offset head outputs them in.
    pub fn to_array(self) -> [f32; 4] {
        [self.dx, self.dy, self.dw, self.dh]
    }

    /// From the offset head's four outputs.
    pub fn from_array(a: [f32; 4]) -> BoxOffsets {
        BoxOffsets { dx: a[0], dy: a[1], dw: a[2], dh: a[3] }
    }
}

/// How the offset head's outputs are scaled into offsets: the head predicts `offset / scale`
/// for each of dx, dy, dw, dh. The tutorial regresses raw offsets (all ones); Faster R-CNN
/// divides by (0.1, 0.1, 0.2, 0.2), so that the typical target is about one unit and the box
/// loss is not drowned by the label loss.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OffsetScale(pub [f32; 4]);

impl OffsetScale {
    /// The tutorial's raw offsets.
    pub const TUTORIAL: OffsetScale = OffsetScale([1.0; 4]);
    /// Faster R-CNN's scaling (its "box coder weights" 10, 10, 5, 5).
    pub const FASTER_RCNN: OffsetScale = OffsetScale([0.1, 0.1, 0.2, 0.2]);

    /// Whether this is the tutorial's (unscaled) regression.
    pub fn is_tutorial(&self) -> bool {
        *self == Self::TUTORIAL
    }
}

impl Default for OffsetScale {
    /// The tutorial's, so that cards written before scaling existed read as they were trained.
    fn default() -> Self {
        Self::TUTORIAL
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_wild_stretch_is_capped_instead_of_overflowing() {
        let p = BoxXyxy::from_xywh(10.0, 20.0, 40.0, 50.0);
        let b = BoxOffsets { dx: 0.0, dy: 0.0, dw: 200.0, dh: -200.0 }.apply(&p);
        assert!(b.x0.is_finite() && b.x1.is_finite() && b.y0.is_finite() && b.y1.is_finite(), "{b:?}");
        assert!((b.width() / 40.0 - 1e4).abs() < 1.0 && b.height() > 0.0, "{b:?}");
    }

    #[test]
    fn the_specs_formulas() {
        let p = BoxXyxy::from_xywh(10.0, 20.0, 40.0, 50.0);
        let t = BoxXyxy::from_xywh(14.0, 15.0, 80.0, 25.0);
        let o = BoxOffsets::encode(&p, &t).unwrap();
        assert_eq!((o.dx, o.dy), (0.1, -0.1));
        assert!((o.dw - 2f32.ln()).abs() < 1e-6 && (o.dh - 0.5f32.ln()).abs() < 1e-6);
        assert!(BoxOffsets::encode(&p, &BoxXyxy::from_xywh(1.0, 1.0, 0.0, 3.0)).is_none());
    }

    #[test]
    fn cards_without_a_scale_read_as_the_tutorials() {
        assert_eq!(OffsetScale::default(), OffsetScale::TUTORIAL);
        assert!(OffsetScale::TUTORIAL.is_tutorial() && !OffsetScale::FASTER_RCNN.is_tutorial());
        assert_eq!(serde_json::to_string(&OffsetScale::FASTER_RCNN).unwrap(), "[0.1,0.1,0.2,0.2]");
    }

    proptest! {
        #[test]
        fn apply_inverts_encode(x in -100f32..100.0, y in -100f32..100.0, w in 1f32..300.0, h in 1f32..300.0,
                                x2 in -100f32..100.0, y2 in -100f32..100.0, w2 in 1f32..300.0, h2 in 1f32..300.0) {
            let (p, t) = (BoxXyxy::from_xywh(x, y, w, h), BoxXyxy::from_xywh(x2, y2, w2, h2));
            let back = BoxOffsets::encode(&p, &t).unwrap().apply(&p);
            for (a, b) in [(back.x0, t.x0), (back.y0, t.y0), (back.x1, t.x1), (back.y1, t.y1)] {
                prop_assert!((a - b).abs() < 1e-3, "{back:?} vs {t:?}");
            }
        }

        #[test]
        fn zero_offsets_change_nothing(x in -100f32..100.0, y in -100f32..100.0, w in 1f32..300.0, h in 1f32..300.0) {
            let p = BoxXyxy::from_xywh(x, y, w, h);
            let q = BoxOffsets::from_array([0.0; 4]).apply(&p);
            prop_assert!(q.iou(&p) > 0.9999, "{q:?} vs {p:?}");
        }
    }
}
