//! `captcha generate` and `train`, `eval` and `test` for captcha reading.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use ocellus::InputSize;

use super::options::{DeviceArg, SplitChoice, TrainOptions};

/// `ocellus captcha ...`.
#[derive(Debug, Subcommand)]
pub enum CaptchaCommand {
    /// Write `<serial>-<CODE>.png` captchas in the tutorial's style (deterministic for a seed).
    Generate(GenerateCaptchaArgs),
}

/// `ocellus captcha generate`.
#[derive(Debug, Args)]
pub struct GenerateCaptchaArgs {
    /// Folder to write into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// How many captchas.
    #[arg(long, default_value_t = 1000)]
    pub count: usize,
    /// Seed: the same seed writes the same images.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Characters per code.
    #[arg(long, default_value_t = 4)]
    pub length: usize,
    /// The symbols codes are made of (letters are drawn in random case).
    #[arg(long, default_value = ocellus::captcha_code::DEFAULT_ALPHABET)]
    pub alphabet: String,
    /// Image size WxH.
    #[arg(long, default_value = "120x50")]
    pub size: InputSize,
    /// Straight noise lines per image.
    #[arg(long, default_value_t = 2)]
    pub lines: usize,
    /// Noise curves per image.
    #[arg(long, default_value_t = 1)]
    pub curves: usize,
    /// Light ground with dark glyphs (the tutorial's), or dark ground with light glyphs.
    #[arg(long, value_enum, default_value_t = crate::captcha::style::Ground::Light)]
    pub ground: crate::captcha::style::Ground,
    /// Fonts to draw glyphs in, comma-separated: sans, serif, mono, caladea [default: all four].
    #[arg(long, value_delimiter = ',', value_parser = parse_font)]
    pub fonts: Vec<usize>,
}

/// A bundled font's index from its name.
fn parse_font(s: &str) -> Result<usize, String> {
    crate::captcha::fonts::NAMES.iter().position(|n| *n == s).ok_or_else(|| format!("'{s}' is not one of {}", crate::captcha::fonts::NAMES.join(", ")))
}

/// `ocellus train captcha`.
#[derive(Debug, Args)]
pub struct TrainCaptchaArgs {
    /// Folder of `<serial>-<CODE>.<ext>` captcha images (the code, case-insensitive, is the label).
    #[arg(long)]
    pub data: PathBuf,
    /// ResNet-18 base channel count (64 in the paper) [default: 8].
    #[arg(long)]
    pub width: Option<usize>,
    /// Input size WxH that images are resized to [default: the data's most common image size
    /// scaled to 32 pixels high, aspect kept; the tutorial's is 56x24].
    #[arg(long)]
    pub input: Option<InputSize>,
    /// Characters per code (default: the most common length in the data).
    #[arg(long)]
    pub length: Option<usize>,
    /// The symbols codes are made of (default: those the data uses).
    #[arg(long)]
    pub alphabet: Option<String>,
    /// Tell upper and lower case apart (`A` and `a` become two symbols); codes are
    /// case-insensitive otherwise, as the tutorial's.
    #[arg(long)]
    pub case_sensitive: bool,
    /// Training recipe [default: captcha, the measured one: Adam warmed up and decayed, the
    /// captcha distortion; tutorial: Adam at 1e-3, constant, no augmentation].
    #[arg(long, value_enum, default_value_t = CaptchaRecipe::Captcha)]
    pub recipe: CaptchaRecipe,
    /// How the network reads the characters [default: ctc, a softmax over the symbols and a
    /// blank at every column of the map, trained with CTC: 97.5% of fresh captchas against
    /// 96.3%; positions: the tutorial's, the map pooled to one column per character, a softmax
    /// each].
    #[arg(long, value_enum, default_value_t = HeadChoice::Ctc)]
    pub head: HeadChoice,
    /// Shared training options.
    #[command(flatten)]
    pub train: TrainOptions,
}

/// `train captcha --recipe`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CaptchaRecipe {
    /// Adam warmed up and decayed linearly, captcha distortion (shifts, rotations, scales,
    /// colours), a fixed number of epochs with the best kept.
    Captcha,
    /// The tutorial's: Adam at 1e-3, constant, no augmentation, early stopping.
    Tutorial,
}

/// `train captcha --head`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum HeadChoice {
    /// One softmax per character position (the tutorial's).
    Positions,
    /// A softmax per column of the feature map, trained with CTC.
    Ctc,
}

impl From<HeadChoice> for ocellus::CodeHead {
    fn from(h: HeadChoice) -> Self {
        match h {
            HeadChoice::Positions => ocellus::CodeHead::Positions,
            HeadChoice::Ctc => ocellus::CodeHead::Ctc,
        }
    }
}

/// `ocellus eval captcha`.
#[derive(Debug, Args)]
pub struct EvalCaptchaArgs {
    /// Weights file written by `ocellus train captcha`.
    #[arg(long)]
    pub model: PathBuf,
    /// One JSON object per image (code and per-character confidence) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Captcha images to read.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
}

/// `ocellus test captcha`.
#[derive(Debug, Args)]
pub struct TestCaptchaArgs {
    /// Weights file written by `ocellus train captcha`.
    #[arg(long)]
    pub model: PathBuf,
    /// Folder of `<serial>-<CODE>.<ext>` captchas.
    #[arg(long)]
    pub data: PathBuf,
    /// Which captchas to use.
    #[arg(long, value_enum, default_value_t = SplitChoice::Auto)]
    pub split: SplitChoice,
    /// Print a JSON object as the last line (full, char, count).
    #[arg(long)]
    pub json: bool,
    /// Batch size for inference.
    #[arg(long, default_value_t = 100)]
    pub batch_size: usize,
    /// Where the tensors live.
    #[command(flatten)]
    pub device: DeviceArg,
}
