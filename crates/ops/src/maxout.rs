//! Maxout: `y[i, u] = max_{p < k} z[i, u·k + p]` with `z = x W + b` — an affine map to
//! `units·k` outputs followed by a max over each group of `k` consecutive pieces. One fused
//! node.
//!
//! Goodfellow, Warde-Farley, Mirza, Courville & Bengio, "Maxout Networks" (2013). Maxout
//! generalises ReLU (`max(0, wᵀx + b)` is maxout with k = 2 and one piece fixed at zero) and
//! leaky ReLU: a learned piecewise-linear convex activation.
//!
//! * **Good at**: the benefits of ReLU (a linear regime, no saturation) *without dying*: some
//!   piece is always the maximum and passes the gradient. Pairs well with dropout.
//! * **Bad at**: it multiplies the parameters: **k times those of a dense layer of the same
//!   width** (`W` is `[in, units·k]`, `b` is `[units·k]` — twice as many for k = 2, as CS231n
//!   puts it), and the compute of the affine map by k as well.
//!
//! Layout: the pieces of unit `u` are columns `u·k .. u·k + k` of `z`. Canonical parameter
//! names are `<layer>.weight` and `<layer>.bias`, as for dense.
//!
//! Backward: **the gradient goes to the first maximum** of each group (ties broken by
//! position, as the forward pass picks it): `z̄[i, u·k + p*] = ḡ[i, u]`, zero elsewhere; then
//! the dense backward `x̄ += z̄ Wᵀ`, `W̄ += xᵀ z̄`, `b̄ += Σ_rows z̄`. The piece index of every
//! maximum is saved (as a float, exact for any realistic k).

use crate::dense::{affine_backward, affine_dims, affine_forward, affine_inputs};
use crate::error::{OpsError, Result};
use nnc_tape::{Float, FusedGrad, FusedOp, Tape, Var};

/// The fused maxout op.
struct MaxoutOp;

impl<T: Float> FusedOp<T> for MaxoutOp {
    const NAME: &'static str = "maxout";

    fn backward(grad: &mut FusedGrad<'_, T>) -> nnc_tape::Result<()> {
        let v = grad.view();
        let k = v.scalar(0) as usize;
        let (g, arg) = (v.grad_output(), v.saved(0));
        let (n, units) = (g.shape()[0], g.shape()[1]);
        let mut gz = grad.scratch(&[n, units * k]);
        {
            let gz = gz.data_mut();
            for (idx, (&gv, &p)) in g.data().iter().zip(arg.data()).enumerate() {
                // idx = i·units + u, and z's column is u·k + p.
                gz[idx * k + p.to_f64() as usize] = gv;
            }
        }
        affine_backward(grad, gz.data());
        grad.free(gz);
        Ok(())
    }
}

