//! Fast-RCNN as the tutorial builds it (SPEC.md section 9): a ResNet-18-shaped feature
//! extractor with every stride 1 (the feature map is as large as the image) and few channels,
//! ROI pooling of each proposal to 5x5, and two heads: face/background logits and box offsets.

use candle_core::{Module, Tensor};
use candle_nn::{linear, Linear, VarBuilder};

use super::dropout::dropout;
use super::resnet::{bn, conv, BasicBlock};
use crate::ops::batch_norm::BatchNorm;
use crate::boxes::offsets::OffsetScale;
use crate::ops::conv::Conv2d;
use crate::ops::roi_pool::roi_pool;

/// The pooled grid side.
pub const POOL: usize = 5;
/// The heads' dropout probability.
const DROPOUT: f32 = 0.1;

/// The standard deviation the heads' last layers start from (Fast R-CNN, Girshick 2015:
/// 0.01 for the classifier, 0.001 for the box regressor), their biases at zero: the default
/// Kaiming scale makes the first offsets several units large, and their squared error then
/// swamps the label loss for many epochs. `None` for every other tensor.
pub fn head_initial_std(name: &str) -> Option<f32> {
    match name {
        "labels.3.weight" => Some(0.01),
        "offsets.3.weight" => Some(0.001),
        "labels.3.bias" | "offsets.3.bias" => Some(0.0),
        _ => None,
    }
}

/// The tutorial's model; `width` multiplies its channel counts (1: stem 4, stages 4, 4, 8, 8).
#[derive(Debug, Clone)]
pub struct FastRcnn {
    conv1: Conv2d,
    bn1: BatchNorm,
    blocks: Vec<BasicBlock>,
    labels: (Linear, Linear),
    offsets: (Linear, Linear),
    scale: OffsetScale,
}

impl FastRcnn {
    /// Builds the model with channels scaled by `width` (at least 1), its offset head's
    /// outputs multiplied by `scale` into offsets.
    pub fn new(width: usize, scale: OffsetScale, vb: VarBuilder) -> candle_core::Result<Self> {
        if width == 0 {
            candle_core::bail!("Fast-RCNN width must be at least 1");
        }
        let stages = [4 * width, 4 * width, 8 * width, 8 * width];
        let mut blocks = Vec::with_capacity(8);
        let mut cin = 4 * width;
        for (i, &cout) in stages.iter().enumerate() {
            let vs = vb.pp(format!("layer{}", i + 1));
            blocks.push(BasicBlock::new(cin, cout, 1, vs.pp("0"))?);
            blocks.push(BasicBlock::new(cout, cout, 1, vs.pp("1"))?);
            cin = cout;
        }
        let features = cin * POOL * POOL;
        Ok(FastRcnn {
            conv1: conv(3, 4 * width, 3, 1, vb.pp("conv1"))?,
            bn1: bn(4 * width, vb.pp("bn1"))?,
            blocks,
            labels: (linear(features, 32, vb.pp("labels.0"))?, linear(32, 2, vb.pp("labels.3"))?),
            offsets: (linear(features, 128, vb.pp("offsets.0"))?, linear(128, 4, vb.pp("offsets.3"))?),
            scale,
        })
    }

    /// The feature map of a (N, 3, H, W) batch: (N, 8 * width, H, W).
    pub fn features(&self, images: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let mut xs = self.bn1.forward_relu_t(&self.conv1.forward(images)?, train)?;
        for block in &self.blocks {
            xs = block.forward_t(&xs, train)?;
        }
        Ok(xs)
    }

    /// For `rois` (R, 5: image index, x0, y0, x1, y1 in the images' pixels): face/background
    /// logits (R, 2) and box offsets (R, 4).
    pub fn forward_t(&self, images: &Tensor, rois: &Tensor, train: bool) -> candle_core::Result<(Tensor, Tensor)> {
        let pooled = roi_pool(&self.features(images, train)?, rois, POOL)?.flatten_from(1)?;
        let head = |(a, b): &(Linear, Linear)| -> candle_core::Result<Tensor> { b.forward(&dropout(&a.forward(&pooled)?.relu()?, DROPOUT, train)?) };
        let offsets = head(&self.offsets)?;
        let offsets = if self.scale.is_tutorial() { offsets } else { offsets.broadcast_mul(&Tensor::new(&[self.scale.0], offsets.device())?)? };
        Ok((head(&self.labels)?, offsets))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device, Var};
    use candle_nn::VarMap;

    #[test]
    fn the_tutorials_model_pools_each_region_and_learns_through_the_pooling() {
        let varmap = VarMap::new();
        let model = FastRcnn::new(1, OffsetScale::TUTORIAL, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).unwrap();
        // The tutorial's PyTorch model has 38,570 parameters: stem 116, stages 608 + 608 + 2,128
        // + 2,368, label head 6,498, offset head 26,244.
        let params: usize = varmap.data().lock().unwrap().iter().filter(|(n, _)| !crate::models::is_running_stat(n)).map(|(_, v)| v.elem_count()).sum();
        assert_eq!(params, 38_570);
        let images = Var::from_tensor(&Tensor::rand(0f32, 1f32, (2, 3, 32, 40), &Device::Cpu).unwrap()).unwrap();
        let rois = Tensor::new(&[[0f32, 0., 0., 40., 32.], [1., 5., 6., 20., 30.], [1., 30., 2., 39., 9.]], &Device::Cpu).unwrap();
        let (labels, offsets) = model.forward_t(images.as_tensor(), &rois, true).unwrap();
        assert_eq!((labels.dims(), offsets.dims()), (&[3usize, 2][..], &[3usize, 4][..]));
        let loss = (labels.sum_all().unwrap() + offsets.sum_all().unwrap()).unwrap();
        let grads = loss.backward().unwrap();
        let g = grads.get(&images).unwrap().abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(g > 0.0, "no gradient reached the images");
    }

    #[test]
    fn a_scaled_head_gives_the_same_outputs_times_the_scale() {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let raw = FastRcnn::new(1, OffsetScale::TUTORIAL, vb.clone()).unwrap();
        let scaled = FastRcnn::new(1, OffsetScale::FASTER_RCNN, vb).unwrap();
        let images = Tensor::rand(0f32, 1f32, (1, 3, 24, 24), &Device::Cpu).unwrap();
        let rois = Tensor::new(&[[0f32, 2., 3., 20., 22.]], &Device::Cpu).unwrap();
        let (la, a) = raw.forward_t(&images, &rois, false).unwrap();
        let (lb, b) = scaled.forward_t(&images, &rois, false).unwrap();
        assert_eq!(la.to_vec2::<f32>().unwrap(), lb.to_vec2::<f32>().unwrap());
        let (a, b) = (a.to_vec2::<f32>().unwrap()[0].clone(), b.to_vec2::<f32>().unwrap()[0].clone());
        for (k, s) in OffsetScale::FASTER_RCNN.0.iter().enumerate() {
            assert!((a[k] * s - b[k]).abs() <= 1e-7 + 1e-6 * b[k].abs(), "{a:?} {b:?}");
        }
    }
}
