//! One training run per `--out`: a run holds an exclusive lock on `NAME.lock` beside its
//! weights for as long as it lives, so a second run started on the same files refuses instead
//! of both writing them. The operating system drops the lock when the process ends, however
//! it ends (a killed run leaves no stale lock behind).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use fs4::{FileExt, TryLockError};

use super::RunFiles;

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    /// The lock file's path.
    pub path: PathBuf,
}

impl RunLock {
    /// Locks the run writing `weights`, or says which run holds it.
    pub fn acquire(weights: &Path) -> Result<RunLock> {
        let path = RunFiles::for_weights(weights).lock;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create folder {}", dir.display()))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the run's lock file {}", path.display()))?;
        match FileExt::try_lock(&file) {
            Ok(()) => Ok(RunLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => bail!(
                "another training run is writing {} (it holds {}): wait for it to finish, stop it, or give another --out",
                weights.display(),
                path.display()
            ),
            Err(TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_on_the_same_out_refuses_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("runs/m.safetensors");
        let first = RunLock::acquire(&out).unwrap();
        assert_eq!(first.path, dir.path().join("runs/m.lock"));
        let err = RunLock::acquire(&out).unwrap_err().to_string();
        assert!(err.contains("another training run") && err.contains("m.safetensors"), "{err}");
        // Another --out is free meanwhile.
        RunLock::acquire(&dir.path().join("runs/other.safetensors")).unwrap();
        drop(first);
        RunLock::acquire(&out).unwrap();
    }
}
