//! The messages between the page and its inference worker.

use ocellus::boxes::merge::Scored;
use ocellus::captcha_code::ReadCode;
use ocellus::prediction::Prediction;
use ocellus::ops::kernel_choice::Kernels;
use ocellus::ModelCard;
use serde::{Deserialize, Serialize};

/// Which of the page's sections a model serves; each holds one model at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Slot {
    /// The image classifier.
    Classify,
    /// The captcha reader.
    Captcha,
    /// The face detector.
    Faces,
    /// A model timed by the benchmark mode (never used for answers).
    Bench,
}

/// How many labels a classifier's answer holds (the page shows them all).
pub const TOP_LABELS: usize = 5;

/// What the page asks of the worker.
#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// Build a model from a weights file and keep it in `slot`.
    Load {
        /// The section it is for.
        slot: Slot,
        /// Put it in the section of its own task instead (for a file the user dropped anywhere).
        follow_task: bool,
        /// Where the weights came from, named in messages.
        source: String,
        /// The `.safetensors` file.
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// Answer for an encoded image with the model in `slot`, as its card's task asks:
    /// the top [`TOP_LABELS`] labels, the captcha's code, or every scored face region.
    Answer {
        /// The section asking.
        slot: Slot,
        /// Echoed in the reply, so a late answer to an earlier image is recognised.
        job: u64,
        /// The image's name, for messages.
        name: String,
        /// The encoded image, as the user gave it.
        #[serde(with = "serde_bytes")]
        image: Vec<u8>,
    },
    /// Find the faces in one camera frame (raw RGBA pixels, as a canvas holds them) with the
    /// model in `slot`.
    DetectFrame {
        /// The section asking.
        slot: Slot,
        /// The frame's number, echoed in the reply.
        job: u64,
        /// Frame width in pixels.
        width: u32,
        /// Frame height in pixels.
        height: u32,
        /// width x height x 4 bytes; carried as one byte string, not element by element.
        #[serde(with = "serde_bytes")]
        rgba: Vec<u8>,
    },
    /// Time `runs` selective searches (fast mode, 2,000 boxes) on an encoded image.
    BenchProposals {
        /// The image's name, for messages.
        name: String,
        /// The encoded image.
        #[serde(with = "serde_bytes")]
        image: Vec<u8>,
        /// How many timed runs.
        runs: usize,
    },
    /// Time `runs` forward passes at batch 1 of the model in `slot` (after a warm-up: `ocellus::forward_timing::WARM_UP_MS`).
    Bench {
        /// The model to time.
        slot: Slot,
        /// How many timed passes.
        runs: usize,
        /// Whose CPU kernels to time (the page runs on ours; candle's for comparison).
        kernels: Kernels,
    },
}

/// What the worker answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// The model in `slot` is ready.
    Loaded {
        /// The section it is for.
        slot: Slot,
        /// Where the weights came from.
        source: String,
        /// Its model card.
        #[serde(with = "card_as_json")]
        card: ModelCard,
        /// How long building it from its bytes took in the worker, in ms.
        ms: f64,
    },
    /// The weights could not be used; the section keeps its previous model.
    LoadFailed {
        /// The section it was for.
        slot: Slot,
        /// What is wrong, naming the source.
        message: String,
    },
    /// The answer for one image.
    Classified {
        /// The section asking.
        slot: Slot,
        /// The request's job number.
        job: u64,
        /// Most likely labels first.
        top: Vec<Prediction>,
        /// Time spent decoding, preprocessing and running the model, in ms.
        ms: f64,
    },
    /// The code read from one captcha.
    CodeRead {
        /// The section asking.
        slot: Slot,
        /// The request's job number.
        job: u64,
        /// The code and each character's probability.
        read: ReadCode,
        /// Time spent decoding, preprocessing and running the model, in ms.
        ms: f64,
    },
    /// The scored regions of one photo; the page thresholds and merges them itself, so that
    /// its slider answers without running the model again.
    FacesFound {
        /// The section asking.
        slot: Slot,
        /// The request's job number.
        job: u64,
        /// The photo's size in pixels.
        size: (u32, u32),
        /// Every scored region, in the photo's pixels.
        candidates: Vec<Scored>,
        /// Milliseconds for selective search.
        proposals_ms: f64,
        /// Milliseconds for the model (all regions).
        model_ms: f64,
    },
    /// The scored regions of one camera frame (the page thresholds and merges them).
    FrameFaces {
        /// The section asking.
        slot: Slot,
        /// The frame's number.
        job: u64,
        /// Every scored region, in the frame's pixels.
        candidates: Vec<Scored>,
        /// Milliseconds in the worker: pixels to boxes.
        ms: f64,
    },
    /// A camera frame could not be answered.
    FrameFailed {
        /// The section asking.
        slot: Slot,
        /// The frame's number.
        job: u64,
        /// What is wrong.
        message: String,
    },
    /// An image could not be answered.
    Failed {
        /// The section asking.
        slot: Slot,
        /// The request's job number.
        job: u64,
        /// What is wrong, naming the image.
        message: String,
    },
    /// Selective-search times in ms, one per run, and the number of boxes found.
    ProposalsTimed {
        /// Boxes found.
        boxes: usize,
        /// Image size in pixels.
        size: (u32, u32),
        /// One time per run.
        ms: Vec<f64>,
    },
    /// Forward-pass times in ms, one per run.
    Benched {
        /// The model timed.
        slot: Slot,
        /// One time per run.
        ms: Vec<f64>,
    },
}

