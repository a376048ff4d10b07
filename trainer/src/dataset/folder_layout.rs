//! The class-folder layout: `<label>/<file>`, optionally under `train/`, `val/` and `test/`.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{image_files_under, is_image_file, read_labels_file, Catalog, Layout, Part, Sample, Skipped, Source};

/// Folder names that mark a split, and the split they mark.
const PART_FOLDERS: &[(&str, Part)] = &[
    ("train", Part::Train),
    ("val", Part::Val),
    ("valid", Part::Val),
    ("validation", Part::Val),
    ("test", Part::Test),
];

fn subfolders(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')))
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// The roots that hold class folders: `train/`, `val/`, `test/` when `train/` exists, else `dir`.
fn roots(dir: &Path) -> Vec<(PathBuf, Option<Part>)> {
    if dir.join("train").is_dir() {
        PART_FOLDERS
            .iter()
            .map(|(name, part)| (dir.join(name), Some(*part)))
            .filter(|(p, _)| p.is_dir())
            .collect()
    } else {
        vec![(dir.to_path_buf(), None)]
    }
}

/// Reads `dir` in the class-folder layout. Labels come from `labels.txt` when present
/// (its order is the output order), else from the sorted class-folder names.
pub fn scan(dir: &Path) -> Result<Catalog> {
    let roots = roots(dir);
    let mut class_dirs = Vec::new();
    for (root, part) in &roots {
        for class_dir in subfolders(root)? {
            let name = class_dir.file_name().unwrap().to_string_lossy().into_owned();
            class_dirs.push((class_dir, name, *part));
        }
    }
    let labels_path = dir.join("labels.txt");
    let labels = if labels_path.is_file() {
        read_labels_file(&labels_path)?
    } else {
        class_dirs.iter().map(|(_, n, _)| n.clone()).collect::<BTreeSet<_>>().into_iter().collect()
    };
    let index: HashMap<&str, u32> = labels.iter().enumerate().map(|(i, l)| (l.as_str(), i as u32)).collect();
    let mut samples = Vec::new();
    let mut skipped = Vec::new();
    for (class_dir, name, part) in &class_dirs {
        let Some(&class) = index.get(name.as_str()) else {
            skipped.push(Skipped {
                what: class_dir.display().to_string(),
                reason: format!("folder '{name}' is not a label in labels.txt"),
            });
            continue;
        };
        let files = image_files_under(class_dir);
        samples.extend(files.into_iter().map(|f| Sample { source: Source::File(f), targets: vec![class], part: *part }));
    }
    for (root, _) in &roots {
        for entry in fs::read_dir(root).into_iter().flatten().filter_map(|e| e.ok()) {
            if entry.path().is_file() && is_image_file(&entry.path()) {
                skipped.push(Skipped {
                    what: entry.path().display().to_string(),
                    reason: "image is not inside a class folder".into(),
                });
            }
        }
    }
    Ok(Catalog { layout: Layout::ClassFolders, labels, samples, skipped })
}
