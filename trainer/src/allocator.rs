//! The trainer's memory allocator. A training step allocates and frees the same large tensors
//! every time; glibc's malloc hands them back to the kernel and pays page faults and page
//! zeroing to get them back (a quarter of a ResNet step in `perf`). mimalloc keeps them, and
//! with purging off it never returns them between steps: the captcha ResNet's step at batch
//! 100 went from 378 ms (glibc) to 345 ms (mimalloc) to 272 ms (no purging), for about
//! 40 MB more peak memory.
//!
//! Large zeroed allocations are filled on rayon's threads: candle's backward pass starts every
//! gradient sum from `zeros_like`, whose fill of an activation-sized tensor ran on one thread
//! while the others waited (3% of a ResNet-18 step on two threads).

use std::alloc::{GlobalAlloc, Layout};
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};

use mimalloc::MiMalloc;
use rayon::prelude::*;

/// Zeroed allocations from this size are filled in parallel.
const PARALLEL_ZERO_FROM: usize = 4 << 20;

/// Bytes per parallel fill task.
const ZERO_CHUNK: usize = 1 << 20;

/// mimalloc, with large zeroed allocations filled on the threads, counting the bytes it holds
/// (so that a training step's memory can be measured before the real batch size is tried).
pub struct TrainerAllocator;

/// Bytes allocated and not yet freed.
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most `LIVE` reached since [`reset_peak`].
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

/// Bytes the program holds now.
pub fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Starts a new peak measurement from what is held now.
pub fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// The most bytes held at once since [`reset_peak`].
pub fn peak_bytes() -> usize {
    PEAK.load(Ordering::Relaxed)
}

// SAFETY: every call is forwarded to mimalloc; `alloc_zeroed` only adds a fill of the block
// mimalloc returned, within its size.
unsafe impl GlobalAlloc for TrainerAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { MiMalloc.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        unsafe { MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { MiMalloc.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        new
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // rayon's own count, not `ocellus::ops::threads()`: that reads the environment, which
        // allocates, and this is the allocator.
        if layout.size() < PARALLEL_ZERO_FROM || rayon::current_num_threads() < 2 {
            let ptr = unsafe { MiMalloc.alloc_zeroed(layout) };
            if !ptr.is_null() {
                grew(layout.size());
            }
            return ptr;
        }
        let ptr = unsafe { MiMalloc.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
            // SAFETY: mimalloc gave `layout.size()` writable bytes at `ptr`, owned by no one else yet.
            let block = unsafe { std::slice::from_raw_parts_mut(ptr.cast::<MaybeUninit<u8>>(), layout.size()) };
            block.par_chunks_mut(ZERO_CHUNK).for_each(|chunk| chunk.fill(MaybeUninit::new(0)));
        }
        ptr
    }
}

/// The trainer's global allocator.
#[global_allocator]
static ALLOCATOR: TrainerAllocator = TrainerAllocator;

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
    fn large_zeroed_allocations_are_zero() {
        // Dirty a large block and free it, so the zeroed one may reuse its memory.
        drop(vec![7u8; PARALLEL_ZERO_FROM * 3]);
        for n in [PARALLEL_ZERO_FROM - 1, PARALLEL_ZERO_FROM, PARALLEL_ZERO_FROM * 3 + 5] {
            let v = vec![0u8; n];
            assert!(v.iter().all(|&b| b == 0), "{n} bytes");
        }
    }

    #[test]
    fn the_peak_counts_what_was_held_at_once() {
        reset_peak();
        let before = peak_bytes();
        let block = vec![1u8; 64 << 20];
        drop(block);
        // Other tests allocate meanwhile: the peak is at least the block.
        assert!(peak_bytes() >= before + (64 << 20), "{} -> {}", before, peak_bytes());
    }

    #[test]
    fn the_option_index_is_mimallocs_purge_delay() {
        // Its default in mimalloc v3 (the crate's default build) is 1000 ms; no other option
        // defaults to that.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }, 1000);
    }
}
