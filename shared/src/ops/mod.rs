//! Ocellus's CPU kernels as candle custom ops, one op per module (candle-nn's layout): each
//! has a forward and a backward tested against candle's own composition, and hands tensors off
//! the CPU (or everything, with `OCELLUS_KERNELS=candle`: [`kernel_choice`]) to candle. What the
//! ops share (reading operands, output buffers, the thread count) is in `support`.

pub mod adam;
pub mod batch_norm;
pub mod channel_bias;
pub mod conv;
pub mod gelu;
pub mod kernel_choice;
pub mod max_pool;
pub mod roi_pool;
pub(crate) mod support;

pub use support::threads::threads;
