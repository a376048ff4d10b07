//! `prepare`, `train`, `eval` and `test` for image classification.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use ocellus::InputSize;

use super::options::{DeviceArg, SplitChoice, TrainOptions, parse_views};

/// `ocellus prepare classify`.
#[derive(Debug, Args)]
pub struct PrepareClassifyArgs {
    /// Data folder, in any layout `train classify` reads.
    #[arg(long)]
    pub data: PathBuf,
    /// Input size WxH that images are decoded and resized to.
    #[arg(long, default_value = "32x32")]
    pub input: InputSize,
    /// Seed of the shuffle and split.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Use at most this many images (a seeded random subset).
    #[arg(long)]
    pub limit: Option<usize>,
}

/// Classification architectures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ArchName {
    /// The tutorial's LeNet (58,862 parameters for 10 classes).
    Lenet,
    /// CIFAR ResNet-18 (11.2 M parameters at width 64).
    Resnet18,
    /// The fast-training whitened CNN of the airbench family (1.97 M parameters at width 64).
    WhitenedCnn,
}

/// The images a classifier trains on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TrainSplit {
    /// The training split only.
    Train,
    /// The training and validation splits.
    TrainVal,
}

/// `ocellus train classify`.
#[derive(Debug, Args)]
pub struct TrainClassifyArgs {
    /// Data folder: `<id>_<label>.png` files + labels.txt, `<label>/<file>` folders, or CIFAR-10 binary batches.
    #[arg(long)]
    pub data: PathBuf,
    /// Network architecture.
    #[arg(long, value_enum)]
    pub arch: ArchName,
    /// Base channel count: ResNet-18's first stage (64 as in the paper; 16 or 32 for compact
    /// models), the whitened CNN's first group (64: airbench94's 64/256/256).
    #[arg(long, default_value_t = 64)]
    pub width: usize,
    /// Input size WxH that images are resized to.
    #[arg(long, default_value = "32x32")]
    pub input: InputSize,
    /// Training recipe [default: fast, the one that trains every architecture best; `tutorial` reproduces the tutorial].
    #[arg(long, value_enum)]
    pub recipe: Option<crate::training::RecipeName>,
    /// What to train on: the training split (the validation split picks the best epoch), or
    /// training and validation together for a final model (the schedule runs to its end and
    /// the last epoch is kept; the test split stays held out either way).
    #[arg(long, value_enum, default_value_t = TrainSplit::Train)]
    pub split: TrainSplit,
    /// Shared training options.
    #[command(flatten)]
    pub train: TrainOptions,
}

/// `ocellus eval classify`.
#[derive(Debug, Args)]
pub struct EvalClassifyArgs {
    /// Weights file written by `ocellus train classify`.
    #[arg(long)]
    pub model: PathBuf,
    /// How many labels to print per image.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// One JSON object per image instead of text.
    #[arg(long)]
    pub json: bool,
    /// Images to classify.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
}

/// `ocellus test classify`.
#[derive(Debug, Args)]
pub struct TestClassifyArgs {
    /// Weights file written by `ocellus train classify`.
    #[arg(long)]
    pub model: PathBuf,
    /// Labelled data folder, in any layout `train` reads.
    #[arg(long)]
    pub data: PathBuf,
    /// Which images to use.
    #[arg(long, value_enum, default_value_t = SplitChoice::Auto)]
    pub split: SplitChoice,
    /// Print a JSON object as the last line (top1, top3, count, per_class).
    #[arg(long)]
    pub json: bool,
    /// Test-time views to average over [default: the model card's]: single, mirror or mirror-shift.
    #[arg(long, value_parser = parse_views)]
    pub views: Option<ocellus::test_views::TestViews>,
    /// Batch size for inference.
    #[arg(long, default_value_t = 100)]
    pub batch_size: usize,
    /// Where the tensors live.
    #[command(flatten)]
    pub device: DeviceArg,
}
