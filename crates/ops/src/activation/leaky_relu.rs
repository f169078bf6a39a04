//! Leaky ReLU: `f(x) = x` for `x > 0`, else `s·x` with a small slope `s ≥ 0`;
//! `f'(x) = 1` for `x > 0`, else `s` (so `f'(0) = s`, as in PyTorch) — computed from the output.
//!
//! Maas, Hannun & Ng, "Rectifier Nonlinearities Improve Neural Network Acoustic Models" (2013).
//! He et al. (2015) learn the slope (PReLU).
//!
//! * **Good at**: everything ReLU is good at (cheap, no saturation for `x > 0`) and it *does not
//!   die*: negative inputs still pass a gradient `s`. Outputs are closer to zero-centred.
//! * **Bad at**: the benefit over ReLU is not consistent across problems, and the slope is one
//!   more hyperparameter (0.01 is common). Init gain `√(2 / (1 + s²))`.

use super::Pointwise;
use crate::error::Result;
use nnc_tape::{Float, Tape, Var};

/// Leaky ReLU as a [`Pointwise`] function (`a` is the slope).
pub(crate) struct LeakyReluFn;

impl Pointwise for LeakyReluFn {
    const NAME: &'static str = "leaky_relu";
    const DENSE_NAME: &'static str = "dense+leaky_relu";
    const BATCHNORM_NAME: &'static str = "batchnorm+leaky_relu";
    // With a slope ≥ 0, y > 0 exactly when x > 0.
    const FROM_OUTPUT: bool = true;

    #[inline(always)]
    fn value<T: Float>(x: T, s: T) -> T {
        if x > T::ZERO { x } else { s * x }
    }

    #[inline(always)]
    fn derivative<T: Float>(_: T, y: T, s: T) -> T {
        if y > T::ZERO { T::ONE } else { s }
    }
}

/// Leaky ReLU with slope `alpha ≥ 0` for negative inputs, elementwise, as one fused node
/// (backward `ḡ ⊙ (y > 0 ? 1 : α)`). Fails for a negative or non-finite `alpha`.
pub fn leaky_relu<T: Float>(tape: &mut Tape<T>, x: Var, alpha: f64) -> Result<Var> {
    super::Activation::LeakyRelu { alpha }.apply(tape, x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn_away_from_zero};
    use nnc_tape::Tensor;

    #[test]
    fn negative_inputs_keep_a_gradient() {
        let mut tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![-2.0, 0.0, 3.0], &[3]).unwrap());
        let y = leaky_relu(&mut tape, x, 0.1).unwrap();
        assert_eq!(tape.value(y).data(), &[-0.2, 0.0, 3.0]);
        let s = tape.sum(y).unwrap();
        let g = tape.backward(s).unwrap();
        assert_eq!(g.wrt(x).unwrap().data(), &[0.1, 0.1, 1.0]);
    }

    #[test]
    fn gradcheck_away_from_the_kink() {
        for slope in [0.01, 0.2] {
            check_gradient(
                "leaky_relu",
                &[randn_away_from_zero(&[4, 6], 4)],
                1e-6,
                |t, x| Ok(leaky_relu(t, x[0], slope)?),
            );
        }
    }

    #[test]
    fn negative_slope_is_an_error() {
        let mut tape = Tape::<f32>::new();
        let x = tape.constant(Tensor::zeros(&[2]));
        assert!(leaky_relu(&mut tape, x, -0.5).is_err());
    }
}
