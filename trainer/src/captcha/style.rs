//! What a generated captcha looks like: size, code length, alphabet, amount of noise.

use ocellus::captcha_code::{Alphabet, DEFAULT_ALPHABET, DEFAULT_LENGTH};

/// A captcha style.
#[derive(Clone, Debug)]
pub struct Style {
    /// Image width in pixels (the tutorial's: 120).
    pub width: u32,
    /// Image height in pixels (the tutorial's: 50).
    pub height: u32,
    /// Characters per code.
    pub length: usize,
    /// The symbols codes are drawn from (lower case; letters are drawn in either case).
    pub alphabet: Alphabet,
    /// Straight noise lines.
    pub lines: usize,
    /// Noise curves (cubic Béziers).
    pub curves: usize,
    /// Dark glyphs on a light ground (the tutorial's), or light glyphs on a dark one.
    pub ground: Ground,
    /// Which bundled fonts glyphs are drawn in (indices into `fonts()`; empty: all of them).
    pub fonts: Vec<usize>,
}

/// The captcha's ground colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Ground {
    /// Light ground, dark glyphs and noise.
    Light,
    /// Dark ground, light glyphs and noise.
    Dark,
}

impl Default for Style {
    /// The tutorial's captchas: 120x50, 4 characters of 0-9 a-z, two lines, one curve.
    fn default() -> Self {
        Style {
            width: 120,
            height: 50,
            length: DEFAULT_LENGTH,
            alphabet: Alphabet::new(DEFAULT_ALPHABET),
            lines: 2,
            curves: 1,
            ground: Ground::Light,
            fonts: Vec::new(),
        }
    }
}
