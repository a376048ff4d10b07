//! ResNet-18, CIFAR variant (SPEC.md section 4), with a width option and any input size.

use candle_core::{Module, ModuleT, Tensor};
use candle_nn::{batch_norm, conv2d_no_bias, linear, BatchNorm, Conv2d, Conv2dConfig, Linear, VarBuilder};

/// BatchNorm as PyTorch configures it (eps 1e-5, momentum 0.1).
fn bn(channels: usize, vb: VarBuilder) -> candle_core::Result<BatchNorm> {
    batch_norm(channels, 1e-5, vb)
}

fn conv(cin: usize, cout: usize, k: usize, stride: usize, vb: VarBuilder) -> candle_core::Result<Conv2d> {
    let cfg = Conv2dConfig { padding: k / 2, stride, ..Default::default() };
    conv2d_no_bias(cin, cout, k, cfg, vb)
}

/// conv3x3-BN-ReLU-conv3x3-BN plus the shortcut, then ReLU.
#[derive(Debug, Clone)]
struct BasicBlock {
    conv1: Conv2d,
    bn1: BatchNorm,
    conv2: Conv2d,
    bn2: BatchNorm,
    /// conv1x1 + BN when the stride or the channel count changes.
    shortcut: Option<(Conv2d, BatchNorm)>,
}

impl BasicBlock {
    fn new(cin: usize, cout: usize, stride: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        let shortcut = if stride != 1 || cin != cout {
            Some((conv(cin, cout, 1, stride, vb.pp("shortcut.0"))?, bn(cout, vb.pp("shortcut.1"))?))
        } else {
            None
        };
        Ok(BasicBlock {
            conv1: conv(cin, cout, 3, stride, vb.pp("conv1"))?,
            bn1: bn(cout, vb.pp("bn1"))?,
            conv2: conv(cout, cout, 3, 1, vb.pp("conv2"))?,
            bn2: bn(cout, vb.pp("bn2"))?,
            shortcut,
        })
    }

    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let ys = self.bn1.forward_t(&self.conv1.forward(xs)?, train)?.relu()?;
        let ys = self.bn2.forward_t(&self.conv2.forward(&ys)?, train)?;
        let skip = match &self.shortcut {
            Some((c, b)) => b.forward_t(&c.forward(xs)?, train)?,
            None => xs.clone(),
        };
        (ys + skip)?.relu()
    }
}

/// Stem conv3x3+BN+ReLU, four stages of two basic blocks, global average pool, linear head.
#[derive(Debug, Clone)]
pub struct ResNet18 {
    conv1: Conv2d,
    bn1: BatchNorm,
    blocks: Vec<BasicBlock>,
    linear: Linear,
}

impl ResNet18 {
    /// Builds the network with stages of `width`, 2x, 4x and 8x channels and `outputs` logits.
    pub fn new(width: usize, outputs: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        if width == 0 {
            candle_core::bail!("ResNet-18 width must be at least 1");
        }
        let mut blocks = Vec::with_capacity(8);
        let mut cin = width;
        for stage in 0..4 {
            let cout = width << stage;
            let stride = if stage == 0 { 1 } else { 2 };
            let vs = vb.pp(format!("layer{}", stage + 1));
            blocks.push(BasicBlock::new(cin, cout, stride, vs.pp("0"))?);
            blocks.push(BasicBlock::new(cout, cout, 1, vs.pp("1"))?);
            cin = cout;
        }
        Ok(ResNet18 {
            conv1: conv(3, width, 3, 1, vb.pp("conv1"))?,
            bn1: bn(width, vb.pp("bn1"))?,
            blocks,
            linear: linear(cin, outputs, vb.pp("linear"))?,
        })
    }

    /// Logits for a (N, 3, H, W) batch; any H and W of at least 8 pixels.
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let mut xs = self.bn1.forward_t(&self.conv1.forward(xs)?, train)?.relu()?;
        for block in &self.blocks {
            xs = block.forward_t(&xs, train)?;
        }
        // Adaptive average pool to 1x1 is the mean over H and W.
        let pooled = xs.mean((2, 3))?;
        self.linear.forward(&pooled)
    }
}
