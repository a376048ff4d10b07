//! `ocellus eval classify`: the top labels of each image, as the tutorial prints them.

use anyhow::{Context, Result};

use super::each_image::each_image;
use super::model_file::load_model;
use candle_core::Device;
use ocellus::TaskKind;
use serde_json::json;

use crate::cli::EvalClassifyArgs;

/// Runs the command.
pub fn run(args: EvalClassifyArgs) -> Result<()> {
    let model = load_model(&args.model, TaskKind::Classify, &Device::Cpu)?;
    each_image(&args.images, "classified", |path| {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let top = model.classify(&bytes, args.top)?;
        if args.json {
            println!("{}", json!({ "image": path.display().to_string(), "top": top }));
        } else {
            println!("{}", path.display());
            for p in top {
                println!("  {p}");
            }
        }
        Ok(())
    })
}
