//! The Ocellus page: the app on the page's thread and the inference worker beside it. Both
//! call the shared core, so the page answers exactly as the native trainer does.

pub mod app;
pub mod bench;
pub mod browser;
pub mod camera;
pub mod camera_run;
pub mod clock;
pub mod components;
pub mod engine;
pub mod inference;
pub mod loading;
pub mod model_fetch;
pub mod page;
pub mod protocol;
pub mod section;
