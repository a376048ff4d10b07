//! Reading the operands of Ocellus's candle custom ops: every op works on contiguous f32 CPU
//! data and says which op and which operand when it gets anything else.

use candle_core::backend::BackendStorage;
use candle_core::{bail, CpuStorage, Layout, Result, Storage};

/// The contiguous f32 values of a CPU operand of `op`, or an error naming `op` and `what`.
pub fn f32_data<'a>(op: &str, storage: &'a CpuStorage, layout: &Layout, what: &str) -> Result<&'a [f32]> {
    let CpuStorage::F32(all) = storage else { bail!("{op}: {what} must be f32, got {:?}", storage.dtype()) };
    match layout.contiguous_offsets() {
        Some((a, b)) => Ok(&all[a..b]),
        None => bail!("{op}: {what} must be contiguous"),
    }
}

/// The contiguous f32 values of the operand an in-place op of `op` rewrites, or an error
/// naming `op` and `what`.
pub fn f32_data_mut<'a>(op: &str, storage: &'a mut CpuStorage, layout: &Layout, what: &str) -> Result<&'a mut [f32]> {
    let CpuStorage::F32(all) = storage else { bail!("{op}: {what} must be f32, got {:?}", storage.dtype()) };
    match layout.contiguous_offsets() {
        Some((a, b)) => Ok(&mut all[a..b]),
        None => bail!("{op}: {what} must be contiguous"),
    }
}

/// Like [`f32_data`] for a tensor's storage (as a backward pass sees it), which must be on the CPU.
pub fn cpu_f32_data<'a>(op: &str, storage: &'a Storage, layout: &Layout, what: &str) -> Result<&'a [f32]> {
    match storage {
        Storage::Cpu(s) => f32_data(op, s, layout, what),
        _ => bail!("{op}: backward needs CPU tensors"),
    }
}
