//! GELU (exact): `f(x) = x Φ(x)` with the standard normal CDF `Φ(x) = ½ (1 + erf(x / √2))`;
//! `f'(x) = Φ(x) + x φ(x)`, `φ(x) = e^{−x²/2} / √(2π)` — computed from the input.
//!
//! Hendrycks & Gimpel, "Gaussian Error Linear Units (GELUs)" (2016): the input weighted by the
//! probability that a standard normal is below it. The activation of BERT and GPT.
//!
//! * **Good at**: a *smooth* ReLU (no kink, so no gradient-check trouble and smoother
//!   optimisation), non-monotonic with a small negative dip, does not die; the standard choice
//!   in transformers.
//! * **Bad at**: `erf` and `exp` make it the most expensive activation here; not zero-centred;
//!   the derivative depends on the input, so backward reads `x` rather than the output.

use super::{Pointwise, apply_pointwise};
use crate::error::Result;
use nnc_tape::{Float, Tape, Var};

/// `1 / √2`.
const FRAC_1_SQRT_2: f64 = std::f64::consts::FRAC_1_SQRT_2;
/// `1 / √(2π)`.
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// Exact GELU as a [`Pointwise`] function.
pub(crate) struct GeluFn;

/// `Φ(x)`.
#[inline(always)]
fn normal_cdf<T: Float>(x: T) -> T {
    T::from_f64(0.5) * (T::ONE + (x * T::from_f64(FRAC_1_SQRT_2)).erf())
}

impl Pointwise for GeluFn {
    const NAME: &'static str = "gelu";
    const DENSE_NAME: &'static str = "dense+gelu";
    const BATCHNORM_NAME: &'static str = "batchnorm+gelu";
    const FROM_OUTPUT: bool = false;

    #[inline(always)]
    fn value<T: Float>(x: T, _: T) -> T {
        x * normal_cdf(x)
    }

    #[inline(always)]
    fn derivative<T: Float>(x: T, _: T, _: T) -> T {
        let pdf = T::from_f64(FRAC_1_SQRT_2PI) * (T::from_f64(-0.5) * x * x).exp();
        normal_cdf(x) + x * pdf
    }
}

/// Exact GELU `x Φ(x)` elementwise, as one fused node (backward `ḡ ⊙ (Φ(x) + x φ(x))`).
pub fn gelu<T: Float>(tape: &mut Tape<T>, x: Var) -> Result<Var> {
    apply_pointwise::<T, GeluFn>(tape, x, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn};

    #[test]
    fn known_values() {
        assert_eq!(GeluFn::value(0.0f64, 0.0), 0.0);
        // Φ(1) = 0.841344746068543
        assert!((GeluFn::value(1.0f64, 0.0) - 0.841_344_746_068_543).abs() < 1e-14);
        assert!(GeluFn::value(-0.75f64, 0.0) < 0.0);
        assert_eq!(GeluFn::derivative(0.0f64, 0.0, 0.0), 0.5);
    }

    #[test]
    fn gradcheck() {
        check_gradient("gelu", &[randn(&[4, 6], 6)], 1e-6, |t, x| {
            Ok(gelu(t, x[0])?)
        });
    }
}
