//! The seeded shuffle and the 80/10/10 train/validation/test split of the tutorial.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::Part;

/// Indices into a sample list, per split.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Split {
    /// Training samples.
    pub train: Vec<usize>,
    /// Validation samples (early stopping, best-epoch choice).
    pub val: Vec<usize>,
    /// Held-out test samples.
    pub test: Vec<usize>,
}

/// A seeded random permutation of `0..n`.
pub fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut StdRng::seed_from_u64(seed));
    idx
}

/// Keeps at most `limit` of `n` samples, chosen by the seeded shuffle, in their original order.
pub fn limit(n: usize, limit: Option<usize>, seed: u64) -> Vec<usize> {
    match limit {
        Some(l) if l < n => {
            let mut keep = permutation(n, seed ^ LIMIT_SALT);
            keep.truncate(l);
            keep.sort_unstable();
            keep
        }
        _ => (0..n).collect(),
    }
}

/// Makes the `--limit` subset independent of the split's shuffle.
const LIMIT_SALT: u64 = 0x11_u64 << 56 | 0x5eed;

/// Splits samples 80/10/10 after a seeded shuffle. Samples that the data's own folders put
/// in `val/` or `test/` stay there, and the rest is shared among the splits still missing
/// in the same 8:1:1 proportions.
pub fn split(parts: &[Option<Part>], seed: u64) -> Split {
    let mut out = Split::default();
    let mut pool = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        match part {
            Some(Part::Val) => out.val.push(i),
            Some(Part::Test) => out.test.push(i),
            Some(Part::Train) | None => pool.push(i),
        }
    }
    let order = permutation(pool.len(), seed);
    let pool: Vec<usize> = order.into_iter().map(|j| pool[j]).collect();
    let val_share = if out.val.is_empty() { 1 } else { 0 };
    let test_share = if out.test.is_empty() { 1 } else { 0 };
    let total = 8 + val_share + test_share;
    let n = pool.len();
    let n_val = n * val_share / total;
    let n_test = n * test_share / total;
    out.val.extend_from_slice(&pool[..n_val]);
    out.test.extend_from_slice(&pool[n_val..n_val + n_test]);
    out.train.extend_from_slice(&pool[n_val + n_test..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eighty_ten_ten_and_deterministic() {
        let parts = vec![None; 1000];
        let a = split(&parts, 7);
        assert_eq!((a.train.len(), a.val.len(), a.test.len()), (800, 100, 100));
        assert_eq!(a, split(&parts, 7));
        assert_ne!(a, split(&parts, 8));
        let mut all: Vec<usize> = a.train.iter().chain(&a.val).chain(&a.test).copied().collect();
        all.sort();
        assert_eq!(all, (0..1000).collect::<Vec<_>>(), "every sample in exactly one split");
    }

    #[test]
    fn folder_splits_are_respected() {
        let mut parts = vec![Some(Part::Train); 900];
        parts.extend(vec![Some(Part::Test); 100]);
        let s = split(&parts, 1);
        assert_eq!(s.test, (900..1000).collect::<Vec<_>>());
        assert_eq!(s.val.len(), 100);
        assert_eq!(s.train.len(), 800);
    }

    #[test]
    fn limit_keeps_a_seeded_subset() {
        let kept = limit(100, Some(10), 3);
        assert_eq!(kept.len(), 10);
        assert!(kept.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(kept, limit(100, Some(10), 3));
        assert_eq!(limit(5, Some(10), 3), vec![0, 1, 2, 3, 4]);
    }
}
