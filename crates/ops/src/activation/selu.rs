//! SELU: `f(x) = λ x` for `x > 0`, else `λ α (eˣ − 1)`, with `λ ≈ 1.0507` and `α ≈ 1.6733`;
//! `f'(x) = λ` for `x > 0`, else `λ α eˣ = f(x) + λα` — computed from the output.
//!
//! Klambauer, Unterthiner, Mayr & Hochreiter, "Self-Normalizing Neural Networks" (2017). The
//! constants make zero mean and unit variance a stable fixed point of the layer map.
//!
//! * **Good at**: *self-normalising* deep fully connected nets: with standardised inputs and
//!   LeCun-normal weights (`randn / √fan_in`, Xavier as taught in CS231n) activations stay near
//!   zero mean and unit variance through many layers without batch norm; zero-centred by
//!   design; does not die.
//! * **Bad at**: the guarantee needs exactly those conditions (that init, no batch norm, "alpha
//!   dropout" instead of dropout); `exp` on the negative side. PyTorch's gain for it is 3/4.

use super::{Pointwise, apply_pointwise};
use crate::error::Result;
use nnc_tape::{Float, Tape, Var};

/// SELU's `λ` (Klambauer et al. 2017).
pub const SELU_LAMBDA: f64 = 1.050_700_987_355_480_5;
/// SELU's `α` (Klambauer et al. 2017).
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;

/// SELU as a [`Pointwise`] function.
pub(crate) struct SeluFn;

impl Pointwise for SeluFn {
    const NAME: &'static str = "selu";
    const DENSE_NAME: &'static str = "dense+selu";
    const BATCHNORM_NAME: &'static str = "batchnorm+selu";
    const FROM_OUTPUT: bool = true;

    #[inline(always)]
    fn value<T: Float>(x: T, _: T) -> T {
        let l = T::from_f64(SELU_LAMBDA);
        if x > T::ZERO {
            l * x
        } else {
            l * T::from_f64(SELU_ALPHA) * x.exp_m1()
        }
    }

    #[inline(always)]
    fn derivative<T: Float>(_: T, y: T, _: T) -> T {
        let l = T::from_f64(SELU_LAMBDA);
        if y > T::ZERO {
            l
        } else {
            y + l * T::from_f64(SELU_ALPHA)
        }
    }
}

/// SELU elementwise, as one fused node (backward `ḡ ⊙ (y > 0 ? λ : y + λα)`).
pub fn selu<T: Float>(tape: &mut Tape<T>, x: Var) -> Result<Var> {
    apply_pointwise::<T, SeluFn>(tape, x, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn_away_from_zero};
    use nnc_tape::{Tensor, rng};

    #[test]
    fn keeps_unit_statistics_of_a_standard_normal() {
        // E[selu(z)] = 0 and E[selu(z)²] = 1 for z ~ N(0, 1): the fixed point of the paper.
        let z = Tensor::<f64>::randn(&[200_000], 1.0, &mut rng(1));
        let y: Vec<f64> = z.data().iter().map(|&v| SeluFn::value(v, 0.0)).collect();
        let n = y.len() as f64;
        let mean = y.iter().sum::<f64>() / n;
        let second = y.iter().map(|v| v * v).sum::<f64>() / n;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((second - 1.0).abs() < 0.01, "second moment {second}");
    }

    #[test]
    fn gradcheck() {
        check_gradient("selu", &[randn_away_from_zero(&[4, 6], 7)], 1e-6, |t, x| {
            Ok(selu(t, x[0])?)
        });
    }
}