/// Maxout with `pieces` pieces per unit as one fused node: `x` `[n, in]`, `w`
/// `[in, units·pieces]`, optional `b` `[units·pieces]`; the output is `[n, units]`.
///
/// Fails if `pieces < 2` or the weight's width is not a multiple of `pieces`.
///
/// ```
/// use nnc_ops::maxout;
/// use nnc_tape::{Tape, Tensor};
///
/// let mut tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::from_vec(vec![1.0, -2.0], &[1, 2])?);
/// // One unit with two pieces: z = (x₀, x₁) → max(1, −2) = 1.
/// let w = tape.var(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], &[2, 2])?);
/// let y = maxout(&mut tape, x, w, None, 2)?;
/// assert_eq!(tape.value(y).data(), &[1.0]);
/// # Ok::<(), nnc_ops::OpsError>(())
/// ```
pub fn maxout<T: Float>(
    tape: &mut Tape<T>,
    x: Var,
    w: Var,
    b: Option<Var>,
    pieces: usize,
) -> Result<Var> {
    if pieces < 2 {
        return Err(OpsError::config(
            "maxout",
            format!("needs at least 2 pieces per unit, got {pieces}"),
        ));
    }
    let dims = affine_dims("maxout", tape, x, w, b)?;
    let (n, _, cols) = dims;
    if cols % pieces != 0 {
        return Err(OpsError::config(
            "maxout",
            format!(
                "the weight has {cols} columns, not a multiple of {pieces} pieces \
                 (it must be [in, units·pieces])"
            ),
        ));
    }
    let units = cols / pieces;
    let (inputs, len) = affine_inputs(x, w, b);
    let inputs = &inputs[..len];
    let mut z = tape.alloc_zeros(&[n, cols]);
    affine_forward(tape, z.data_mut(), x, w, b, dims, |v| v);
    let mut out = tape.alloc_zeros(&[n, units]);
    let mut arg = tape.alloc_zeros(&[n, units]);
    for ((group, o), a) in z
        .data()
        .chunks_exact(pieces)
        .zip(out.data_mut())
        .zip(arg.data_mut())
    {
        let (mut best, mut at) = (group[0], 0);
        for (p, &zp) in group.iter().enumerate().skip(1) {
            // Strictly greater: the first maximum wins ties.
            if zp > best {
                best = zp;
                at = p;
            }
        }
        *o = best;
        *a = T::from_usize(at);
    }
    tape.free(z);
    Ok(tape.record_fused::<MaxoutOp>(inputs, out, [arg], &[pieces as f64])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn};
    use nnc_tape::Tensor;

    #[test]
    fn takes_the_max_of_each_group_of_pieces() {
        let mut tape = Tape::<f64>::new();
        // Identity weight: z = x, so groups are (x0, x1, x2) and (x3, x4, x5).
        let mut eye = Tensor::zeros(&[6, 6]);
        for i in 0..6 {
            eye.data_mut()[i * 6 + i] = 1.0;
        }
        let x = tape
            .constant(Tensor::from_vec(vec![1.0, 5.0, 2.0, -1.0, -3.0, -2.0], &[1, 6]).unwrap());
        let w = tape.constant(eye);
        let y = maxout(&mut tape, x, w, None, 3).unwrap();
        assert_eq!(tape.value(y).data(), &[5.0, -1.0]);
    }

    #[test]
    fn ties_send_the_gradient_to_the_first_maximum() {
        let mut tape = Tape::<f64>::new();
        // x = [1, 1]; two pieces with identical weights and biases tie exactly.
        let x = tape.var(Tensor::from_vec(vec![1.0, 1.0], &[1, 2]).unwrap());
        let w = tape.var(Tensor::from_vec(vec![0.5, 0.5, 0.25, 0.25], &[2, 2]).unwrap());
        let b = tape.var(Tensor::from_vec(vec![0.1, 0.1], &[2]).unwrap());
        let y = maxout(&mut tape, x, w, Some(b), 2).unwrap();
        let s = tape.sum(y).unwrap();
        let g = tape.backward(s).unwrap();
        // Only piece 0 (column 0) receives gradient.
        assert_eq!(g.wrt(w).unwrap().data(), &[1.0, 0.0, 1.0, 0.0]);
        assert_eq!(g.wrt(b).unwrap().data(), &[1.0, 0.0]);
        assert_eq!(g.wrt(x).unwrap().data(), &[0.5, 0.25]);
    }

    #[test]
    fn gradcheck_away_from_ties() {
        // Random continuous weights make ties (|z_p − z_q| < ε) practically impossible; the
        // check confirms the routing.
        for k in [2usize, 3, 4] {
            let inputs = [
                randn(&[5, 4], 11),
                randn(&[4, 3 * k], 12),
                randn(&[3 * k], 13),
            ];
            check_gradient("maxout", &inputs, 1e-6, |t, v| {
                Ok(maxout(t, v[0], v[1], Some(v[2]), k)?)
            });
        }
        let inputs = [randn(&[5, 4], 11), randn(&[4, 9], 12)];
        check_gradient("maxout (no bias)", &inputs, 1e-6, |t, v| {
            Ok(maxout(t, v[0], v[1], None, 3)?)
        });
    }

    #[test]
    fn bad_piece_counts_are_errors() {
        let mut tape = Tape::<f32>::new();
        let x = tape.constant(Tensor::zeros(&[2, 3]));
        let w = tape.constant(Tensor::zeros(&[3, 5]));
        assert!(
            maxout(&mut tape, x, w, None, 1)
                .unwrap_err()
                .to_string()
                .contains("at least 2")
        );
        let e = maxout(&mut tape, x, w, None, 2).unwrap_err().to_string();
        assert!(e.contains("not a multiple of 2 pieces"), "{e}");
    }
}
