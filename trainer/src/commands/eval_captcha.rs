//! `ocellus eval captcha`: the code in each image, `code: 8ca6` per line.

use anyhow::{bail, Context, Result};
use candle_core::Device;
use ocellus::{Task, TrainedModel};
use serde_json::json;

use crate::cli::EvalCaptchaArgs;

/// Loads a captcha model from a weights file, naming the file in any error.
pub fn load_captcha_model(path: &std::path::Path, device: &Device) -> Result<TrainedModel> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read model {}", path.display()))?;
    TrainedModel::from_bytes(&bytes, device)
        .and_then(|m| m.expect_task(&Task::Captcha { length: 0 }))
        .with_context(|| format!("model {}", path.display()))
}

/// Runs the command.
pub fn run(args: EvalCaptchaArgs) -> Result<()> {
    let model = load_captcha_model(&args.model, &Device::Cpu)?;
    let mut failed = 0;
    for path in &args.images {
        let result = std::fs::read(path)
            .with_context(|| format!("cannot read {}", path.display()))
            .and_then(|bytes| Ok(model.read_captcha(&bytes)?));
        match result {
            Ok(read) if args.json => {
                println!("{}", json!({ "image": path.display().to_string(), "code": read.code, "confidence": read.confidence }));
            }
            Ok(read) if args.images.len() == 1 => println!("code: {}", read.code),
            Ok(read) => println!("{}: code: {}", path.display(), read.code),
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e:#}", path.display());
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} image(s) could not be read", args.images.len());
    }
    Ok(())
}
