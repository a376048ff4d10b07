//! The single-shot detector's loss (Generalized Focal Loss, Li et al. 2020, and GIoU, Rezatofighi
//! et al. 2019): every location's score learns the IoU of its own predicted box with its face
//! (0 for background) under the quality focal loss, which turns down the flood of easy
//! background locations; each face location's box learns by 1 - GIoU. Both are summed and
//! divided by the number of face locations.

use candle_core::{Device, Result, Tensor};
use ocellus::boxes::points::{Point, LOG_DISTANCE};
use ocellus::boxes::BoxXyxy;

use super::point_targets::PointTarget;

/// The box loss's weight against the score loss (GFL's 2).
const BOX_WEIGHT: f64 = 2.0;

/// The loss of one batch's flat outputs `out` (N * P, 5) against `targets` (N * P, the
/// images' targets one after another) with `faces[i]` the faces of image i.
pub fn point_loss(out: &Tensor, points: &[Point], targets: &[PointTarget], faces: &[Vec<BoxXyxy>], device: &Device) -> Result<Tensor> {
    let per_image = points.len();
    let mut index = Vec::new();
    let (mut anchor, mut truth) = (Vec::new(), Vec::new());
    let mut weight = vec![1f32; targets.len()];
    for (i, t) in targets.iter().enumerate() {
        match *t {
            PointTarget::Background => {}
            PointTarget::Ignored => weight[i] = 0.0,
            PointTarget::Face(k) => {
                let p = &points[i % per_image];
                let f = &faces[i / per_image][k];
                index.push(i as u32);
                anchor.extend([p.x, p.y, p.stride]);
                truth.extend([f.x0, f.y0, f.x1, f.y1]);
            }
        }
    }
    let positives = index.len();
    let logits = out.narrow(1, 0, 1)?.flatten_all()?;
    let norm = positives.max(1) as f64;
    let mut quality = vec![0f32; targets.len()];
    let box_loss = if positives > 0 {
        let idx = Tensor::from_vec(index.clone(), positives, device)?;
        let picked = out.index_select(&idx, 0)?;
        let anchor = Tensor::from_vec(anchor, (positives, 3), device)?;
        let truth = Tensor::from_vec(truth, (positives, 4), device)?;
        let dist = picked.narrow(1, 1, 4)?.clamp(LOG_DISTANCE.0, LOG_DISTANCE.1)?.exp()?.broadcast_mul(&anchor.narrow(1, 2, 1)?)?;
        let (px, py) = (anchor.narrow(1, 0, 1)?, anchor.narrow(1, 1, 1)?);
        let col = |t: &Tensor, i: usize| t.narrow(1, i, 1);
        let predicted = Tensor::cat(&[(&px - col(&dist, 0)?)?, (&py - col(&dist, 1)?)?, (&px + col(&dist, 2)?)?, (&py + col(&dist, 3)?)?], 1)?;
        let (iou, giou) = iou_and_giou(&predicted, &truth)?;
        for (&i, q) in index.iter().zip(iou.detach().to_vec1::<f32>()?) {
            quality[i as usize] = q.max(0.0);
        }
        ((1.0 - giou)?.sum_all()? * (BOX_WEIGHT / norm))?
    } else {
        Tensor::zeros((), candle_core::DType::F32, device)?
    };
    let y = Tensor::from_vec(quality, targets.len(), device)?;
    let w = Tensor::from_vec(weight, targets.len(), device)?;
    let score_loss = (quality_focal(&logits, &y)?.mul(&w)?.sum_all()? / norm)?;
    score_loss + box_loss
}

/// Quality focal loss per element: binary cross-entropy of `logits` against soft targets `y`,
/// scaled by the squared distance between the predicted probability and `y`.
pub fn quality_focal(logits: &Tensor, y: &Tensor) -> Result<Tensor> {
    // BCE with logits, in the stable form max(x, 0) - x y + log(1 + e^-|x|).
    let bce = ((logits.relu()? - logits.mul(y)?)? + logits.abs()?.neg()?.exp()?.affine(1.0, 1.0)?.log()?)?;
    let p = candle_nn::ops::sigmoid(logits)?;
    bce.mul(&(p - y)?.sqr()?)
}

