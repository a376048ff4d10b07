//! Merging overlapping detections: the tutorial's rule (in the given order, a box overlapping
//! an already kept one by more than the threshold is dropped) and score-ordered non-maximum
//! suppression, which is the same rule applied best score first.

use super::BoxXyxy;

/// A box with the model's confidence in it.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scored {
    /// The box.
    pub bounds: BoxXyxy,
    /// Its score (face probability).
    pub score: f32,
}

/// The tutorial's merge: boxes in the order given, each kept unless its IoU with a box already
/// kept exceeds `max_iou` (first wins).
pub fn first_wins(boxes: &[Scored], max_iou: f32) -> Vec<Scored> {
    let mut kept: Vec<Scored> = Vec::new();
    for b in boxes {
        if kept.iter().all(|k| k.bounds.iou(&b.bounds) <= max_iou) {
            kept.push(*b);
        }
    }
    kept
}

/// Non-maximum suppression: highest score first, then [`first_wins`]. Ties keep their order.
pub fn nms(boxes: &[Scored], max_iou: f32) -> Vec<Scored> {
    let mut sorted = boxes.to_vec();
    sorted.sort_by(|a, b| b.score.total_cmp(&a.score));
    first_wins(&sorted, max_iou)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scored(x: f32, y: f32, score: f32) -> Scored {
        Scored { bounds: BoxXyxy::from_xywh(x, y, 10.0, 10.0), score }
    }

    #[test]
    fn first_wins_keeps_order_and_nms_keeps_the_best() {
        let boxes = [scored(0.0, 0.0, 0.5), scored(1.0, 1.0, 0.9), scored(50.0, 50.0, 0.7)];
        assert_eq!(first_wins(&boxes, 0.3), vec![boxes[0], boxes[2]]);
        assert_eq!(nms(&boxes, 0.3), vec![boxes[1], boxes[2]]);
        assert!(nms(&[], 0.3).is_empty());
    }

    proptest! {
        #[test]
        fn kept_boxes_never_overlap_beyond_the_threshold(raw in prop::collection::vec((0f32..100.0, 0f32..100.0, 1f32..40.0, 1f32..40.0, 0f32..1.0), 0..40),
                                                       max_iou in 0f32..1.0) {
            let boxes: Vec<Scored> = raw.iter().map(|&(x, y, w, h, s)| Scored { bounds: BoxXyxy::from_xywh(x, y, w, h), score: s }).collect();
            for kept in [first_wins(&boxes, max_iou), nms(&boxes, max_iou)] {
                for (i, a) in kept.iter().enumerate() {
                    for b in &kept[i + 1..] {
                        prop_assert!(a.bounds.iou(&b.bounds) <= max_iou);
                    }
                }
                // Every dropped box overlaps some kept box too much.
                for b in &boxes {
                    prop_assert!(kept.contains(b) || kept.iter().any(|k| k.bounds.iou(&b.bounds) > max_iou));
                }
            }
        }
    }
}
