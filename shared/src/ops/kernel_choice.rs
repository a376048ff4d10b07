//! Whether the models use Ocellus's fast CPU kernels (convolution, training-mode BatchNorm,
//! max pooling, channel bias) or candle's own. Natively `OCELLUS_KERNELS=candle` picks
//! candle's, so benchmarks can set the two side by side in separate processes; the page's
//! benchmark switches with [`set_kernels`] between timings. Ours is the default.

use std::sync::atomic::{AtomicU8, Ordering};

use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

/// Which CPU kernels run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kernels {
    /// Ocellus's (the default).
    Ocellus,
    /// Candle's own, for comparison.
    Candle,
}

/// 0: not decided yet (read the environment), 1: ours, 2: candle's.
static CHOICE: AtomicU8 = AtomicU8::new(0);

/// The kernels in use.
pub fn kernels() -> Kernels {
    match CHOICE.load(Ordering::Relaxed) {
        1 => Kernels::Ocellus,
        2 => Kernels::Candle,
        _ => {
            let from_env = match std::env::var("OCELLUS_KERNELS").as_deref() {
                Ok("candle") => Kernels::Candle,
                _ => Kernels::Ocellus,
            };
            set_kernels(from_env);
            from_env
        }
    }
}

/// Switches the kernels for what runs next (for benchmarks).
pub fn set_kernels(k: Kernels) {
    CHOICE.store(if k == Kernels::Ocellus { 1 } else { 2 }, Ordering::Relaxed);
}

/// True when our kernel should run on `t`: f32 on the CPU, and not switched off.
pub fn ours_for(t: &Tensor) -> bool {
    matches!(t.device(), Device::Cpu) && t.dtype() == DType::F32 && kernels() == Kernels::Ocellus
}
