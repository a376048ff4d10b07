//! The choice of training regions among a photo's proposals. The tutorial's (SPEC.md sections
//! 8 and 9): walking the proposals in rank order, one overlapping a true box by IoU > 0.7 is a
//! face, one overlapping every true box by IoU < 0.3 is background; background is capped at
//! the faces found so far plus 10, and the walk stops at 10 faces. The broad rule, after Fast
//! R-CNN (Girshick 2015) and Faster R-CNN's box head: faces at IoU >= 0.5 (the true boxes
//! themselves among them), and up to 64 regions a photo in all, the background half near a
//! face (IoU 0.1-0.5: partial faces, which the detector must rank below whole ones) and half
//! far from every face, each spread over the whole ranking rather than its first entries.

use clap::ValueEnum;
use ocellus::boxes::BoxXyxy;
use serde::{Deserialize, Serialize};

/// Which regions of a photo a detector trains on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sampling {
    /// The tutorial's: faces above IoU 0.7, background below 0.3, at most 10 faces and the
    /// faces plus 10 background regions, in rank order.
    #[default]
    Tutorial,
    /// Faces at IoU >= 0.5 with the true boxes, 64 regions a photo, background half near a
    /// face (IoU 0.1-0.5) and half far, spread over the ranking.
    Broad,
}

/// A chosen training region.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    /// The proposal.
    pub bounds: BoxXyxy,
    /// For a face, the true box it overlaps most (the offsets' target); `None` for background.
    pub face: Option<BoxXyxy>,
}

/// The true box a proposal overlaps most, and by how much (0 and `None` without faces).
fn best_match(p: &BoxXyxy, truth: &[BoxXyxy]) -> (f32, Option<BoxXyxy>) {
    truth.iter().map(|t| (p.iou(t), Some(*t))).max_by(|a, b| a.0.total_cmp(&b.0)).unwrap_or((0.0, None))
}

/// The tutorial's thresholds and caps.
const TUTORIAL_FACE_IOU: f32 = 0.7;
const TUTORIAL_BACKGROUND_IOU: f32 = 0.3;
const TUTORIAL_FACES: usize = 10;
const TUTORIAL_EXTRA_BACKGROUND: usize = 10;

/// The broad rule's thresholds and sizes (Fast R-CNN's 0.5 and 0.1, its 64 regions a photo;
/// 16 faces at most, its quarter).
const BROAD_FACE_IOU: f32 = 0.5;
const BROAD_NEAR_IOU: f32 = 0.1;
const BROAD_REGIONS: usize = 64;
const BROAD_FACES: usize = 16;

/// Up to `n` of `items`, evenly spaced from first to last (all of them when there are few).
fn spread<T: Copy>(items: &[T], n: usize) -> Vec<T> {
    if items.len() <= n {
        return items.to_vec();
    }
    (0..n).map(|i| items[i * items.len() / n]).collect()
}

impl Sampling {
    /// The training regions among `proposals` (best first) of an image whose faces are `truth`.
    pub fn select(&self, proposals: &[BoxXyxy], truth: &[BoxXyxy]) -> Vec<Region> {
        match self {
            Sampling::Tutorial => tutorial(proposals, truth),
            Sampling::Broad => broad(proposals, truth),
        }
    }
}

fn tutorial(proposals: &[BoxXyxy], truth: &[BoxXyxy]) -> Vec<Region> {
    let (mut faces, mut background) = (0usize, 0usize);
    let mut out = Vec::new();
    for p in proposals {
        if faces >= TUTORIAL_FACES {
            break;
        }
        match best_match(p, truth) {
            (iou, Some(t)) if iou > TUTORIAL_FACE_IOU => {
                faces += 1;
                out.push(Region { bounds: *p, face: Some(t) });
            }
            (iou, _) if iou >= TUTORIAL_BACKGROUND_IOU => {}
            _ if background < faces + TUTORIAL_EXTRA_BACKGROUND => {
                background += 1;
                out.push(Region { bounds: *p, face: None });
            }
            _ => {}
        }
    }
    out
}

fn broad(proposals: &[BoxXyxy], truth: &[BoxXyxy]) -> Vec<Region> {
    // The true boxes train as faces too (Faster R-CNN adds them to its proposals): a face that
    // selective search missed still teaches what a face looks like.
    let mut faces: Vec<Region> = truth.iter().filter(|t| t.width() > 0.0 && t.height() > 0.0).map(|t| Region { bounds: *t, face: Some(*t) }).collect();
    let (mut found, mut near, mut far) = (Vec::new(), Vec::new(), Vec::new());
    for p in proposals {
        match best_match(p, truth) {
            (iou, Some(t)) if iou >= BROAD_FACE_IOU => found.push(Region { bounds: *p, face: Some(t) }),
            (iou, _) if iou >= BROAD_NEAR_IOU => near.push(Region { bounds: *p, face: None }),
            _ => far.push(Region { bounds: *p, face: None }),
        }
    }
    faces.truncate(BROAD_FACES);
    faces.extend(spread(&found, BROAD_FACES - faces.len()));
    let background = BROAD_REGIONS - faces.len();
    // Half near a face, half far; either half fills what the other lacks.
    let near_n = near.len().min(background / 2).max(background.saturating_sub(far.len())).min(near.len());
    let far_n = far.len().min(background - near_n);
    faces.extend(spread(&near, near_n));
    faces.extend(spread(&far, far_n));
    faces
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
        let rule = Sampling::Tutorial;
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

    #[test]
    fn the_broad_rule_mixes_the_truth_partial_faces_and_far_background() {
        let truth = [b(0.0, 0.0, 10.0, 10.0)];
        let face = b(0.0, 0.0, 10.0, 6.0); // IoU 0.6: a face for this rule, not the tutorial's
        let partial = b(0.0, 0.0, 10.0, 3.0); // IoU 0.3: background near a face
        let far = b(100.0, 100.0, 10.0, 10.0);
        let mut proposals = vec![far; 200];
        proposals.extend(vec![partial; 100]);
        proposals.extend(vec![face; 40]);
        let got = Sampling::Broad.select(&proposals, &truth);
        assert_eq!(got.len(), BROAD_REGIONS);
        let faces: Vec<_> = got.iter().filter(|r| r.face.is_some()).collect();
        assert_eq!(faces.len(), BROAD_FACES);
        assert_eq!(faces[0].bounds, truth[0], "the true box comes first");
        assert!(faces.iter().all(|r| r.face == Some(truth[0])));
        let count = |x: BoxXyxy| got.iter().filter(|r| r.bounds == x && r.face.is_none()).count();
        assert_eq!((count(partial), count(far)), (24, 24));
        // Few partial faces: the far background fills the rest.
        let mut proposals = vec![far; 200];
        proposals.extend([partial, face]);
        let got = Sampling::Broad.select(&proposals, &truth);
        assert_eq!(got.len(), BROAD_REGIONS);
        assert_eq!((count_in(&got, partial), count_in(&got, far)), (1, 61));
        // No faces at all: 64 background regions spread over the ranking, not its first 64.
        let ranked: Vec<BoxXyxy> = (0..640).map(|i| b(i as f32, 0.0, 5.0, 5.0)).collect();
        let got = Sampling::Broad.select(&ranked, &[]);
        assert_eq!(got.len(), BROAD_REGIONS);
        assert!(got.iter().all(|r| r.face.is_none()));
        assert_eq!(got.last().unwrap().bounds, ranked[630]);
    }

    fn count_in(got: &[Region], x: BoxXyxy) -> usize {
        got.iter().filter(|r| r.bounds == x && r.face.is_none()).count()
    }
}
