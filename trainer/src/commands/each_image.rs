//! Running an `eval` command over the images it is given: each one's error is printed with its
//! name and the others still run; the command fails at the end if any did.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// Calls `answer` for each of `images`, printing failures as `error: PATH: why`; fails with
/// "N of M image(s) could not be VERB" when any failed.
pub fn each_image(images: &[PathBuf], verb: &str, mut answer: impl FnMut(&Path) -> Result<()>) -> Result<()> {
    let mut failed = 0;
    for path in images {
        if let Err(e) = answer(path) {
            failed += 1;
            eprintln!("error: {}: {e:#}", path.display());
        }
    }
    if failed > 0 {
        bail!("{failed} of {} image(s) could not be {verb}", images.len());
    }
    Ok(())
}
