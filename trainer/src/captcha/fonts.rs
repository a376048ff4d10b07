//! The generator's fonts, bundled so that no system font is needed (licenses in
//! `static/fonts/captcha/README.md`).

use std::sync::OnceLock;

use ab_glyph::FontRef;

/// The fonts' names as `captcha generate --fonts` spells them, in `fonts()` order.
pub const NAMES: [&str; 4] = ["sans", "serif", "mono", "caladea"];

static FILES: [&[u8]; 4] = [
    include_bytes!("../../../static/fonts/captcha/LiberationSans-Bold.ttf"),
    include_bytes!("../../../static/fonts/captcha/LiberationSerif-Bold.ttf"),
    include_bytes!("../../../static/fonts/captcha/LiberationMono-Bold.ttf"),
    include_bytes!("../../../static/fonts/captcha/Caladea-Bold.ttf"),
];

/// Every bundled font, parsed once.
pub fn fonts() -> &'static [FontRef<'static>] {
    static FONTS: OnceLock<Vec<FontRef<'static>>> = OnceLock::new();
    FONTS.get_or_init(|| FILES.iter().map(|b| FontRef::try_from_slice(b).expect("a bundled font parses")).collect())
}

#[cfg(test)]
mod tests {
    use ab_glyph::Font;

    #[test]
    fn every_font_has_every_default_symbol() {
        for font in super::fonts() {
            for c in ocellus::captcha_code::DEFAULT_ALPHABET.chars().chain("ABCXYZ".chars()) {
                assert_ne!(font.glyph_id(c).0, 0, "a bundled font lacks {c:?}");
            }
        }
    }
}
