//! `ocellus captcha generate`: labelled captchas for training and testing.

use anyhow::{bail, Result};
use ocellus::captcha_code::Alphabet;

use crate::captcha::fonts::fonts;
use crate::captcha::generator::generate;
use crate::captcha::style::Style;
use crate::cli::GenerateCaptchaArgs;

/// Runs the command.
pub fn run(args: GenerateCaptchaArgs) -> Result<()> {
    let alphabet = Alphabet::new(&args.alphabet);
    if alphabet.is_empty() || args.length == 0 {
        bail!("--alphabet and --length must not be empty");
    }
    if let Some(c) = alphabet.as_string().chars().find(|&c| fonts().iter().any(|f| ab_glyph::Font::glyph_id(f, c).0 == 0)) {
        bail!("--alphabet has {c:?}, which a bundled font cannot draw");
    }
    if c_is_unsafe_in_file_names(&alphabet) {
        bail!("--alphabet may not contain '/', '\\', '.' or '-': codes are part of the file names");
    }
    let style = Style {
        width: args.size.width,
        height: args.size.height,
        length: args.length,
        alphabet,
        lines: args.lines,
        curves: args.curves,
        ground: args.ground,
        fonts: args.fonts.clone(),
    };
    let run = generate(&args.out, args.count, args.seed, &style)?;
    println!(
        "wrote {} captchas to {} in {:.2} s ({:.0} images/s)",
        run.files.len(),
        args.out.display(),
        run.seconds,
        run.files.len() as f64 / run.seconds.max(1e-9)
    );
    Ok(())
}

fn c_is_unsafe_in_file_names(alphabet: &Alphabet) -> bool {
    alphabet.as_string().chars().any(|c| matches!(c, '/' | '\\' | '.' | '-'))
}
