//! The captcha layout: `<serial>-<CODE>.<ext>` image files anywhere below a folder, the code
//! being the label (case-insensitive unless asked). Length and alphabet come from options or
//! the data.

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
/// without `alphabet`, the symbols the codes use (digits, then letters, then others), upper
/// and lower case apart when `case_sensitive`. Files whose name or code does not fit are
/// skipped, each named with the reason.
pub fn scan(dir: &Path, length: Option<usize>, alphabet: Option<&Alphabet>, case_sensitive: bool) -> Result<(Catalog, CodeShape)> {
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
    let alphabet = alphabet.cloned().unwrap_or_else(|| symbols_used(&named, length, case_sensitive));
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

/// The most common image size among (up to 500 of) the catalog's files, read from their
/// headers only.
pub fn typical_size(catalog: &Catalog) -> Result<ocellus::InputSize> {
    let mut counts: HashMap<(u32, u32), usize> = HashMap::new();
    let files = catalog.samples.iter().filter_map(|s| match &s.source {
        Source::File(p) => Some(p),
        _ => None,
    });
    for path in files.take(500) {
        if let Ok((w, h)) = image::image_dimensions(path) {
            *counts.entry((w, h)).or_default() += 1;
        }
    }
    match counts.into_iter().max_by_key(|&((w, h), n)| (n, std::cmp::Reverse((w, h)))) {
        Some(((width, height), _)) => Ok(ocellus::InputSize { width, height }),
        None => bail!("none of the first captcha images could be read to find their size: give --input WxH"),
    }
}

fn most_common_length(named: &[(std::path::PathBuf, String)]) -> usize {
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for (_, code) in named {
        *counts.entry(code.chars().count()).or_default() += 1;
    }
    // Ties go to the shorter length, so the choice does not depend on hash order.
    counts.into_iter().max_by_key(|&(len, n)| (n, std::cmp::Reverse(len))).map_or(4, |(len, _)| len)
}

fn symbols_used(named: &[(std::path::PathBuf, String)], length: usize, case_sensitive: bool) -> Alphabet {
    let case = Alphabet::with_case("", case_sensitive);
    let mut used: Vec<char> = named.iter().filter(|(_, c)| c.chars().count() == length).flat_map(|(_, c)| case.normalise(c).chars().collect::<Vec<_>>()).collect();
    used.sort_unstable();
    used.dedup();
    // Known symbols in the tutorial's order first (then their capitals), then any others.
    let known: String = DEFAULT_ALPHABET.chars().chain(DEFAULT_ALPHABET.chars().filter(char::is_ascii_lowercase).map(|c| c.to_ascii_uppercase())).collect();
    let mut ordered: String = known.chars().filter(|c| used.contains(c)).collect();
    ordered.extend(used.iter().filter(|c| !known.contains(**c)));
    Alphabet::with_case(&ordered, case_sensitive)
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
        let (catalog, shape) = scan(dir.path(), None, None, false).unwrap();
        assert_eq!(shape.length, 4);
        assert_eq!(shape.alphabet.as_string(), "12ab_");
        assert_eq!(catalog.samples.len(), 4);
        let reasons: Vec<String> = catalog.skipped.iter().map(|s| format!("{}: {}", s.what, s.reason)).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("003-abc.png") && r.contains("3 characters, not 4")), "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("notacaptcha.png") && r.contains("<serial>-<CODE>")), "{reasons:?}");
        // Case-sensitive: capitals are symbols of their own, after the known lower-case ones.
        let (catalog, shape) = scan(dir.path(), None, None, true).unwrap();
        assert_eq!(shape.alphabet.as_string(), "12abAB_");
        assert!(shape.alphabet.is_case_sensitive());
        let first = catalog.samples.iter().find(|s| matches!(&s.source, crate::dataset::Source::File(p) if p.ends_with("001-AB12.png"))).unwrap();
        assert_eq!(first.targets, vec![4, 5, 0, 1]);
        assert_eq!(typical_size(&catalog).unwrap(), ocellus::InputSize { width: 12, height: 5 });
    }

    #[test]
    fn a_given_alphabet_skips_other_symbols() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["001-AB12.png", "002-ab_1.png"] {
            touch(dir.path(), name);
        }
        let (catalog, shape) = scan(dir.path(), Some(4), Some(&Alphabet::new(DEFAULT_ALPHABET)), false).unwrap();
        assert_eq!(shape.alphabet.len(), 36);
        assert_eq!(catalog.samples.len(), 1);
        assert_eq!(catalog.samples[0].targets, vec![10, 11, 1, 2]);
        assert!(catalog.skipped[0].reason.contains("'_'"), "{:?}", catalog.skipped);
        assert!(scan(&dir.path().join("missing"), None, None, false).unwrap_err().to_string().contains("does not exist"));
    }
}
