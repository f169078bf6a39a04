//! Inverted dropout: in Train mode each value is kept with probability `1 − p` and scaled by
//! `1/(1 − p)`, else zeroed: `y = x ⊙ mask`, `mask_i ∈ {0, 1/(1 − p)}`; in Eval mode `y = x`.
//! Backward: `x̄ += ḡ ⊙ mask` (the mask is saved).
//!
//! Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov, "Dropout: A Simple Way to Prevent
//! Neural Networks from Overfitting" (2014). The *inverted* form (CS231n) scales at train time,
//! so the expected activation is the same in both modes and prediction needs no change.
//!
//! Masks are drawn from the seeded generator of the [`ForwardCtx`], one uniform number per
//! element in row-major order, so the same seed gives the same masks on every run.

use crate::error::{OpsError, Result};
use crate::mode::{ForwardCtx, Mode};
use nnc_tape::{Float, FusedGrad, FusedOp, Shape, Tape, Var};
use rand::RngExt;

/// The fused dropout op; saved: the scaled mask.
struct DropoutOp;

impl<T: Float> FusedOp<T> for DropoutOp {
    const NAME: &'static str = "dropout";

    fn backward(grad: &mut FusedGrad<'_, T>) -> nnc_tape::Result<()> {
        let v = grad.view();
        grad.accumulate(0, |dx| {
            for ((d, &g), &m) in dx
                .iter_mut()
                .zip(v.grad_output().data())
                .zip(v.saved(0).data())
            {
                *d += g * m;
            }
        });
        Ok(())
    }
}

/// Checks a drop probability: finite and in `[0, 1)`.
pub(crate) fn check_rate(p: f64) -> Result<()> {
    if !(p.is_finite() && (0.0..1.0).contains(&p)) {
        return Err(OpsError::config(
            "dropout",
            format!("the drop probability must be in [0, 1), got {p}"),
        ));
    }
    Ok(())
}

/// Inverted dropout of `x` with drop probability `p ∈ [0, 1)`.
///
/// In Eval mode, or with `p = 0`, returns `x` itself (records nothing). In Train mode draws the
/// mask from `ctx.rng` and fails if there is none.
///
/// ```
/// use nnc_ops::{ForwardCtx, dropout};
/// use nnc_tape::{Tape, Tensor, rng};
///
/// let mut tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::ones(&[100, 10]));
/// assert_eq!(dropout(&mut tape, x, 0.5, &mut ForwardCtx::eval())?, x);
/// let mut r = rng(7);
/// let y = dropout(&mut tape, x, 0.5, &mut ForwardCtx::train(&mut r))?;
/// // Every value is 0 or 2, and the mean stays near 1.
/// assert!(tape.value(y).data().iter().all(|&v| v == 0.0 || v == 2.0));
/// assert!((tape.value(y).mean() - 1.0).abs() < 0.1);
/// # Ok::<(), nnc_ops::OpsError>(())
/// ```
pub fn dropout<T: Float>(
    tape: &mut Tape<T>,
    x: Var,
    p: f64,
    ctx: &mut ForwardCtx<'_>,
) -> Result<Var> {
    check_rate(p)?;
    let shape: Shape = tape.try_value(x)?.shape().into();
    if ctx.mode == Mode::Eval || p == 0.0 {
        return Ok(x);
    }
    let rng = ctx.rng.as_deref_mut().ok_or_else(|| {
        OpsError::config(
            "dropout",
            "Train mode needs a seeded random generator in the forward context \
             (ForwardCtx::train(&mut rng))",
        )
    })?;
    let scale = T::from_f64(1.0 / (1.0 - p));
    let mut mask = tape.alloc_zeros(&shape);
    for m in mask.data_mut() {
        if rng.random::<f64>() >= p {
            *m = scale;
        }
    }
    let mut out = tape.alloc_zeros(&shape);
    for ((o, &v), &m) in out
        .data_mut()
        .iter_mut()
        .zip(tape.value(x).data())
        .zip(mask.data())
    {
        *o = v * m;
    }
    Ok(tape.record_fused::<DropoutOp>(&[x], out, [mask], &[p])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn};
    use nnc_tape::{Tensor, rng};

    #[test]
    fn keeps_the_expected_fraction_and_scales_it() {
        let mut tape = Tape::<f64>::new();
        let x = tape.constant(Tensor::ones(&[200, 50]));
        let mut r = rng(1);
        let y = dropout(&mut tape, x, 0.3, &mut ForwardCtx::train(&mut r)).unwrap();
        let kept = tape.value(y).data().iter().filter(|&&v| v != 0.0).count() as f64 / 10_000.0;
        assert!((kept - 0.7).abs() < 0.02, "kept {kept}");
        assert!(
            tape.value(y)
                .data()
                .iter()
                .all(|&v| v == 0.0 || (v - 1.0 / 0.7).abs() < 1e-15)
        );
        assert!((tape.value(y).mean() - 1.0).abs() < 0.03);
    }

    #[test]
    fn same_seed_same_mask() {
        let run = |seed| {
            let mut tape = Tape::<f32>::new();
            let x = tape.constant(Tensor::ones(&[8, 8]));
            let mut r = rng(seed);
            let y = dropout(&mut tape, x, 0.5, &mut ForwardCtx::train(&mut r)).unwrap();
            tape.value(y).clone()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }

    #[test]
    fn eval_mode_and_zero_rate_are_the_identity() {
        let mut tape = Tape::<f64>::new();
        let x = tape.var(randn(&[3, 3], 1));
        assert_eq!(
            dropout(&mut tape, x, 0.5, &mut ForwardCtx::eval()).unwrap(),
            x
        );
        let mut r = rng(0);
        assert_eq!(
            dropout(&mut tape, x, 0.0, &mut ForwardCtx::train(&mut r)).unwrap(),
            x
        );
    }

    #[test]
    fn bad_rates_and_missing_generator_are_errors() {
        let mut tape = Tape::<f64>::new();
        let x = tape.var(randn(&[3, 3], 1));
        for p in [1.0, -0.1, f64::NAN] {
            assert!(dropout(&mut tape, x, p, &mut ForwardCtx::eval()).is_err());
        }
        let e = dropout(&mut tape, x, 0.5, &mut ForwardCtx::train_without_rng()).unwrap_err();
        assert!(e.to_string().contains("seeded random generator"), "{e}");
    }

    #[test]
    fn gradcheck_with_a_fixed_mask() {
        // Re-seeding per evaluation gives the same mask every time, so the function is smooth.
        check_gradient("dropout", &[randn(&[5, 6], 2)], 1e-6, |t, v| {
            let mut r = rng(5);
            Ok(dropout(t, v[0], 0.4, &mut ForwardCtx::train(&mut r))?)
        });
    }
}
