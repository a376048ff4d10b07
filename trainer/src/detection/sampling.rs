//! The tutorial's choice of training regions (SPEC.md sections 8 and 9): walking an image's
//! proposals in rank order, a proposal overlapping a true box by IoU > 0.7 is a face, one
//! overlapping every true box by IoU < 0.3 is background; background regions are capped at
//! the faces found so far plus 10, and the walk stops at 10 faces.

use ocellus::boxes::BoxXyxy;

/// The thresholds and caps (the spec's values by default).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SamplingRule {
    /// A proposal is a face above this IoU with some true box.
    pub face_iou: f32,
    /// A proposal is background below this IoU with every true box.
    pub background_iou: f32,
    /// Faces per image.
    pub faces: usize,
    /// Background regions allowed beyond the faces so far.
    pub extra_background: usize,
}

impl Default for SamplingRule {
    fn default() -> Self {
        SamplingRule { face_iou: 0.7, background_iou: 0.3, faces: 10, extra_background: 10 }
    }
}

/// A chosen training region.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    /// The proposal.
    pub bounds: BoxXyxy,
    /// For a face, the true box it overlaps most (the offsets' target); `None` for background.
    pub face: Option<BoxXyxy>,
}

impl SamplingRule {
    /// The training regions among `proposals` (best first) of an image whose faces are `truth`.
    pub fn select(&self, proposals: &[BoxXyxy], truth: &[BoxXyxy]) -> Vec<Region> {
        let (mut faces, mut background) = (0usize, 0usize);
        let mut out = Vec::new();
        for p in proposals {
            if faces >= self.faces {
                break;
            }
            let best = truth.iter().map(|t| (p.iou(t), *t)).max_by(|a, b| a.0.total_cmp(&b.0));
            match best {
                Some((iou, t)) if iou > self.face_iou => {
                    faces += 1;
                    out.push(Region { bounds: *p, face: Some(t) });
                }
                Some((iou, _)) if iou >= self.background_iou => {}
                _ if background < faces + self.extra_background => {
                    background += 1;
                    out.push(Region { bounds: *p, face: None });
                }
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x: f32, y: f32, w: f32, h: f32) -> BoxXyxy {
        BoxXyxy::from_xywh(x, y, w, h)
    }

    #[test]
    fn faces_background_and_the_caps() {
        let truth = [b(0.0, 0.0, 10.0, 10.0)];
        let face = b(0.0, 0.0, 10.0, 9.0); // IoU 0.9
        let between = b(0.0, 0.0, 10.0, 5.0); // IoU 0.5: neither
        let far = b(100.0, 100.0, 10.0, 10.0); // IoU 0
        let rule = SamplingRule::default();
        // 12 background proposals first: only 10 fit before any face is found.
        let mut proposals = vec![far; 12];
        proposals.extend([between, face, far, far]);
        let got = rule.select(&proposals, &truth);
        let faces: Vec<_> = got.iter().filter(|r| r.face.is_some()).collect();
        assert_eq!(faces.len(), 1);
        assert_eq!(faces[0].face, Some(truth[0]));
        // 10 before the face, then one more allowed (1 face + 10).
        assert_eq!(got.iter().filter(|r| r.face.is_none()).count(), 11);
        assert!(!got.iter().any(|r| r.bounds == between));
        // The walk stops at 10 faces.
        let many = vec![face; 30];
        assert_eq!(rule.select(&many, &truth).len(), 10);
        // An image without faces gives background only, capped at 10.
        assert_eq!(rule.select(&vec![far; 30], &[]).len(), 10);
    }
}
