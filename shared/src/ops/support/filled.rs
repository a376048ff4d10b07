//! Output buffers written chunk by chunk on the threads, never zero-filled first: an op that
//! overwrites every value of its output pays for one pass over it instead of two.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::threads::in_parallel;

/// Runs `fill(index of the chunk's first value, chunk)` over `out` in chunks of `chunk` values,
/// on the threads when there are several chunks and threads.
fn in_chunks<T: Send>(out: &mut [T], chunk: usize, fill: impl Fn(usize, &mut [T]) + Sync + Send) {
    let chunk = chunk.max(1);
    if in_parallel(out.len().div_ceil(chunk)) {
        out.par_chunks_mut(chunk).enumerate().for_each(|(i, c)| fill(i * chunk, c));
    } else {
        out.chunks_mut(chunk).enumerate().for_each(|(i, c)| fill(i * chunk, c));
    }
}

/// A vector of `n` values written by `fill(first index, chunk)` over chunks of `chunk` values
/// (the last may be shorter).
///
/// # Safety
/// `fill` must write every value of every chunk it is given.
pub unsafe fn filled(n: usize, chunk: usize, fill: impl Fn(usize, &mut [MaybeUninit<f32>]) + Sync + Send) -> Vec<f32> {
    let mut v = Vec::with_capacity(n);
    in_chunks(&mut v.spare_capacity_mut()[..n], chunk, fill);
    // SAFETY: the caller's `fill` wrote all n values.
    unsafe { v.set_len(n) };
    v
}

/// Two vectors of `n` values written together, chunk by chunk, by `fill(first index, chunk of
/// the first, chunk of the second)`.
///
/// # Safety
/// `fill` must write every value of both chunks it is given.
pub unsafe fn filled_pair(
    n: usize,
    chunk: usize,
    fill: impl Fn(usize, &mut [MaybeUninit<f32>], &mut [MaybeUninit<f32>]) + Sync + Send,
) -> (Vec<f32>, Vec<f32>) {
    let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let chunk = chunk.max(1);
    let mut pairs: Vec<_> = a.spare_capacity_mut()[..n].chunks_mut(chunk).zip(b.spare_capacity_mut()[..n].chunks_mut(chunk)).collect();
    let run = |(i, (x, y)): (usize, &mut (&mut [MaybeUninit<f32>], &mut [MaybeUninit<f32>]))| fill(i * chunk, x, y);
    if in_parallel(pairs.len()) {
        pairs.par_iter_mut().enumerate().for_each(run);
    } else {
        pairs.iter_mut().enumerate().for_each(run);
    }
    // SAFETY: the caller's `fill` wrote all n values of both.
    unsafe {
        a.set_len(n);
        b.set_len(n);
    }
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chunk_lands_at_its_offset() {
        for (n, chunk) in [(0, 4), (10, 3), (1000, 64), (7, 100)] {
            let v = unsafe {
                filled(n, chunk, |at, c| {
                    for (i, o) in c.iter_mut().enumerate() {
                        o.write((at + i) as f32);
                    }
                })
            };
            assert_eq!(v, (0..n).map(|i| i as f32).collect::<Vec<_>>());
            let (a, b) = unsafe {
                filled_pair(n, chunk, |at, x, y| {
                    for (i, (p, q)) in x.iter_mut().zip(y.iter_mut()).enumerate() {
                        p.write((at + i) as f32);
                        q.write(-((at + i) as f32));
                    }
                })
            };
            assert_eq!(a, v);
            assert_eq!(b, v.iter().map(|x| -x).collect::<Vec<_>>());
        }
    }
}
