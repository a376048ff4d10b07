//! `prepare`, `train`, `eval` and `test` for face detection, and the face data and detection
//! settings they share.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use ocellus::InputSize;

use super::options::{SplitChoice, TrainOptions};
use crate::detection::sampling::Sampling;

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
    /// Which proposals become training regions.
    #[arg(long, value_enum, default_value_t = Sampling::Tutorial)]
    pub sampling: Sampling,
    /// Only the first N photos (in file-name order).
    #[arg(long)]
    pub limit: Option<usize>,
}

/// Face detectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DetectorName {
    /// One pass over the letterboxed photo, regions ROI-pooled, offsets regressed (SPEC 9).
    FastRcnn,
    /// Fast-RCNN's design on the single-shot detector's feature pyramid (stride-8 level
    /// pooled; the letterbox side a multiple of 32), best started with --init-from.
    PyramidFastRcnn,
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
    /// Fast-RCNN: channel multiplier (1 is the tutorial's 4/4/8/8); pyramid Fast-RCNN and
    /// single-shot: the pyramid's multiplier; RCNN: ResNet-18 base channels [default: 1;
    /// RCNN 16].
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
    /// Which proposals become training regions (broad measured below the tutorial's for
    /// Fast-RCNN: README, "The shipped face detectors").
    #[arg(long, value_enum, default_value_t = Sampling::Tutorial)]
    pub sampling: Sampling,
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
    /// Start from a trained model's tensors of the same names (pyramid Fast-RCNN: a
    /// single-shot model, whose backbone and pyramid it shares); the rest start fresh.
    #[arg(long)]
    pub init_from: Option<PathBuf>,
    /// Shared training options (--augment on flips photos left-right).
    #[command(flatten)]
    pub train: TrainOptions,
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
