//! What the ops share: reading their operands, output buffers filled on the threads, and the
//! one rule for how many threads they use and when work is worth splitting.

pub mod filled;
pub mod operand;
pub mod threads;
pub mod zeroed;
