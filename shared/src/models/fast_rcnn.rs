//! Fast-RCNN as the tutorial builds it (SPEC.md section 9): a ResNet-18-shaped feature
//! extractor with every stride 1 (the feature map is as large as the image) and few channels,
//! ROI pooling of each proposal to 5x5, and two heads: face/background logits and box offsets.
//!
//! Beside it, the same design on a stronger extractor: the feature pyramid of the single-shot
//! detector ([`Pyramid`]), its stride-8 level pooled. Its tensors are named as the single-shot
//! detector's, so a trained single-shot model can start it, as Fast R-CNN starts from a
//! network trained on another task (Girshick 2015: ImageNet's VGG16).

use candle_core::{Module, Tensor};
use candle_nn::{linear, Linear, VarBuilder};

use super::dropout::dropout;
use super::pyramid::Pyramid;
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

/// What computes the feature map the regions are pooled from.
#[derive(Debug, Clone)]
enum Extractor {
    /// The tutorial's: stride 1, every block at the image's size.
    Tutorial { conv1: Conv2d, bn1: BatchNorm, blocks: Vec<BasicBlock> },
    /// The feature pyramid's finest level (stride 8).
    Pyramid(Pyramid),
}

/// The tutorial's model or its pyramid variant; `width` multiplies channel counts (tutorial
/// at 1: stem 4, stages 4, 4, 8, 8; pyramid: see [`Pyramid`]).
#[derive(Debug, Clone)]
pub struct FastRcnn {
    extractor: Extractor,
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
        let extractor = Extractor::Tutorial { conv1: conv(3, 4 * width, 3, 1, vb.pp("conv1"))?, bn1: bn(4 * width, vb.pp("bn1"))?, blocks };
        Self::with_heads(extractor, cin, scale, vb)
    }

    /// Builds the pyramid variant: the regions pooled from the stride-8 level of a [`Pyramid`]
    /// of `width`; inputs' sides must be multiples of 32.
    pub fn on_pyramid(width: usize, scale: OffsetScale, vb: VarBuilder) -> candle_core::Result<Self> {
        let pyramid = Pyramid::new(width, vb.clone())?;
        let channels = pyramid.channels();
        Self::with_heads(Extractor::Pyramid(pyramid), channels, scale, vb)
    }

    /// The tutorial's two heads over `channels` pooled maps.
    fn with_heads(extractor: Extractor, channels: usize, scale: OffsetScale, vb: VarBuilder) -> candle_core::Result<Self> {
        let features = channels * POOL * POOL;
        Ok(FastRcnn {
            extractor,
            labels: (linear(features, 32, vb.pp("labels.0"))?, linear(32, 2, vb.pp("labels.3"))?),
            offsets: (linear(features, 128, vb.pp("offsets.0"))?, linear(128, 4, vb.pp("offsets.3"))?),
            scale,
        })
    }

    /// Image pixels per feature-map pixel.
    pub fn stride(&self) -> usize {
        match self.extractor {
            Extractor::Tutorial { .. } => 1,
            Extractor::Pyramid(_) => crate::models::pyramid::STRIDES[0],
        }
    }

    /// The feature map of a (N, 3, H, W) batch: (N, C, H / stride, W / stride).
    pub fn features(&self, images: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        match &self.extractor {
            Extractor::Tutorial { conv1, bn1, blocks } => {
                let mut xs = bn1.forward_relu_t(&conv1.forward(images)?, train)?;
                for block in blocks {
                    xs = block.forward_t(&xs, train)?;
                }
                Ok(xs)
            }
            Extractor::Pyramid(pyramid) => Ok(pyramid.forward_t(images, train)?.swap_remove(0)),
        }
    }

    /// For `rois` (R, 5: image index, x0, y0, x1, y1 in the images' pixels): face/background
    /// logits (R, 2) and box offsets (R, 4).
    pub fn forward_t(&self, images: &Tensor, rois: &Tensor, train: bool) -> candle_core::Result<(Tensor, Tensor)> {
        let features = self.features(images, train)?;
        let rois = match self.stride() {
            1 => rois.clone(),
            s => {
                let s = 1.0 / s as f32;
                rois.broadcast_mul(&Tensor::new(&[1.0, s, s, s, s], rois.device())?)?
            }
        };
        let pooled = roi_pool(&features, &rois, POOL)?.flatten_from(1)?;
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
    fn the_pyramid_variant_pools_regions_from_its_stride_8_map_in_image_pixels() {
        let varmap = VarMap::new();
        let model = FastRcnn::on_pyramid(1, OffsetScale::FASTER_RCNN, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).unwrap();
        assert_eq!(model.stride(), 8);
        let images = Var::from_tensor(&Tensor::rand(0f32, 1f32, (2, 3, 64, 96), &Device::Cpu).unwrap()).unwrap();
        let features = model.features(images.as_tensor(), false).unwrap();
        assert_eq!(features.dims(), &[2, 32, 8, 12]);
        // A region given in image pixels is pooled from the map cells it covers (pixels / 8).
        let rois = Tensor::new(&[[1f32, 16., 8., 56., 48.], [0., 0., 0., 96., 64.]], &Device::Cpu).unwrap();
        let (labels, offsets) = model.forward_t(images.as_tensor(), &rois, false).unwrap();
        assert_eq!((labels.dims(), offsets.dims()), (&[2usize, 2][..], &[2usize, 4][..]));
        let cells = Tensor::new(&[[1f32, 2., 1., 7., 6.]], &Device::Cpu).unwrap();
        let want = roi_pool(&features, &cells, POOL).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let by_hand = candle_nn::ops::softmax(&model.labels.1.forward(&model.labels.0.forward(&Tensor::new(want, &Device::Cpu).unwrap().unsqueeze(0).unwrap()).unwrap().relu().unwrap()).unwrap(), 1).unwrap();
        let got = candle_nn::ops::softmax(&labels, 1).unwrap().to_vec2::<f32>().unwrap()[0].clone();
        let by_hand = by_hand.to_vec2::<f32>().unwrap()[0].clone();
        assert!(got.iter().zip(&by_hand).all(|(a, b)| (a - b).abs() < 1e-5), "{got:?} vs {by_hand:?}");
        let loss = (labels.sum_all().unwrap() + offsets.sum_all().unwrap()).unwrap();
        let g = loss.backward().unwrap().get(&images).unwrap().abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(g > 0.0, "no gradient reached the images");
        // The single-shot detector's backbone tensors have the same names.
        let names: Vec<String> = varmap.data().lock().unwrap().keys().cloned().collect();
        for name in ["stem.conv.weight", "stage4.conv2.weight", "lateral2.weight", "smooth0.bn.running_var"] {
            assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
        }
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
