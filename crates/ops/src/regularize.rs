//! Weight penalties added to the data loss: L2 (weight decay), L1 and both (elastic net), as
//! scalar fused nodes over any number of weight tensors.
//!
//! ```text
//! L2:  R = ½ λ Σ_k ‖W_k‖²      ∂R/∂W = λ W
//! L1:  R = λ Σ_k ‖W_k‖₁        ∂R/∂W = λ sign(W)      (sign(0) = 0: the kink of |w|)
//! ```
//!
//! **Which parameters**: weights only — the `.weight` of dense and maxout layers, as returned by
//! [`Layer::weight_ids`](crate::Layer::weight_ids) and
//! [`Sequential::weight_ids`](crate::Sequential::weight_ids). Biases and batch norm's γ/β are
//! not penalised (CS231n: regularising biases is uncommon and makes little difference, and
//! penalising γ would fight the normalisation). The ½ in L2 makes the gradient `λW` rather
//! than `2λW`, the convention of the course notes and of the `.nn` language's `l2(λ)`.
//!
//! L2 ("weight decay") prefers diffuse weights that use all inputs a little; L1 drives weights
//! to exactly zero (sparse, feature-selecting); the elastic net combines them (Zou & Hastie,
//! 2005). Both are in Krogh & Hertz, "A Simple Weight Decay Can Improve Generalization" (1992)
//! and Tibshirani's lasso (1996).

use crate::error::{OpsError, Result};
use nnc_tape::{Float, FusedGrad, FusedOp, ParamId, Parameters, Tape, Var};
use smallvec::SmallVec;

fn check_lambda(op: &'static str, lambda: f64) -> Result<()> {
    if !(lambda.is_finite() && lambda >= 0.0) {
        return Err(OpsError::config(
            op,
            format!("the strength λ must be a finite number ≥ 0, got {lambda}"),
        ));
    }
    Ok(())
}

/// The fused L2 penalty over all its inputs; scalar 0 is λ.
struct L2Op;

impl<T: Float> FusedOp<T> for L2Op {
    const NAME: &'static str = "l2_penalty";

    fn backward(grad: &mut FusedGrad<'_, T>) -> nnc_tape::Result<()> {
        let v = grad.view();
        let c = T::from_f64(v.scalar(0)) * v.grad_output().data()[0];
        for i in 0..v.num_inputs() {
            grad.accumulate(i, |dw| {
                for (d, &w) in dw.iter_mut().zip(v.input(i).data()) {
                    *d += c * w;
                }
            });
        }
        Ok(())
    }
}

/// The fused L1 penalty over all its inputs; scalar 0 is λ.
struct L1Op;

impl<T: Float> FusedOp<T> for L1Op {
    const NAME: &'static str = "l1_penalty";

    fn backward(grad: &mut FusedGrad<'_, T>) -> nnc_tape::Result<()> {
        let v = grad.view();
        let c = T::from_f64(v.scalar(0)) * v.grad_output().data()[0];
        for i in 0..v.num_inputs() {
            grad.accumulate(i, |dw| {
                for (d, &w) in dw.iter_mut().zip(v.input(i).data()) {
                    if w > T::ZERO {
                        *d += c;
                    } else if w < T::ZERO {
                        *d -= c;
                    }
                }
            });
        }
        Ok(())
    }
}

/// `½ λ Σ_k ‖W_k‖²` over the given weight tensors, as one scalar node (0 for an empty list).
pub fn l2_penalty<T: Float>(tape: &mut Tape<T>, weights: &[Var], lambda: f64) -> Result<Var> {
    check_lambda("l2_penalty", lambda)?;
    let mut sum = 0.0f64;
    for &w in weights {
        sum += tape
            .try_value(w)?
            .data()
            .iter()
            .map(|&v| (v * v).to_f64())
            .sum::<f64>();
    }
    let mut out = tape.alloc_zeros(&[]);
    out.data_mut()[0] = T::from_f64(0.5 * lambda * sum);
    Ok(tape.record_fused::<L2Op>(weights, out, [], &[lambda])?)
}

/// `λ Σ_k ‖W_k‖₁` over the given weight tensors, as one scalar node (0 for an empty list).
pub fn l1_penalty<T: Float>(tape: &mut Tape<T>, weights: &[Var], lambda: f64) -> Result<Var> {
    check_lambda("l1_penalty", lambda)?;
    let mut sum = 0.0f64;
    for &w in weights {
        sum += tape
            .try_value(w)?
            .data()
            .iter()
            .map(|&v| v.abs().to_f64())
            .sum::<f64>();
    }
    let mut out = tape.alloc_zeros(&[]);
    out.data_mut()[0] = T::from_f64(lambda * sum);
    Ok(tape.record_fused::<L1Op>(weights, out, [], &[lambda])?)
}

