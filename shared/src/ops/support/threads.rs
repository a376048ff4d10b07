//! How many threads the CPU ops may use: rayon's (RAYON_NUM_THREADS, else the cores)
//! natively, one in the browser, where the worker has no thread pool; and when a piece of work
//! is worth handing to them.

/// Threads the ops may use.
pub fn threads() -> usize {
    if cfg!(target_arch = "wasm32") {
        1
    } else {
        candle_core::utils::get_num_threads()
    }
}

/// Whether `tasks` pieces of work are worth spreading over the threads: there are several
/// threads and at least two pieces (below that, waking a second thread costs more than it
/// saves). Callers size their pieces so that each pays for its hand-over.
pub fn in_parallel(tasks: usize) -> bool {
    tasks >= 2 && threads() > 1
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_piece_is_never_split() {
        assert!(!super::in_parallel(0) && !super::in_parallel(1));
        assert_eq!(super::in_parallel(8), super::threads() > 1);
    }
}
