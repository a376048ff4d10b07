//! Reflect padding's index rule, shared by the trainer's shifted crops and the test-time
//! shifted views so that both read the same pixels.

/// Index `i` reflected into `0..n` without repeating the edge (PyTorch's reflect padding):
/// -1 reads 1, n reads n - 2.
pub fn reflect(i: i64, n: i64) -> i64 {
    let r = if i < 0 {
        -i
    } else if i >= n {
        2 * (n - 1) - i
    } else {
        i
    };
    r.clamp(0, n - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_without_repeating_the_edge() {
        assert_eq!([-2, -1, 0, 4, 5, 6].map(|i| reflect(i, 5)), [2, 1, 0, 4, 3, 2]);
        assert_eq!(reflect(-1, 1), 0, "a one-pixel side has nothing to mirror");
    }
}
