//! Captcha codes: the alphabet, the code in a file name (`<serial>-<CODE>.<ext>`, the tutorial's
//! naming), and reading a code from a model's per-position scores. Codes are case-insensitive
//! (everything lower-cased) unless the alphabet is case-sensitive; a model's alphabet is
//! case-sensitive when one of its labels is an upper-case letter.

use crate::prediction::top_k_indices;

/// The tutorial's alphabet: digits and lower-case letters (36 symbols).
pub const DEFAULT_ALPHABET: &str = "0123456789abcdefghijklmnopqrstuvwxyz";

/// The tutorial's code length.
pub const DEFAULT_LENGTH: usize = 4;

/// Why a code cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The file name has no `-<CODE>` before its extension.
    #[error("the name is not <serial>-<CODE>.<ext>")]
    NoCode,
    /// The code has another length than the model's.
    #[error("code {code:?} has {found} characters, not {expected}")]
    WrongLength { code: String, expected: usize, found: usize },
    /// A character the alphabet lacks.
    #[error("code {code:?} has {symbol:?}, which is not in the alphabet")]
    OutsideAlphabet { code: String, symbol: char },
}

/// The symbols a captcha style uses, in output order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alphabet {
    symbols: Vec<char>,
    case_sensitive: bool,
}

impl Alphabet {
    /// The case-insensitive alphabet of `symbols` (lower-cased, duplicates dropped, order kept).
    pub fn new(symbols: &str) -> Alphabet {
        Alphabet::with_case(symbols, false)
    }

    /// The alphabet of `symbols`; `case_sensitive` keeps upper and lower case apart.
    pub fn with_case(symbols: &str, case_sensitive: bool) -> Alphabet {
        let mut out: Vec<char> = Vec::new();
        let chars: Vec<char> = if case_sensitive { symbols.chars().collect() } else { symbols.chars().flat_map(char::to_lowercase).collect() };
        for c in chars {
            if !c.is_whitespace() && !out.contains(&c) {
                out.push(c);
            }
        }
        Alphabet { symbols: out, case_sensitive }
    }

    /// The alphabet from a model card's labels (one symbol each): case-sensitive when a label
    /// is upper-case, as only a case-sensitive alphabet keeps one.
    pub fn from_labels(labels: &[String]) -> Alphabet {
        let symbols = labels.concat();
        Alphabet::with_case(&symbols, symbols.chars().any(char::is_uppercase))
    }

    /// Whether `A` and `a` are different symbols.
    pub fn is_case_sensitive(&self) -> bool {
        self.case_sensitive
    }

    /// `code` as this alphabet compares it (lower-cased unless case-sensitive).
    pub fn normalise(&self, code: &str) -> String {
        if self.case_sensitive {
            code.to_string()
        } else {
            code.to_lowercase()
        }
    }

    /// The alphabet as model-card labels.
    pub fn labels(&self) -> Vec<String> {
        self.symbols.iter().map(|c| c.to_string()).collect()
    }

    /// How many symbols.
    pub fn len(&self) -> usize {
        self.symbols.len()
    }

    /// Whether it has no symbols.
    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
    }

    /// The symbols as a string.
    pub fn as_string(&self) -> String {
        self.symbols.iter().collect()
    }

    /// The symbol at output `i`.
    pub fn symbol(&self, i: usize) -> char {
        self.symbols[i]
    }

    /// The class index of each character of `code` (lower-cased unless case-sensitive),
    /// checking its length.
    pub fn encode(&self, code: &str, length: usize) -> Result<Vec<u32>, CodeError> {
        let code = self.normalise(code);
        let found = code.chars().count();
        if found != length {
            return Err(CodeError::WrongLength { code, expected: length, found });
        }
        code.chars()
            .map(|c| match self.symbols.iter().position(|&s| s == c) {
                Some(i) => Ok(i as u32),
                None => Err(CodeError::OutsideAlphabet { code: code.clone(), symbol: c }),
            })
            .collect()
    }
}

