//! Another detector's answers, read from JSON lines so that `test faces` scores them with the
//! same AP code on the same photos as Ocellus's own (`scripts/bench-face-peers.sh` writes them):
//! one object per photo, `{"image": "NAME.jpg", "faces": [[x0, y0, x1, y1, score], ...], "ms": 12.5}`.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use ocellus::boxes::merge::Scored;
use ocellus::boxes::BoxXyxy;
use serde::Deserialize;

/// One photo's answer.
#[derive(Clone, Debug, Deserialize)]
pub struct PeerPhoto {
    /// The photo's file name.
    pub image: String,
    /// Boxes with their scores: x0, y0, x1, y1, score.
    pub faces: Vec<[f32; 5]>,
    /// Milliseconds the detector took on it.
    #[serde(default)]
    pub ms: f64,
}

impl PeerPhoto {
    /// The faces as scored boxes.
    pub fn scored(&self) -> Vec<Scored> {
        self.faces.iter().map(|f| Scored { bounds: BoxXyxy::from([f[0], f[1], f[2], f[3]]), score: f[4] }).collect()
    }
}

/// Reads the answers by file name; a malformed line is an error naming `file:line`.
pub fn read(path: &Path) -> Result<HashMap<String, PeerPhoto>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let photo: PeerPhoto = serde_json::from_str(line).with_context(|| format!("{}:{}: not a detection line", path.display(), n + 1))?;
        if photo.faces.iter().flatten().any(|v| !v.is_finite()) {
            bail!("{}:{}: a box or score is not a finite number", path.display(), n + 1);
        }
        out.insert(photo.image.clone(), photo);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_by_name_and_bad_lines_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("d.jsonl");
        std::fs::write(&good, "{\"image\": \"a.jpg\", \"faces\": [[1, 2, 30, 40, 0.9]], \"ms\": 3}\n\n{\"image\": \"b.jpg\", \"faces\": []}\n").unwrap();
        let got = read(&good).unwrap();
        assert_eq!(got["a.jpg"].scored(), vec![Scored { bounds: BoxXyxy { x0: 1.0, y0: 2.0, x1: 30.0, y1: 40.0 }, score: 0.9 }]);
        assert!(got["b.jpg"].faces.is_empty() && got["b.jpg"].ms == 0.0);
        let bad = dir.path().join("bad.jsonl");
        std::fs::write(&bad, "{\"image\": \"a.jpg\", \"faces\": []}\n{\"image\": \"b.jpg\", \"faces\": [[1, 2]]}\n").unwrap();
        let err = format!("{:#}", read(&bad).unwrap_err());
        assert!(err.contains("bad.jsonl:2"), "{err}");
    }
}
