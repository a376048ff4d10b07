//! Loading a weights file for a command, naming the file in any error.

use anyhow::{Context, Result};
use candle_core::Device;
use ocellus::{TaskKind, TrainedModel};

/// Loads the model in `path`, failing clearly unless it is a model for `task`.
pub fn load_model(path: &std::path::Path, task: TaskKind, device: &Device) -> Result<TrainedModel> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read model {}", path.display()))?;
    TrainedModel::from_bytes(&bytes, device)
        .and_then(|m| m.expect_task(task))
        .with_context(|| format!("model {}", path.display()))
}
