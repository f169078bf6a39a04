//! Elementwise activation functions, each a fused tape op with a closed-form backward.
//!
//! One module per activation, each documenting its formula, its paper, and what it is good and
//! bad at (saturation and vanishing gradients, zero-centring, dead units, cost) — the practical
//! knowledge of CS231n's "Training Neural Networks I". In short:
//!
//! | activation | saturates | zero-centred | dead units | cost | use |
//! |---|---|---|---|---|---|
//! | [`sigmoid`] | both ends | no | no | exp | output probabilities; avoid in hidden layers |
//! | [`tanh`](fn@tanh) | both ends | yes | no | exp | better than sigmoid, still saturates |
//! | [`relu`] | no (x > 0) | no | yes | max | the default; watch the dead fraction and the lr |
//! | [`leaky_relu`] | no | almost | no | max | ReLU without dying |
//! | [`elu`] | negative side | almost | no | exp | ReLU benefits, mean closer to zero |
//! | [`gelu`] | negative side | no | no | erf | transformers |
//! | [`selu`] | negative side | yes (by design) | no | exp | self-normalising nets with LeCun init |
//! | [`softplus`] | negative side | no | no | exp + log | smooth ReLU |
//! | [`swish`] | negative side | no | no | exp | deep nets (SiLU) |
//!
//! Backward reads the saved output where the derivative is a function of it (sigmoid
//! `y(1 − y)`, tanh `1 − y²`, ReLU `[y > 0]`, ELU/SELU, softplus `1 − e^{−y}`), and the input
//! otherwise (GELU, swish). The tape keeps both alive anyway, so nothing extra is stored.

mod elu;
mod gelu;
mod leaky_relu;
mod relu;
mod selu;
mod sigmoid;
mod softplus;
mod swish;
mod tanh;

pub use elu::elu;
pub use gelu::gelu;
pub use leaky_relu::leaky_relu;
pub use relu::relu;
pub use selu::{SELU_ALPHA, SELU_LAMBDA, selu};
pub use sigmoid::sigmoid;
pub use softplus::softplus;
pub use swish::swish;
pub use tanh::tanh;

pub(crate) use elu::EluFn;
pub(crate) use gelu::GeluFn;
pub(crate) use leaky_relu::LeakyReluFn;
pub(crate) use relu::ReluFn;
pub(crate) use selu::SeluFn;
pub(crate) use sigmoid::SigmoidFn;
pub(crate) use softplus::SoftplusFn;
pub(crate) use swish::SwishFn;
pub(crate) use tanh::TanhFn;

use crate::error::{OpsError, Result};
use nnc_tape::{Float, FusedGrad, FusedOp, Shape, Tape, Var};
use std::marker::PhantomData;

/// An elementwise function with its derivative (internal: one implementation per module).
pub(crate) trait Pointwise: 'static {
    /// The op's name on the tape.
    const NAME: &'static str;
    /// The name of the fused dense + activation op (`dense+relu`), for divergence reports.
    const DENSE_NAME: &'static str;
    /// The name of the fused batch norm (train) + activation op (`batchnorm+relu`).
    const BATCHNORM_NAME: &'static str;
    /// True only for the identity (fused ops then skip the activation entirely).
    const IDENTITY: bool = false;
    /// Whether [`Pointwise::derivative`] reads only the output `y` (so a fused op need not keep
    /// the input).
    const FROM_OUTPUT: bool;
    /// `f(x)`; `a` is the activation's parameter (slope, alpha) or unused.
    fn value<T: Float>(x: T, a: T) -> T;
    /// `f'(x)`, given `x` and `y = f(x)` (only `y` is meaningful when `FROM_OUTPUT`).
    fn derivative<T: Float>(x: T, y: T, a: T) -> T;
}

/// The identity (`none`): kept as a [`Pointwise`] so fused code can treat it uniformly.
pub(crate) struct IdentityFn;

impl Pointwise for IdentityFn {
    const NAME: &'static str = "identity";
    const DENSE_NAME: &'static str = "dense";
    const BATCHNORM_NAME: &'static str = "batchnorm_train";
    const IDENTITY: bool = true;
    const FROM_OUTPUT: bool = true;
    #[inline(always)]
    fn value<T: Float>(x: T, _: T) -> T {
        x
    }
    #[inline(always)]
    fn derivative<T: Float>(_: T, _: T, _: T) -> T {
        T::ONE
    }
}

/// The fused tape op of a [`Pointwise`] function: `y = f(x)`, `x̄ += ḡ ⊙ f'(x, y)`.
pub(crate) struct PointwiseOp<P>(PhantomData<P>);

