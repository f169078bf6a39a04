//! Multiclass SVM hinge loss (Weston & Watkins, 1999; the form taught in CS231n), mean over the
//! batch:
//!
//! ```text
//! L = (1/n) Σ_i Σ_{j ≠ y_i} max(0, s_ij − s_{i,y_i} + Δ)
//! ∂L/∂s_ij     =  [s_ij − s_iy + Δ > 0] / n                       (j ≠ y_i)
//! ∂L/∂s_{i,y_i} = −#{j ≠ y_i : s_ij − s_iy + Δ > 0} / n
//! ```
//!
//! The correct class must beat every other class by the margin Δ (1 by default). The loss has
//! kinks where a margin is exactly zero; the gradient there is taken as 0 (the margin is not
//! violated), and gradient checks keep scores away from them. PyTorch's `multi_margin_loss`
//! divides each example's sum by the number of classes as well; this one does not (CS231n).
//! With all scores near zero the initial loss is `(C − 1)·Δ`.

use super::check_labels;
use crate::error::{OpsError, Result};
use nnc_tape::{Float, FusedGrad, FusedOp, Tape, Var};

/// The fused hinge op; saved: `∂L/∂s`.
struct HingeOp;

impl<T: Float> FusedOp<T> for HingeOp {
    const NAME: &'static str = "multiclass_hinge";

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

/// Mean multiclass hinge loss of `scores` `[n, classes]` against `labels`, with margin
/// `margin ≥ 0`, as one scalar fused node.
pub fn multiclass_hinge<T: Float>(
    tape: &mut Tape<T>,
    scores: Var,
    labels: &[usize],
    margin: f64,
) -> Result<Var> {
    if !(margin.is_finite() && margin >= 0.0) {
        return Err(OpsError::config(
            "multiclass_hinge",
            format!("the margin must be a finite number ≥ 0 (1 is standard), got {margin}"),
        ));
    }
    let (n, c) = check_labels("multiclass_hinge", tape, scores, labels)?;
    let needs = tape.needs_grad(&[scores]);
    let mut dscores = needs.then(|| tape.alloc_zeros(&[n, c]));
    let (delta, inv_n) = (T::from_f64(margin), T::ONE / T::from_usize(n));
    let mut total = 0.0f64;
    let s = tape.value(scores).data();
    for (i, (row, &y)) in s.chunks_exact(c).zip(labels).enumerate() {
        let sy = row[y];
        let mut violated = 0usize;
        for (j, &sj) in row.iter().enumerate() {
            let m = sj - sy + delta;
            if j != y && m > T::ZERO {
                total += m.to_f64();
                violated += 1;
                if let Some(d) = dscores.as_mut() {
                    d.data_mut()[i * c + j] = inv_n;
                }
            }
        }
        if let Some(d) = dscores.as_mut() {
            d.data_mut()[i * c + y] = -T::from_usize(violated) * inv_n;
        }
    }
    let mut out = tape.alloc_zeros(&[]);
    out.data_mut()[0] = T::from_f64(total / n as f64);
    Ok(tape.record_fused::<HingeOp>(&[scores], out, dscores, &[margin])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn};
    use nnc_tape::Tensor;

    #[test]
    fn cs231n_worked_example() {
        // CS231n "Linear classification": scores [3.2, 5.1, -1.7] for a cat (class 0),
        // [1.3, 4.9, 2.0] for a car (1), [2.2, 2.5, -3.1] for a frog (2): losses 2.9, 0, 12.9.
        let mut tape = Tape::<f64>::new();
        let s = tape.var(
            Tensor::from_vec(vec![3.2, 5.1, -1.7, 1.3, 4.9, 2.0, 2.2, 2.5, -3.1], &[3, 3]).unwrap(),
        );
        let loss = multiclass_hinge(&mut tape, s, &[0, 1, 2], 1.0).unwrap();
        assert!((tape.value(loss).item().unwrap() - (2.9 + 0.0 + 12.9) / 3.0).abs() < 1e-12);
        let g = tape.backward(loss).unwrap();
        let t = 1.0 / 3.0;
        let expected = [-t, t, 0.0, 0.0, 0.0, 0.0, t, t, -2.0 * t];
        for (a, e) in g.wrt(s).unwrap().data().iter().zip(expected) {
            assert!((a - e).abs() < 1e-15);
        }
    }

    #[test]
    fn gradcheck_away_from_kinks() {
        // Scale the scores so no margin lies within ε of zero.
        let x = randn(&[5, 4], 3).map(|v| 3.0 * v);
        check_gradient("multiclass_hinge", &[x], 1e-6, |t, v| {
            Ok(multiclass_hinge(t, v[0], &[0, 3, 1, 1, 2], 1.0)?)
        });
    }

    #[test]
    fn negative_margin_is_an_error() {
        let mut tape = Tape::<f64>::new();
        let s = tape.var(Tensor::zeros(&[1, 2]));
        assert!(multiclass_hinge(&mut tape, s, &[0], -1.0).is_err());
    }
}
