//! The errors of the shared core.

/// Everything that can go wrong in the shared core, worded for the person who gave the input.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not an image the decoder understands, or the image is damaged.
    #[error("cannot decode image: {0}")]
    Image(String),
    /// The image is larger than the decoder accepts (a guard against decompression bombs).
    #[error("image is too large: {width}x{height} pixels (the limit is {limit}x{limit} and {max_mib} MiB decoded)")]
    ImageTooLarge { width: u32, height: u32, limit: u32, max_mib: u64 },
    /// The image's header asks for more memory than the decoder may take before its size could
    /// even be read (where memory is 32-bit, as in the page, the size itself overflows).
    #[error("image is too large: its header claims more pixels than the limit of {limit}x{limit} and {max_mib} MiB decoded")]
    ImageHeaderTooLarge { limit: u32, max_mib: u64 },
    /// The file is not a weights file written by Ocellus.
    #[error("not an Ocellus model: {0}")]
    NotAModel(String),
    /// The weights file is for another task than the one asked for.
    #[error("this model is for the {found} task, not {expected}")]
    WrongTask { expected: String, found: String },
    /// The tensors in the file do not fit the architecture its metadata names.
    #[error("weights do not match the {arch} architecture: {reason}")]
    ArchMismatch { arch: String, reason: String },
    /// A tensor operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result with the shared core's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
