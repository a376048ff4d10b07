//! Turning class probabilities into ranked, labelled answers.

use serde::{Deserialize, Serialize};

/// One label and how likely the model thinks it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The class name.
    pub label: String,
    /// Softmax probability in 0..1.
    pub probability: f32,
}

impl std::fmt::Display for Prediction {
    /// Formats as the tutorial prints it: `airplane: 79.23%`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {:.2}%", self.label, self.probability * 100.0)
    }
}

/// Indices of the `k` largest values, largest first (ties keep the lower index first).
pub fn top_k_indices(values: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    idx.truncate(k);
    idx
}

/// The `k` most likely labels, most likely first.
pub fn top_k(probabilities: &[f32], labels: &[String], k: usize) -> Vec<Prediction> {
    top_k_indices(probabilities, k)
        .into_iter()
        .map(|i| Prediction {
            label: labels.get(i).cloned().unwrap_or_else(|| format!("#{i}")),
            probability: probabilities[i],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_formats_like_the_tutorial() {
        let labels: Vec<String> = ["airplane", "cat", "dog"].iter().map(|s| s.to_string()).collect();
        let top = top_k(&[0.7923, 0.05, 0.1577], &labels, 2);
        assert_eq!(top[0].to_string(), "airplane: 79.23%");
        assert_eq!(top[1].label, "dog");
        assert_eq!(top.len(), 2);
    }

    #[test]
    fn ties_are_stable() {
        assert_eq!(top_k_indices(&[0.5, 0.5, 0.1], 3), vec![0, 1, 2]);
    }
}
