//! `ocellus eval classify`: the top labels of each image, as the tutorial prints them.

use anyhow::{bail, Context, Result};

use super::model_file::load_model;
use candle_core::Device;
use ocellus::Task;
use serde_json::json;

use crate::cli::EvalClassifyArgs;

/// Runs the command.
pub fn run(args: EvalClassifyArgs) -> Result<()> {
    let model = load_model(&args.model, &Task::Classify, &Device::Cpu)?;
    let mut failed = 0;
    for path in &args.images {
        let result = std::fs::read(path)
            .with_context(|| format!("cannot read {}", path.display()))
            .and_then(|bytes| Ok(model.classify(&bytes, args.top)?));
        match result {
            Ok(top) if args.json => {
                println!("{}", json!({ "image": path.display().to_string(), "top": top }));
            }
            Ok(top) => {
                println!("{}", path.display());
                for p in top {
                    println!("  {p}");
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e:#}", path.display());
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} image(s) could not be classified", args.images.len());
    }
    Ok(())
}
