//! The model card: what a weights file says about itself, enough to rebuild and use it.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::boxes::offsets::OffsetScale;

/// Version of the card's layout; bumped when a reader of an older layout would misread it.
pub const CARD_FORMAT: u32 = 1;

/// What a model does with an image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Task {
    /// Single-label classification over `ModelCard::labels`.
    Classify,
    /// Reading a captcha of `length` characters; `ModelCard::labels` is the alphabet (one
    /// symbol each) and the network scores every symbol at every position.
    Captcha {
        /// Characters per code.
        length: usize,
    },
    /// Finding faces; `ModelCard::labels` is `[background, face]`. The tutorial's detectors
    /// letterbox photos to `side` x `side` pixels and selective search proposes regions on that
    /// image: RCNN (a ResNet-18 on each region's crop, resized to `ModelCard::input`) or
    /// Fast-RCNN (one pass over the letterboxed photo, regions ROI-pooled), by
    /// `ModelCard::arch`. The single-shot detector sees the whole photo scaled so that its
    /// longer side is `side` (`ModelCard::input` is its training crop).
    Faces {
        /// The letterboxed photo's side, or the single-shot detector's longer side.
        side: u32,
    },
}

/// The labels of every face model, in output order (`ModelCard::labels` of `Task::Faces`).
pub fn face_labels() -> Vec<String> {
    vec!["background".into(), "face".into()]
}

/// Which task a model does, without its settings: what a caller asks a model file to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    /// [`Task::Classify`].
    Classify,
    /// [`Task::Captcha`], of any length.
    Captcha,
    /// [`Task::Faces`], of any side.
    Faces,
}

impl TaskKind {
    /// The task's name as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            TaskKind::Classify => "classify",
            TaskKind::Captcha => "captcha",
            TaskKind::Faces => "faces",
        }
    }
}

impl Task {
    /// Which task this is.
    pub fn kind(&self) -> TaskKind {
        match self {
            Task::Classify => TaskKind::Classify,
            Task::Captcha { .. } => TaskKind::Captcha,
            Task::Faces { .. } => TaskKind::Faces,
        }
    }

    /// The task's name as the command line spells it.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

/// How a captcha model reads its characters off the last feature map.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeHead {
    /// The tutorial's: the map pooled to one column per character, a softmax per position.
    #[default]
    Positions,
    /// A softmax over the alphabet and a blank at every column of the map, trained with CTC
    /// (Graves et al., 2006) and read by best path: a character need not sit in a fixed column.
    Ctc,
}

impl CodeHead {
    /// Whether this is the tutorial's head (left out of a card, so older readers read it).
    pub fn is_positions(&self) -> bool {
        *self == CodeHead::Positions
    }
}

/// The network architecture and its size options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "lowercase")]
pub enum Arch {
    /// The tutorial's LeNet (two 5x5 convolutions, three linear layers).
    LeNet,
    /// The CIFAR variant of ResNet-18; `width` is the first stage's channel count (64 in the paper).
    ResNet18 { width: usize },
    /// The tutorial's Fast-RCNN (stride-1 ResNet-shaped extractor, ROI pooling, label and
    /// offset heads); `width` multiplies its channels (1: 4, 4, 8, 8).
    #[serde(rename = "fast-rcnn")]
    FastRcnn { width: usize },
    /// Fast-RCNN's design (proposals, ROI pooling, label and offset heads) on the feature
    /// pyramid's stride-8 level instead of the tutorial's stride-1 extractor.
    #[serde(rename = "pyramid-fast-rcnn")]
    PyramidFastRcnn { width: usize },
    /// The single-shot, anchor-free face detector (residual backbone, feature pyramid over
    /// strides 8/16/32, one shared head); `width` multiplies its channels.
    #[serde(rename = "single-shot")]
    SingleShot { width: usize },
    /// The fast-training classifier of the airbench family (frozen patch-whitening layer,
    /// three conv-pool-BatchNorm-GELU groups); `width` is the first group's channel count
    /// (64: the published 64/256/256).
    #[serde(rename = "whitened-cnn")]
    WhitenedCnn { width: usize },
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arch::LeNet => write!(f, "lenet"),
            Arch::ResNet18 { width } => write!(f, "resnet18 (width {width})"),
            Arch::FastRcnn { width } => write!(f, "fast-rcnn (width {width})"),
            Arch::PyramidFastRcnn { width } => write!(f, "pyramid-fast-rcnn (width {width})"),
            Arch::SingleShot { width } => write!(f, "single-shot (width {width})"),
            Arch::WhitenedCnn { width } => write!(f, "whitened-cnn (width {width})"),
        }
    }
}

/// A model's input size in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InputSize {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl InputSize {
    /// A square input of `side` pixels.
    pub const fn square(side: u32) -> Self {
        InputSize { width: side, height: side }
    }

    /// Number of u8 values in an RGB image of this size.
    pub fn rgb_len(&self) -> usize {
        self.width as usize * self.height as usize * 3
    }
}

impl fmt::Display for InputSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

impl FromStr for InputSize {
    type Err = String;

    /// Parses `WxH` (e.g. `56x24`) or a single number for a square.
    fn from_str(s: &str) -> Result<Self, String> {
        let parse = |v: &str| -> Result<u32, String> {
            match v.trim().parse::<u32>() {
                Ok(n) if n > 0 && n <= 4096 => Ok(n),
                _ => Err(format!("'{s}' is not a size: expected WxH with 1..4096 pixels per side")),
            }
        };
        match s.split_once(['x', 'X']) {
            Some((w, h)) => Ok(InputSize { width: parse(w)?, height: parse(h)? }),
            None => Ok(InputSize::square(parse(s)?)),
        }
    }
}

