//! The CTC objective (Graves et al., 2006) for a captcha model that scores every column of its
//! feature map: the loss is minus the log of the summed probability of every alignment of the
//! code to the columns (blanks between and around characters, a character held over several
//! columns), by the forward algorithm in log space; a code counts as read when its best path
//! (see `ocellus::ctc_reading`) is exactly the code.

use candle_core::{Result, Tensor};
use ocellus::ctc_reading::best_path;

use super::objective::Objective;

/// Reading codes of `length` characters from `symbols` symbols with a CTC head (the blank is
/// output `symbols`, after the alphabet).
pub struct CtcReading {
    /// Characters per code.
    pub length: usize,
    /// Symbols in the alphabet.
    pub symbols: usize,
}

/// log(0), finite so that shifted sums never meet inf - inf.
const NEG: f32 = -1e5;

/// log(e^a + e^b + e^c) elementwise, stable; the shift is a constant to autograd, as it may be.
fn log_sum_exp3(a: &Tensor, b: &Tensor, c: &Tensor) -> Result<Tensor> {
    let m = a.maximum(b)?.maximum(c)?.detach();
    let sum = (((a - &m)?.exp()? + (b - &m)?.exp()?)? + (c - &m)?.exp()?)?;
    sum.log()? + m
}

impl CtcReading {
    /// Columns a map needs so that every code of this length has an alignment: a repeated
    /// character needs a blank between its two columns.
    pub fn columns_needed(length: usize) -> usize {
        (2 * length).saturating_sub(1)
    }

    /// The log-likelihood of each code (N) under `logits` (N, T x (symbols + 1)).
    pub fn log_likelihood(&self, logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
        let k1 = self.symbols + 1;
        let (n, width) = logits.dims2()?;
        let t_len = width / k1;
        if t_len == 0 || t_len * k1 != width {
            candle_core::bail!("CTC logits of width {width} are not columns of {k1}");
        }
        let device = logits.device();
        let log_probs = candle_nn::ops::log_softmax(&logits.reshape((n, t_len, k1))?, 2)?;
        let truth = targets.to_vec2::<u32>()?;
        // The code with blanks around and between its characters: S = 2L + 1 states.
        let s_len = 2 * self.length + 1;
        let blank = self.symbols as u32;
        let (mut states, mut skip) = (Vec::with_capacity(n * s_len), Vec::with_capacity(n * s_len));
        for code in &truth {
            for s in 0..s_len {
                let symbol = if s % 2 == 0 { blank } else { code[s / 2] };
                states.push(symbol);
                // A character may follow the previous one straight from its column unless
                // they are the same character (then a blank must come between).
                let jump = s % 2 == 1 && s >= 3 && code[s / 2] != code[s / 2 - 1];
                skip.push(if jump { 0.0 } else { NEG });
            }
        }
        let states = Tensor::from_vec(states, (n, 1, s_len), device)?.broadcast_as((n, t_len, s_len))?.contiguous()?;
        let emit = log_probs.gather(&states, 2)?;
        let skip = Tensor::from_vec(skip, (n, s_len), device)?;
        let start = Tensor::from_vec((0..s_len).map(|s| if s < 2 { 0.0 } else { NEG }).collect::<Vec<f32>>(), (1, s_len), device)?;
        let (pad1, pad2) = (Tensor::full(NEG, (n, 1), device)?, Tensor::full(NEG, (n, 2), device)?);
        let mut alpha = emit.narrow(1, 0, 1)?.squeeze(1)?.broadcast_add(&start)?;
        for t in 1..t_len {
            let from_previous = Tensor::cat(&[&pad1, &alpha.narrow(1, 0, s_len - 1)?], 1)?;
            let from_two_back = (Tensor::cat(&[&pad2, &alpha.narrow(1, 0, s_len - 2)?], 1)? + &skip)?;
            alpha = (log_sum_exp3(&alpha, &from_previous, &from_two_back)? + emit.narrow(1, t, 1)?.squeeze(1)?)?;
        }
        // A path ends on the last character or the blank after it.
        let (last, blank_after) = (alpha.narrow(1, s_len - 1, 1)?, alpha.narrow(1, s_len - 2, 1)?);
        let m = last.maximum(&blank_after)?.detach();
        ((((&last - &m)?.exp()? + (&blank_after - &m)?.exp()?)?.log()? + m)?).squeeze(1)
    }
}