/// Model cards cross as JSON text: the worker's codec (bincode) cannot carry their tagged enums.
mod card_as_json {
    use ocellus::ModelCard;
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(card: &ModelCard, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&serde_json::to_string(card).map_err(S::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ModelCard, D::Error> {
        serde_json::from_str(&String::deserialize(d)?).map_err(D::Error::custom)
    }
}

impl Reply {
    /// The section a reply belongs to.
    pub fn slot(&self) -> Slot {
        match self {
            Reply::Loaded { slot, .. }
            | Reply::LoadFailed { slot, .. }
            | Reply::Classified { slot, .. }
            | Reply::CodeRead { slot, .. }
            | Reply::FacesFound { slot, .. }
            | Reply::FrameFaces { slot, .. }
            | Reply::FrameFailed { slot, .. }
            | Reply::Failed { slot, .. }
            | Reply::Benched { slot, .. } => *slot,
            Reply::ProposalsTimed { .. } => Slot::Bench,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocellus::{Arch, InputSize, Task, TrainingFacts};

    /// Every reply survives the worker's codec (bincode), cards with tagged enums included.
    #[test]
    fn replies_cross_the_worker_codec() {
        let mut card = ModelCard::new(Task::Classify, Arch::ResNet18 { width: 16 }, InputSize::square(32), vec!["cat".into()]);
        card.training = Some(TrainingFacts { epochs: 3, ..Default::default() });
        let replies = [
            Reply::Loaded { slot: Slot::Classify, source: "m".into(), card, ms: 12.5 },
            Reply::Classified { slot: Slot::Classify, job: 2, top: vec![Prediction { label: "cat".into(), probability: 0.5 }], ms: 1.5 },
            Reply::Benched { slot: Slot::Bench, ms: vec![1.0, 2.0] },
            Reply::CodeRead { slot: Slot::Captcha, job: 4, read: ReadCode { code: "8ca6".into(), confidence: vec![0.9; 4] }, ms: 2.0 },
            Reply::FacesFound {
                slot: Slot::Faces,
                job: 5,
                size: (640, 480),
                candidates: vec![Scored { bounds: ocellus::boxes::BoxXyxy { x0: 1.0, y0: 2.0, x1: 30.5, y1: 40.0 }, score: 0.995 }],
                proposals_ms: 800.0,
                model_ms: 300.0,
            },
            Reply::FrameFaces { slot: Slot::Faces, job: 6, candidates: vec![], ms: 20.0 },
            Reply::FrameFailed { slot: Slot::Faces, job: 7, message: "no model".into() },
        ];
        for reply in replies {
            let bytes = bincode::serialize(&reply).unwrap();
            assert_eq!(bincode::deserialize::<Reply>(&bytes).unwrap(), reply);
        }
        let frame = Request::DetectFrame { slot: Slot::Faces, job: 9, width: 2, height: 1, rgba: vec![1, 2, 3, 4, 5, 6, 7, 8] };
        let back: Request = bincode::deserialize(&bincode::serialize(&frame).unwrap()).unwrap();
        assert!(matches!(back, Request::DetectFrame { job: 9, width: 2, ref rgba, .. } if rgba == &[1, 2, 3, 4, 5, 6, 7, 8]));
        let request = Request::Answer { slot: Slot::Classify, job: 1, name: "a.png".into(), image: vec![1, 2, 3] };
        let back: Request = bincode::deserialize(&bincode::serialize(&request).unwrap()).unwrap();
        assert!(matches!(back, Request::Answer { job: 1, ref image, .. } if image == &[1, 2, 3]));
    }
}
