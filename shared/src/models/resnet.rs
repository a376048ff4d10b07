//! ResNet-18, CIFAR variant (SPEC.md section 4), with a width option and any input size.

use candle_core::{Module, ModuleT, Tensor};
use candle_nn::{linear, Linear, VarBuilder};

use crate::ops::batch_norm::BatchNorm;
use crate::ops::conv::Conv2d;

/// BatchNorm as PyTorch configures it (eps 1e-5, momentum 0.1).
pub(crate) fn bn(channels: usize, vb: VarBuilder) -> candle_core::Result<BatchNorm> {
    BatchNorm::new(channels, vb)
}

pub(crate) fn conv(cin: usize, cout: usize, k: usize, stride: usize, vb: VarBuilder) -> candle_core::Result<Conv2d> {
    Conv2d::new(cin, cout, k, stride, k / 2, false, vb)
}

/// conv3x3-BN-ReLU-conv3x3-BN plus the shortcut, then ReLU.
#[derive(Debug, Clone)]
pub(crate) struct BasicBlock {
    conv1: Conv2d,
    bn1: BatchNorm,
    conv2: Conv2d,
    bn2: BatchNorm,
    /// conv1x1 + BN when the stride or the channel count changes.
    shortcut: Option<(Conv2d, BatchNorm)>,
}

impl BasicBlock {
    /// A block from `cin` to `cout` channels; `stride` 2 halves the map.
    pub(crate) fn new(cin: usize, cout: usize, stride: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        let shortcut = if stride != 1 || cin != cout { Some((conv(cin, cout, 1, stride, vb.pp("shortcut.0"))?, bn(cout, vb.pp("shortcut.1"))?)) } else { None };
        Ok(BasicBlock {
            conv1: conv(cin, cout, 3, stride, vb.pp("conv1"))?,
            bn1: bn(cout, vb.pp("bn1"))?,
            conv2: conv(cout, cout, 3, 1, vb.pp("conv2"))?,
            bn2: bn(cout, vb.pp("bn2"))?,
            shortcut,
        })
    }

    /// The block's output; `train` puts BatchNorm in training mode.
    pub(crate) fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let ys = self.bn1.forward_relu_t(&self.conv1.forward(xs)?, train)?;
        let skip = match &self.shortcut {
            Some((c, b)) => b.forward_t(&c.forward(xs)?, train)?,
            None => xs.clone(),
        };
        self.bn2.forward_add_relu_t(&self.conv2.forward(&ys)?, &skip, train)
    }
}

/// Stem conv3x3+BN+ReLU, four stages of two basic blocks, global average pool, linear head.
#[derive(Debug, Clone)]
pub struct ResNet18 {
    conv1: Conv2d,
    bn1: BatchNorm,
    blocks: Vec<BasicBlock>,
    pooling: Pooling,
    linear: Linear,
}

/// How ResNet-18's last feature map meets its linear head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// The mean over the whole map (the paper's 1x1 pool).
    Mean,
    /// The mean over the height, then adaptive average pooling to this many columns, all
    /// flattened into one linear layer (a captcha's length: one column per character).
    Columns(usize),
    /// The mean over the height and the linear layer applied to every column of the map
    /// alike: the logits are (N, columns x outputs), column by column (for CTC).
    EveryColumn,
}

impl ResNet18 {
    /// Builds the network with stages of `width`, 2x, 4x and 8x channels and `outputs` logits
    /// (per column with [`Pooling::EveryColumn`]), its last map pooled as `pooling` says.
    pub fn new(width: usize, outputs: usize, pooling: Pooling, vb: VarBuilder) -> candle_core::Result<Self> {
        if width == 0 || pooling == Pooling::Columns(0) {
            candle_core::bail!("ResNet-18 width and head columns must be at least 1");
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
            pooling,
            linear: linear(cin * if let Pooling::Columns(n) = pooling { n } else { 1 }, outputs, vb.pp("linear"))?,
        })
    }

    /// Logits for a (N, 3, H, W) batch; any H and W of at least 8 pixels.
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let mut xs = self.bn1.forward_relu_t(&self.conv1.forward(xs)?, train)?;
        for block in &self.blocks {
            xs = block.forward_t(&xs, train)?;
        }
        match self.pooling {
            Pooling::Mean => self.linear.forward(&xs.mean((2, 3))?),
            // Adaptive average pool to 1 column is the same mean over H and W.
            Pooling::Columns(1) => self.linear.forward(&xs.mean((2, 3))?),
            Pooling::Columns(n) => self.linear.forward(&column_pool(&xs.mean(2)?, n)?.flatten_from(1)?),
            Pooling::EveryColumn => {
                let columns = xs.mean(2)?.transpose(1, 2)?.contiguous()?;
                // (N, T, C) through the linear layer, then (N, T * outputs).
                self.linear.forward(&columns)?.flatten_from(1)
            }
        }
    }

    /// Columns of the last feature map for an input `width` pixels wide (each of the three
    /// stride-2 stages halves it, rounding up).
    pub fn map_columns(width: usize) -> usize {
        (0..3).fold(width, |w, _| w.div_ceil(2))
    }
}

/// Adaptive average pooling of (N, C, W) to (N, C, `columns`), with PyTorch's bin edges
/// (bin i spans floor(i*W/n) .. ceil((i+1)*W/n)).
fn column_pool(xs: &Tensor, columns: usize) -> candle_core::Result<Tensor> {
    let w = xs.dim(2)?;
    let bins = (0..columns)
        .map(|i| {
            let (start, end) = (i * w / columns, ((i + 1) * w).div_ceil(columns));
            xs.narrow(2, start, end - start)?.mean_keepdim(2)
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    Tensor::cat(&bins, 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn column_pool_uses_adaptive_bin_edges() {
        // W = 5 into 2 columns: bins 0..3 and 2..5, as PyTorch's AdaptiveAvgPool1d.
        let xs = Tensor::new(&[[[1f32, 2., 3., 4., 5.]]], &Device::Cpu).unwrap();
        let pooled = column_pool(&xs, 2).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(pooled, vec![2.0, 4.0]);
        // More columns than positions still gives every column a value.
        let pooled = column_pool(&xs.narrow(2, 0, 2).unwrap(), 4).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(pooled, vec![1.0, 1.0, 2.0, 2.0]);
    }
}
