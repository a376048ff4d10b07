//! A single-shot, anchor-free face detector in the style of FCOS / YuNet / SCRFD: a small
//! residual backbone down to stride 32, a feature pyramid over strides 8, 16 and 32 (top-down,
//! nearest upsampling), and one head shared by the three levels that predicts, at every
//! location, a face score (trained as an IoU-aware quality, so it ranks boxes by how well
//! they fit) and the distances from the location to the box's four sides.
//!

use candle_core::{Module, Tensor};
use candle_nn::VarBuilder;

use super::pyramid::Pyramid;
use super::resnet::{bn, conv};
use crate::ops::batch_norm::BatchNorm;
use crate::ops::conv::Conv2d;

pub use super::pyramid::{MULTIPLE, STRIDES};

/// Outputs per location: the score logit, then distances left, top, right, bottom.
pub const OUTPUTS: usize = 5;
/// The prior probability of a face that the score's bias starts from (RetinaNet's 0.01),
/// so that the flood of background locations does not swamp the first steps.
const PRIOR: f32 = 0.01;

/// The starting values of the tensors that do not start as candle initialises them: the
/// output layer's weights small (normal, std 0.01) and its score bias at the prior. `None`
/// for every other tensor.
pub fn initial_values(name: &str, count: usize, normal: &mut dyn FnMut(f32) -> f32) -> Option<Vec<f32>> {
    match name {
        "head.out.weight" => Some((0..count).map(|_| normal(0.01)).collect()),
        "head.out.bias" => Some((0..count).map(|i| if i == 0 { -((1.0 - PRIOR) / PRIOR).ln() } else { 0.0 }).collect()),
        _ => None,
    }
}

/// The network; `width` multiplies its channel counts (see [`Pyramid`]).
#[derive(Debug, Clone)]
pub struct SingleShot {
    pyramid: Pyramid,
    head_conv: Conv2d,
    head_bn: Vec<BatchNorm>,
    head_out: Conv2d,
}

impl SingleShot {
    /// Builds the network with channels scaled by `width` (at least 1).
    pub fn new(width: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        if width == 0 {
            candle_core::bail!("single-shot width must be at least 1");
        }
        let pyramid = Pyramid::new(width, vb.clone())?;
        let f = pyramid.channels();
        // One head for every level, each with its own BatchNorm: the levels' statistics differ.
        let head_bn = (0..3).map(|i| bn(f, vb.pp(format!("head.bn{i}")))).collect::<candle_core::Result<_>>()?;
        Ok(SingleShot {
            pyramid,
            head_conv: conv(f, f, 3, 1, vb.pp("head.conv"))?,
            head_bn,
            head_out: Conv2d::new(f, OUTPUTS, 1, 1, 0, true, vb.pp("head.out"))?,
        })
    }

    /// For a (N, 3, H, W) batch with H and W multiples of [`MULTIPLE`]: one (N, 5, H/s, W/s)
    /// map per stride of [`STRIDES`] (raw outputs; see [`crate::boxes::points`] to decode).
    pub fn forward_t(&self, images: &Tensor, train: bool) -> candle_core::Result<Vec<Tensor>> {
        self.pyramid
            .forward_t(images, train)?
            .iter()
            .zip(&self.head_bn)
            .map(|(p, norm)| {
                let hidden = norm.forward_relu_t(&self.head_conv.forward(p)?, train)?;
                self.head_out.forward(&hidden)
            })
            .collect()
    }

    /// The levels' outputs side by side: (N, P, 5) with the locations in [`crate::boxes::points::grid`]'s order.
    pub fn forward_flat(&self, images: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let maps = self.forward_t(images, train)?;
        let flat = maps.iter().map(|m| m.flatten_from(2)).collect::<candle_core::Result<Vec<_>>>()?;
        Tensor::cat(&flat, 2)?.transpose(1, 2)?.contiguous()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device, Var};
    use candle_nn::VarMap;

    #[test]
    fn three_levels_of_five_outputs_under_a_megabyte_and_gradients_reach_the_input() {
        let varmap = VarMap::new();
        let model = SingleShot::new(1, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).unwrap();
        let params: usize = varmap.data().lock().unwrap().iter().filter(|(n, _)| !crate::models::is_running_stat(n)).map(|(_, v)| v.elem_count()).sum();
        assert!(params * 4 < 1_000_000, "{params} parameters");
        let images = Var::from_tensor(&Tensor::rand(0f32, 1f32, (2, 3, 64, 96), &Device::Cpu).unwrap()).unwrap();
        let maps = model.forward_t(images.as_tensor(), true).unwrap();
        let dims: Vec<Vec<usize>> = maps.iter().map(|m| m.dims().to_vec()).collect();
        assert_eq!(dims, vec![vec![2, 5, 8, 12], vec![2, 5, 4, 6], vec![2, 5, 2, 3]]);
        let loss = maps.iter().map(|m| m.sqr().unwrap().sum_all().unwrap()).reduce(|a, b| (a + b).unwrap()).unwrap();
        let grads = loss.backward().unwrap();
        let data = varmap.data().lock().unwrap();
        for name in ["stem.conv.weight", "lateral2.weight", "head.out.bias"] {
            let g = grads.get(&data[name]).unwrap().abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
            assert!(g > 0.0, "no gradient reached {name}");
        }
        assert!(model.forward_t(&Tensor::zeros((1, 3, 40, 64), DType::F32, &Device::Cpu).unwrap(), false).is_err());
    }
}
