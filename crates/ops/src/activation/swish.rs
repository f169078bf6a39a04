//! Swish / SiLU: `f(x) = x σ(x)`, `f'(x) = σ(x) (1 + x (1 − σ(x))) = f(x) + σ(x) (1 − f(x))` —
//! computed from the input (σ is recomputed).
//!
//! Elfwing, Uchibe & Doya, "Sigmoid-Weighted Linear Units for Neural Network Function
//! Approximation in Reinforcement Learning" (2017); Ramachandran, Zoph & Le, "Searching for
//! Activation Functions" (2017), who found it by search and called it swish.
//!
//! * **Good at**: smooth and non-monotonic, unbounded above and bounded below; does not die;
//!   often slightly better than ReLU in deep networks.
//! * **Bad at**: an `exp` per element in forward and again in backward; not zero-centred; the
//!   gains over ReLU are small and problem-dependent.

use super::sigmoid::logistic;
use super::{Pointwise, apply_pointwise};
use crate::error::Result;
use nnc_tape::{Float, Tape, Var};

/// Swish as a [`Pointwise`] function.
pub(crate) struct SwishFn;

impl Pointwise for SwishFn {
    const NAME: &'static str = "swish";
    const DENSE_NAME: &'static str = "dense+swish";
    const BATCHNORM_NAME: &'static str = "batchnorm+swish";
    const FROM_OUTPUT: bool = false;

    #[inline(always)]
    fn value<T: Float>(x: T, _: T) -> T {
        x * logistic(x)
    }

    #[inline(always)]
    fn derivative<T: Float>(x: T, _: T, _: T) -> T {
        let s = logistic(x);
        s * (T::ONE + x * (T::ONE - s))
    }
}

/// `x σ(x)` elementwise, as one fused node (backward `ḡ ⊙ σ(x)(1 + x(1 − σ(x)))`).
pub fn swish<T: Float>(tape: &mut Tape<T>, x: Var) -> Result<Var> {
    apply_pointwise::<T, SwishFn>(tape, x, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn};

    #[test]
    fn known_values() {
        assert_eq!(SwishFn::value(0.0f64, 0.0), 0.0);
        assert_eq!(SwishFn::derivative(0.0f64, 0.0, 0.0), 0.5);
        // Minimum near x = −1.2785, value ≈ −0.2785.
        assert!((SwishFn::value(-1.278_464_5f64, 0.0) + 0.278_464_5).abs() < 1e-6);
    }

    #[test]
    fn gradcheck() {
        check_gradient(
            "swish",
            &[randn(&[4, 6], 9).map(|v| 2.0 * v)],
            1e-6,
            |t, x| Ok(swish(t, x[0])?),
        );
    }
}
