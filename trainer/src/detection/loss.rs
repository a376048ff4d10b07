//! Fast-RCNN's split loss and its metrics (SPEC.md section 9): cross-entropy over the face
//! regions plus cross-entropy over the background regions, computed apart so that the many
//! background regions cannot teach the model to answer "background" everywhere, plus the face
//! regions' offset error: the tutorial's mean squared error of raw offsets, or, for offsets
//! scaled as Faster R-CNN scales them, its smooth L1 of the scaled offsets.

use candle_core::{Result, Tensor};
use candle_nn::loss::{cross_entropy, mse};
use ocellus::boxes::offsets::OffsetScale;

/// The regions' truth: label per region (1 face, 0 background) and, for faces, offsets.
pub struct RegionTargets {
    /// (R,) u32 labels.
    pub labels: Tensor,
    /// (R, 4) offsets; rows of background regions are ignored.
    pub offsets: Tensor,
}

/// Indices of the regions with `label`, as a u32 tensor (`None` when there are none).
fn indices_of(labels: &[u32], label: u32, device: &candle_core::Device) -> Result<Option<Tensor>> {
    let idx: Vec<u32> = labels.iter().enumerate().filter(|(_, &l)| l == label).map(|(i, _)| i as u32).collect();
    if idx.is_empty() {
        return Ok(None);
    }
    let n = idx.len();
    Tensor::from_vec(idx, n, device).map(Some)
}

/// CE(faces) + CE(background) over (R, 2) logits and (R,) u32 labels; a part with no
/// regions adds nothing. RCNN's crops are scored by this alone.
pub fn split_cross_entropy(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    let values = labels.to_vec1::<u32>()?;
    let device = logits.device();
    let mut total = Tensor::zeros((), logits.dtype(), device)?;
    for label in [1u32, 0] {
        if let Some(idx) = indices_of(&values, label, device)? {
            let part = cross_entropy(&logits.index_select(&idx, 0)?, &labels.index_select(&idx, 0)?)?;
            total = (total + part)?;
        }
    }
    Ok(total)
}

/// Where smooth L1 turns from quadratic to linear, in scaled offset units (torchvision's
/// Faster R-CNN box head uses 1/9).
const SMOOTH_L1_BETA: f64 = 1.0 / 9.0;

/// Mean smooth L1 of `error`: 0.5 e^2 / beta below beta, |e| - 0.5 beta above.
fn smooth_l1(error: &Tensor) -> Result<Tensor> {
    let size = error.abs()?;
    let small = size.clamp(0.0, SMOOTH_L1_BETA)?;
    ((small.sqr()? * (0.5 / SMOOTH_L1_BETA))? + (size - small)?)?.mean_all()
}

/// The offset term over face regions: the tutorial's MSE of raw offsets, or smooth L1 of the
/// offsets divided by `scale` (the offset head's own units).
fn offset_loss(predicted: &Tensor, wanted: &Tensor, scale: OffsetScale) -> Result<Tensor> {
    if scale.is_tutorial() {
        return mse(predicted, wanted);
    }
    let per_unit = Tensor::new(&[scale.0.map(|s| 1.0 / s)], predicted.device())?;
    smooth_l1(&(predicted - wanted)?.broadcast_mul(&per_unit)?)
}

/// CE(faces) + CE(background) + the face regions' offset loss; a part with no regions adds
/// nothing.
pub fn split_loss(logits: &Tensor, offsets: &Tensor, truth: &RegionTargets, scale: OffsetScale) -> Result<Tensor> {
    let labels = truth.labels.to_vec1::<u32>()?;
    let device = logits.device();
    let mut total = split_cross_entropy(logits, &truth.labels)?;
    if let Some(idx) = indices_of(&labels, 1, device)? {
        total = (total + offset_loss(&offsets.index_select(&idx, 0)?, &truth.offsets.index_select(&idx, 0)?, scale)?)?;
    }
    Ok(total)
}

/// Per batch: (faces right, faces, background right, background, sum of |offset error| over
/// face regions' 4 offsets), to be summed over an epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RegionTally {
    /// Face regions called faces.
    pub faces_right: usize,
    /// Face regions.
    pub faces: usize,
    /// Background regions called background.
    pub background_right: usize,
    /// Background regions.
    pub background: usize,
    /// Sum of absolute offset errors over face regions (4 per region).
    pub offset_error: f64,
}

impl RegionTally {
    /// Counts one batch's answers.
    pub fn add(&mut self, logits: &Tensor, offsets: &Tensor, truth: &RegionTargets) -> Result<()> {
        let scores = logits.to_vec2::<f32>()?;
        let predicted = offsets.to_vec2::<f32>()?;
        let labels = truth.labels.to_vec1::<u32>()?;
        let wanted = truth.offsets.to_vec2::<f32>()?;
        for (i, &label) in labels.iter().enumerate() {
            let says_face = scores[i][1] > scores[i][0];
            if label == 1 {
                self.faces += 1;
                self.faces_right += says_face as usize;
                self.offset_error += predicted[i].iter().zip(&wanted[i]).map(|(a, b)| (a - b).abs() as f64).sum::<f64>();
            } else {
                self.background += 1;
                self.background_right += !says_face as usize;
            }
        }
        Ok(())
    }

