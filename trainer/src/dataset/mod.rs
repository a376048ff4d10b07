//! Labelled image data: finding it on disk in any supported layout, splitting it, and
//! holding it decoded in memory for training.

pub mod augment;
pub mod captcha_layout;
pub mod catalog;
pub mod cifar_binary;
pub mod distortion;
pub mod face_boxes;
pub mod folder_layout;
pub mod image_set;
pub mod prepared;
pub mod skipped_report;
pub mod split;
pub mod tutorial_layout;

pub use catalog::{Catalog, Layout, Part, Sample, Skipped, Source};
pub use image_set::ImageSet;

/// File extensions read as images.
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff"];

/// Whether a path looks like an image file (by extension, case-insensitive).
pub fn is_image_file(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Every image file below `dir` (following links), sorted by path.
pub fn image_files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && is_image_file(e.path()))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

/// Reads a `labels.txt`: class names separated by whitespace, in output order.
pub fn read_labels_file(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    use anyhow::Context;
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let labels: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    if labels.is_empty() {
        anyhow::bail!("{} lists no labels", path.display());
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = labels.iter().find(|l| !seen.insert(l.as_str())) {
        anyhow::bail!("{} lists the label '{dup}' twice", path.display());
    }
    Ok(labels)
}
