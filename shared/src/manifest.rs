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
}

/// The shipped models.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The models, in the order the page lists them.
    pub models: Vec<ManifestEntry>,
}

impl Manifest {
    /// Parses the manifest's JSON text.
    pub fn parse(json: &str) -> Result<Manifest, String> {
        serde_json::from_str(json).map_err(|e| format!("the model manifest cannot be read: {e}"))
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
}