impl<T: Float, P: Pointwise> FusedOp<T> for PointwiseOp<P> {
    const NAME: &'static str = P::NAME;

    fn backward(grad: &mut FusedGrad<'_, T>) -> nnc_tape::Result<()> {
        let v = grad.view();
        let a = T::from_f64(v.scalar(0));
        grad.accumulate(0, |dx| {
            add_grad_times_derivative::<T, P>(
                dx,
                v.grad_output().data(),
                v.input(0).data(),
                v.output().data(),
                a,
            );
        });
        Ok(())
    }
}

/// `dst += g ⊙ f'(x, y)` elementwise (`x` may alias `y` when `P::FROM_OUTPUT`).
#[inline]
pub(crate) fn add_grad_times_derivative<T: Float, P: Pointwise>(
    dst: &mut [T],
    g: &[T],
    x: &[T],
    y: &[T],
    a: T,
) {
    for (((d, &g), &x), &y) in dst.iter_mut().zip(g).zip(x).zip(y) {
        *d += g * P::derivative(x, y, a);
    }
}

/// `dst = g ⊙ f'(x, y)` elementwise (assigns; for scratch buffers of fused ops).
#[inline]
pub(crate) fn set_grad_times_derivative<T: Float, P: Pointwise>(
    dst: &mut [T],
    g: &[T],
    x: &[T],
    y: &[T],
    a: T,
) {
    for (((d, &g), &x), &y) in dst.iter_mut().zip(g).zip(x).zip(y) {
        *d = g * P::derivative(x, y, a);
    }
}

/// Records `f(x)` as one fused node.
pub(crate) fn apply_pointwise<T: Float, P: Pointwise>(
    tape: &mut Tape<T>,
    x: Var,
    a: f64,
) -> Result<Var> {
    let shape: Shape = tape.try_value(x)?.shape().into();
    let mut out = tape.alloc_for_overwrite(&shape);
    let at = T::from_f64(a);
    for (o, &v) in out.data_mut().iter_mut().zip(tape.value(x).data()) {
        *o = P::value(v, at);
    }
    Ok(tape.record_fused::<PointwiseOp<P>>(&[x], out, [], &[a])?)
}

/// An activation function, as a value: what a model layer holds and the `.nn` language names.
///
/// ```
/// use nnc_ops::Activation;
/// use nnc_tape::{Tape, Tensor};
///
/// let mut tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::from_vec(vec![-1.0, 0.0, 2.0], &[1, 3])?);
/// let y = Activation::Relu.apply(&mut tape, x)?;
/// assert_eq!(tape.value(y).data(), &[0.0, 0.0, 2.0]);
/// # Ok::<(), nnc_ops::OpsError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Activation {
    /// `σ(x) = 1 / (1 + e^{−x})`.
    Sigmoid,
    /// `tanh x`.
    Tanh,
    /// `max(0, x)`, with ReLU'(0) = 0.
    Relu,
    /// `x` for `x > 0`, else `α · x`: `α` is the slope for negative inputs (PyTorch's
    /// `negative_slope`).
    LeakyRelu {
        /// Slope `α ≥ 0` for negative inputs (0.01 is common).
        alpha: f64,
    },
    /// `x` for `x > 0`, else `α (eˣ − 1)`.
    Elu {
        /// Saturation value `α > 0` for negative inputs (1.0 is common).
        alpha: f64,
    },
    /// `x Φ(x)` with the exact normal CDF `Φ(x) = ½ (1 + erf(x / √2))`.
    Gelu,
    /// `λ x` for `x > 0`, else `λ α (eˣ − 1)`, with the fixed constants of Klambauer et al.
    Selu,
    /// `ln(1 + eˣ)`.
    Softplus,
    /// `x σ(x)` (also called SiLU).
    Swish,
    /// The identity (`none` in the `.nn` language): records nothing.
    Identity,
}

