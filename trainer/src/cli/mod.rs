//! The command line: `ocellus <train|eval|test> <task> ...` and `ocellus bench`; one file of
//! arguments per task, the options they share in `options`.

mod bench;
mod captcha;
mod classify;
mod faces;
mod options;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use bench::*;
pub use captcha::*;
pub use classify::*;
pub use faces::*;
pub use options::*;

/// Ocellus: train small vision models natively, run them in the browser.
#[derive(Debug, Parser)]
#[command(name = "ocellus", version, about)]
pub struct Cli {
    /// CPU threads for tensor work (default: all cores).
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a data folder: layout, classes, split sizes and unreadable files, without training.
    #[command(subcommand)]
    Prepare(PrepareTask),
    /// Train a model.
    #[command(subcommand)]
    Train(TrainTask),
    /// Run a model on images.
    #[command(subcommand)]
    Eval(EvalTask),
    /// Measure a model on a labelled data folder.
    #[command(subcommand)]
    Test(TestTask),
    /// Print training and inference speed of the models on this machine.
    Bench(BenchArgs),
    /// Time one model's training step (forward, backward, Adam) and print it as JSON.
    BenchStep(BenchStepArgs),
    /// Make labelled captcha images.
    #[command(subcommand)]
    Captcha(CaptchaCommand),
    /// Region proposals (selective search) for an image: `x y w h` per line, best first.
    Proposals(ProposalsArgs),
    /// Rewrite a weights file with its tensors stored as 16-bit floats (half the download).
    Half(HalfArgs),
    /// Pick a face model's score threshold on its validation photos and write it into its card.
    ChooseThreshold(ChooseThresholdArgs),
}

/// `ocellus choose-threshold`.
#[derive(Debug, Args)]
pub struct ChooseThresholdArgs {
    /// The face model (rewritten in place, atomically).
    #[arg(long)]
    pub model: PathBuf,
    /// The photos it was trained on (its validation split is chosen from them).
    #[command(flatten)]
    pub faces: FaceDataArgs,
}

/// `ocellus half`.
#[derive(Debug, Args)]
pub struct HalfArgs {
    /// The weights file to read.
    pub model: PathBuf,
    /// Where to write the half-precision copy.
    #[arg(long)]
    pub out: PathBuf,
}

/// `ocellus proposals`.
#[derive(Debug, Args)]
pub struct ProposalsArgs {
    /// The image.
    pub image: PathBuf,
    /// fast (OpenCV's fast mode) or quality.
    #[arg(long, default_value = "fast")]
    pub mode: ocellus::proposals::Mode,
    /// Most boxes to print.
    #[arg(long, default_value_t = 2000)]
    pub max: usize,
    /// Seed of the ranking's random numbers.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also draw the first --max boxes on a copy of the image, saved here as PNG.
    #[arg(long)]
    pub draw: Option<PathBuf>,
}

/// `prepare` per task.
#[derive(Debug, Subcommand)]
pub enum PrepareTask {
    /// A classification data folder.
    Classify(PrepareClassifyArgs),
    /// Face photos with boxes: Fast-RCNN's training regions, cached to a file.
    Faces(PrepareFacesArgs),
}

/// `train` per task.
#[derive(Debug, Subcommand)]
pub enum TrainTask {
    /// Image classification (LeNet or ResNet-18).
    Classify(TrainClassifyArgs),
    /// Captcha reading (ResNet-18 with one softmax per character).
    Captcha(TrainCaptchaArgs),
    /// Face detection (Fast-RCNN or RCNN); prepares the regions first (resumable).
    Faces(TrainFacesArgs),
}

/// `eval` per task.
#[derive(Debug, Subcommand)]
pub enum EvalTask {
    /// Top labels for each image.
    Classify(EvalClassifyArgs),
    /// The code in each captcha image.
    Captcha(EvalCaptchaArgs),
    /// The faces in each photo: boxes printed and drawn on a copy of the photo.
    Faces(EvalFacesArgs),
}

/// `test` per task.
#[derive(Debug, Subcommand)]
pub enum TestTask {
    /// Top-1, top-3 and per-class accuracy on a labelled folder.
    Classify(TestClassifyArgs),
    /// Full-code and per-character accuracy on a folder of `<serial>-<CODE>` captchas.
    Captcha(TestCaptchaArgs),
    /// Average precision at IoU 0.5, precision and recall of a face model on held-out photos.
    Faces(TestFacesArgs),
}
