//! Losses: the data term of the objective, each a scalar fused node with a closed-form
//! backward.
//!
//! * [`softmax_cross_entropy`]: softmax classifier, `−log` of the correct class's probability,
//!   numerically stable through log-sum-exp; mean over the batch.
//! * [`multiclass_hinge`]: multiclass SVM (Weston–Watkins, as in CS231n); mean over the batch.
//! * [`mean_squared_error`]: mean of squared differences over all elements (regression, or
//!   against one-hot classes).
//!
//! Class labels are integers in `0..classes`; anything else is an error naming the label and
//! the class count. The regularisation term lives in [`crate::regularize`].

mod hinge;
mod mse;
mod softmax_ce;

pub use hinge::multiclass_hinge;
pub use mse::mean_squared_error;
pub use softmax_ce::{softmax, softmax_cross_entropy};

use crate::error::{OpsError, Result};
use nnc_tape::{Float, Tape, Tensor, TensorError, Var};

/// Checks that `scores` is `[n, c]` with `n ≥ 1`, `c ≥ 1`, that there are `n` labels and that
/// every label is in `0..c`. Returns `(n, c)`.
pub(crate) fn check_labels<T: Float>(
    op: &'static str,
    tape: &Tape<T>,
    scores: Var,
    labels: &[usize],
) -> Result<(usize, usize)> {
    let shape = tape.try_value(scores)?.shape();
    let [n, c] = *shape else {
        return Err(TensorError::Rank {
            op,
            expected: 2,
            shape: shape.into(),
        }
        .into());
    };
    if n == 0 || c == 0 {
        return Err(OpsError::config(
            op,
            format!("the scores are empty ({n} examples, {c} classes)"),
        ));
    }
    if labels.len() != n {
        return Err(OpsError::config(
            op,
            format!("{} labels for {n} examples (rows of scores)", labels.len()),
        ));
    }
    if let Some((example, &label)) = labels.iter().enumerate().find(|&(_, &l)| l >= c) {
        return Err(OpsError::LabelOutOfRange {
            op,
            example,
            label,
            classes: c,
        });
    }
    Ok((n, c))
}

/// One-hot rows `[labels.len(), classes]`: row `i` has a 1 in column `labels[i]`. Fails for a
/// label outside `0..classes`.
pub fn one_hot<T: Float>(labels: &[usize], classes: usize) -> Result<Tensor<T>> {
    let mut t = Tensor::zeros(&[labels.len(), classes]);
    for (i, &l) in labels.iter().enumerate() {
        if l >= classes {
            return Err(OpsError::LabelOutOfRange {
                op: "one_hot",
                example: i,
                label: l,
                classes,
            });
        }
        t.data_mut()[i * classes + l] = T::ONE;
    }
    Ok(t)
}

/// A classification loss, as a model's `loss` statement names it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Loss {
    /// Softmax cross-entropy (`loss softmax`).
    #[serde(rename = "softmax")]
    SoftmaxCrossEntropy,
    /// Multiclass SVM hinge loss with margin Δ (`loss svm(margin: 1)`).
    Svm {
        /// The margin Δ (1 is standard; the scale of W makes its exact value unimportant).
        margin: f64,
    },
    /// Mean squared error against one-hot class targets (`loss mse`).
    #[serde(rename = "mse")]
    MeanSquaredError,
}