/// Calls `$body` with `$p` bound to the [`Pointwise`] type of `$act` (one match, then a
/// monomorphised loop).
macro_rules! with_pointwise {
    ($act:expr, $p:ident => $body:expr) => {
        match $act {
            $crate::activation::Activation::Sigmoid => {
                type $p = $crate::activation::SigmoidFn;
                $body
            }
            $crate::activation::Activation::Tanh => {
                type $p = $crate::activation::TanhFn;
                $body
            }
            $crate::activation::Activation::Relu => {
                type $p = $crate::activation::ReluFn;
                $body
            }
            $crate::activation::Activation::LeakyRelu { .. } => {
                type $p = $crate::activation::LeakyReluFn;
                $body
            }
            $crate::activation::Activation::Elu { .. } => {
                type $p = $crate::activation::EluFn;
                $body
            }
            $crate::activation::Activation::Gelu => {
                type $p = $crate::activation::GeluFn;
                $body
            }
            $crate::activation::Activation::Selu => {
                type $p = $crate::activation::SeluFn;
                $body
            }
            $crate::activation::Activation::Softplus => {
                type $p = $crate::activation::SoftplusFn;
                $body
            }
            $crate::activation::Activation::Swish => {
                type $p = $crate::activation::SwishFn;
                $body
            }
            $crate::activation::Activation::Identity => {
                type $p = $crate::activation::IdentityFn;
                $body
            }
        }
    };
}
pub(crate) use with_pointwise;

