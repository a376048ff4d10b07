//! The command line: `ocellus <train|eval|test> <task> ...` and `ocellus bench`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ocellus::InputSize;

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

/// `prepare` per task.
#[derive(Debug, Subcommand)]
pub enum PrepareTask {
    /// A classification data folder.
    Classify(PrepareClassifyArgs),
    /// Face photos with boxes: Fast-RCNN's training regions, cached to a file.
    Faces(PrepareFacesArgs),
}

/// `ocellus prepare faces`.
#[derive(Debug, Args)]
pub struct PrepareFacesArgs {
    /// The face data.
    #[command(flatten)]
    pub faces: FaceDataArgs,
    /// Where the regions go (and are resumed from).
    #[arg(long, default_value = "faces-regions.jsonl")]
    pub cache: PathBuf,
    /// The model's square input side: photos are letterboxed to it.
    #[arg(long, default_value_t = 256)]
    pub side: u32,
    /// Proposals per photo (the tutorial's 2,000).
    #[arg(long, default_value_t = 2000)]
    pub proposals: usize,
    /// Only the first N photos (in file-name order).
    #[arg(long)]
    pub limit: Option<usize>,
}

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

/// Parses a `--views` value.
fn parse_views(s: &str) -> Result<ocellus::test_views::TestViews, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| format!("'{s}' is not single, mirror or mirror-shift"))
}

/// Options every training command shares.
#[derive(Debug, Args, Clone)]
pub struct TrainOptions {
    /// Where to write the best weights (`.safetensors`); history, plot and checkpoint go beside it.
    #[arg(long)]
    pub out: PathBuf,
    /// Most epochs to run [default: the recipe's; the tutorial's: 100].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Stop after this many epochs without a better validation score [default: the recipe's; the tutorial's: 20].
    #[arg(long)]
    pub patience: Option<usize>,
    /// Mini-batch size [default: the recipe's; the tutorial's: 100; Fast-RCNN: 50 photos].
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Base learning rate [default: the recipe's; the tutorial's: Adam at 1e-3].
    #[arg(long)]
    pub lr: Option<f64>,
    /// Decay the learning rate along a cosine over --epochs (instead of the recipe's schedule).
    #[arg(long)]
    pub cosine: bool,
    /// Seed of the shuffle, the split and augmentation.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Where the tensors live.
    #[command(flatten)]
    pub device: DeviceArg,
    /// Use at most this many images (a seeded random subset), for quick runs.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Training-time augmentation [default: the recipe's; the tutorial's: off].
    #[arg(long, value_enum)]
    pub augment: Option<Toggle>,
    /// Continue an interrupted run from its checkpoint.
    #[arg(long, conflicts_with = "restart")]
    pub resume: bool,
    /// Start afresh even though a checkpoint of an earlier run with this --out exists (it is replaced).
    #[arg(long)]
    pub restart: bool,
}

impl TrainOptions {
    /// Whether `--augment on` was given.
    pub fn augment_on(&self) -> bool {
        self.augment == Some(Toggle::On)
    }

    /// `base` with the settings given on the command line in place of its own.
    pub fn recipe(&self, base: crate::training::Recipe) -> anyhow::Result<crate::training::Recipe> {
        let mut r = base;
        r.epochs = self.epochs.unwrap_or(r.epochs);
        r.patience = self.patience.unwrap_or(r.patience);
        r.batch_size = self.batch_size_or(r.batch_size)?;
        r.lr = self.lr.unwrap_or(r.lr);
        if self.cosine {
            r.schedule = crate::training::schedule::Schedule::Cosine;
        }
        if r.epochs == 0 {
            anyhow::bail!("--epochs must be at least 1");
        }
        Ok(r)
    }

    /// The batch size given, or the task's `default`; 0 is refused.
    pub fn batch_size_or(&self, default: usize) -> anyhow::Result<usize> {
        match self.batch_size.unwrap_or(default) {
            0 => anyhow::bail!("--batch-size must be at least 1"),
            n => Ok(n),
        }
    }
}

