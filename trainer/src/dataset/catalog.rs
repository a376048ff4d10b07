//! What a data folder holds: the labels and every sample's source, before decoding.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// Which supported layout a folder is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// The tutorial's `<id>_<label>.png` files anywhere below the folder, plus `labels.txt`.
    Tutorial,
    /// One sub-folder per class (`<label>/<file>`), optionally under `train/`, `val/`, `test/`.
    ClassFolders,
    /// The official CIFAR-10 binary batches (`data_batch_N.bin`, `test_batch.bin`).
    CifarBinary,
    /// Captchas named `<serial>-<CODE>.<ext>`.
    Captcha,
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Layout::Tutorial => "tutorial layout (<id>_<label> files + labels.txt)",
            Layout::ClassFolders => "class-folder layout (<label>/<file>)",
            Layout::CifarBinary => "CIFAR-10 binary batches",
            Layout::Captcha => "captcha layout (<serial>-<CODE> files)",
        })
    }
}

/// A split a sample was placed in by the data's own folders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Training data.
    Train,
    /// Validation data.
    Val,
    /// Held-out test data.
    Test,
}

/// Where a sample's pixels come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// An encoded image file.
    File(PathBuf),
    /// Record `index` of a CIFAR-10 binary batch file.
    CifarRecord { file: PathBuf, index: usize },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(p) => write!(f, "{}", p.display()),
            Source::CifarRecord { file, index } => write!(f, "{} record {index}", file.display()),
        }
    }
}

/// One labelled image, not yet decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Where its pixels are.
    pub source: Source,
    /// Its targets: one class index for classification.
    pub targets: Vec<u32>,
    /// The split its folder put it in, if any.
    pub part: Option<Part>,
}

/// A file passed over, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// What was skipped.
    pub what: String,
    /// Why.
    pub reason: String,
}

/// Everything found in a data folder.
#[derive(Clone, Debug)]
pub struct Catalog {
    /// The layout detected.
    pub layout: Layout,
    /// Class names in output order.
    pub labels: Vec<String>,
    /// The labelled samples, in a stable (sorted) order.
    pub samples: Vec<Sample>,
    /// Files passed over before decoding.
    pub skipped: Vec<Skipped>,
}

impl Catalog {
    /// Finds the labelled images in `dir`, detecting its layout.
    pub fn open(dir: &Path) -> Result<Catalog> {
        if !dir.is_dir() {
            bail!("data folder {} does not exist or is not a folder", dir.display());
        }
        let catalog = if let Some(c) = super::cifar_binary::scan(dir)? {
            c
        } else if let Some(c) = super::tutorial_layout::scan(dir)? {
            c
        } else {
            super::folder_layout::scan(dir)?
        };
        if catalog.samples.is_empty() {
            bail!(
                "no labelled images in {}: expected <id>_<label>.png files with a labels.txt, \
                 one sub-folder per class, or CIFAR-10 binary batches",
                dir.display()
            );
        }
        Ok(catalog)
    }
}
