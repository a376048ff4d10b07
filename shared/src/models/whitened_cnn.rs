//! A fast-training classifier in the airbench family (Keller Jordan, arXiv 2404.00498): a
//! frozen 2x2 convolution whose filters whiten the image's patches (set by the trainer from
//! the training images), three groups of conv3x3 - max-pool - BatchNorm - GELU - conv3x3 -
//! BatchNorm - GELU, a global max-pool and a bias-free linear head whose output is scaled down.

use candle_core::{Module, Tensor};
use candle_nn::{linear_no_bias, Linear, VarBuilder};

use crate::ops::batch_norm::BatchNorm;
use crate::ops::conv::Conv2d;
use crate::ops::gelu::gelu;
use crate::ops::max_pool::max_pool2d;

/// Output channels of the whitening layer: 12 eigenvectors of 2x2x3 patches, each with its negation.
pub const WHITENING_CHANNELS: usize = 24;
/// Side of the whitening layer's patches.
pub const PATCH: usize = 2;
/// The head's output scale (airbench's 1/9: the logits start small, so early steps are calm).
const HEAD_SCALE: f64 = 1.0 / 9.0;
/// BatchNorm's epsilon and running-average momentum (the running statistics keep 0.6 of their
/// old value each step: with so few steps, they must follow the weights quickly).
const BN_EPS: f64 = 1e-12;
const BN_MOMENTUM: f64 = 0.4;

/// conv3x3 - max-pool 2 - BN - GELU - conv3x3 - BN - GELU.
#[derive(Debug, Clone)]
struct Group {
    conv1: Conv2d,
    norm1: BatchNorm,
    conv2: Conv2d,
    norm2: BatchNorm,
}

impl Group {
    fn new(cin: usize, cout: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Group {
            conv1: Conv2d::new(cin, cout, 3, 1, 1, false, vb.pp("conv1"))?,
            norm1: BatchNorm::with_settings(cout, BN_EPS, BN_MOMENTUM, vb.pp("norm1"))?,
            conv2: Conv2d::new(cout, cout, 3, 1, 1, false, vb.pp("conv2"))?,
            norm2: BatchNorm::with_settings(cout, BN_EPS, BN_MOMENTUM, vb.pp("norm2"))?,
        })
    }

    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let xs = max_pool2d(&self.conv1.forward(xs)?, 2)?;
        let xs = self.norm1.forward_gelu_t(&xs, train)?;
        self.norm2.forward_gelu_t(&self.conv2.forward(&xs)?, train)
    }
}

/// The network; `width` is the first group's channel count, the other two have 4x as many
/// (airbench94: 64, 256, 256).
#[derive(Debug, Clone)]
pub struct WhitenedCnn {
    whiten: Conv2d,
    groups: Vec<Group>,
    head: Linear,
}

impl WhitenedCnn {
    /// Builds the network with `outputs` logits.
    pub fn new(width: usize, outputs: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        if width == 0 {
            candle_core::bail!("the whitened CNN's width must be at least 1");
        }
        let widths = [width, 4 * width, 4 * width];
        let mut groups = Vec::with_capacity(3);
        let mut cin = WHITENING_CHANNELS;
        for (i, &cout) in widths.iter().enumerate() {
            groups.push(Group::new(cin, cout, vb.pp(format!("group{}", i + 1)))?);
            cin = cout;
        }
        Ok(WhitenedCnn {
            whiten: Conv2d::new(3, WHITENING_CHANNELS, PATCH, 1, 0, true, vb.pp("whiten"))?,
            groups,
            head: linear_no_bias(cin, outputs, vb.pp("head"))?,
        })
    }

    /// Logits for a (N, 3, H, W) batch (H and W of at least 16 pixels).
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let mut xs = gelu(&self.whiten.forward(xs)?)?;
        for group in &self.groups {
            xs = group.forward_t(&xs, train)?;
        }
        // A global max-pool: on 32x32 images the last map is 3x3, airbench's final 3x3 pool.
        let pooled = xs.flatten_from(2)?.max(2)?;
        self.head.forward(&pooled)? * HEAD_SCALE
    }
}

/// Whether a tensor is a BatchNorm scale, which this network keeps at 1 (airbench trains only
/// the BatchNorm biases).
pub fn is_frozen_scale(name: &str) -> bool {
    name.contains(".norm") && name.ends_with(".weight")
}

/// Whether a tensor is a BatchNorm bias (trained with a much larger learning rate).
pub fn is_norm_bias(name: &str) -> bool {
    name.contains(".norm") && name.ends_with(".bias")
}