/// Face detectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DetectorName {
    /// One pass over the letterboxed photo, regions ROI-pooled, offsets regressed (SPEC 9).
    FastRcnn,
    /// Each region cropped, resized and classified by a ResNet-18 (SPEC 8).
    Rcnn,
    /// Single-shot, anchor-free: the whole photo in one pass, a box and a score per location.
    SingleShot,
}

/// Fast-RCNN's offset targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OffsetTargets {
    /// Raw offsets and their mean squared error (the tutorial's).
    Tutorial,
    /// Offsets divided by (0.1, 0.1, 0.2, 0.2) and smooth L1 (Faster R-CNN's).
    Scaled,
}

/// Where face data is: `--data DIR` with `bbox.csv` and `images/`, or `--csv` / `--images`.
#[derive(Debug, Args, Clone)]
pub struct FaceDataArgs {
    /// Data folder holding `bbox.csv` (Name,width,height,xmin,ymin,xmax,ymax) and `images/`.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The box CSV [default: DATA/bbox.csv].
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// The images folder [default: DATA/images].
    #[arg(long)]
    pub images: Option<PathBuf>,
}

impl FaceDataArgs {
    /// The CSV and the images folder.
    pub fn paths(&self) -> anyhow::Result<(PathBuf, PathBuf)> {
        let pick = |given: &Option<PathBuf>, inside: &str| -> anyhow::Result<PathBuf> {
            match (given, &self.data) {
                (Some(p), _) => Ok(p.clone()),
                (None, Some(d)) => Ok(d.join(inside)),
                (None, None) => anyhow::bail!("give --data DIR (with bbox.csv and images/), or --csv and --images"),
            }
        };
        Ok((pick(&self.csv, "bbox.csv")?, pick(&self.images, "images")?))
    }
}

/// `ocellus train faces`.
#[derive(Debug, Args)]
pub struct TrainFacesArgs {
    /// The photos and their boxes.
    #[command(flatten)]
    pub faces: FaceDataArgs,
    /// The detector.
    #[arg(long, value_enum, default_value_t = DetectorName::FastRcnn)]
    pub arch: DetectorName,
    /// Fast-RCNN: channel multiplier (1 is the tutorial's 4/4/8/8); RCNN: ResNet-18 base
    /// channels [default: 1 for Fast-RCNN, 16 for RCNN].
    #[arg(long)]
    pub width: Option<usize>,
    /// RCNN and Fast-RCNN: photos are letterboxed to SIDE x SIDE for proposals and for
    /// Fast-RCNN; single-shot: photos are scaled so that their longer side is SIDE
    /// [default: 256; single-shot 416].
    #[arg(long)]
    pub side: Option<u32>,
    /// Proposals per photo (the tutorial's 2,000).
    #[arg(long, default_value_t = 2000)]
    pub proposals: usize,
    /// RCNN's crop size WxH; single-shot: the side of its square training views [default:
    /// 32x32; single-shot 320].
    #[arg(long)]
    pub crop: Option<InputSize>,
    /// Fast-RCNN's offset targets.
    #[arg(long, value_enum, default_value_t = OffsetTargets::Scaled)]
    pub offsets: OffsetTargets,
    /// The prepared-regions cache [default: next to --out, NAME.regions.jsonl].
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Shared training options (--augment on flips photos left-right).
    #[command(flatten)]
    pub train: TrainOptions,
}

/// `--device`, shared by every command that runs a model.
#[derive(Debug, Args, Clone)]
pub struct DeviceArg {
    /// cpu, cuda or cuda:N.
    #[arg(long = "device", default_value = "cpu")]
    pub name: String,
}

impl DeviceArg {
    /// Opens the device, with a clear error for one that cannot work.
    pub fn open(&self) -> anyhow::Result<candle_core::Device> {
        crate::device::open(&self.name)
    }
}

