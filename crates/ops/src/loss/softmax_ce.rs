//! Softmax cross-entropy from raw scores and integer labels, mean over the batch:
//!
//! ```text
//! L = (1/n) Σ_i ( log Σ_j e^{s_ij} − s_{i,y_i} ),   log Σ_j e^{s_j} = m + log Σ_j e^{s_j − m},  m = max_j s_j
//! ∂L/∂s_ij = (p_ij − [j = y_i]) / n,                 p_ij = e^{s_ij − logsumexp(s_i)}
//! ```
//!
//! The softmax classifier of CS231n (multinomial logistic regression; Bridle, 1990, named the
//! softmax). Subtracting the row maximum makes the exponentials overflow-free for any score
//! (the log-sum-exp trick), and fusing softmax with the log avoids `log 0`. The forward pass
//! saves `(p − onehot)/n`, so backward is one scaled add. With small random weights every
//! `p_ij ≈ 1/C`, so the initial loss should be about `ln C` (2.303 for 10 classes).

use super::check_labels;
use crate::error::Result;
use nnc_tape::{Float, FusedGrad, FusedOp, Tape, Tensor, Var};

/// The fused softmax cross-entropy op; saved: `(p − onehot)/n`.
struct SoftmaxCrossEntropyOp;

impl<T: Float> FusedOp<T> for SoftmaxCrossEntropyOp {
    const NAME: &'static str = "softmax_cross_entropy";

    fn backward(grad: &mut FusedGrad<'_, T>) -> nnc_tape::Result<()> {
        let v = grad.view();
        let g = v.grad_output().data()[0];
        grad.accumulate(0, |ds| {
            for (d, &p) in ds.iter_mut().zip(v.saved(0).data()) {
                *d += g * p;
            }
        });
        Ok(())
    }
}

/// Mean softmax cross-entropy of `scores` `[n, classes]` against `labels` (one per row, each in
/// `0..classes`), as one scalar fused node.
///
/// ```
/// use nnc_ops::softmax_cross_entropy;
/// use nnc_tape::{Tape, Tensor};
///
/// let mut tape = Tape::<f64>::new();
/// // Scores that overflow a naive exp: the log-sum-exp form is exact.
/// let s = tape.constant(Tensor::from_vec(vec![1000.0, 1000.0, 1000.0], &[1, 3])?);
/// let loss = softmax_cross_entropy(&mut tape, s, &[2])?;
/// assert!((tape.value(loss).item()? - 3f64.ln()).abs() < 1e-12);
/// # Ok::<(), nnc_ops::OpsError>(())
/// ```
pub fn softmax_cross_entropy<T: Float>(
    tape: &mut Tape<T>,
    scores: Var,
    labels: &[usize],
) -> Result<Var> {
    let (n, c) = check_labels("softmax_cross_entropy", tape, scores, labels)?;
    let needs = tape.needs_grad(&[scores]);
    let mut dscores = needs.then(|| tape.alloc_for_overwrite(&[n, c]));
    let inv_n = T::ONE / T::from_usize(n);
    let mut total = 0.0f64;
    let s = tape.value(scores).data();
    for (i, (row, &y)) in s.chunks_exact(c).zip(labels).enumerate() {
        let m = row.iter().copied().fold(row[0], T::max);
        let lse = if let Some(d) = dscores.as_mut() {
            let drow = &mut d.data_mut()[i * c..(i + 1) * c];
            let mut sum = T::ZERO;
            for (e, &v) in drow.iter_mut().zip(row) {
                *e = (v - m).exp();
                sum += *e;
            }
            let scale = inv_n / sum;
            drow.iter_mut().for_each(|e| *e *= scale);
            drow[y] -= inv_n;
            m + sum.ln()
        } else {
            m + row.iter().map(|&v| (v - m).exp()).sum::<T>().ln()
        };
        total += (lse - row[y]).to_f64();
    }
    let mut out = tape.alloc_zeros(&[]);
    out.data_mut()[0] = T::from_f64(total / n as f64);
    Ok(tape.record_fused::<SoftmaxCrossEntropyOp>(&[scores], out, dscores, &[])?)
}

/// Row-wise softmax probabilities of `scores` `[n, c]` (max-subtracted, so stable), off the
/// tape: for predictions and reports.
pub fn softmax<T: Float>(scores: &Tensor<T>) -> Result<Tensor<T>> {
    let (_, c) = scores.dims2("softmax")?;
    let mut p = scores.clone();
    if c == 0 {
        return Ok(p);
    }
    for row in p.data_mut().chunks_exact_mut(c) {
        let m = row.iter().copied().fold(row[0], T::max);
        let mut sum = T::ZERO;
        for v in row.iter_mut() {
            *v = (*v - m).exp();
            sum += *v;
        }
        row.iter_mut().for_each(|v| *v /= sum);
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn};

    #[test]
    fn gradient_is_probabilities_minus_one_hot_over_n() {
        let scores = randn(&[3, 4], 1);
        let labels = [1, 3, 0];
        let mut tape = Tape::<f64>::new();
        let s = tape.var(scores.clone());
        let loss = softmax_cross_entropy(&mut tape, s, &labels).unwrap();
        let g = tape.backward(loss).unwrap();
        let p = softmax(&scores).unwrap();
        let mut expected_loss = 0.0;
        for (i, &y) in labels.iter().enumerate() {
            expected_loss -= p.data()[i * 4 + y].ln() / 3.0;
            for j in 0..4 {
                let onehot = if j == y { 1.0 } else { 0.0 };
                let e = (p.data()[i * 4 + j] - onehot) / 3.0;
                assert!((g.wrt(s).unwrap().data()[i * 4 + j] - e).abs() < 1e-15);
            }
        }
        assert!((tape.value(loss).item().unwrap() - expected_loss).abs() < 1e-14);
    }

    #[test]
    fn huge_scores_do_not_overflow() {
        let mut tape = Tape::<f32>::new();
        let s = tape.var(Tensor::from_vec(vec![1e4, -1e4, 0.0, 5e3], &[2, 2]).unwrap());
        let loss = softmax_cross_entropy(&mut tape, s, &[1, 0]).unwrap();
        let v = tape.value(loss).item().unwrap();
        assert!(v.is_finite());
        assert!((v - (2e4 + 5e3) / 2.0).abs() < 1.0);
        let g = tape.backward(loss).unwrap();
        assert!(g.wrt(s).unwrap().all_finite());
    }

    #[test]
    fn gradcheck() {
        check_gradient(
            "softmax_cross_entropy",
            &[randn(&[5, 4], 2)],
            1e-6,
            |t, v| Ok(softmax_cross_entropy(t, v[0], &[0, 3, 1, 1, 2])?),
        );
    }
}
