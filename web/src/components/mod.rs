//! The page's building blocks.

pub mod bench_page;
pub mod bench_view;
pub mod camera_view;
pub mod captcha_view;
pub mod classify_view;
pub mod copy_button;
pub mod drop_zone;
pub mod example_row;
pub mod face_marks;
pub mod faces_export;
pub mod faces_view;
pub mod model_line;
pub mod prediction_bars;
pub mod task_panel;