impl Activation {
    /// Every activation with typical parameters, for catalogues and tests.
    pub const ALL: [Activation; 10] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu { alpha: 0.01 },
        Activation::Elu { alpha: 1.0 },
        Activation::Gelu,
        Activation::Selu,
        Activation::Softplus,
        Activation::Swish,
        Activation::Identity,
    ];

    /// The name as written in the `.nn` language (`relu`, `leaky_relu`, `none`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Elu { .. } => "elu",
            Activation::Gelu => "gelu",
            Activation::Selu => "selu",
            Activation::Softplus => "softplus",
            Activation::Swish => "swish",
            Activation::Identity => "none",
        }
    }

    /// The activation named `name` as in the `.nn` language (`relu`, `leaky_relu`, `none`),
    /// with its typical parameter (see [`Activation::ALL`]).
    pub fn from_name(name: &str) -> Option<Activation> {
        Activation::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether it takes a parameter (leaky ReLU's and ELU's `alpha`).
    pub fn has_parameter(&self) -> bool {
        matches!(self, Activation::LeakyRelu { .. } | Activation::Elu { .. })
    }

    /// The same activation with its parameter set to `alpha` (unchanged for those without
    /// one).
    pub fn with_parameter(self, alpha: f64) -> Activation {
        match self {
            Activation::LeakyRelu { .. } => Activation::LeakyRelu { alpha },
            Activation::Elu { .. } => Activation::Elu { alpha },
            other => other,
        }
    }

    /// The activation's parameter (leaky slope, ELU alpha), or 0 for those without one.
    pub fn parameter(&self) -> f64 {
        match *self {
            Activation::LeakyRelu { alpha } | Activation::Elu { alpha } => alpha,
            _ => 0.0,
        }
    }

    /// Checks the parameter: a leaky slope must be finite and `≥ 0`, an ELU alpha finite and
    /// `> 0` (the closed-form backward reads the sign of the input from the output, which needs
    /// exactly these ranges).
    pub fn validate(&self) -> Result<()> {
        match *self {
            Activation::LeakyRelu { alpha } if !(alpha.is_finite() && alpha >= 0.0) => {
                Err(OpsError::config(
                    "leaky_relu",
                    format!(
                        "alpha (the slope for negative inputs) must be a finite number ≥ 0 (0.01 is common), got {alpha}"
                    ),
                ))
            }
            Activation::Elu { alpha } if !(alpha.is_finite() && alpha > 0.0) => {
                Err(OpsError::config(
                    "elu",
                    format!("alpha must be a finite number > 0 (1.0 is common), got {alpha}"),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Records the activation of `x` as one fused node (the identity records nothing and
    /// returns `x`).
    pub fn apply<T: Float>(&self, tape: &mut Tape<T>, x: Var) -> Result<Var> {
        self.validate()?;
        if *self == Activation::Identity {
            tape.try_value(x)?;
            return Ok(x);
        }
        let a = self.parameter();
        with_pointwise!(*self, P => apply_pointwise::<T, P>(tape, x, a))
    }

    /// `f(x)` for one value.
    pub fn value<T: Float>(&self, x: T) -> T {
        let a = T::from_f64(self.parameter());
        with_pointwise!(*self, P => P::value(x, a))
    }

    /// `f'(x)` for one value (at kinks: ReLU'(0) = 0, leaky ReLU'(0) = α, ELU'(0) = α, the left limit).
    pub fn derivative<T: Float>(&self, x: T) -> T {
        let a = T::from_f64(self.parameter());
        with_pointwise!(*self, P => P::derivative(x, P::value(x, a), a))
    }

    /// Whether the derivative is a function of the output alone (so a fused op can drop the
    /// input): true for all but GELU and swish.
    pub fn derivative_from_output(&self) -> bool {
        with_pointwise!(*self, P => P::FROM_OUTPUT)
    }

    /// The initialisation gain for weights feeding this activation (PyTorch's
    /// `calculate_gain`): linear and sigmoid 1, tanh 5/3, ReLU √2, leaky ReLU √(2 / (1 + α²)),
    /// SELU 3/4. ELU, GELU, softplus and swish have no standard gain and use ReLU's √2 (they are
    /// rectifiers for large inputs).
    pub fn gain(&self) -> f64 {
        match *self {
            Activation::Identity | Activation::Sigmoid => 1.0,
            Activation::Tanh => 5.0 / 3.0,
            Activation::LeakyRelu { alpha } => (2.0 / (1.0 + alpha * alpha)).sqrt(),
            Activation::Selu => 0.75,
            Activation::Relu
            | Activation::Elu { .. }
            | Activation::Gelu
            | Activation::Softplus
            | Activation::Swish => std::f64::consts::SQRT_2,
        }
    }

    /// Whether it saturates at both ends (sigmoid, tanh): the babysitter watches these for
    /// saturated units.
    pub fn is_saturating(&self) -> bool {
        matches!(self, Activation::Sigmoid | Activation::Tanh)
    }

    /// Whether it is of the rectifier family (He initialisation suits it).
    pub fn is_rectifier(&self) -> bool {
        matches!(
            self,
            Activation::Relu
                | Activation::LeakyRelu { .. }
                | Activation::Elu { .. }
                | Activation::Gelu
                | Activation::Selu
                | Activation::Softplus
                | Activation::Swish
        )
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Activation::LeakyRelu { alpha } => write!(f, "leaky_relu(alpha: {alpha})"),
            Activation::Elu { alpha } => write!(f, "elu(alpha: {alpha})"),
            a => f.write_str(a.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn_away_from_zero};

    #[test]
    fn every_activation_passes_gradcheck_through_the_enum() {
        for act in Activation::ALL {
            let x = randn_away_from_zero(&[4, 5], 3);
            let err = check_gradient(act.name(), &[x], 1e-6, |tape, xs| {
                Ok(act.apply(tape, xs[0])?)
            });
            assert!(err <= 1e-6, "{act}: {err}");
        }
    }

    #[test]
    fn scalar_value_and_derivative_agree_with_the_tape() {
        for act in Activation::ALL {
            let x = randn_away_from_zero(&[3, 4], 8);
            let mut tape = Tape::<f64>::new();
            let v = tape.var(x.clone());
            let y = act.apply(&mut tape, v).unwrap();
            let s = tape.sum(y).unwrap();
            let g = tape.backward(s).unwrap();
            for (i, &xi) in x.data().iter().enumerate() {
                assert_eq!(tape.value(y).data()[i], act.value(xi), "{act}");
                let d = g.wrt(v).unwrap().data()[i];
                assert!((d - act.derivative(xi)).abs() <= 1e-15, "{act}");
            }
        }
    }

    #[test]
    fn invalid_parameters_are_rejected_with_a_message() {
        let mut tape = Tape::<f64>::new();
        let x = tape.constant(nnc_tape::Tensor::zeros(&[1, 2]));
        let e = Activation::LeakyRelu { alpha: -1.0 }
            .apply(&mut tape, x)
            .unwrap_err();
        assert!(e.to_string().contains("must be a finite number ≥ 0"), "{e}");
        let e = Activation::Elu { alpha: 0.0 }
            .apply(&mut tape, x)
            .unwrap_err();
        assert!(
            e.to_string().contains("alpha must be a finite number > 0"),
            "{e}"
        );
    }

    #[test]
    fn identity_records_nothing() {
        let mut tape = Tape::<f32>::new();
        let x = tape.constant(nnc_tape::Tensor::zeros(&[2, 2]));
        let n = tape.len();
        assert_eq!(Activation::Identity.apply(&mut tape, x).unwrap(), x);
        assert_eq!(tape.len(), n);
    }

    #[test]
    fn gains_follow_pytorch() {
        assert_eq!(Activation::Relu.gain(), 2f64.sqrt());
        assert_eq!(Activation::Tanh.gain(), 5.0 / 3.0);
        assert_eq!(Activation::Sigmoid.gain(), 1.0);
        assert_eq!(Activation::Identity.gain(), 1.0);
        assert_eq!(Activation::Selu.gain(), 0.75);
        let s = 0.2;
        assert_eq!(
            Activation::LeakyRelu { alpha: s }.gain(),
            (2.0 / (1.0 + s * s)).sqrt()
        );
    }
}
