//! Choosing where tensors live: `cpu` or `cuda:N`, with clear errors for what cannot work.

use anyhow::{bail, Result};
use candle_core::Device;

/// Parses `cpu`, `cuda` or `cuda:N` and opens that device.
pub fn open(spec: &str) -> Result<Device> {
    let spec = spec.trim().to_ascii_lowercase();
    if spec == "cpu" {
        return Ok(Device::Cpu);
    }
    let ordinal = match spec.strip_prefix("cuda") {
        Some("") => 0,
        Some(rest) => match rest.strip_prefix(':').and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => bail!("unknown device '{spec}': use cpu, cuda or cuda:N"),
        },
        None => bail!("unknown device '{spec}': use cpu, cuda or cuda:N"),
    };
    open_cuda(ordinal)
}

#[cfg(feature = "cuda")]
fn open_cuda(ordinal: usize) -> Result<Device> {
    Device::new_cuda(ordinal).map_err(|e| anyhow::anyhow!("cannot open CUDA device {ordinal}: {e}"))
}

#[cfg(not(feature = "cuda"))]
fn open_cuda(ordinal: usize) -> Result<Device> {
    bail!(
        "cuda:{ordinal} was asked for, but this build has no CUDA support: build the CUDA trainer with \
         `cargo xtask build-cuda` (it fetches nvcc and the CUDA libraries from PyPI), or use --device cpu"
    )
}

/// Rewords an out-of-memory failure into advice; other errors pass through.
pub fn explain(err: candle_core::Error, batch_size: usize) -> anyhow::Error {
    let text = err.to_string();
    if text.contains("out of memory") || text.contains("OUT_OF_MEMORY") || text.contains("alloc") {
        anyhow::anyhow!(
            "the device ran out of memory at batch size {batch_size} ({text}); try a smaller --batch-size, e.g. {}",
            (batch_size / 2).max(1)
        )
    } else {
        err.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_opens_and_bad_names_are_explained() {
        assert!(open("cpu").unwrap().is_cpu());
        assert!(open("tpu").unwrap_err().to_string().contains("use cpu, cuda or cuda:N"));
        assert!(open("cuda:x").is_err());
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_in_a_cpu_build_says_how_to_get_it() {
        let msg = open("cuda:0").unwrap_err().to_string();
        assert!(msg.contains("cargo xtask build-cuda") && msg.contains("--device cpu"), "{msg}");
    }

    #[test]
    fn oom_suggests_a_smaller_batch() {
        let e = explain(candle_core::Error::Msg("CUDA_ERROR_OUT_OF_MEMORY: out of memory".into()), 100);
        assert!(e.to_string().contains("--batch-size, e.g. 50"), "{e}");
    }
}