    /// Balanced accuracy: the mean of face recall and background recall (the spec's measure).
    pub fn label_accuracy(&self) -> f64 {
        let recall = |right: usize, all: usize| if all == 0 { 1.0 } else { right as f64 / all as f64 };
        (recall(self.faces_right, self.faces) + recall(self.background_right, self.background)) / 2.0
    }

    /// 1 - mean absolute offset error over face regions (1 when there are none).
    pub fn offset_accuracy(&self) -> f64 {
        if self.faces == 0 {
            1.0
        } else {
            1.0 - self.offset_error / (4 * self.faces) as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn truth(labels: &[u32], offsets: &[[f32; 4]]) -> RegionTargets {
        let d = &Device::Cpu;
        RegionTargets { labels: Tensor::new(labels, d).unwrap(), offsets: Tensor::from_vec(offsets.concat(), (offsets.len(), 4), d).unwrap() }
    }

    #[test]
    fn the_loss_weighs_faces_and_background_apart() {
        let d = &Device::Cpu;
        // One face region answered "background" confidently, nine background regions right.
        let mut rows = vec![[2f32, -2.]];
        rows.extend(std::iter::repeat_n([2f32, -2.], 9));
        let logits = Tensor::from_vec(rows.concat(), (rows.len(), 2), d).unwrap();
        let offsets = Tensor::zeros((10, 4), candle_core::DType::F32, d).unwrap();
        let mut labels = vec![1u32];
        labels.extend([0; 9]);
        let t = truth(&labels, &[[0.5, 0., 0., 0.]; 10]);
        let loss: f32 = split_loss(&logits, &offsets, &t, OffsetScale::TUTORIAL).unwrap().to_scalar().unwrap();
        // CE(face) = ln(1 + e^4), CE(background) = ln(1 + e^-4), MSE = 0.25 / 4.
        let want = (1f32 + 4f32.exp()).ln() + (1f32 + (-4f32).exp()).ln() + 0.0625;
        assert!((loss - want).abs() < 1e-4, "{loss} vs {want}");
        // Pooled cross-entropy would have diluted the face's error tenfold.
        let mut tally = RegionTally::default();
        tally.add(&logits, &offsets, &t).unwrap();
        assert_eq!(tally.label_accuracy(), 0.5);
        assert!((tally.offset_accuracy() - (1.0 - 0.5 / 4.0)).abs() < 1e-9);
    }

    #[test]
    fn a_batch_without_faces_has_no_offset_term() {
        let d = &Device::Cpu;
        let logits = Tensor::new(&[[0f32, 0.], [0., 0.]], d).unwrap();
        let offsets = Tensor::ones((2, 4), candle_core::DType::F32, d).unwrap();
        let loss: f32 = split_loss(&logits, &offsets, &truth(&[0, 0], &[[9.; 4]; 2]), OffsetScale::FASTER_RCNN).unwrap().to_scalar().unwrap();
        assert!((loss - 2f32.ln()).abs() < 1e-6);
    }

    #[test]
    fn scaled_offsets_are_scored_by_smooth_l1_in_the_heads_units() {
        let d = &Device::Cpu;
        let logits = Tensor::new(&[[0f32, 0.]], d).unwrap();
        // Errors 0.005 and 0.3 in dx, 0 in dy, 0.02 and 0.1 in dw/dh: scaled by 1/0.1 and 1/0.2
        // to 0.05 (quadratic), 3 (linear), 0, 0.1 (quadratic), 0.5 (linear).
        let predicted = Tensor::new(&[[0.005f32, 0., 0.02, 0.1]], d).unwrap();
        let t = truth(&[1], &[[0.; 4]]);
        let loss: f32 = split_loss(&logits, &predicted, &t, OffsetScale::FASTER_RCNN).unwrap().to_scalar().unwrap();
        let beta = 1.0 / 9.0;
        let sl1 = |e: f32| if e < beta { 0.5 * e * e / beta } else { e - 0.5 * beta };
        let want = 2f32.ln() + (sl1(0.05) + sl1(0.0) + sl1(0.1) + sl1(0.5)) / 4.0;
        assert!((loss - want).abs() < 1e-5, "{loss} vs {want}");
        let big = Tensor::new(&[[0.3f32, 0., 0., 0.]], d).unwrap();
        let loss: f32 = split_loss(&logits, &big, &t, OffsetScale::FASTER_RCNN).unwrap().to_scalar().unwrap();
        assert!((loss - (2f32.ln() + sl1(3.0) / 4.0)).abs() < 1e-5, "{loss}");
    }
}
