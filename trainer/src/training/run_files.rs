//! The files a training run writes next to its weights.

use std::path::{Path, PathBuf};

/// Paths derived from the `--out` weights path.
#[derive(Clone, Debug)]
pub struct RunFiles {
    /// The best weights (`NAME.safetensors`).
    pub weights: PathBuf,
    /// The resumable checkpoint (`NAME.ckpt.safetensors`).
    pub checkpoint: PathBuf,
    /// Per-epoch history (`NAME.history.csv`).
    pub history: PathBuf,
    /// Accuracy-per-epoch plot (`NAME.accuracy.png`).
    pub plot: PathBuf,
    /// The run's lock (`NAME.lock`, see [`super::RunLock`]).
    pub lock: PathBuf,
}

impl RunFiles {
    /// Derives the run's file names from the weights path.
    pub fn for_weights(out: &Path) -> Self {
        let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("model");
        let stem = name.strip_suffix(".safetensors").unwrap_or(name);
        let sibling = |suffix: &str| out.with_file_name(format!("{stem}.{suffix}"));
        RunFiles {
            weights: out.to_path_buf(),
            checkpoint: sibling("ckpt.safetensors"),
            history: sibling("history.csv"),
            plot: sibling("accuracy.png"),
            lock: sibling("lock"),
        }
    }

    /// Removes the half-written temporaries a killed run left of these files; the caller
    /// holds the run's lock. Returns how many went.
    pub fn remove_stale_temps(&self) -> anyhow::Result<usize> {
        let mut removed = 0;
        for path in [&self.weights, &self.checkpoint, &self.history, &self.plot] {
            removed += crate::atomic_file::remove_stale_temps(path)?;
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let f = RunFiles::for_weights(Path::new("runs/lenet.safetensors"));
        assert_eq!(f.checkpoint, Path::new("runs/lenet.ckpt.safetensors"));
        assert_eq!(f.history, Path::new("runs/lenet.history.csv"));
        assert_eq!(f.plot, Path::new("runs/lenet.accuracy.png"));
        assert_eq!(f.lock, Path::new("runs/lenet.lock"));
    }
}
