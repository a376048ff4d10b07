//! How many threads the CPU ops may use: rayon's (RAYON_NUM_THREADS, else the cores)
//! natively, one in the browser, where the worker has no thread pool.

/// Threads the ops may use.
pub fn threads() -> usize {
    if cfg!(target_arch = "wasm32") {
        1
    } else {
        candle_core::utils::get_num_threads()
    }
}
