//! Classification metrics: loss and accuracy summaries and the confusion matrix.

use serde::{Deserialize, Serialize};

/// Loss and accuracy of a model on a set of examples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Mean data loss (without regularisation).
    pub loss: f64,
    /// Fraction of examples whose highest score is the true class (NaN for regression).
    pub accuracy: f64,
    /// Number of examples.
    pub examples: usize,
}

/// Index of the largest score of each row of a `rows × classes` score matrix (first on ties).
pub fn argmax_rows<T: Copy + PartialOrd>(scores: &[T], classes: usize) -> Vec<usize> {
    scores.chunks_exact(classes.max(1)).map(argmax).collect()
}

/// Number of rows whose argmax equals the label.
pub fn correct_predictions<T: Copy + PartialOrd>(
    scores: &[T],
    classes: usize,
    labels: &[usize],
) -> usize {
    scores
        .chunks_exact(classes.max(1))
        .zip(labels)
        .filter(|(row, l)| argmax(row) == **l)
        .count()
}

/// Index of the largest value (the first on ties).
fn argmax<T: Copy + PartialOrd>(row: &[T]) -> usize {
    let mut best = 0;
    for (j, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = j;
        }
    }
    best
}

/// A confusion matrix: `counts[true][predicted]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// Counts indexed by true class, then predicted class.
    pub counts: Vec<Vec<usize>>,
}

impl ConfusionMatrix {
    /// An empty matrix for `classes` classes.
    pub fn new(classes: usize) -> Self {
        ConfusionMatrix {
            counts: vec![vec![0; classes]; classes],
        }
    }

    /// Adds predictions.
    pub fn add(&mut self, predicted: &[usize], labels: &[usize]) {
        for (&p, &l) in predicted.iter().zip(labels) {
            if l < self.counts.len() && p < self.counts.len() {
                self.counts[l][p] += 1;
            }
        }
    }

    /// Overall accuracy (diagonal over total).
    pub fn accuracy(&self) -> f64 {
        let total: usize = self.counts.iter().flatten().sum();
        let diag: usize = (0..self.counts.len()).map(|i| self.counts[i][i]).sum();
        diag as f64 / total.max(1) as f64
    }

    /// Renders the matrix as a text table with class names.
    pub fn render(&self, names: &[String]) -> String {
        let w = names.iter().map(|n| n.len()).max().unwrap_or(1).max(5);
        let mut s = format!("{:>w$} | predicted\n", "true");
        s.push_str(&format!("{:>w$} |", ""));
        for n in names {
            s.push_str(&format!(" {n:>w$}"));
        }
        s.push('\n');
        for (i, row) in self.counts.iter().enumerate() {
            let name = names.get(i).map_or("?", String::as_str);
            s.push_str(&format!("{name:>w$} |"));
            for c in row {
                s.push_str(&format!(" {c:>w$}"));
            }
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_accuracy_and_confusion() {
        let scores = [0.1f32, 0.7, 0.2, 0.5, 0.5, 0.0, 0.0, 0.1, 0.9];
        assert_eq!(argmax_rows(&scores, 3), vec![1, 0, 2]);
        assert_eq!(correct_predictions(&scores, 3, &[1, 1, 2]), 2);
        let mut cm = ConfusionMatrix::new(3);
        cm.add(&[1, 0, 2], &[1, 1, 2]);
        assert_eq!(cm.counts[1][0], 1);
        assert!((cm.accuracy() - 2.0 / 3.0).abs() < 1e-12);
        assert!(
            cm.render(&["a".into(), "b".into(), "c".into()])
                .contains("true")
        );
    }
}