/// The whitening layer's weight and bias names.
pub const WHITEN_WEIGHT: &str = "whiten.weight";
/// See [`WHITEN_WEIGHT`].
pub const WHITEN_BIAS: &str = "whiten.bias";

/// Initial values for the head (PyTorch's default uniform draw) and for a group convolution
/// of shape `dims` (cout, cin, 3, 3): identity
/// ("Dirac") filters on the first `cin` outputs, so each group starts by passing its input
/// through, and PyTorch's default uniform draw on the rest: `uniform(b)` draws from -b..b; `None` for other tensors.
pub fn initial_values(name: &str, dims: &[usize], uniform: &mut dyn FnMut(f32) -> f32) -> Option<Vec<f32>> {
    if name == "head.weight" && dims.len() == 2 {
        let bound = 1.0 / (dims[1] as f32).sqrt();
        return Some((0..dims[0] * dims[1]).map(|_| uniform(bound)).collect());
    }
    if !(name.starts_with("group") && name.ends_with(".weight") && dims.len() == 4) {
        return None;
    }
    let (cout, cin, kh, kw) = (dims[0], dims[1], dims[2], dims[3]);
    let bound = 1.0 / ((cin * kh * kw) as f32).sqrt();
    let mut values: Vec<f32> = (0..cout * cin * kh * kw).map(|_| uniform(bound)).collect();
    for o in 0..cin.min(cout) {
        let filter = &mut values[o * cin * kh * kw..(o + 1) * cin * kh * kw];
        filter.fill(0.0);
        filter[o * kh * kw + (kh / 2) * kw + kw / 2] = 1.0;
    }
    Some(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use candle_nn::VarMap;

    #[test]
    fn airbench94_shape_and_parameter_count() {
        let varmap = VarMap::new();
        let net = WhitenedCnn::new(64, 10, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).unwrap();
        let count: usize = varmap.data().lock().unwrap().iter().filter(|(n, _)| !crate::models::is_running_stat(n)).map(|(_, v)| v.elem_count()).sum();
        // airbench94: 24*3*4+24 whitening, 24*64*9+64*64*9, 64*256*9+256*256*9, 256*256*9*2, 2560
        // head, 2x(64+256+256) BatchNorm weights and biases.
        let expected = 24 * 12 + 24 + (24 * 64 + 64 * 64) * 9 + (64 * 256 + 256 * 256) * 9 + 2 * 256 * 256 * 9 + 2560 + 4 * (64 + 256 + 256);
        assert_eq!(count, expected);
        let xs = Tensor::rand(0f32, 1f32, (2, 3, 32, 32), &Device::Cpu).unwrap();
        assert_eq!(net.forward_t(&xs, true).unwrap().dims(), &[2, 10]);
        assert_eq!(net.forward_t(&xs, false).unwrap().dims(), &[2, 10]);
    }

    #[test]
    fn dirac_filters_pass_the_input_through() {
        let values = initial_values("group1.conv1.weight", &[4, 2, 3, 3], &mut |b| b / 2.0).unwrap();
        // Output 1 sees only input channel 1's centre.
        let filter = &values[18..36];
        assert_eq!(filter.iter().filter(|v| **v != 0.0).count(), 1);
        assert_eq!(filter[9 + 4], 1.0);
        // Outputs beyond the inputs are drawn.
        assert!(values[36..].iter().all(|&v| v == 1.0 / 18f32.sqrt() / 2.0));
        assert!(initial_values("whiten.weight", &[24, 3, 2, 2], &mut |b| b).is_none());
        assert!(is_frozen_scale("group2.norm1.weight") && !is_frozen_scale("group2.conv1.weight"));
        assert!(is_norm_bias("group3.norm2.bias") && !is_norm_bias(WHITEN_BIAS));
    }

    #[test]
    fn evaluation_matches_training_once_the_running_statistics_settle() {
        let varmap = VarMap::new();
        let net = WhitenedCnn::new(8, 10, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).unwrap();
        let xs = Tensor::rand(0f32, 1f32, (64, 3, 32, 32), &Device::Cpu).unwrap();
        let mut train = net.forward_t(&xs, true).unwrap();
        for _ in 0..40 {
            train = net.forward_t(&xs, true).unwrap();
        }
        let eval = net.forward_t(&xs, false).unwrap();
        let scale = train.abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        let err = (train - eval).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(err < 0.05 * scale, "training {scale} vs evaluation error {err}");
    }
}
