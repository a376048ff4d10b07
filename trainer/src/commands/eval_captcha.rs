//! `ocellus eval captcha`: the code in each image, `code: 8ca6` per line.

use anyhow::{Context, Result};

use super::each_image::each_image;
use super::model_file::load_model;
use candle_core::Device;
use ocellus::TaskKind;
use serde_json::json;

use crate::cli::EvalCaptchaArgs;

/// Runs the command.
pub fn run(args: EvalCaptchaArgs) -> Result<()> {
    let model = load_model(&args.model, TaskKind::Captcha, &Device::Cpu)?;
    each_image(&args.images, "read", |path| {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let read = model.read_captcha(&bytes)?;
        if args.json {
            println!("{}", json!({ "image": path.display().to_string(), "code": read.code, "confidence": read.confidence }));
        } else if args.images.len() == 1 {
            println!("code: {}", read.code);
        } else {
            println!("{}: code: {}", path.display(), read.code);
        }
        Ok(())
    })
}
