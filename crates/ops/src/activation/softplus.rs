//! Softplus: `f(x) = ln(1 + eˣ)`, `f'(x) = σ(x) = 1 − e^{−f(x)}` — computed from the output.
//!
//! Dugas, Bengio, Bélisle, Nadeau & Garcia, "Incorporating Second-Order Functional Knowledge
//! for Better Option Pricing" (2001); compared with ReLU by Glorot, Bordes & Bengio, "Deep
//! Sparse Rectifier Neural Networks" (2011).
//!
//! * **Good at**: a *smooth* ReLU whose gradient `σ(x)` is never exactly zero, so units *do not
//!   die*; useful where a positive output is needed (variances, rates).
//! * **Bad at**: `exp` and `log` per element; not zero-centred; loses ReLU's exact sparsity; the
//!   gradient still vanishes for very negative inputs, and Glorot et al. found plain ReLU trains
//!   better.

use super::{Pointwise, apply_pointwise};
use crate::error::Result;
use nnc_tape::{Float, Tape, Var};

/// Softplus as a [`Pointwise`] function.
pub(crate) struct SoftplusFn;

impl Pointwise for SoftplusFn {
    const NAME: &'static str = "softplus";
    const DENSE_NAME: &'static str = "dense+softplus";
    const BATCHNORM_NAME: &'static str = "batchnorm+softplus";
    const FROM_OUTPUT: bool = true;

    /// `max(x, 0) + ln(1 + e^{−|x|})`: no overflow for large `x`, no loss of digits for very
    /// negative `x`.
    #[inline(always)]
    fn value<T: Float>(x: T, _: T) -> T {
        x.max(T::ZERO) + (-x.abs()).exp().ln_1p()
    }

    /// `σ(x) = 1 − e^{−y}`, as `−expm1(−y)` for accuracy when `y` is tiny.
    #[inline(always)]
    fn derivative<T: Float>(_: T, y: T, _: T) -> T {
        -(-y).exp_m1()
    }
}

/// `ln(1 + eˣ)` elementwise, as one fused node (backward `ḡ ⊙ (1 − e^{−y})`).
pub fn softplus<T: Float>(tape: &mut Tape<T>, x: Var) -> Result<Var> {
    apply_pointwise::<T, SoftplusFn>(tape, x, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::sigmoid::logistic;
    use crate::testutil::{check_gradient, randn};

    #[test]
    fn stable_and_its_derivative_is_the_sigmoid() {
        assert_eq!(SoftplusFn::value(1000.0f64, 0.0), 1000.0);
        assert!((SoftplusFn::value(-40.0f64, 0.0) - (-40.0f64).exp()).abs() < 1e-30);
        assert!((SoftplusFn::value(0.0f64, 0.0) - 2f64.ln()).abs() < 1e-16);
        for x in [-8.0f64, -1.0, 0.0, 0.5, 6.0] {
            let y = SoftplusFn::value(x, 0.0);
            assert!((SoftplusFn::derivative(x, y, 0.0) - logistic(x)).abs() < 1e-15);
        }
    }

    #[test]
    fn gradcheck() {
        check_gradient(
            "softplus",
            &[randn(&[4, 6], 8).map(|v| 3.0 * v)],
            1e-6,
            |t, x| Ok(softplus(t, x[0])?),
        );
    }
}
