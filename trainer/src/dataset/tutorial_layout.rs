//! The tutorial's layout: `<id>_<label>.<ext>` files in any folder tree, plus `labels.txt`.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;

use super::{image_files_under, read_labels_file, Catalog, Layout, Sample, Skipped, Source};

/// The label part of a `<id>_<label>` file stem: after the first underscore, the id all digits.
pub fn label_of(stem: &str) -> Option<&str> {
    let (id, label) = stem.split_once('_')?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !label.is_empty()).then_some(label)
}

/// Reads `dir` in the tutorial layout, or `None` when it is not in that layout (no
/// `labels.txt`, or most images are not named `<id>_<label>`).
pub fn scan(dir: &Path) -> Result<Option<Catalog>> {
    let labels_path = dir.join("labels.txt");
    if !labels_path.is_file() {
        return Ok(None);
    }
    let images = image_files_under(dir);
    let named = images
        .iter()
        .filter(|p| p.file_stem().and_then(|s| s.to_str()).and_then(label_of).is_some())
        .count();
    if named == 0 || named * 2 < images.len() {
        return Ok(None);
    }
    let labels = read_labels_file(&labels_path)?;
    let index: HashMap<&str, u32> = labels.iter().enumerate().map(|(i, l)| (l.as_str(), i as u32)).collect();
    let mut samples = Vec::new();
    let mut skipped = Vec::new();
    for path in images {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        match label_of(stem) {
            Some(label) => match index.get(label) {
                Some(&class) => samples.push(Sample { source: Source::File(path), targets: vec![class], part: None }),
                None => skipped.push(Skipped {
                    what: path.display().to_string(),
                    reason: format!("label '{label}' is not in labels.txt"),
                }),
            },
            None => skipped.push(Skipped {
                what: path.display().to_string(),
                reason: "name is not <id>_<label>".into(),
            }),
        }
    }
    Ok(Some(Catalog { layout: Layout::Tutorial, labels, samples, skipped }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_parsing() {
        assert_eq!(label_of("2598_cat"), Some("cat"));
        assert_eq!(label_of("7_pickup_truck"), Some("pickup_truck"));
        assert_eq!(label_of("cat_2598"), None);
        assert_eq!(label_of("2598"), None);
        assert_eq!(label_of("_cat"), None);
        assert_eq!(label_of("12_"), None);
    }
}
