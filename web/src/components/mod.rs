//! The page's building blocks.

pub mod drop_zone;
pub mod prediction_bars;
