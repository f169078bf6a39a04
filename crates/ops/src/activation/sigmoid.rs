//! Sigmoid: `σ(x) = 1 / (1 + e^{−x})`, `σ'(x) = σ(x) (1 − σ(x))` — computed from the output.
//!
//! The classic squashing nonlinearity of early networks (Rumelhart, Hinton & Williams,
//! "Learning representations by back-propagating errors", 1986), read as a neuron's firing rate.
//!
//! * **Good at**: squashing to `(0, 1)`, so it reads as a probability — the right output for a
//!   binary decision.
//! * **Bad at** (CS231n, "Training Neural Networks I"):
//!   - *saturation kills gradients*: `σ'(x) ≤ 1/4`, and for `|x| ≳ 5` it is below 0.01, so a
//!     saturated unit passes almost no gradient to anything below it; with a large weight init
//!     most units saturate and the network barely learns;
//!   - *not zero-centred*: outputs are always positive, so the gradients on a following layer's
//!     weights all share one sign per example, and updates zig-zag;
//!   - `exp` is relatively expensive.
//!
//! In hidden layers prefer tanh (zero-centred) or, better, ReLU and its variants.

use super::{Pointwise, apply_pointwise};
use crate::error::Result;
use nnc_tape::{Float, Tape, Var};

/// `σ(x)` evaluated without overflow for either sign.
#[inline(always)]
pub(crate) fn logistic<T: Float>(x: T) -> T {
    if x >= T::ZERO {
        T::ONE / (T::ONE + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::ONE + e)
    }
}

/// The sigmoid as a [`Pointwise`] function.
pub(crate) struct SigmoidFn;

impl Pointwise for SigmoidFn {
    const NAME: &'static str = "sigmoid";
    const DENSE_NAME: &'static str = "dense+sigmoid";
    const BATCHNORM_NAME: &'static str = "batchnorm+sigmoid";
    const FROM_OUTPUT: bool = true;

    #[inline(always)]
    fn value<T: Float>(x: T, _: T) -> T {
        logistic(x)
    }

    #[inline(always)]
    fn derivative<T: Float>(_: T, y: T, _: T) -> T {
        y * (T::ONE - y)
    }
}

/// `σ(x) = 1 / (1 + e^{−x})` elementwise, as one fused node (backward `ḡ ⊙ y (1 − y)`).
pub fn sigmoid<T: Float>(tape: &mut Tape<T>, x: Var) -> Result<Var> {
    apply_pointwise::<T, SigmoidFn>(tape, x, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn};

    #[test]
    fn values_are_stable_at_both_ends() {
        assert_eq!(logistic(0.0f64), 0.5);
        assert_eq!(logistic(-1000.0f64), 0.0);
        assert_eq!(logistic(1000.0f64), 1.0);
        assert!((logistic(2.0f64) - 1.0 / (1.0 + (-2.0f64).exp())).abs() < 1e-16);
        assert!((logistic(-30.0f32) - (-30.0f32).exp()).abs() < 1e-20);
    }

    #[test]
    fn saturated_units_pass_almost_no_gradient() {
        let d = |x: f64| SigmoidFn::derivative(x, logistic(x), 0.0);
        assert_eq!(d(0.0), 0.25);
        assert!(d(5.0) < 0.01 && d(-5.0) < 0.01);
    }

    #[test]
    fn gradcheck() {
        check_gradient(
            "sigmoid",
            &[randn(&[4, 6], 1).map(|v| 3.0 * v)],
            1e-6,
            |t, x| Ok(sigmoid(t, x[0])?),
        );
    }
}
