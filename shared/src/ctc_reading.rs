//! Reading a CTC head (Graves et al., 2006): every column of the feature map scores each symbol
//! and a blank; the code is the most likely symbol of each column with repeats merged and
//! blanks dropped ("best path"). The page and the trainer read codes with this same function.

use crate::captcha_code::{Alphabet, ReadCode};
use crate::prediction::top_k_indices;

/// The symbols of the best path through `probabilities` (columns of `symbols + 1` values, the
/// blank last, each column summing to 1), each with the highest probability of its run.
pub fn best_path(probabilities: &[f32], symbols: usize) -> Vec<(usize, f32)> {
    let mut read: Vec<(usize, f32)> = Vec::new();
    let mut previous = symbols;
    for column in probabilities.chunks_exact(symbols + 1) {
        let best = top_k_indices(column, 1)[0];
        if best != symbols {
            if best == previous {
                let last = read.last_mut().expect("a repeat follows a symbol");
                last.1 = last.1.max(column[best]);
            } else {
                read.push((best, column[best]));
            }
        }
        previous = best;
    }
    read
}

/// The code a CTC head reads from `probabilities` (see [`best_path`]); it may be shorter or
/// longer than the model's code length when the head is unsure.
pub fn read_ctc_code(probabilities: &[f32], alphabet: &Alphabet) -> ReadCode {
    let path = best_path(probabilities, alphabet.len());
    ReadCode { code: path.iter().map(|&(s, _)| alphabet.symbol(s)).collect(), confidence: path.iter().map(|&(_, p)| p).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One column with `p` on `symbol` and the rest spread evenly (3 symbols + blank).
    fn column(symbol: usize, p: f32) -> [f32; 4] {
        let mut c = [(1.0 - p) / 3.0; 4];
        c[symbol] = p;
        c
    }

    #[test]
    fn repeats_merge_and_blanks_separate() {
        // a a _ a b b _ _ -> "aab": the blank splits the two a's.
        let cols = [column(0, 0.6), column(0, 0.9), column(3, 0.8), column(0, 0.7), column(1, 0.5), column(1, 0.95), column(3, 0.9), column(3, 0.9)];
        let probs: Vec<f32> = cols.iter().flatten().copied().collect();
        assert_eq!(best_path(&probs, 3), vec![(0, 0.9), (0, 0.7), (1, 0.95)]);
        let read = read_ctc_code(&probs, &Alphabet::new("xyz"));
        assert_eq!(read.code, "xxy");
        assert_eq!(read.confidence, vec![0.9, 0.7, 0.95]);
    }

    #[test]
    fn all_blank_reads_nothing() {
        let probs: Vec<f32> = [column(3, 0.9), column(3, 0.9)].iter().flatten().copied().collect();
        assert!(best_path(&probs, 3).is_empty());
    }
}
