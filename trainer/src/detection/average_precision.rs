//! Detection quality as the field measures it (PASCAL VOC): detections of all photos ranked by
//! score, each a true positive when it overlaps a not yet matched true box of its photo by an
//! IoU of at least 0.5, else a false positive; average precision is the area under the
//! precision-recall curve with precision made monotone (all-point interpolation, VOC 2010 on).

use ocellus::boxes::merge::Scored;
use ocellus::boxes::BoxXyxy;

/// One photo's detections and true boxes.
pub struct PhotoResult {
    /// Detections, any order.
    pub found: Vec<Scored>,
    /// True boxes.
    pub truth: Vec<BoxXyxy>,
}

/// Precision, recall and AP of a set of photos.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quality {
    /// Area under the interpolated precision-recall curve.
    pub average_precision: f64,
    /// True positives / detections.
    pub precision: f64,
    /// True positives / true boxes.
    pub recall: f64,
    /// Detections that matched a true box.
    pub true_positives: usize,
    /// Detections in all.
    pub detections: usize,
    /// True boxes in all.
    pub faces: usize,
}

/// Scores `photos` at IoU `min_iou`, counting only detections scoring above `threshold` (use
/// `f32::NEG_INFINITY` for all of them).
pub fn quality(photos: &[PhotoResult], min_iou: f32, threshold: f32) -> Quality {
    let mut ranked: Vec<(f32, usize, BoxXyxy)> =
        photos.iter().enumerate().flat_map(|(p, r)| r.found.iter().filter(|d| d.score > threshold).map(move |d| (d.score, p, d.bounds))).collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let faces: usize = photos.iter().map(|r| r.truth.len()).sum();
    let mut matched: Vec<Vec<bool>> = photos.iter().map(|r| vec![false; r.truth.len()]).collect();
    let mut hits = Vec::with_capacity(ranked.len());
    for (_, p, b) in &ranked {
        // The best-overlapping true box decides, as in the VOC devkit: if it is taken, this
        // detection is a duplicate.
        let best = photos[*p].truth.iter().enumerate().map(|(i, t)| (i, b.iou(t))).max_by(|x, y| x.1.total_cmp(&y.1));
        let hit = match best {
            Some((i, iou)) if iou >= min_iou && !matched[*p][i] => {
                matched[*p][i] = true;
                true
            }
            _ => false,
        };
        hits.push(hit);
    }
    let mut tp = 0usize;
    let mut curve = Vec::with_capacity(hits.len());
    for (k, &hit) in hits.iter().enumerate() {
        tp += hit as usize;
        curve.push((tp as f64 / faces.max(1) as f64, tp as f64 / (k + 1) as f64));
    }
    // Monotone precision from the right, then the area under the step curve.
    let mut envelope = 0.0f64;
    for point in curve.iter_mut().rev() {
        envelope = envelope.max(point.1);
        point.1 = envelope;
    }
    let mut ap = 0.0;
    let mut last_recall = 0.0;
    for (recall, precision) in &curve {
        ap += (recall - last_recall) * precision;
        last_recall = *recall;
    }
    Quality {
        average_precision: if faces == 0 { 0.0 } else { ap },
        precision: if ranked.is_empty() { 0.0 } else { tp as f64 / ranked.len() as f64 },
        recall: if faces == 0 { 0.0 } else { tp as f64 / faces as f64 },
        true_positives: tp,
        detections: ranked.len(),
        faces,
    }
}

/// COCO's AP@[0.5:0.95]: the mean of the average precisions at IoU 0.5, 0.55, ..., 0.95.
pub fn average_precision_50_95(photos: &[PhotoResult]) -> f64 {
    (0..10).map(|k| quality(photos, 0.5 + 0.05 * k as f32, f32::NEG_INFINITY).average_precision).sum::<f64>() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x: f32) -> BoxXyxy {
        BoxXyxy { x0: x, y0: 0.0, x1: x + 10.0, y1: 10.0 }
    }

    fn s(x: f32, score: f32) -> Scored {
        Scored { bounds: b(x), score }
    }

    #[test]
    fn perfect_detections_score_one() {
        let photos = [PhotoResult { found: vec![s(0.0, 0.9), s(50.0, 0.8)], truth: vec![b(0.0), b(50.0)] }];
        let q = quality(&photos, 0.5, f32::NEG_INFINITY);
        assert_eq!((q.average_precision, q.precision, q.recall), (1.0, 1.0, 1.0));
    }

    #[test]
    fn worked_example_with_a_duplicate_a_miss_and_a_false_alarm() {
        // Ranked: hit (face A), duplicate of A, false alarm, hit (face B in photo 2); face C missed.
        let photos = [
            PhotoResult { found: vec![s(0.0, 0.95), s(1.0, 0.9), s(200.0, 0.85)], truth: vec![b(0.0), b(100.0)] },
            PhotoResult { found: vec![s(30.0, 0.6)], truth: vec![b(30.0)] },
        ];
        let q = quality(&photos, 0.5, f32::NEG_INFINITY);
        // Curve (recall, precision): (1/3, 1), (1/3, 1/2), (1/3, 1/3), (2/3, 1/2); envelope 1 up
        // to recall 1/3 and 1/2 up to 2/3: AP = 1/3 + 1/3 * 1/2 = 0.5.
        assert!((q.average_precision - 0.5).abs() < 1e-12, "{q:?}");
        assert_eq!((q.true_positives, q.detections, q.faces), (2, 4, 3));
        assert!((q.precision - 0.5).abs() < 1e-12 && (q.recall - 2.0 / 3.0).abs() < 1e-12);
        // At threshold 0.7 only the first photo's three count.
        let q = quality(&photos, 0.5, 0.7);
        assert_eq!((q.true_positives, q.detections), (1, 3));
    }

    #[test]
    fn ap_over_iou_0_5_to_0_95_averages_ten_thresholds() {
        // One face found with IoU 0.82: a hit at IoU 0.5 to 0.8 (7 of 10 thresholds), a miss above.
        let truth = BoxXyxy { x0: 0.0, y0: 0.0, x1: 100.0, y1: 100.0 };
        let found = Scored { bounds: BoxXyxy { x0: 0.0, y0: 0.0, x1: 82.0, y1: 100.0 }, score: 0.9 };
        assert!((found.bounds.iou(&truth) - 0.82).abs() < 1e-6);
        let photos = [PhotoResult { found: vec![found], truth: vec![truth] }];
        assert!((average_precision_50_95(&photos) - 0.7).abs() < 1e-9, "{}", average_precision_50_95(&photos));
    }

    #[test]
    fn nothing_found_is_zero_not_a_division_by_zero() {
        let q = quality(&[PhotoResult { found: vec![], truth: vec![b(0.0)] }], 0.5, 0.0);
        assert_eq!((q.average_precision, q.precision, q.recall), (0.0, 0.0, 0.0));
    }
}
