//! Labelled images made ready for a run: found, subset, decoded and split once, with a summary
//! of what a training run will see; `prepare classify` prints it, every `train` starts with it.

use anyhow::{bail, Result};
use ocellus::InputSize;
use std::path::Path;

use super::skipped_report;
use super::split::{limit, split, Split};
use super::{Catalog, ImageSet, Sample};

/// The prepared data: decoded images and their split.
pub struct Prepared {
    /// What the folder holds.
    pub catalog: Catalog,
    /// The decoded images.
    pub set: ImageSet,
    /// Train, validation and test indices into `set`.
    pub split: Split,
}

/// Finds, subsets, decodes and splits the data in `dir`, printing a summary; unreadable
/// files are listed by name and counted.
pub fn prepare(dir: &Path, input: InputSize, seed: u64, max_images: Option<usize>) -> Result<Prepared> {
    prepare_catalog(Catalog::open(dir)?, dir, input, seed, max_images)
}

/// Like [`prepare`], for a catalog already read (the captcha layout is read with options).
pub fn prepare_catalog(catalog: Catalog, dir: &Path, input: InputSize, seed: u64, max_images: Option<usize>) -> Result<Prepared> {
    println!(
        "data: {} in {}: {} labelled images, {} classes",
        catalog.layout,
        dir.display(),
        catalog.samples.len(),
        catalog.labels.len()
    );
    let kept = limit(catalog.samples.len(), max_images, seed);
    let samples: Vec<Sample> = kept.iter().map(|&i| catalog.samples[i].clone()).collect();
    let show = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (set, undecodable) = ImageSet::load(&samples, input, show);
    let mut skipped = catalog.skipped.clone();
    skipped.extend(undecodable);
    skipped_report::print("reading the data", &skipped);
    if set.is_empty() {
        bail!("none of the images in {} could be read", dir.display());
    }
    let parts: Vec<_> = (0..set.len()).map(|i| samples[set.origin(i)].part).collect();
    let split = split(&parts, seed);
    println!(
        "split: {} train, {} validation, {} test (seed {seed})",
        split.train.len(),
        split.val.len(),
        split.test.len()
    );
    Ok(Prepared { catalog, set, split })
}