/// Detection settings for eval and test.
#[derive(Debug, Args, Clone)]
pub struct DetectArgs {
    /// Face probability a region needs [default: the model's own, from its training; else
    /// 0.99 for RCNN and Fast-RCNN, 0.5 for single-shot].
    #[arg(long)]
    pub threshold: Option<f32>,
    /// A face overlapping a better one by more than this IoU is dropped.
    #[arg(long, default_value_t = 0.3)]
    pub merge_iou: f32,
    /// Proposals scored per photo.
    #[arg(long, default_value_t = 2000)]
    pub proposals: usize,
}

impl DetectArgs {
    /// The detection options these settings give for `card`'s model.
    pub fn options(&self, card: &ocellus::ModelCard) -> ocellus::face_detection::DetectOptions {
        let threshold = self.threshold.unwrap_or_else(|| ocellus::face_detection::default_threshold(card));
        ocellus::face_detection::DetectOptions { threshold, merge_iou: self.merge_iou, proposals: self.proposals, side: None }
    }
}

/// `ocellus eval faces`.
#[derive(Debug, Args)]
pub struct EvalFacesArgs {
    /// A face model from `ocellus train faces`.
    #[arg(long)]
    pub model: PathBuf,
    /// Detection settings.
    #[command(flatten)]
    pub detect: DetectArgs,
    /// Folder for the photos with boxes drawn (PNG, NAME.faces.png after each photo; never
    /// over an input) [default: the current folder].
    #[arg(long)]
    pub draw: Option<PathBuf>,
    /// One JSON object per photo instead of text.
    #[arg(long)]
    pub json: bool,
    /// The photos.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
}

/// `ocellus test faces`.
#[derive(Debug, Args)]
pub struct TestFacesArgs {
    /// A face model from `ocellus train faces`.
    #[arg(long)]
    pub model: PathBuf,
    /// The photos and their boxes.
    #[command(flatten)]
    pub faces: FaceDataArgs,
    /// Which photos.
    #[arg(long, value_enum, default_value_t = SplitChoice::Auto)]
    pub split: SplitChoice,
    /// Measure on at most this many of them (the first by the split's order).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Detection settings.
    #[command(flatten)]
    pub detect: DetectArgs,
    /// Score another detector's answers instead of the model's (JSON lines, one photo each:
    /// image, faces as [x0, y0, x1, y1, score], ms); the model still names the photos.
    #[arg(long)]
    pub detections: Option<PathBuf>,
    /// Print the chosen photos' paths, one a line, and stop (for other detectors to run on).
    #[arg(long)]
    pub list_photos: bool,
    /// Print a JSON object last (ap50, precision, recall, images, ...).
    #[arg(long)]
    pub json: bool,
}

/// on / off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Toggle {
    /// Enabled.
    On,
    /// Disabled.
    Off,
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
    /// Training recipe [default: fast for whitened-cnn, tutorial for the tutorial's models].
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

/// Which images of a data set a `test` command measures on; every `test` command defaults to
/// `auto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SplitChoice {
    /// The held-out test split when the data is what the model was trained on (its card names
    /// it), else every image: never a score on images the model learnt from.
    Auto,
    /// Every labelled image.
    All,
    /// Only the held-out test split that training used (same seed and --limit as the model's).
    Test,
}

impl SplitChoice {
    /// `All` or `Test`: `Auto` decided by whether `data` is the data set `facts` names.
    pub fn resolve(self, facts: Option<&ocellus::TrainingFacts>, data: &std::path::Path) -> SplitChoice {
        let same = |named: &str| match (std::fs::canonicalize(named), std::fs::canonicalize(data)) {
            (Ok(a), Ok(b)) => a == b,
            _ => std::path::Path::new(named) == data,
        };
        match self {
            SplitChoice::Auto if facts.is_some_and(|f| same(&f.dataset)) => SplitChoice::Test,
            SplitChoice::Auto => SplitChoice::All,
            other => other,
        }
    }
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