/// The code in a file name `<serial>-<CODE>.<ext>`, case kept: the part after the last `-` of
/// the stem.
pub fn code_from_file_name(name: &str) -> Result<String, CodeError> {
    let stem = match name.rfind('.') {
        Some(dot) if dot > 0 => &name[..dot],
        _ => name,
    };
    match stem.rsplit_once('-') {
        Some((serial, code)) if !serial.is_empty() && !code.is_empty() => Ok(code.to_string()),
        _ => Err(CodeError::NoCode),
    }
}

/// A code read by a model, with the probability of each character.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReadCode {
    /// The code (lower-case unless the alphabet is case-sensitive).
    pub code: String,
    /// Softmax probability of each chosen character.
    pub confidence: Vec<f32>,
}

/// Reads a code from per-position probabilities (`length` rows of `alphabet.len()` values, each
/// row summing to 1).
pub fn read_code(probabilities: &[f32], alphabet: &Alphabet) -> ReadCode {
    let mut code = String::new();
    let mut confidence = Vec::new();
    for row in probabilities.chunks_exact(alphabet.len().max(1)) {
        let best = top_k_indices(row, 1)[0];
        code.push(alphabet.symbol(best));
        confidence.push(row[best]);
    }
    ReadCode { code, confidence }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_file_names() {
        assert_eq!(code_from_file_name("0001-8CA6.png").unwrap(), "8CA6");
        assert_eq!(code_from_file_name("run-7-ab12.jpg").unwrap(), "ab12");
        assert_eq!(code_from_file_name("17-x9y.png").unwrap(), "x9y");
        assert_eq!(code_from_file_name("noserial.png"), Err(CodeError::NoCode));
        assert_eq!(code_from_file_name("-abcd.png"), Err(CodeError::NoCode));
        assert_eq!(code_from_file_name("12-.png"), Err(CodeError::NoCode));
    }

    #[test]
    fn encoding_checks_length_and_alphabet() {
        let a = Alphabet::new(DEFAULT_ALPHABET);
        assert_eq!(a.len(), 36);
        assert_eq!(a.encode("0a9Z", 4).unwrap(), vec![0, 10, 9, 35]);
        assert_eq!(a.encode("abc", 4), Err(CodeError::WrongLength { code: "abc".into(), expected: 4, found: 3 }));
        assert!(matches!(a.encode("ab_d", 4), Err(CodeError::OutsideAlphabet { symbol: '_', .. })));
        assert!(matches!(a.encode("abcé", 4), Err(CodeError::OutsideAlphabet { symbol: 'é', .. })));
    }

    #[test]
    fn alphabets_are_lower_case_and_unique() {
        let a = Alphabet::new("AaBb 12");
        assert_eq!(a.as_string(), "ab12");
        assert_eq!(Alphabet::from_labels(&a.labels()), a);
        assert!(!a.is_case_sensitive());
    }

    #[test]
    fn case_sensitive_alphabets_keep_case_and_survive_the_card() {
        let a = Alphabet::with_case("aAbB1", true);
        assert_eq!(a.as_string(), "aAbB1");
        assert_eq!(a.encode("Ab1a", 4).unwrap(), vec![1, 2, 4, 0]);
        assert!(matches!(a.encode("C111", 4), Err(CodeError::OutsideAlphabet { symbol: 'C', .. })));
        assert_eq!(Alphabet::from_labels(&a.labels()), a);
        assert!(Alphabet::from_labels(&a.labels()).is_case_sensitive());
        // Lower-case-only labels read back case-insensitive, as older models expect.
        assert!(!Alphabet::from_labels(&Alphabet::with_case("ab1", true).labels()).is_case_sensitive());
    }

    #[test]
    fn codes_are_read_per_position() {
        let a = Alphabet::new("abc");
        let probs = [0.1, 0.7, 0.2, 0.6, 0.3, 0.1];
        let read = read_code(&probs, &a);
        assert_eq!(read.code, "ba");
        assert_eq!(read.confidence, vec![0.7, 0.6]);
    }
}
