//! Whether the models use Ocellus's fast CPU kernels (convolution, training-mode BatchNorm)
//! or candle's own: `OCELLUS_KERNELS=candle` picks candle's, so benchmarks can set the two
//! side by side in separate processes. Anything else, or no variable, picks ours.

use std::sync::OnceLock;

use candle_core::{DType, Device, Tensor};

/// Which CPU kernels run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernels {
    /// Ocellus's (the default).
    Ocellus,
    /// Candle's own, for comparison.
    Candle,
}

/// The kernels chosen for this process.
pub fn kernels() -> Kernels {
    static CHOICE: OnceLock<Kernels> = OnceLock::new();
    *CHOICE.get_or_init(|| match std::env::var("OCELLUS_KERNELS").as_deref() {
        Ok("candle") => Kernels::Candle,
        _ => Kernels::Ocellus,
    })
}

/// True when our kernel should run on `t`: f32 on the CPU, and not switched off.
pub fn ours_for(t: &Tensor) -> bool {
    matches!(t.device(), Device::Cpu) && t.dtype() == DType::F32 && kernels() == Kernels::Ocellus
}
