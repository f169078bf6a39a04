//! ReLU: `f(x) = max(0, x)`, `f'(x) = [x > 0]` with the convention **ReLU'(0) = 0** — computed
//! from the output (`[y > 0]`).
//!
//! Nair & Hinton, "Rectified Linear Units Improve Restricted Boltzmann Machines" (2010);
//! Krizhevsky, Sutskever & Hinton (2012) report about 6× faster convergence than tanh.
//!
//! * **Good at**: *no saturation* in the positive region, so gradients pass unchanged; very
//!   *cheap* (a comparison); converges much faster than sigmoid/tanh in practice. The default.
//! * **Bad at**:
//!   - *dead units*: a unit whose pre-activation is negative for every input gets zero gradient
//!     and never recovers. Bad initialisation or a too-high learning rate can kill a large part
//!     of a network (the babysitter reports layers where more than half of the units never
//!     fire); a small positive bias (0.01) at init is sometimes used against it;
//!   - *not zero-centred* (outputs are ≥ 0).
//!
//! Use He initialisation (gain √2): Xavier's `1/√fan_in` halves the variance at every layer.

use super::{Pointwise, apply_pointwise};
use crate::error::Result;
use nnc_tape::{Float, Tape, Var};

/// ReLU as a [`Pointwise`] function.
pub(crate) struct ReluFn;

impl Pointwise for ReluFn {
    const NAME: &'static str = "relu";
    const DENSE_NAME: &'static str = "dense+relu";
    const BATCHNORM_NAME: &'static str = "batchnorm+relu";
    const FROM_OUTPUT: bool = true;

    #[inline(always)]
    fn value<T: Float>(x: T, _: T) -> T {
        if x > T::ZERO { x } else { T::ZERO }
    }

    #[inline(always)]
    fn derivative<T: Float>(_: T, y: T, _: T) -> T {
        if y > T::ZERO { T::ONE } else { T::ZERO }
    }
}

/// `max(0, x)` elementwise, as one fused node (backward `ḡ ⊙ [y > 0]`, so ReLU'(0) = 0).
pub fn relu<T: Float>(tape: &mut Tape<T>, x: Var) -> Result<Var> {
    apply_pointwise::<T, ReluFn>(tape, x, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn_away_from_zero};
    use nnc_tape::Tensor;

    #[test]
    fn derivative_at_zero_is_zero() {
        let mut tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![-1.0, 0.0, 0.5], &[3]).unwrap());
        let y = relu(&mut tape, x).unwrap();
        assert_eq!(tape.value(y).data(), &[0.0, 0.0, 0.5]);
        let s = tape.sum(y).unwrap();
        let g = tape.backward(s).unwrap();
        assert_eq!(g.wrt(x).unwrap().data(), &[0.0, 0.0, 1.0]);
    }

    #[test]
    fn gradcheck_away_from_the_kink() {
        check_gradient("relu", &[randn_away_from_zero(&[4, 6], 3)], 1e-6, |t, x| {
            Ok(relu(t, x[0])?)
        });
    }
}
