//! The page's benchmark mode (`?bench`): every shipped model, timed at batch 1 in the worker,
//! one after another; `cargo xtask bench-web` reads the table and sets native times beside it.

use std::rc::Rc;

use ocellus::forward_timing::median;
use ocellus::manifest::ManifestEntry;

/// Timed forward passes per model.
pub const RUNS: usize = 30;

/// One model's result.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchRow {
    /// The model's file.
    pub file: String,
    /// Its architecture, as the card names it.
    pub arch: String,
    /// Median ms per forward pass.
    pub median_ms: f64,
    /// Mean ms per forward pass.
    pub mean_ms: f64,
    /// Median ms per forward pass with candle's own kernels, for comparison.
    pub candle_median_ms: Option<f64>,
}

/// A benchmark run through the shipped models.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchRun {
    /// The models and their bytes, once fetched.
    pub files: Option<Rc<Vec<(ManifestEntry, Vec<u8>)>>>,
    /// The model being timed.
    pub index: usize,
    /// Results so far.
    pub rows: Vec<BenchRow>,
    /// Why the run stopped, if it failed.
    pub error: Option<String>,
    /// The architecture of the model being timed.
    pub arch: String,
    /// Selective search on an image given in bench mode: boxes, image size, median ms.
    pub proposals: Option<(usize, (u32, u32), f64)>,
}

impl BenchRun {
    /// A run waiting for its files.
    pub fn new() -> Self {
        Self { files: None, index: 0, rows: Vec::new(), error: None, arch: String::new(), proposals: None }
    }

    /// Whether every model has been timed (or the run failed).
    pub fn done(&self) -> bool {
        self.error.is_some() || self.files.as_ref().is_some_and(|f| self.index >= f.len())
    }

    /// Records the times of the current model with our kernels.
    pub fn record(&mut self, arch: String, ms: &[f64]) {
        let Some(files) = &self.files else { return };
        let Some((entry, _)) = files.get(self.index) else { return };
        let mean_ms = if ms.is_empty() { 0.0 } else { ms.iter().sum::<f64>() / ms.len() as f64 };
        self.rows.push(BenchRow { file: entry.file.clone(), arch, median_ms: median(ms), mean_ms, candle_median_ms: None });
    }

    /// Records the current model's times with candle's kernels and moves to the next model.
    pub fn record_candle(&mut self, ms: &[f64]) {
        if let Some(row) = self.rows.last_mut() {
            row.candle_median_ms = Some(median(ms));
        }
        self.index += 1;
    }
}

impl Default for BenchRun {
    fn default() -> Self {
        Self::new()
    }
}
