//! Ocellus shared core: everything both the native trainer and the browser need.
//!
//! The same code decodes and preprocesses images, defines the networks and reads and
//! writes the weights format on both sides, so that a model trained natively gives the
//! same answers in the page.

pub mod boxes;
pub mod captcha_code;
pub mod ctc_reading;
pub mod error;
pub mod example_images;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod face_detection;
pub mod forward_timing;
pub mod image_input;
pub mod manifest;
pub mod model_card;
pub mod models;
pub mod ops;
pub mod prediction;
pub mod proposals;
pub mod reflect_padding;
pub mod region_crop;
pub mod test_views;
pub mod trained_model;
pub mod weights;

pub use error::{Error, Result};
pub use model_card::{face_labels, Arch, CodeHead, InputSize, ModelCard, Task, TaskKind, TrainingFacts};
pub use models::Network;
pub use trained_model::TrainedModel;
