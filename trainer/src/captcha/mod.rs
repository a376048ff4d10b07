//! Captchas: a generator of labelled training images in the tutorial's style.

pub mod fonts;
pub mod generator;
pub mod glyph;
pub mod style;
