//! Tanh: `tanh x = (eˣ − e^{−x}) / (eˣ + e^{−x}) = 2σ(2x) − 1`, `tanh' x = 1 − tanh² x` —
//! computed from the output.
//!
//! LeCun, Bottou, Orr & Müller, "Efficient BackProp" (1998), recommend it over the logistic
//! sigmoid because its outputs are centred on zero.
//!
//! * **Good at**: *zero-centred* outputs in `(−1, 1)`, so the next layer's inputs are not all
//!   positive and its weight gradients do not share one sign; a steeper slope at 0 (1, against
//!   the sigmoid's 1/4).
//! * **Bad at**: it still *saturates* at both ends (`tanh' x < 0.01` for `|x| ≳ 3`), killing
//!   gradients when pre-activations grow — the babysitter counts units with `|y| > 0.99`; with a
//!   tiny init (0.01·randn) the activations instead *collapse* towards zero through depth.
//!   Costs an `exp`-class function.
//!
//! Weight init gain 5/3 (Xavier/Glorot with this gain keeps the variance through depth).

use super::{Pointwise, apply_pointwise};
use crate::error::Result;
use nnc_tape::{Float, Tape, Var};

/// Tanh as a [`Pointwise`] function.
pub(crate) struct TanhFn;

impl Pointwise for TanhFn {
    const NAME: &'static str = "tanh";
    const DENSE_NAME: &'static str = "dense+tanh";
    const BATCHNORM_NAME: &'static str = "batchnorm+tanh";
    const FROM_OUTPUT: bool = true;

    #[inline(always)]
    fn value<T: Float>(x: T, _: T) -> T {
        x.tanh()
    }

    #[inline(always)]
    fn derivative<T: Float>(_: T, y: T, _: T) -> T {
        T::ONE - y * y
    }
}

/// `tanh x` elementwise, as one fused node (backward `ḡ ⊙ (1 − y²)`).
pub fn tanh<T: Float>(tape: &mut Tape<T>, x: Var) -> Result<Var> {
    apply_pointwise::<T, TanhFn>(tape, x, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn};

    #[test]
    fn zero_centred_and_saturating() {
        assert_eq!(TanhFn::value(0.0f64, 0.0), 0.0);
        assert_eq!(TanhFn::value(-0.7f64, 0.0), -TanhFn::value(0.7f64, 0.0));
        let d = |x: f64| TanhFn::derivative(x, x.tanh(), 0.0);
        assert_eq!(d(0.0), 1.0);
        assert!(d(3.0) < 0.01);
    }

    #[test]
    fn gradcheck() {
        check_gradient("tanh", &[randn(&[4, 6], 2)], 1e-6, |t, x| {
            Ok(tanh(t, x[0])?)
        });
    }
}
