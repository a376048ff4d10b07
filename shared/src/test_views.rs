//! Test-time augmentation: a classifier's answer averaged over a few views of the image (its
//! mirror, one-pixel shifts), as recorded in the model card, so that the trainer's test, the
//! command line and the page evaluate a model the way it was meant to be.

use candle_core::{Result, Tensor};
use serde::{Deserialize, Serialize};

use crate::Network;

/// Which views of an image a classifier's logits are averaged over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestViews {
    /// The image as it is (one forward pass).
    #[default]
    Single,
    /// The image and its mirror (two passes).
    Mirror,
    /// airbench's six: the image and its mirror, at no shift (weight 1/2) and shifted one pixel
    /// up-left and down-right with reflected edges (1/4 each).
    MirrorShift,
}

impl TestViews {
    /// Forward passes per image.
    pub fn passes(self) -> usize {
        match self {
            TestViews::Single => 1,
            TestViews::Mirror => 2,
            TestViews::MirrorShift => 6,
        }
    }

    /// Name as the command line and the card spell it.
    pub fn name(self) -> &'static str {
        match self {
            TestViews::Single => "single",
            TestViews::Mirror => "mirror",
            TestViews::MirrorShift => "mirror-shift",
        }
    }
}

/// `xs` (N, C, H, W) mirrored left-right.
pub fn mirror(xs: &Tensor) -> Result<Tensor> {
    let w = xs.dim(3)?;
    let index = Tensor::from_vec((0..w as u32).rev().collect::<Vec<u32>>(), w, xs.device())?;
    xs.contiguous()?.index_select(&index, 3)
}

/// `xs` shifted by (`dy`, `dx`) pixels (each -1, 0 or 1), edges filled by reflection as
/// PyTorch's reflect padding does.
pub fn shift(xs: &Tensor, dy: i64, dx: i64) -> Result<Tensor> {
    let (h, w) = (xs.dim(2)?, xs.dim(3)?);
    let reflect = |i: i64, n: usize| crate::reflect_padding::reflect(i, n as i64) as u32;
    let rows = Tensor::from_vec((0..h as i64).map(|y| reflect(y + dy, h)).collect::<Vec<u32>>(), h, xs.device())?;
    let cols = Tensor::from_vec((0..w as i64).map(|x| reflect(x + dx, w)).collect::<Vec<u32>>(), w, xs.device())?;
    xs.contiguous()?.index_select(&rows, 2)?.index_select(&cols, 3)
}

/// The network's logits for `xs` averaged over `views`.
pub fn logits(network: &Network, xs: &Tensor, views: TestViews) -> Result<Tensor> {
    let both = |x: &Tensor| -> Result<Tensor> { (network.forward_t(x, false)? + network.forward_t(&mirror(x)?, false)?)? * 0.5 };
    match views {
        TestViews::Single => network.forward_t(xs, false),
        TestViews::Mirror => both(xs),
        TestViews::MirrorShift => {
            let shifted = ((both(&shift(xs, -1, -1)?)? + both(&shift(xs, 1, 1)?)?)? * 0.5)?;
            (both(xs)? * 0.5)? + (shifted * 0.5)?
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn image() -> Tensor {
        Tensor::arange(0f32, 12., &Device::Cpu).unwrap().reshape((1, 1, 3, 4)).unwrap()
    }

    #[test]
    fn mirror_reverses_columns() {
        let m = mirror(&image()).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(m, vec![3., 2., 1., 0., 7., 6., 5., 4., 11., 10., 9., 8.]);
    }

    #[test]
    fn shift_reflects_like_reflect_padding_then_a_crop() {
        // Reflect-padding by 1 and cropping at (0, 0) reads rows -1.. and columns -1..: row -1 is row 1.
        let s = shift(&image(), -1, -1).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(s, vec![5., 4., 5., 6., 1., 0., 1., 2., 5., 4., 5., 6.]);
        let s = shift(&image(), 1, 1).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(s, vec![5., 6., 7., 6., 9., 10., 11., 10., 5., 6., 7., 6.]);
        assert_eq!(shift(&image(), 0, 0).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap(), (0..12).map(|v| v as f32).collect::<Vec<_>>());
    }

    #[test]
    fn names_round_trip_through_serde() {
        for v in [TestViews::Single, TestViews::Mirror, TestViews::MirrorShift] {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.name()));
            assert_eq!(serde_json::from_str::<TestViews>(&json).unwrap(), v);
        }
    }
}
