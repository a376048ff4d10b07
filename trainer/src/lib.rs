//! The Ocellus native trainer: data loading, the training loop and the command line.

pub mod allocator;
pub mod atomic_file;
pub mod barrier_spin;
pub mod captcha;
pub mod cli;
pub mod commands;
pub mod dataset;
pub mod detection;
pub mod device;
pub mod training;
