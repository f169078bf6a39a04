//! Mean squared error over all elements (PyTorch's `mse_loss` with `reduction="mean"`):
//!
//! ```text
//! L = (1/N) Σ (p − t)²         N = number of elements
//! ∂L/∂p = 2 (p − t) / N        ∂L/∂t = −2 (p − t) / N
//! ```
//!
//! The regression loss (Gauss and Legendre's least squares). For classification it is a poor
//! choice next to softmax: it is harder to optimise and a single outlier dominates the gradient
//! (CS231n), but it is offered for regression targets and for comparison.

use crate::error::{OpsError, Result};
use nnc_tape::{Float, FusedGrad, FusedOp, Tape, TensorError, Var};

/// The fused MSE op (no saved tensors: the inputs are at hand in backward).
struct MeanSquaredErrorOp;

impl<T: Float> FusedOp<T> for MeanSquaredErrorOp {
    const NAME: &'static str = "mean_squared_error";

    fn backward(grad: &mut FusedGrad<'_, T>) -> nnc_tape::Result<()> {
        let v = grad.view();
        let (p, t) = (v.input(0).data(), v.input(1).data());
        let c = T::from_f64(2.0) * v.grad_output().data()[0] / T::from_usize(p.len());
        grad.accumulate(0, |dp| {
            for ((d, &a), &b) in dp.iter_mut().zip(p).zip(t) {
                *d += c * (a - b);
            }
        });
        grad.accumulate(1, |dt| {
            for ((d, &a), &b) in dt.iter_mut().zip(p).zip(t) {
                *d -= c * (a - b);
            }
        });
        Ok(())
    }
}

/// `mean((pred − target)²)` over all elements, as one scalar fused node; the shapes must match.
pub fn mean_squared_error<T: Float>(tape: &mut Tape<T>, pred: Var, target: Var) -> Result<Var> {
    let (ps, ts) = (
        tape.try_value(pred)?.shape(),
        tape.try_value(target)?.shape(),
    );
    if ps != ts {
        return Err(TensorError::mismatch("mean_squared_error", ps, ts).into());
    }
    let (p, t) = (tape.value(pred).data(), tape.value(target).data());
    if p.is_empty() {
        return Err(OpsError::config(
            "mean_squared_error",
            "the prediction is empty",
        ));
    }
    let sum: f64 = p
        .iter()
        .zip(t)
        .map(|(&a, &b)| (a - b).to_f64().powi(2))
        .sum();
    let mean = sum / p.len() as f64;
    let mut out = tape.alloc_zeros(&[]);
    out.data_mut()[0] = T::from_f64(mean);
    Ok(tape.record_fused::<MeanSquaredErrorOp>(&[pred, target], out, [], &[])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn};
    use nnc_tape::Tensor;

    #[test]
    fn value() {
        let mut tape = Tape::<f64>::new();
        let p = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap());
        let t = tape.constant(Tensor::from_vec(vec![1.0, 0.0, 3.0, 1.0], &[2, 2]).unwrap());
        let l = mean_squared_error(&mut tape, p, t).unwrap();
        assert_eq!(tape.value(l).item().unwrap(), (4.0 + 9.0) / 4.0);
    }

    #[test]
    fn gradcheck_both_inputs() {
        check_gradient(
            "mse",
            &[randn(&[4, 3], 1), randn(&[4, 3], 2)],
            1e-6,
            |t, v| Ok(mean_squared_error(t, v[0], v[1])?),
        );
    }

    #[test]
    fn shape_mismatch_is_an_error() {
        let mut tape = Tape::<f64>::new();
        let p = tape.var(Tensor::zeros(&[2, 2]));
        let t = tape.var(Tensor::zeros(&[2, 3]));
        let e = mean_squared_error(&mut tape, p, t).unwrap_err().to_string();
        assert!(
            e.starts_with("mean_squared_error: shapes [2, 2] and [2, 3]"),
            "{e}"
        );
    }
}
