//! Inverted dropout: in Train mode each value is kept with probability `1 − p` and scaled by
//! `1/(1 − p)`, else zeroed: `y = x ⊙ mask`, `mask_i ∈ {0, 1/(1 − p)}`; in Eval mode `y = x`.
//! Backward: `x̄ += ḡ ⊙ mask` (the mask is saved).
//!
//! Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov, "Dropout: A Simple Way to Prevent
//! Neural Networks from Overfitting" (2014). The *inverted* form (CS231n) scales at train time,
//! so the expected activation is the same in both modes and prediction needs no change.
//!
//! Masks are drawn from the seeded generator of the [`ForwardCtx`], one uniform number per
//! element in row-major order, so the same seed gives the same masks on every run. A rank of a
//! data-parallel step ([`ForwardCtx::shard`]) skips to its rows' numbers, so `N` ranks draw
//! the masks one process draws for the whole batch.

use crate::error::{OpsError, Result};
use crate::mode::{ForwardCtx, Mode};
use nnc_tape::{Float, FusedGrad, FusedOp, Shape, Tape, Var};
use rand::RngExt;

/// The generator's 32-bit words one uniform `f64` consumes.
const WORDS_PER_DRAW: u128 = 2;

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
    // A shard of a data-parallel batch draws the numbers of its own rows in the global pass:
    // skip those of the rows before it, then those of the rows after it.
    let per_row = shape.iter().skip(1).product::<usize>();
    let origin = rng.get_word_pos();
    if let Some(s) = ctx.shard {
        rng.set_word_pos(origin + WORDS_PER_DRAW * (s.start * per_row) as u128);
    }
    for m in mask.data_mut() {
        if rng.random::<f64>() >= p {
            *m = scale;
        }
    }
    if let Some(s) = ctx.shard {
        rng.set_word_pos(origin + WORDS_PER_DRAW * (s.global_rows * per_row) as u128);
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
    fn shards_draw_the_masks_of_their_rows_in_the_whole_batch() {
        let (rows, cols) = (7, 5);
        let x = Tensor::<f64>::ones(&[rows, cols]);
        let mut whole_rng = rng(3);
        let mut tape = Tape::<f64>::new();
        let xv = tape.constant(x.clone());
        let y = dropout(&mut tape, xv, 0.5, &mut ForwardCtx::train(&mut whole_rng)).unwrap();
        let whole = tape.value(y).data().to_vec();
        let mut pieces = Vec::new();
        let mut last_state = None;
        for (start, end) in [(0, 3), (3, 5), (5, 7)] {
            let mut r = rng(3);
            let part = Tensor::<f64>::ones(&[end - start, cols]);
            let pv = tape.constant(part);
            let shard = crate::RowShard {
                start,
                global_rows: rows,
            };
            let ctx = &mut ForwardCtx::train(&mut r).sharded(shard);
            let y = dropout(&mut tape, pv, 0.5, ctx).unwrap();
            pieces.extend_from_slice(tape.value(y).data());
            last_state = Some(r.get_word_pos());
        }
        assert_eq!(pieces, whole);
        // Every shard leaves the generator where the whole batch's pass leaves it.
        assert_eq!(last_state, Some(whole_rng.get_word_pos()));
    }

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
