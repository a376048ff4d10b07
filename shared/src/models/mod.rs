//! The networks, as the tutorial defines them, built from a `VarBuilder` so that the same
//! code serves random initialisation (training) and loaded weights (inference).

pub mod dropout;
pub mod fast_rcnn;
pub mod pyramid;
mod lenet;
mod resnet;
pub mod single_shot;
pub mod whitened_cnn;

pub use fast_rcnn::FastRcnn;
pub use single_shot::SingleShot;
pub use lenet::LeNet;
pub use resnet::{Pooling, ResNet18};
pub use whitened_cnn::WhitenedCnn;

use candle_core::Tensor;
use candle_nn::VarBuilder;

use crate::{Arch, CodeHead, InputSize, ModelCard, Task};

/// Names of tensors that are state, not parameters: BatchNorm's running statistics.
pub fn is_running_stat(name: &str) -> bool {
    name.ends_with("running_mean") || name.ends_with("running_var")
}

/// A built network of any supported architecture.
#[derive(Debug, Clone)]
pub enum Network {
    /// See [`LeNet`].
    LeNet(LeNet),
    /// See [`ResNet18`].
    ResNet18(ResNet18),
    /// See [`FastRcnn`]; it scores regions, so [`Network::forward_t`] does not apply.
    FastRcnn(FastRcnn),
    /// See [`SingleShot`]; it gives a map per pyramid level, so [`Network::forward_t`] does not apply.
    SingleShot(SingleShot),
    /// See [`WhitenedCnn`].
    WhitenedCnn(WhitenedCnn),
}

impl Network {
    /// Builds `arch` for images of `input` size with `outputs` logits (a classifier's head).
    pub fn build(arch: Arch, input: InputSize, outputs: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Self::build_pooled(arch, input, outputs, Pooling::Mean, vb)
    }

    /// Builds the network a model card describes: a captcha model's ResNet pools its features
    /// into one column per character before the head, or, with CTC, scores every column.
    pub fn for_card(card: &ModelCard, vb: VarBuilder) -> candle_core::Result<Self> {
        let pooling = match card.task {
            Task::Classify => Pooling::Mean,
            Task::Captcha { length } => match card.code_head {
                CodeHead::Positions => Pooling::Columns(length),
                CodeHead::Ctc => Pooling::EveryColumn,
            },
            Task::Faces { .. } => match card.arch {
                Arch::FastRcnn { width } => return Ok(Network::FastRcnn(FastRcnn::new(width, card.offset_scale, vb)?)),
                Arch::PyramidFastRcnn { width } => return Ok(Network::FastRcnn(FastRcnn::on_pyramid(width, card.offset_scale, vb)?)),
                Arch::SingleShot { width } => return Ok(Network::SingleShot(SingleShot::new(width, vb)?)),
                Arch::ResNet18 { .. } => Pooling::Mean,
                Arch::LeNet | Arch::WhitenedCnn { .. } => candle_core::bail!("face models are RCNN (ResNet-18), Fast-RCNN or single-shot"),
            },
        };
        Self::build_pooled(card.arch, card.input, card.outputs(), pooling, vb)
    }

    fn build_pooled(arch: Arch, input: InputSize, outputs: usize, pooling: Pooling, vb: VarBuilder) -> candle_core::Result<Self> {
        let whole = matches!(pooling, Pooling::Mean | Pooling::Columns(1));
        Ok(match arch {
            Arch::LeNet if whole => Network::LeNet(LeNet::new(input, outputs, vb)?),
            Arch::LeNet => candle_core::bail!("LeNet has no per-character head: captcha models are ResNet-18"),
            Arch::WhitenedCnn { width } if whole => Network::WhitenedCnn(WhitenedCnn::new(width, outputs, vb)?),
            Arch::WhitenedCnn { .. } => candle_core::bail!("the whitened CNN has no per-character head: captcha models are ResNet-18"),
            Arch::ResNet18 { width } => Network::ResNet18(ResNet18::new(width, outputs, pooling, vb)?),
            Arch::FastRcnn { .. } | Arch::PyramidFastRcnn { .. } | Arch::SingleShot { .. } => candle_core::bail!("{arch} is a face detector: its card's task must be faces"),
        })
    }

    /// Logits for a (N, 3, H, W) batch; `train` switches dropout and BatchNorm to training mode.
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        match self {
            Network::LeNet(m) => m.forward_t(xs, train),
            Network::ResNet18(m) => m.forward_t(xs, train),
            Network::WhitenedCnn(m) => m.forward_t(xs, train),
            Network::FastRcnn(_) => candle_core::bail!("Fast-RCNN scores regions of an image, not whole images"),
            Network::SingleShot(_) => candle_core::bail!("the single-shot detector gives maps of boxes, not one answer per image"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use candle_nn::VarMap;

    fn parameter_count(arch: Arch, input: InputSize, outputs: usize) -> (usize, Network) {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let net = Network::build(arch, input, outputs, vb).unwrap();
        let data = varmap.data().lock().unwrap();
        let count = data
            .iter()
            .filter(|(name, _)| !is_running_stat(name))
            .map(|(_, v)| v.elem_count())
            .sum();
        (count, net)
    }

    #[test]
    fn lenet_has_the_spec_parameter_count() {
        let (count, _) = parameter_count(Arch::LeNet, InputSize::square(32), 10);
        assert_eq!(count, 58_862);
    }

    #[test]
    fn resnet18_has_the_spec_parameter_count() {
        let (count, _) = parameter_count(Arch::ResNet18 { width: 64 }, InputSize::square(32), 10);
        assert_eq!(count, 11_173_962);
    }

    #[test]
    fn compact_resnet_and_any_input_size() {
        let input = InputSize { width: 56, height: 24 };
        let (count, net) = parameter_count(Arch::ResNet18 { width: 16 }, input, 144);
        assert!(count < 11_173_962 / 10, "width 16 should be ~1/16 of width 64: {count}");
        let xs = Tensor::zeros((2, 3, 24, 56), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(net.forward_t(&xs, false).unwrap().dims(), &[2, 144]);
        assert_eq!(net.forward_t(&xs, true).unwrap().dims(), &[2, 144]);
    }

    #[test]
    fn lenet_output_shape() {
        let (_, net) = parameter_count(Arch::LeNet, InputSize::square(32), 7);
        let xs = Tensor::zeros((3, 3, 32, 32), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(net.forward_t(&xs, false).unwrap().dims(), &[3, 7]);
    }
}
