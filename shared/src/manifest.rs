//! The list of shipped models (`static/models/manifest.json`) that the page offers.

use serde::{Deserialize, Serialize};

/// One shipped model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// File name inside `static/models/`.
    pub file: String,
    /// Name shown to people.
    pub name: String,
    /// The task it serves (`classify`, ...), as the model card names it.
    pub task: String,
    /// Whether the page selects it first for its task.
    #[serde(default)]
    pub default: bool,
    /// SHA-256 of the file (hex): the page keys its cache on it, so a changed file is
    /// fetched again and an unchanged one never is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Size of the file in bytes, for the loading progress when the server sends no length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

impl ManifestEntry {
    /// The file's URL relative to the page's `models/` folder, versioned by its hash.
    pub fn url(&self) -> String {
        match &self.sha256 {
            Some(hash) => format!("models/{}?v={}", self.file, hash.chars().take(16).collect::<String>()),
            None => format!("models/{}", self.file),
        }
    }
}

/// The shipped models.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The models, in the order the page lists them.
    pub models: Vec<ManifestEntry>,
}

impl Manifest {
    /// Parses the manifest's JSON text; a file name that leaves `models/` or a hash that is not
    /// hex is refused, naming the entry.
    pub fn parse(json: &str) -> Result<Manifest, String> {
        let manifest: Manifest = serde_json::from_str(json).map_err(|e| format!("the model manifest cannot be read: {e}"))?;
        for (i, m) in manifest.models.iter().enumerate() {
            let bad_name = m.file.is_empty() || m.file.starts_with('.') || m.file.contains(['/', '\\', '?', '#']);
            if bad_name {
                return Err(format!("the model manifest's entry {} names the file {:?}: a plain file name in models/ is expected", i + 1, m.file));
            }
            if let Some(hash) = m.sha256.as_deref().filter(|h| h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit())) {
                return Err(format!("the model manifest's entry {} ({}) has the sha256 {hash:?}: hex digits are expected", i + 1, m.file));
            }
        }
        Ok(manifest)
    }

    /// The model offered first for `task`: the one marked default, else the first listed.
    pub fn default_for(&self, task: &str) -> Option<&ManifestEntry> {
        let mut for_task = self.models.iter().filter(|m| m.task == task);
        self.models.iter().find(|m| m.task == task && m.default).or_else(|| for_task.next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_model_per_task() {
        let m = Manifest::parse(
            r#"{"models":[{"file":"a.safetensors","name":"A","task":"classify"},
                          {"file":"b.safetensors","name":"B","task":"classify","default":true}]}"#,
        )
        .unwrap();
        assert_eq!(m.default_for("classify").unwrap().file, "b.safetensors");
        assert!(m.default_for("captcha").is_none());
        assert!(Manifest::parse("{}").unwrap_err().contains("manifest"));
    }

    #[test]
    fn urls_are_relative_and_versioned_by_hash() {
        let m = Manifest::parse(
            r#"{"models":[{"file":"a.safetensors","name":"A","task":"classify","sha256":"0123456789abcdef0123","bytes":5},
                          {"file":"b.safetensors","name":"B","task":"classify"}]}"#,
        )
        .unwrap();
        assert_eq!(m.models[0].url(), "models/a.safetensors?v=0123456789abcdef");
        assert_eq!(m.models[0].bytes, Some(5));
        assert_eq!(m.models[1].url(), "models/b.safetensors");
    }

    /// Found by the `manifest` fuzz target: a multi-byte character inside the hash's first 16
    /// bytes made `url()` slice through it and panic (the page's start-up would have died).
    #[test]
    fn a_hash_or_file_name_that_is_not_one_is_refused_naming_the_entry() {
        let with = |file: &str, hash: &str| format!(r#"{{"models":[{{"file":"{file}","name":"A","task":"classify","sha256":"{hash}"}}]}}"#);
        let err = Manifest::parse(&with("a.safetensors", "0123456789abcdeϤ0")).unwrap_err();
        assert!(err.contains("entry 1 (a.safetensors)") && err.contains("hex digits"), "{err}");
        for file in ["../secret", "a/b.safetensors", ".hidden", ""] {
            let err = Manifest::parse(&with(file, "00")).unwrap_err();
            assert!(err.contains("a plain file name"), "{file}: {err}");
        }
        let entry = ManifestEntry { file: "a".into(), name: "A".into(), task: "classify".into(), default: false, sha256: Some("ϤϤϤϤϤϤϤϤϤ".into()), bytes: None };
        assert_eq!(entry.url(), "models/a?v=ϤϤϤϤϤϤϤϤϤ", "url() never slices inside a character");
    }
}
