//! Telling the user which files were passed over and why.

use crate::dataset::Skipped;

/// Most skipped files listed by name before the rest are only counted.
const LISTED: usize = 20;

/// Prints each skipped file with its reason (the first [`LISTED`]), then the count.
pub fn print(stage: &str, skipped: &[Skipped]) {
    if skipped.is_empty() {
        return;
    }
    for s in skipped.iter().take(LISTED) {
        eprintln!("skipped {}: {}", s.what, s.reason);
    }
    if skipped.len() > LISTED {
        eprintln!("... and {} more", skipped.len() - LISTED);
    }
    eprintln!("{} file(s) skipped while {stage}", skipped.len());
}
