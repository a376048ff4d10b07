//! Reflect padding's index rule, shared by the trainer's shifted crops, the test-time shifted
//! views and the region proposals' blur and gradients, so that all read the same pixels.

/// Index `i` reflected into `0..n` without repeating the edge (PyTorch's reflect padding,
/// OpenCV's BORDER_REFLECT_101): -1 reads 1, n reads n - 2; further out it keeps folding, so a
/// blur wider than the image still reads inside it.
pub fn reflect(i: i64, n: i64) -> i64 {
    if n <= 1 {
        return 0;
    }
    let period = 2 * (n - 1);
    let m = i.rem_euclid(period);
    if m < n {
        m
    } else {
        period - m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_without_repeating_the_edge() {
        assert_eq!([-2, -1, 0, 4, 5, 6].map(|i| reflect(i, 5)), [2, 1, 0, 4, 3, 2]);
        assert_eq!(reflect(-1, 1), 0, "a one-pixel side has nothing to mirror");
        assert_eq!([-9, 9, 13].map(|i| reflect(i, 5)), [1, 1, 3], "folds again past the far edge");
    }
}