impl Objective for CtcReading {
    fn metric_names(&self) -> &'static [&'static str] {
        &["code", "char"]
    }

    /// Minus the mean log-likelihood of the codes, per character (on the scale of the
    /// per-position head's mean cross-entropy).
    fn loss(&self, logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
        self.log_likelihood(logits, targets)?.mean_all()?.neg()? / self.length as f64
    }

    fn hits(&self, logits: &Tensor, targets: &Tensor) -> Result<Vec<(f64, f64)>> {
        let (n, width) = logits.dims2()?;
        let k1 = self.symbols + 1;
        let probs = candle_nn::ops::softmax_last_dim(&logits.reshape((n, width / k1, k1))?)?.reshape((n, width))?.to_vec2::<f32>()?;
        let truth = targets.to_vec2::<u32>()?;
        let (mut codes, mut chars) = (0.0, 0.0);
        for (row, code) in probs.iter().zip(&truth) {
            let read: Vec<usize> = best_path(row, self.symbols).into_iter().map(|(s, _)| s).collect();
            // Position by position: a missing or extra character costs the places it shifts.
            chars += code.iter().enumerate().filter(|&(i, &c)| read.get(i) == Some(&(c as usize))).count() as f64;
            codes += (read.len() == code.len() && read.iter().zip(code).all(|(&r, &c)| r == c as usize)) as u8 as f64;
        }
        Ok(vec![(codes, n as f64), (chars, (n * self.length) as f64)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    /// The probability of `code` summed over every path of `t_len` columns (brute force: all
    /// (symbols + 1)^T paths, each collapsed).
    fn brute_force(probs: &[Vec<f64>], code: &[usize], symbols: usize) -> f64 {
        let t_len = probs.len();
        let k1 = symbols + 1;
        let mut total = 0.0;
        for mut index in 0..k1.pow(t_len as u32) {
            let mut path = Vec::with_capacity(t_len);
            for _ in 0..t_len {
                path.push(index % k1);
                index /= k1;
            }
            let mut collapsed = Vec::new();
            let mut previous = symbols;
            for &s in &path {
                if s != symbols && s != previous {
                    collapsed.push(s);
                }
                previous = s;
            }
            if collapsed == code {
                total += path.iter().enumerate().map(|(t, &s)| probs[t][s]).product::<f64>();
            }
        }
        total
    }

    fn logits(values: &[f32], n: usize) -> Tensor {
        Tensor::from_vec(values.to_vec(), (n, values.len() / n), &Device::Cpu).unwrap()
    }

    #[test]
    fn likelihood_matches_every_path_summed() {
        // Two codes of 2 characters from 2 symbols over 5 columns; the second repeats a character.
        let values: Vec<f32> = (0..2 * 5 * 3).map(|i| ((i * 7 % 11) as f32 - 5.0) * 0.4).collect();
        let codes = [[0usize, 1], [1, 1]];
        let ctc = CtcReading { length: 2, symbols: 2 };
        let targets = Tensor::new(&[[0u32, 1], [1, 1]], &Device::Cpu).unwrap();
        let got = ctc.log_likelihood(&logits(&values, 2), &targets).unwrap().to_vec1::<f32>().unwrap();
        for (i, code) in codes.iter().enumerate() {
            let probs: Vec<Vec<f64>> = values[i * 15..(i + 1) * 15]
                .chunks(3)
                .map(|c| {
                    let z: f64 = c.iter().map(|&v| (v as f64).exp()).sum();
                    c.iter().map(|&v| (v as f64).exp() / z).collect()
                })
                .collect();
            let want = brute_force(&probs, code, 2).ln();
            assert!((got[i] as f64 - want).abs() < 1e-4, "code {i}: {} vs {want}", got[i]);
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let values: Vec<f32> = (0..4 * 4).map(|i| ((i * 5 % 9) as f32 - 4.0) * 0.3).collect();
        let ctc = CtcReading { length: 2, symbols: 3 };
        let targets = Tensor::new(&[[2u32, 0]], &Device::Cpu).unwrap();
        let var = Var::from_tensor(&logits(&values, 1)).unwrap();
        let loss = ctc.loss(var.as_tensor(), &targets).unwrap();
        let grad = loss.backward().unwrap().get(&var).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let at = |v: &[f32]| ctc.loss(&logits(v, 1), &targets).unwrap().to_scalar::<f32>().unwrap() as f64;
        for i in 0..values.len() {
            let (mut up, mut down) = (values.clone(), values.clone());
            up[i] += 1e-2;
            down[i] -= 1e-2;
            let numeric = (at(&up) - at(&down)) / 2e-2;
            assert!((grad[i] as f64 - numeric).abs() < 2e-3, "logit {i}: {} vs {numeric}", grad[i]);
        }
    }

    #[test]
    fn a_code_is_read_only_when_its_best_path_is_exactly_it() {
        // 3 symbols + blank, 4 columns. Row 1 reads "0 1"; row 2 reads "1" alone.
        let big = 9.0;
        let col = |s: usize| -> Vec<f32> { (0..4).map(|k| if k == s { big } else { 0.0 }).collect() };
        let rows: Vec<f32> = [col(0), col(3), col(1), col(1), col(1), col(3), col(3), col(3)].concat();
        let targets = Tensor::new(&[[0u32, 1], [1, 2]], &Device::Cpu).unwrap();
        let hits = CtcReading { length: 2, symbols: 3 }.hits(&logits(&rows, 2), &targets).unwrap();
        assert_eq!(hits, vec![(1.0, 2.0), (3.0, 4.0)]);
        assert_eq!(CtcReading::columns_needed(4), 7);
    }
}
