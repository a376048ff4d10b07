//! `ocellus half`: a weights file rewritten with 16-bit floats, for a smaller download; the
//! readers widen them back to f32 on loading ([`ocellus::weights::read`]).

use anyhow::{Context, Result};
use candle_core::{DType, Device};
use ocellus::weights;

use crate::cli::HalfArgs;

/// Runs the command.
pub fn run(args: HalfArgs) -> Result<()> {
    let bytes = std::fs::read(&args.model).with_context(|| format!("cannot read model {}", args.model.display()))?;
    let (card, tensors) = weights::read(&bytes, &Device::Cpu).with_context(|| format!("model {}", args.model.display()))?;
    let half = tensors.into_iter().map(|(n, t)| Ok((n, t.to_dtype(DType::F16)?))).collect::<Result<_>>()?;
    let out = weights::to_bytes(&card, &half)?;
    crate::atomic_file::write(&args.out, &out)?;
    println!("wrote {} ({} bytes, was {})", args.out.display(), out.len(), bytes.len());
    Ok(())
}