/// How a model was trained: kept in the file so that a result can be traced.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingFacts {
    /// The data folder (or description) the model was trained on.
    pub dataset: String,
    /// Images in the training split.
    pub train_images: usize,
    /// Epochs run.
    pub epochs: usize,
    /// The epoch whose weights these are (best validation score).
    pub best_epoch: usize,
    /// Final metrics, e.g. `val_accuracy`, `test_top1`.
    pub metrics: BTreeMap<String, f64>,
    /// When training finished (RFC 3339, UTC).
    pub date: String,
    /// The seed of the shuffle and split.
    pub seed: u64,
    /// The `--limit` on the number of images, if one was given.
    #[serde(default)]
    pub limit: Option<usize>,
    /// Whether training-time augmentation was on.
    pub augment: bool,
    /// The training recipe (optimiser, rates, schedule...) as JSON, when recorded.
    #[serde(default)]
    pub recipe: Option<String>,
}

/// Everything needed to rebuild and use a model without any other file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// Layout version, [`CARD_FORMAT`] when written by this build.
    pub format: u32,
    /// What the model does.
    pub task: Task,
    /// Which network, and its size options.
    pub arch: Arch,
    /// The size images are resized to before the network sees them.
    pub input: InputSize,
    /// Class names in output order.
    pub labels: Vec<String>,
    /// How it was trained, when known.
    #[serde(default)]
    pub training: Option<TrainingFacts>,
    /// The views a classifier's answer is averaged over (test-time augmentation).
    #[serde(default)]
    pub views: crate::test_views::TestViews,
    /// Fast-RCNN: how its offset head's outputs scale into offsets (absent: the tutorial's).
    #[serde(default, skip_serializing_if = "OffsetScale::is_tutorial")]
    pub offset_scale: OffsetScale,
    /// A captcha model's head (absent: the tutorial's, one softmax per position).
    #[serde(default, skip_serializing_if = "CodeHead::is_positions")]
    pub code_head: CodeHead,
}

impl ModelCard {
    /// A card for a freshly built model, without training facts.
    pub fn new(task: Task, arch: Arch, input: InputSize, labels: Vec<String>) -> Self {
        ModelCard { format: CARD_FORMAT, task, arch, input, labels, training: None, views: Default::default(), offset_scale: OffsetScale::TUTORIAL, code_head: CodeHead::Positions }
    }

    /// Number of outputs the network's last layer has.
    pub fn outputs(&self) -> usize {
        match self.task {
            Task::Classify | Task::Faces { .. } => self.labels.len(),
            Task::Captcha { length } => match self.code_head {
                CodeHead::Positions => length * self.labels.len(),
                // Per column of the map: every symbol and the blank.
                CodeHead::Ctc => self.labels.len() + 1,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_size_parses_and_prints() {
        assert_eq!("56x24".parse::<InputSize>().unwrap(), InputSize { width: 56, height: 24 });
        assert_eq!("32".parse::<InputSize>().unwrap(), InputSize::square(32));
        assert!("0x5".parse::<InputSize>().is_err());
        assert!("axb".parse::<InputSize>().is_err());
        assert_eq!(InputSize { width: 56, height: 24 }.to_string(), "56x24");
    }

    #[test]
    fn card_json_is_stable() {
        let card = ModelCard::new(
            Task::Classify,
            Arch::ResNet18 { width: 16 },
            InputSize::square(32),
            vec!["cat".into(), "dog".into()],
        );
        let json = serde_json::to_string(&card).unwrap();
        assert!(json.contains(r#""task":{"kind":"classify"}"#), "{json}");
        assert!(json.contains(r#""arch":{"name":"resnet18","width":16}"#), "{json}");
        assert_eq!(serde_json::from_str::<ModelCard>(&json).unwrap(), card);
    }

    #[test]
    fn face_cards_name_the_detector_and_the_letterbox_side() {
        let card = ModelCard::new(Task::Faces { side: 256 }, Arch::FastRcnn { width: 1 }, InputSize::square(256), face_labels());
        let json = serde_json::to_string(&card).unwrap();
        assert!(json.contains(r#""task":{"kind":"faces","side":256}"#), "{json}");
        assert!(json.contains(r#""arch":{"name":"fast-rcnn","width":1}"#), "{json}");
        assert_eq!(serde_json::from_str::<ModelCard>(&json).unwrap(), card);
        assert_eq!(card.outputs(), 2);
    }

    #[test]
    fn captcha_cards_score_every_symbol_at_every_position() {
        let labels: Vec<String> = "0123456789abcdefghijklmnopqrstuvwxyz".chars().map(String::from).collect();
        let card = ModelCard::new(Task::Captcha { length: 4 }, Arch::ResNet18 { width: 8 }, InputSize { width: 56, height: 24 }, labels);
        assert_eq!(card.outputs(), 144);
        let json = serde_json::to_string(&card).unwrap();
        assert!(json.contains(r#""task":{"kind":"captcha","length":4}"#), "{json}");
        assert_eq!(serde_json::from_str::<ModelCard>(&json).unwrap(), card);
    }
}
