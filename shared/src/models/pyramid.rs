//! The feature pyramid both pyramid detectors stand on: a small residual backbone down to
//! stride 32 and a top-down pyramid over strides 8, 16 and 32 (lateral 1x1 convolutions,
//! nearest upsampling, a 3x3 smoothing convolution per level). The single-shot detector puts
//! its head on every level; the pyramid Fast-RCNN ROI-pools the finest.
//!
//! Plain 3x3 convolutions instead of depthwise-separable ones: Ocellus's CPU and wasm kernels
//! lower convolutions to matrix products, where a narrow plain convolution runs at full speed
//! and a depthwise one is bound by memory traffic.

use candle_core::{Module, Tensor};
use candle_nn::VarBuilder;

use super::resnet::{bn, conv, BasicBlock};
use crate::ops::batch_norm::BatchNorm;
use crate::ops::conv::Conv2d;

/// The pyramid's strides, finest first.
pub const STRIDES: [usize; 3] = [8, 16, 32];
/// Input sides must be multiples of this (the coarsest stride).
pub const MULTIPLE: u32 = 32;

/// The backbone and pyramid; `width` multiplies its channel counts (1: 16, 24, 32, 64, 80;
/// pyramid 32). Its tensors are named as in the single-shot detector's files (`stem.*`,
/// `stage1..4.*`, `lateral0..2.*`, `smooth0..2.*`), so either model's weights start the other.
#[derive(Debug, Clone)]
pub struct Pyramid {
    stem: (Conv2d, BatchNorm),
    stages: Vec<BasicBlock>,
    lateral: Vec<Conv2d>,
    smooth: Vec<(Conv2d, BatchNorm)>,
    channels: usize,
}

/// Nearest-neighbour upsampling by 2 (as a broadcast, so autograd sums the gradient back).
fn upsample2(x: &Tensor) -> candle_core::Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    x.reshape((n, c, h, 1, w, 1))?.broadcast_as((n, c, h, 2, w, 2))?.reshape((n, c, 2 * h, 2 * w))
}

impl Pyramid {
    /// Builds the pyramid with channels scaled by `width` (at least 1).
    pub fn new(width: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        if width == 0 {
            candle_core::bail!("pyramid width must be at least 1");
        }
        let [c0, c1, c2, c3, c4, f] = [16, 24, 32, 64, 80, 32].map(|c| c * width);
        let mut stages = Vec::new();
        let mut cin = c0;
        for (i, &cout) in [c1, c2, c3, c4].iter().enumerate() {
            stages.push(BasicBlock::new(cin, cout, 2, vb.pp(format!("stage{}", i + 1)))?);
            cin = cout;
        }
        let lateral = [c2, c3, c4]
            .iter()
            .enumerate()
            .map(|(i, &c)| Conv2d::new(c, f, 1, 1, 0, true, vb.pp(format!("lateral{i}"))))
            .collect::<candle_core::Result<_>>()?;
        let smooth = (0..3)
            .map(|i| Ok((conv(f, f, 3, 1, vb.pp(format!("smooth{i}.conv")))?, bn(f, vb.pp(format!("smooth{i}.bn")))?)))
            .collect::<candle_core::Result<_>>()?;
        Ok(Pyramid { stem: (conv(3, c0, 3, 2, vb.pp("stem.conv"))?, bn(c0, vb.pp("stem.bn"))?), stages, lateral, smooth, channels: f })
    }

    /// Channels of every level's map.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// For a (N, 3, H, W) batch with H and W multiples of [`MULTIPLE`]: one (N, C, H/s, W/s)
    /// map per stride of [`STRIDES`], finest first.
    pub fn forward_t(&self, images: &Tensor, train: bool) -> candle_core::Result<Vec<Tensor>> {
        let (_, _, h, w) = images.dims4()?;
        if h % MULTIPLE as usize != 0 || w % MULTIPLE as usize != 0 {
            candle_core::bail!("the feature pyramid needs sides that are multiples of {MULTIPLE}, got {w}x{h}");
        }
        let mut x = self.stem.1.forward_relu_t(&self.stem.0.forward(images)?, train)?;
        let mut features = Vec::with_capacity(3);
        for (i, stage) in self.stages.iter().enumerate() {
            x = stage.forward_t(&x, train)?;
            if i >= 1 {
                features.push(x.clone());
            }
        }
        // Top-down: each level adds the coarser level's map, upsampled.
        let mut merged: Vec<Tensor> = Vec::with_capacity(3);
        let mut above: Option<Tensor> = None;
        for level in (0..3).rev() {
            let mut m = self.lateral[level].forward(&features[level])?;
            if let Some(a) = &above {
                m = (m + upsample2(a)?)?;
            }
            above = Some(m.clone());
            merged.push(m);
        }
        merged.reverse();
        merged
            .iter()
            .zip(&self.smooth)
            .map(|(m, (c, b))| b.forward_relu_t(&c.forward(m)?, train))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use candle_nn::VarMap;

    #[test]
    fn three_levels_at_strides_8_16_32_and_sides_must_be_multiples_of_32() {
        let varmap = VarMap::new();
        let pyramid = Pyramid::new(1, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).unwrap();
        let maps = pyramid.forward_t(&Tensor::rand(0f32, 1f32, (2, 3, 64, 96), &Device::Cpu).unwrap(), false).unwrap();
        let dims: Vec<Vec<usize>> = maps.iter().map(|m| m.dims().to_vec()).collect();
        assert_eq!(dims, vec![vec![2, 32, 8, 12], vec![2, 32, 4, 6], vec![2, 32, 2, 3]]);
        assert!(pyramid.forward_t(&Tensor::zeros((1, 3, 40, 64), DType::F32, &Device::Cpu).unwrap(), false).is_err());
        assert!(Pyramid::new(0, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).is_err());
    }

    #[test]
    fn upsampling_repeats_each_value_two_by_two() {
        let x = Tensor::new(&[[[[1f32, 2.], [3., 4.]]]], &Device::Cpu).unwrap();
        let up = upsample2(&x).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(up, vec![1., 1., 2., 2., 1., 1., 2., 2., 3., 3., 4., 4., 3., 3., 4., 4.]);
    }
}