impl Loss {
    /// The loss's name as written in the `.nn` language.
    pub fn name(&self) -> &'static str {
        match self {
            Loss::SoftmaxCrossEntropy => "softmax",
            Loss::Svm { .. } => "svm",
            Loss::MeanSquaredError => "mse",
        }
    }

    /// What a trained model outputs for new rows: class probabilities, the softmax of the
    /// scores `p_c = exp(s_c) / Σ_j exp(s_j)`, for a model trained with softmax
    /// cross-entropy (the only loss whose scores are log-probabilities); the raw scores
    /// otherwise.
    pub fn outputs<T: Float>(&self, scores: Tensor<T>) -> Result<Tensor<T>> {
        if self.has_probabilities() {
            softmax(&scores)
        } else {
            Ok(scores)
        }
    }

    /// Whether [`Loss::outputs`] are probabilities (softmax) rather than scores.
    pub fn has_probabilities(&self) -> bool {
        matches!(self, Loss::SoftmaxCrossEntropy)
    }

    /// Records the mean loss of `scores` `[n, classes]` against integer labels.
    pub fn apply<T: Float>(
        &self,
        tape: &mut Tape<T>,
        scores: Var,
        labels: &[usize],
    ) -> Result<Var> {
        match *self {
            Loss::SoftmaxCrossEntropy => softmax_cross_entropy(tape, scores, labels),
            Loss::Svm { margin } => multiclass_hinge(tape, scores, labels, margin),
            Loss::MeanSquaredError => {
                let (n, c) = check_labels("mse", tape, scores, labels)?;
                let mut target = tape.alloc_zeros(&[n, c]);
                for (row, &l) in target.data_mut().chunks_exact_mut(c).zip(labels) {
                    row[l] = T::ONE;
                }
                let target = tape.constant(target);
                mean_squared_error(tape, scores, target)
            }
        }
    }

    /// The loss a correctly initialised classifier should start at, when the scores are all
    /// (nearly) zero and no regularisation is added — the babysitter's first sanity check:
    /// softmax `ln C` (uniform probabilities), SVM `(C − 1)·Δ` (every margin violated by Δ),
    /// MSE against one-hot targets `1/C`.
    pub fn expected_initial_loss(&self, classes: usize) -> f64 {
        let c = classes as f64;
        match *self {
            Loss::SoftmaxCrossEntropy => c.ln(),
            Loss::Svm { margin } => (c - 1.0) * margin,
            Loss::MeanSquaredError => 1.0 / c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_losses_match_the_textbook() {
        assert!(
            (Loss::SoftmaxCrossEntropy.expected_initial_loss(10) - std::f64::consts::LN_10).abs()
                < 1e-15
        );
        assert_eq!(Loss::Svm { margin: 1.0 }.expected_initial_loss(10), 9.0);
        let mut tape = Tape::<f64>::new();
        let s = tape.constant(Tensor::zeros(&[4, 10]));
        for loss in [
            Loss::SoftmaxCrossEntropy,
            Loss::Svm { margin: 1.0 },
            Loss::MeanSquaredError,
        ] {
            let l = loss.apply(&mut tape, s, &[0, 3, 9, 2]).unwrap();
            let v = tape.value(l).item().unwrap();
            assert!(
                (v - loss.expected_initial_loss(10)).abs() < 1e-12,
                "{}",
                loss.name()
            );
        }
    }

    #[test]
    fn out_of_range_labels_name_the_label_and_the_class_count() {
        let mut tape = Tape::<f32>::new();
        let s = tape.constant(Tensor::zeros(&[3, 4]));
        for loss in [
            Loss::SoftmaxCrossEntropy,
            Loss::Svm { margin: 1.0 },
            Loss::MeanSquaredError,
        ] {
            let e = loss.apply(&mut tape, s, &[0, 4, 1]).unwrap_err();
            assert!(matches!(
                e,
                OpsError::LabelOutOfRange {
                    example: 1,
                    label: 4,
                    classes: 4,
                    ..
                }
            ));
            assert!(
                e.to_string()
                    .contains("label 4 of example 1 is out of range for 4 classes")
            );
        }
        let e = Loss::SoftmaxCrossEntropy
            .apply(&mut tape, s, &[0, 1])
            .unwrap_err();
        assert!(e.to_string().contains("2 labels for 3 examples"), "{e}");
    }

    #[test]
    fn one_hot_rows() {
        let t = one_hot::<f64>(&[2, 0], 3).unwrap();
        assert_eq!(t.data(), &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
        assert!(one_hot::<f64>(&[3], 3).is_err());
    }
}
