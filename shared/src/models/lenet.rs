//! LeNet as the tutorial builds it (SPEC.md section 3).

use candle_core::{Module, Tensor};
use candle_nn::{linear, Linear, VarBuilder};

use super::dropout::dropout;
use crate::ops::conv::Conv2d;
use crate::ops::max_pool::relu_max_pool2d;

use crate::InputSize;

/// The tutorial's dropout probability after each hidden linear layer.
const DROPOUT: f32 = 0.1;

/// Conv(3,6,k5) ReLU MaxPool2, Conv(6,16,k5) ReLU MaxPool2, Linear 120, 60, outputs.
#[derive(Debug, Clone)]
pub struct LeNet {
    conv1: Conv2d,
    conv2: Conv2d,
    fc1: Linear,
    fc2: Linear,
    fc3: Linear,
}

impl LeNet {
    /// Builds LeNet for `input`-sized images (32x32 in the tutorial) and `outputs` classes.
    pub fn new(input: InputSize, outputs: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        let side = |s: u32| ((s as usize).saturating_sub(4) / 2).saturating_sub(4) / 2;
        let (fw, fh) = (side(input.width), side(input.height));
        if fw == 0 || fh == 0 {
            candle_core::bail!("LeNet needs inputs of at least 16x16 pixels, not {input}");
        }
        Ok(LeNet {
            conv1: Conv2d::new(3, 6, 5, 1, 0, true, vb.pp("conv1"))?,
            conv2: Conv2d::new(6, 16, 5, 1, 0, true, vb.pp("conv2"))?,
            fc1: linear(16 * fw * fh, 120, vb.pp("fc1"))?,
            fc2: linear(120, 60, vb.pp("fc2"))?,
            fc3: linear(60, outputs, vb.pp("fc3"))?,
        })
    }

    /// Logits for a (N, 3, H, W) batch.
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let xs = relu_max_pool2d(&self.conv1.forward(xs)?, 2)?;
        let xs = relu_max_pool2d(&self.conv2.forward(&xs)?, 2)?;
        let xs = xs.flatten_from(1)?;
        let xs = dropout(&self.fc1.forward(&xs)?.relu()?, DROPOUT, train)?;
        let xs = dropout(&self.fc2.forward(&xs)?.relu()?, DROPOUT, train)?;
        self.fc3.forward(&xs)
    }
}
