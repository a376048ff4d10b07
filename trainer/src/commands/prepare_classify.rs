//! The tutorial's prepare step for classification: find, decode and split the data once,
//! reporting what a training run would see. `train classify` runs the same step first.

use anyhow::{bail, Result};
use ocellus::InputSize;
use std::path::Path;

use super::skipped_report;
use crate::cli::PrepareClassifyArgs;
use crate::dataset::split::{limit, split, Split};
use crate::dataset::{Catalog, ImageSet, Sample};

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

/// Runs the command: prepare, then print the images per class and split.
pub fn run(args: PrepareClassifyArgs) -> Result<Prepared> {
    let p = prepare(&args.data, args.input, args.seed, args.limit)?;
    let mut counts = vec![[0usize; 3]; p.catalog.labels.len()];
    for (k, part) in [&p.split.train, &p.split.val, &p.split.test].into_iter().enumerate() {
        for &i in part {
            counts[p.set.targets(i)[0] as usize][k] += 1;
        }
    }
    println!("{:<16} {:>7} {:>7} {:>7}", "class", "train", "val", "test");
    for (label, [tr, va, te]) in p.catalog.labels.iter().zip(&counts) {
        println!("{label:<16} {tr:>7} {va:>7} {te:>7}");
    }
    Ok(p)
}
