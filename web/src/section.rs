//! The state of one task section of the page (its model, the image given, the answer): the
//! same for every task, so new tasks slot in beside Classify.

use std::rc::Rc;

use ocellus::boxes::merge::Scored;
use ocellus::captcha_code::ReadCode;
use ocellus::prediction::Prediction;
use ocellus::ModelCard;

use crate::model_fetch::Progress;
use crate::protocol::Slot;

/// A model the worker holds for this section.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedModel {
    /// Shown to people: the manifest's name or the user's file name.
    pub name: String,
    /// Its model card.
    pub card: ModelCard,
    /// When it became ready, in ms since the page started loading.
    pub ready_at_ms: f64,
    /// How long the worker took to build it from its bytes, in ms.
    pub build_ms: f64,
}

/// What is happening to the section's model.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelStatus {
    /// Nothing in progress.
    Idle,
    /// Downloading (or reading from the cache).
    Fetching { name: String, progress: Option<Progress> },
    /// The worker is building it.
    Building { name: String },
    /// The last attempt failed; any earlier model stays in use.
    Failed(String),
}

/// An image the user gave.
#[derive(Clone, Debug, PartialEq)]
pub struct GivenImage {
    /// Its file name.
    pub name: String,
    /// A `blob:` URL for the preview.
    pub url: Option<String>,
    /// The encoded bytes.
    pub bytes: Rc<Vec<u8>>,
}

/// The answer for the current image.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// No image yet.
    None,
    /// Sent to the worker (or waiting for the model).
    Working,
    /// The top labels, the time the worker took, and when the answer arrived (ms since the
    /// page started loading).
    Labels { top: Vec<Prediction>, ms: f64, at_ms: f64 },
    /// The code read from a captcha, the time the worker took, and when it arrived.
    Code { read: ReadCode, ms: f64, at_ms: f64 },
    /// Every scored region of a photo (the view thresholds and merges them), the photo's
    /// size, the time of each stage, and when the answer arrived.
    Faces { size: (u32, u32), candidates: Rc<Vec<Scored>>, proposals_ms: f64, model_ms: f64, at_ms: f64 },
    /// What went wrong, naming the file.
    Failed(String),
}

impl Answer {
    /// When the answer arrived (ms since the page started loading), if it is one.
    pub fn at_ms(&self) -> Option<f64> {
        match self {
            Answer::Labels { at_ms, .. } | Answer::Code { at_ms, .. } | Answer::Faces { at_ms, .. } => Some(*at_ms),
            _ => None,
        }
    }
}

/// One task section.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// Which worker slot serves it.
    pub slot: Slot,
    /// The model in use.
    pub model: Option<LoadedModel>,
    /// Loading in progress or failed.
    pub status: ModelStatus,
    /// The image given.
    pub image: Option<GivenImage>,
    /// Counts images given, so only the answer for the latest one is shown.
    pub job: u64,
    /// The answer for the image.
    pub answer: Answer,
}

impl Section {
    /// An empty section served by `slot`.
    pub fn new(slot: Slot) -> Self {
        Self { slot, model: None, status: ModelStatus::Idle, image: None, job: 0, answer: Answer::None }
    }

    /// Replaces the image, under a new job number (what [`Section::question`] then asks).
    pub fn give_image(&mut self, image: GivenImage) {
        self.job += 1;
        self.image = Some(image);
        self.answer = Answer::Working;
    }

    /// Asks about the image again under a new job number (a new model arrived), so that a
    /// late answer from the old model is not shown.
    pub fn ask_again(&mut self) {
        if self.image.is_some() {
            self.job += 1;
            self.answer = Answer::Working;
        }
    }

    /// The request this section waits for: its image under its current job, once it has a
    /// model; `None` when it has an answer or nothing to ask.
    pub fn question(&self) -> Option<(u64, &GivenImage)> {
        match (&self.model, &self.image, &self.answer) {
            (Some(_), Some(image), Answer::Working) => Some((self.job, image)),
            _ => None,
        }
    }
}
