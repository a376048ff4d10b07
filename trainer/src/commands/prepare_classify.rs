//! `ocellus prepare classify`: the tutorial's prepare step for classification, reporting what a
//! training run would see (images per class and split). `train classify` runs the same step.

use anyhow::Result;

use crate::cli::PrepareClassifyArgs;
use crate::dataset::prepared::{prepare, Prepared};

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
