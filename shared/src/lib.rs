//! Ocellus shared core: everything both the native trainer and the browser need.
//!
//! The same code decodes and preprocesses images, defines the networks and reads and
//! writes the weights format on both sides, so that a model trained natively gives the
//! same answers in the page.

pub mod batch_norm;
pub mod boxes;
pub mod captcha_code;
pub mod channel_bias;
pub mod conv;
pub mod error;
pub mod example_images;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod face_detection;
pub mod filled;
pub mod forward_timing;
pub mod gelu;
pub mod image_input;
pub mod kernel_choice;
pub mod manifest;
pub mod max_pool;
pub mod model_card;
pub mod op_operand;
pub mod op_threads;
pub mod models;
pub mod prediction;
pub mod proposals;
pub mod reflect_padding;
pub mod region_crop;
pub mod roi_pool;
pub mod test_views;
pub mod trained_model;
pub mod weights;
pub mod zeroed;

pub use error::{Error, Result};
pub use model_card::{Arch, InputSize, ModelCard, Task, TrainingFacts};
pub use models::Network;
pub use trained_model::TrainedModel;
