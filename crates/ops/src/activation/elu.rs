//! ELU: `f(x) = x` for `x > 0`, else `α (eˣ − 1)`; `f'(x) = 1` for `x > 0`, else
//! `α eˣ = f(x) + α` — computed from the output.
//!
//! Clevert, Unterthiner & Hochreiter, "Fast and Accurate Deep Network Learning by Exponential
//! Linear Units (ELUs)" (2015).
//!
//! * **Good at**: all the benefits of ReLU in the positive region; *does not die*; negative
//!   outputs push mean activations *closer to zero* (faster learning, like batch norm's
//!   centring); the saturating negative regime (towards `−α`) adds some robustness to noise.
//! * **Bad at**: computing `exp` for every negative input costs more than a `max`; `α` is one
//!   more hyperparameter (1.0 is standard).

use super::Pointwise;
use crate::error::Result;
use nnc_tape::{Float, Tape, Var};

/// ELU as a [`Pointwise`] function (`a` is α).
pub(crate) struct EluFn;

impl Pointwise for EluFn {
    const NAME: &'static str = "elu";
    const DENSE_NAME: &'static str = "dense+elu";
    const BATCHNORM_NAME: &'static str = "batchnorm+elu";
    // With α > 0, y > 0 exactly when x > 0, and αeˣ = y + α below.
    const FROM_OUTPUT: bool = true;

    #[inline(always)]
    fn value<T: Float>(x: T, alpha: T) -> T {
        if x > T::ZERO { x } else { alpha * x.exp_m1() }
    }

    #[inline(always)]
    fn derivative<T: Float>(_: T, y: T, alpha: T) -> T {
        if y > T::ZERO { T::ONE } else { y + alpha }
    }
}

/// ELU with `alpha > 0` elementwise, as one fused node (backward `ḡ ⊙ (y > 0 ? 1 : y + α)`).
/// Fails for a non-positive or non-finite alpha.
pub fn elu<T: Float>(tape: &mut Tape<T>, x: Var, alpha: f64) -> Result<Var> {
    super::Activation::Elu { alpha }.apply(tape, x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn_away_from_zero};

    #[test]
    fn saturates_towards_minus_alpha() {
        assert!((EluFn::value(-30.0f64, 1.5) + 1.5).abs() < 1e-12);
        assert_eq!(EluFn::value(2.0f64, 1.5), 2.0);
        let y = EluFn::value(-0.5f64, 1.0);
        assert!((EluFn::derivative(-0.5, y, 1.0) - (-0.5f64).exp()).abs() < 1e-16);
    }

    #[test]
    fn gradcheck() {
        for alpha in [1.0, 0.5] {
            check_gradient("elu", &[randn_away_from_zero(&[4, 6], 5)], 1e-6, |t, x| {
                Ok(elu(t, x[0], alpha)?)
            });
        }
    }
}