/// A regulariser as the `.nn` language's `regularize` statement names it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "kind", content = "lambda", rename_all = "lowercase")]
pub enum Penalty {
    /// `l2(λ)`: `½ λ Σ ‖W‖²`.
    L2(f64),
    /// `l1(λ)`: `λ Σ ‖W‖₁`.
    L1(f64),
    /// `elastic(l1: a, l2: b)`: `a Σ ‖W‖₁ + ½ b Σ ‖W‖²`.
    Elastic {
        /// L1 strength.
        l1: f64,
        /// L2 strength.
        l2: f64,
    },
}

impl Penalty {
    /// Records the penalty of the parameters `ids` of `params` (normally the model's
    /// [`weight_ids`](crate::Sequential::weight_ids)). Parameters already recorded in this step
    /// reuse their node.
    pub fn apply<T: Float>(
        &self,
        tape: &mut Tape<T>,
        params: &Parameters<T>,
        ids: &[ParamId],
    ) -> Result<Var> {
        // Handles inline for up to 16 weight tensors: no allocation per step.
        let vars = ids
            .iter()
            .map(|&id| tape.param(params, id))
            .collect::<nnc_tape::Result<SmallVec<[Var; 16]>>>()?;
        match *self {
            Penalty::L2(l) => l2_penalty(tape, &vars, l),
            Penalty::L1(l) => l1_penalty(tape, &vars, l),
            Penalty::Elastic { l1, l2 } => {
                let a = l1_penalty(tape, &vars, l1)?;
                let b = l2_penalty(tape, &vars, l2)?;
                Ok(tape.add(a, b)?)
            }
        }
    }

    /// The penalty's value for the given parameters, off the tape (for logging the data loss
    /// and the regularisation loss separately).
    pub fn value<T: Float>(&self, params: &Parameters<T>, ids: &[ParamId]) -> f64 {
        let (mut sq, mut abs) = (0.0f64, 0.0f64);
        for &id in ids {
            for &v in params.value(id).data() {
                let v = v.to_f64();
                sq += v * v;
                abs += v.abs();
            }
        }
        match *self {
            Penalty::L2(l) => 0.5 * l * sq,
            Penalty::L1(l) => l * abs,
            Penalty::Elastic { l1, l2 } => l1 * abs + 0.5 * l2 * sq,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn, randn_away_from_zero};
    use nnc_tape::Tensor;

    #[test]
    fn l2_is_half_lambda_squared_norm_and_decays_by_lambda_w() {
        let mut tape = Tape::<f64>::new();
        let w = tape.var(Tensor::from_vec(vec![1.0, -2.0, 3.0], &[3]).unwrap());
        let r = l2_penalty(&mut tape, &[w], 0.1).unwrap();
        assert!((tape.value(r).item().unwrap() - 0.5 * 0.1 * 14.0).abs() < 1e-15);
        let g = tape.backward(r).unwrap();
        assert_eq!(g.wrt(w).unwrap().data(), &[0.1, -0.2, 0.30000000000000004]);
    }

    #[test]
    fn l1_gradient_is_lambda_sign() {
        let mut tape = Tape::<f64>::new();
        let w = tape.var(Tensor::from_vec(vec![1.5, -2.0, 0.0], &[3]).unwrap());
        let r = l1_penalty(&mut tape, &[w], 0.5).unwrap();
        assert_eq!(tape.value(r).item().unwrap(), 0.5 * 3.5);
        let g = tape.backward(r).unwrap();
        assert_eq!(g.wrt(w).unwrap().data(), &[0.5, -0.5, 0.0]);
    }

    #[test]
    fn gradcheck_over_several_tensors() {
        let inputs = [randn(&[3, 4], 1), randn(&[4, 2], 2)];
        check_gradient("l2_penalty", &inputs, 1e-6, |t, v| {
            Ok(l2_penalty(t, v, 0.3)?)
        });
        let inputs = [
            randn_away_from_zero(&[3, 4], 3),
            randn_away_from_zero(&[4, 2], 4),
        ];
        check_gradient("l1_penalty", &inputs, 1e-6, |t, v| {
            Ok(l1_penalty(t, v, 0.3)?)
        });
    }

    #[test]
    fn penalty_applies_only_to_the_given_ids_and_matches_value() {
        let mut params = Parameters::<f64>::new();
        let w = params.add("fc.weight", randn(&[3, 2], 5)).unwrap();
        let b = params.add("fc.bias", randn(&[2], 6)).unwrap();
        for p in [
            Penalty::L2(0.01),
            Penalty::L1(0.02),
            Penalty::Elastic { l1: 0.01, l2: 0.03 },
        ] {
            let mut tape = Tape::new();
            let r = p.apply(&mut tape, &params, &[w]).unwrap();
            assert!((tape.value(r).item().unwrap() - p.value(&params, &[w])).abs() < 1e-15);
            let g = tape.backward(r).unwrap();
            assert!(g.param(w).is_some());
            assert!(g.param(b).is_none(), "biases are not penalised");
        }
    }

    #[test]
    fn negative_strength_is_an_error() {
        let mut tape = Tape::<f64>::new();
        assert!(l2_penalty(&mut tape, &[], -1.0).is_err());
        let r = l2_penalty(&mut tape, &[], 0.1).unwrap();
        assert_eq!(tape.value(r).item().unwrap(), 0.0);
    }
}
