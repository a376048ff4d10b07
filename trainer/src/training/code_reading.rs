//! The captcha objective: one softmax per character position; a code counts as read only when
//! every character is right (the tutorial's measure), per-character accuracy beside it.

use candle_core::{Result, Tensor};
use ocellus::prediction::top_k_indices;
use ocellus::CodeHead;

use super::ctc_reading::CtcReading;
use super::objective::Objective;

/// The objective of a captcha model with `head`, reading codes of `length` from `symbols`.
pub fn code_objective(head: CodeHead, length: usize, symbols: usize) -> Box<dyn Objective> {
    match head {
        CodeHead::Positions => Box::new(CodeReading { length, symbols }),
        CodeHead::Ctc => Box::new(CtcReading { length, symbols }),
    }
}

/// Reading codes of `length` characters from `symbols` possible symbols.
pub struct CodeReading {
    /// Characters per code.
    pub length: usize,
    /// Symbols in the alphabet.
    pub symbols: usize,
}

impl Objective for CodeReading {
    fn metric_names(&self) -> &'static [&'static str] {
        &["code", "char"]
    }

    /// The mean over positions of each position's cross-entropy.
    fn loss(&self, logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
        let per_position = logits.reshape(((), self.symbols))?;
        candle_nn::loss::cross_entropy(&per_position, &targets.flatten_all()?)
    }

    fn hits(&self, logits: &Tensor, targets: &Tensor) -> Result<Vec<(f64, f64)>> {
        let scores = logits.to_vec2::<f32>()?;
        let truth = targets.to_vec2::<u32>()?;
        let (mut codes, mut chars) = (0.0, 0.0);
        for (row, t) in scores.iter().zip(&truth) {
            let right = row
                .chunks_exact(self.symbols)
                .zip(t)
                .filter(|(position, &want)| top_k_indices(position, 1)[0] == want as usize)
                .count();
            chars += right as f64;
            codes += (right == self.length) as u8 as f64;
        }
        let n = truth.len() as f64;
        Ok(vec![(codes, n), (chars, n * self.length as f64)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn whole_codes_and_characters() {
        // Two codes of 2 characters from 3 symbols: the first read right, the second half right.
        let logits = Tensor::new(&[[9f32, 0., 0., 0., 9., 0.], [9., 0., 0., 9., 0., 0.]], &Device::Cpu).unwrap();
        let targets = Tensor::new(&[[0u32, 1], [0, 2]], &Device::Cpu).unwrap();
        let o = CodeReading { length: 2, symbols: 3 };
        assert_eq!(o.hits(&logits, &targets).unwrap(), vec![(1.0, 2.0), (3.0, 4.0)]);
        let loss = o.loss(&logits, &targets).unwrap().to_scalar::<f32>().unwrap();
        // Three positions nearly certain and right, one nearly certain and wrong: about 9/4.
        assert!((loss - 2.25).abs() < 0.01, "{loss}");
    }
}