/// IoU and generalised IoU of matching rows of two (K, 4) corner tensors.
pub fn iou_and_giou(a: &Tensor, b: &Tensor) -> Result<(Tensor, Tensor)> {
    let c = |t: &Tensor, i: usize| -> Result<Tensor> { t.narrow(1, i, 1)?.flatten_all() };
    let (ax0, ay0, ax1, ay1) = (c(a, 0)?, c(a, 1)?, c(a, 2)?, c(a, 3)?);
    let (bx0, by0, bx1, by1) = (c(b, 0)?, c(b, 1)?, c(b, 2)?, c(b, 3)?);
    let area = |x0: &Tensor, y0: &Tensor, x1: &Tensor, y1: &Tensor| -> Result<Tensor> { (x1 - x0)?.relu()?.mul(&(y1 - y0)?.relu()?) };
    let (ix0, iy0, ix1, iy1) = (ax0.maximum(&bx0)?, ay0.maximum(&by0)?, ax1.minimum(&bx1)?, ay1.minimum(&by1)?);
    let inter = area(&ix0, &iy0, &ix1, &iy1)?;
    let union = ((area(&ax0, &ay0, &ax1, &ay1)? + area(&bx0, &by0, &bx1, &by1)?)? - &inter)?.affine(1.0, 1e-7)?;
    let iou = inter.div(&union)?;
    let (ex0, ey0, ex1, ey1) = (ax0.minimum(&bx0)?, ay0.minimum(&by0)?, ax1.maximum(&bx1)?, ay1.maximum(&by1)?);
    let enclosing = area(&ex0, &ey0, &ex1, &ey1)?.affine(1.0, 1e-7)?;
    let giou = (&iou - (&enclosing - &union)?.div(&enclosing)?)?;
    Ok((iou, giou))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(t: &Tensor) -> Vec<f32> {
        t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
    }

    #[test]
    fn iou_and_giou_match_the_definitions() {
        let d = Device::Cpu;
        let a = Tensor::new(&[[0f32, 0., 10., 10.], [0., 0., 10., 10.], [0., 0., 10., 10.]], &d).unwrap();
        let b = Tensor::new(&[[0f32, 0., 10., 10.], [5., 0., 15., 10.], [20., 0., 30., 10.]], &d).unwrap();
        let (iou, giou) = iou_and_giou(&a, &b).unwrap();
        let (iou, giou) = (values(&iou), values(&giou));
        assert!((iou[0] - 1.0).abs() < 1e-5 && (giou[0] - 1.0).abs() < 1e-5);
        assert!((iou[1] - 50.0 / 150.0).abs() < 1e-5 && (giou[1] - 50.0 / 150.0).abs() < 1e-5, "{giou:?}");
        // Disjoint: IoU 0, GIoU = -(enclosing - union) / enclosing = -(300 - 200) / 300.
        assert!(iou[2].abs() < 1e-6 && (giou[2] + 100.0 / 300.0).abs() < 1e-5, "{giou:?}");
        let ours = BoxXyxy { x0: 0.0, y0: 0.0, x1: 10.0, y1: 10.0 }.iou(&BoxXyxy { x0: 5.0, y0: 0.0, x1: 15.0, y1: 10.0 });
        assert!((iou[1] - ours).abs() < 1e-6);
    }

    #[test]
    fn the_quality_focal_loss_is_cross_entropy_scaled_by_the_squared_gap() {
        let d = Device::Cpu;
        let x = Tensor::new(&[2f32, -1.0, 0.0, -30.0], &d).unwrap();
        let y = Tensor::new(&[0.8f32, 0.0, 0.5, 0.0], &d).unwrap();
        let got = values(&quality_focal(&x, &y).unwrap());
        for (i, (xi, yi)) in [(2f32, 0.8f32), (-1.0, 0.0), (0.0, 0.5), (-30.0, 0.0)].into_iter().enumerate() {
            let p = 1.0 / (1.0 + (-xi).exp());
            let want = -(yi * p.ln() + (1.0 - yi) * (1.0 - p).ln()) * (p - yi).powi(2);
            assert!((got[i] - want).abs() < 1e-5, "{i}: {} vs {want}", got[i]);
        }
        // A perfect prediction costs nothing.
        assert!(got[2].abs() < 1e-7 && got[3].abs() < 1e-7);
    }

    #[test]
    fn the_loss_pulls_a_face_location_towards_its_face() {
        let d = Device::Cpu;
        let points = [Point { x: 20.0, y: 20.0, stride: 8.0 }, Point { x: 60.0, y: 20.0, stride: 8.0 }];
        let faces = vec![vec![BoxXyxy { x0: 4.0, y0: 4.0, x1: 36.0, y1: 36.0 }]];
        let targets = [PointTarget::Face(0), PointTarget::Background];
        let var = candle_core::Var::from_tensor(&Tensor::zeros((2, 5), candle_core::DType::F32, &d).unwrap()).unwrap();
        let (mut first, mut last) = (None, f32::INFINITY);
        for _ in 0..60 {
            let loss = point_loss(var.as_tensor(), &points, &targets, &faces, &d).unwrap();
            let value = loss.to_scalar::<f32>().unwrap();
            let grads = loss.backward().unwrap();
            var.set(&(var.as_tensor() - (grads.get(&var).unwrap() * 0.5).unwrap()).unwrap()).unwrap();
            first.get_or_insert(value);
            last = value;
        }
        let out = var.as_tensor().to_vec2::<f32>().unwrap();
        // The face location's distances grow toward 16 pixels (2 strides, log 2 ~ 0.69) and its
        // score rises above the background's.
        assert!(out[0][1..].iter().all(|&v| (v - 2f32.ln()).abs() < 0.2), "{out:?}");
        assert!(out[0][0] > out[1][0], "{out:?}");
        assert!(last < 0.8 * first.unwrap(), "{first:?} -> {last}");
    }
}
