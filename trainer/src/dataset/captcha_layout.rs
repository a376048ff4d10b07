//! The captcha layout: `<serial>-<CODE>.<ext>` image files anywhere below a folder, the code
//! (case-insensitive) being the label. Length and alphabet come from options or the data.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Result};
use ocellus::captcha_code::{code_from_file_name, Alphabet, DEFAULT_ALPHABET};

use super::{image_files_under, Catalog, Layout, Sample, Skipped, Source};

/// The codes' shape: how many characters, from which symbols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeShape {
    /// Characters per code.
    pub length: usize,
    /// The symbols, in output order.
    pub alphabet: Alphabet,
}

/// Reads the captcha files below `dir`. Without `length`, the most common code length is used;
/// without `alphabet`, the symbols the codes use (digits, then letters, then others). Files
/// whose name or code does not fit are skipped, each named with the reason.
pub fn scan(dir: &Path, length: Option<usize>, alphabet: Option<&Alphabet>) -> Result<(Catalog, CodeShape)> {
    if !dir.is_dir() {
        bail!("data folder {} does not exist or is not a folder", dir.display());
    }
    let mut named = Vec::new();
    let mut skipped = Vec::new();
    for path in image_files_under(dir) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        match code_from_file_name(&name) {
            Ok(code) => named.push((path, code)),
            Err(e) => skipped.push(Skipped { what: path.display().to_string(), reason: e.to_string() }),
        }
    }
    let length = length.unwrap_or_else(|| most_common_length(&named));
    let alphabet = alphabet.cloned().unwrap_or_else(|| symbols_used(&named, length));
    let mut samples = Vec::new();
    for (path, code) in named {
        match alphabet.encode(&code, length) {
            Ok(targets) => samples.push(Sample { source: Source::File(path), targets, part: None }),
            Err(e) => skipped.push(Skipped { what: path.display().to_string(), reason: e.to_string() }),
        }
    }
    if samples.is_empty() {
        bail!(
            "no usable captcha images in {}: expected <serial>-<CODE>.png files with {length}-character codes{}",
            dir.display(),
            if skipped.is_empty() { String::new() } else { format!(" ({} file(s) skipped)", skipped.len()) }
        );
    }
    let catalog = Catalog { layout: Layout::Captcha, labels: alphabet.labels(), samples, skipped };
    Ok((catalog, CodeShape { length, alphabet }))
}

fn most_common_length(named: &[(std::path::PathBuf, String)]) -> usize {
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for (_, code) in named {
        *counts.entry(code.chars().count()).or_default() += 1;
    }
    // Ties go to the shorter length, so the choice does not depend on hash order.
    counts.into_iter().max_by_key(|&(len, n)| (n, std::cmp::Reverse(len))).map_or(4, |(len, _)| len)
}

fn symbols_used(named: &[(std::path::PathBuf, String)], length: usize) -> Alphabet {
    let mut used: Vec<char> = named.iter().filter(|(_, c)| c.chars().count() == length).flat_map(|(_, c)| c.chars()).collect();
    used.sort_unstable();
    used.dedup();
    // Known symbols in the tutorial's order first, then any others.
    let mut ordered: String = DEFAULT_ALPHABET.chars().filter(|c| used.contains(c)).collect();
    ordered.extend(used.iter().filter(|c| !DEFAULT_ALPHABET.contains(**c)));
    Alphabet::new(&ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, name: &str) {
        let img = image::RgbImage::new(12, 5);
        img.save(dir.join(name)).unwrap();
    }

    #[test]
    fn derives_length_and_alphabet_and_names_what_does_not_fit() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["001-AB12.png", "002-ba21.png", "003-abc.png", "004-ab_1.png", "notacaptcha.png", "005-12AB.jpg"] {
            touch(dir.path(), name);
        }
        let (catalog, shape) = scan(dir.path(), None, None).unwrap();
        assert_eq!(shape.length, 4);
        assert_eq!(shape.alphabet.as_string(), "12ab_");
        assert_eq!(catalog.samples.len(), 4);
        let reasons: Vec<String> = catalog.skipped.iter().map(|s| format!("{}: {}", s.what, s.reason)).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("003-abc.png") && r.contains("3 characters, not 4")), "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("notacaptcha.png") && r.contains("<serial>-<CODE>")), "{reasons:?}");
    }

    #[test]
    fn a_given_alphabet_skips_other_symbols() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["001-AB12.png", "002-ab_1.png"] {
            touch(dir.path(), name);
        }
        let (catalog, shape) = scan(dir.path(), Some(4), Some(&Alphabet::new(DEFAULT_ALPHABET))).unwrap();
        assert_eq!(shape.alphabet.len(), 36);
        assert_eq!(catalog.samples.len(), 1);
        assert_eq!(catalog.samples[0].targets, vec![10, 11, 1, 2]);
        assert!(catalog.skipped[0].reason.contains("'_'"), "{:?}", catalog.skipped);
        assert!(scan(&dir.path().join("missing"), None, None).unwrap_err().to_string().contains("does not exist"));
    }
}
