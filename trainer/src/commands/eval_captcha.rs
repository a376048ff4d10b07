//! `ocellus eval captcha`: the code in each image, `code: 8ca6` per line.

use anyhow::{bail, Context, Result};

use super::model_file::load_model;
use candle_core::Device;
use ocellus::Task;
use serde_json::json;

use crate::cli::EvalCaptchaArgs;

/// Runs the command.
pub fn run(args: EvalCaptchaArgs) -> Result<()> {
    let model = load_model(&args.model, &Task::Captcha { length: 0 }, &Device::Cpu)?;
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
