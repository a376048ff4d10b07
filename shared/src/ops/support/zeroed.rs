//! Zero-filled output buffers for the CPU ops, filled on the threads. A large tensor's
//! allocation is zeroed by whichever thread asks for it, before the op's parallel part
//! starts; on two threads that serial fill was a tenth of a ResNet-18 step's idle time.

use rayon::prelude::*;

use super::threads::in_parallel;

/// Values per thread's piece: below two such pieces one thread fills faster than two can be
/// woken.
const PER_TASK: usize = 1 << 17;

/// A vector of `n` zeros, written in parallel when it is large and there are threads.
pub fn zeros(n: usize) -> Vec<f32> {
    if !in_parallel(n / PER_TASK) {
        return vec![0f32; n];
    }
    let mut v = Vec::with_capacity(n);
    v.par_extend(rayon::iter::repeat_n(0f32, n));
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn small_and_large_vectors_are_all_zeros() {
        for n in [0, 5, 2 * super::PER_TASK + 17] {
            let v = super::zeros(n);
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|&x| x == 0.0));
        }
    }
}
