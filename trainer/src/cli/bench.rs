//! `bench` and `bench-step`: speed on this machine.

use clap::{Args, ValueEnum};

use super::options::DeviceArg;

/// `ocellus bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Timed repetitions per measurement (after one warm-up).
    #[arg(long, default_value_t = 3)]
    pub iters: usize,
    /// Leave out the width-64 ResNet-18 (its training step takes tens of seconds on a CPU).
    #[arg(long)]
    pub quick: bool,
    /// Where the tensors live.
    #[command(flatten)]
    pub device: DeviceArg,
}

/// `ocellus bench-step`.
#[derive(Debug, Args)]
pub struct BenchStepArgs {
    /// Which model: LeNet, ResNet-18 (CIFAR, width 64), the captcha ResNet-18 (width 8, 56x24,
    /// 4 characters of 36), all with Adam; or the whitened CNN with its recipe's optimiser.
    #[arg(long, value_enum)]
    pub model: StepModel,
    /// Images per step.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Timed steps after one warm-up step; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub steps: usize,
    /// Where the tensors live.
    #[command(flatten)]
    pub device: DeviceArg,
}

/// The models `bench-step` can time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StepModel {
    /// LeNet on 32x32 images.
    Lenet,
    /// ResNet-18, CIFAR variant, width 64.
    Resnet18,
    /// The captcha reader's ResNet-18.
    Captcha,
    /// The whitened CNN (width 64) with the fast recipe's Nesterov SGD and label smoothing.
    WhitenedCnn,
}
