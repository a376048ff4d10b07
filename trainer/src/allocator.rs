//! The trainer's memory allocator. A training step allocates and frees the same large tensors
//! every time; glibc's malloc hands them back to the kernel and pays page faults and page
//! zeroing to get them back (a quarter of a ResNet step in `perf`). mimalloc keeps them, and
//! with purging off it never returns them between steps: the captcha ResNet's step at batch
//! 100 went from 378 ms (glibc) to 345 ms (mimalloc) to 272 ms (no purging), for about
//! 40 MB more peak memory.

/// mimalloc as the global allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (mimalloc.h; the same in v2): the milliseconds
/// freed memory waits before it is returned to the kernel; -1 never.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory for reuse instead of returning it to the kernel.
pub fn keep_freed_memory() {
    // SAFETY: setting an option is a plain store; called once at start-up, before any threads.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_index_is_mimallocs_purge_delay() {
        // Its default in mimalloc v3 (the crate's default build) is 1000 ms; no other option
        // defaults to that.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }, 1000);
    }
}
