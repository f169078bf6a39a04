//! Dense (fully connected) layer: `z = x W + b`, one fused node.
//!
//! `x` is `[n, in]` (one example per row), `W` is `[in, out]` (column `j` holds the incoming
//! weights of unit `j`), `b` is `[out]` and broadcast over rows. Canonical parameter names are
//! `<layer>.weight` and `<layer>.bias`.
//!
//! Backward, with `ḡ = ∂L/∂z`:
//!
//! * `x̄ += ḡ Wᵀ`, `W̄ += xᵀ ḡ` — both accumulated straight into the gradient buffers by the
//!   matmul kernel (no transposed copies, no temporaries);
//! * `b̄ += Σ_rows ḡ` (a column sum, in the same node).
//!
//! [`dense_activation`] fuses an activation `y = f(z)` into the same node: the activation's
//! derivative scales `ḡ` once into a pooled scratch buffer, which then feeds the three
//! products above. For activations whose derivative is a function of the output (all but GELU
//! and swish) nothing is saved; otherwise `z` is kept.
//!
//! The perceptron with learnable weights goes back to Rosenblatt (1958); the layer is the
//! building block of every multi-layer perceptron (Rumelhart, Hinton & Williams, 1986).

use crate::activation::{Activation, Pointwise, set_grad_times_derivative, with_pointwise};
use crate::error::Result;
use nnc_tape::kernels::matmul::{MatRef, matmul_accumulate_into, matmul_into_then};
use nnc_tape::{Float, FusedGrad, FusedOp, Tape, TensorError, Var};
use std::marker::PhantomData;

/// Dimensions `(n, in, out)` of an affine map, after checking `x: [n, in]`, `w: [in, cols]` and
/// `b: [cols]`; `out = cols`.
pub(crate) fn affine_dims<T: Float>(
    op: &'static str,
    tape: &Tape<T>,
    x: Var,
    w: Var,
    b: Option<Var>,
) -> Result<(usize, usize, usize)> {
    let xs = tape.try_value(x)?.shape();
    let ws = tape.try_value(w)?.shape();
    let [n, k] = *xs else {
        return Err(TensorError::Rank {
            op,
            expected: 2,
            shape: xs.into(),
        }
        .into());
    };
    let [wk, m] = *ws else {
        return Err(TensorError::Rank {
            op,
            expected: 2,
            shape: ws.into(),
        }
        .into());
    };
    if wk != k {
        return Err(TensorError::ShapeMismatch {
            op,
            lhs: xs.into(),
            rhs: ws.into(),
            hint: format!(
                ": the input has {k} features but the weight expects {wk} (weight is [in, out])"
            ),
        }
        .into());
    }
    if let Some(b) = b {
        let bs = tape.try_value(b)?.shape();
        if bs != [m] {
            return Err(TensorError::ShapeMismatch {
                op,
                lhs: ws.into(),
                rhs: bs.into(),
                hint: format!(": the bias must be [{m}], one value per output"),
            }
            .into());
        }
    }
    Ok((n, k, m))
}

/// `dst = f(x W (+ b))` elementwise, with `dst` `[n, m]`: the product, with the bias added and
/// `f` applied (the identity for a plain dense layer) to each block of the result as soon as
/// the product has finished it, while it is in cache.
pub(crate) fn affine_forward<T: Float>(
    tape: &Tape<T>,
    dst: &mut [T],
    x: Var,
    w: Var,
    b: Option<Var>,
    (n, k, m): (usize, usize, usize),
    f: impl Fn(T) -> T + Sync,
) {
    let xv = tape.value(x).data();
    let wv = tape.value(w).data();
    let bv = b.map(|b| tape.value(b).data());
    let epilogue = |_row: usize, j0: usize, part: &mut [T]| match bv {
        Some(bv) => {
            for (o, &bj) in part.iter_mut().zip(&bv[j0..]) {
                *o = f(*o + bj);
            }
        }
        None => part.iter_mut().for_each(|o| *o = f(*o)),
    };
    matmul_into_then(dst, MatRef::new(xv, n, k), MatRef::new(wv, k, m), &epilogue);
}

/// The backward pass of `z = x W (+ b)` given `gz = ∂L/∂z` (`[n, m]`): inputs 0, 1 and (if
/// present) 2 of `grad` are `x`, `W`, `b`. Products write straight into fresh gradient buffers
/// (no zero fill) or accumulate into existing ones.
pub(crate) fn affine_backward<T: Float>(grad: &mut FusedGrad<'_, T>, gz: &[T]) {
    affine_backward_products(grad, gz);
    if grad.view().num_inputs() > 2 {
        let m = grad.view().input(1).shape()[1];
        grad.accumulate_or_write(2, |db, fresh| add_column_sums(db, gz, m, fresh));
    }
}

/// `x̄ += ḡ Wᵀ` and `W̄ += xᵀ ḡ`.
pub(crate) fn affine_backward_products<T: Float>(grad: &mut FusedGrad<'_, T>, gz: &[T]) {
    let v = grad.view();
    let (x, w) = (v.input(0), v.input(1));
    let (n, k) = (x.shape()[0], x.shape()[1]);
    let m = w.shape()[1];
    grad.accumulate_or_write(0, |dx, fresh| {
        matmul_accumulate_into(
            dx,
            MatRef::new(gz, n, m),
            MatRef::new(w.data(), k, m).t(),
            fresh,
        );
    });
    grad.accumulate_or_write(1, |dw, fresh| {
        matmul_accumulate_into(
            dw,
            MatRef::new(x.data(), n, k).t(),
            MatRef::new(gz, n, m),
            fresh,
        );
    });
}

/// `dst[j] += Σ_i g[i, j]` for a row-major `g` with `m` columns, rows in order (deterministic);
/// when `fresh`, `dst` holds no contribution yet and its first row is written as `0 + g[0, j]`.
#[inline]
pub(crate) fn add_column_sums<T: Float>(dst: &mut [T], g: &[T], m: usize, fresh: bool) {
    let mut rows = g.chunks_exact(m);
    if fresh {
        match rows.next() {
            Some(first) => {
                for (d, &gv) in dst.iter_mut().zip(first) {
                    *d = T::ZERO + gv;
                }
            }
            None => dst.fill(T::ZERO),
        }
    }
    for row in rows {
        for (d, &gv) in dst.iter_mut().zip(row) {
            *d += gv;
        }
    }
}

/// The inputs slice `[x, w]` or `[x, w, b]`.
#[inline]
pub(crate) fn affine_inputs(x: Var, w: Var, b: Option<Var>) -> ([Var; 3], usize) {
    match b {
        Some(b) => ([x, w, b], 3),
        None => ([x, w, w], 2),
    }
}

/// The fused dense op.
struct DenseOp;

impl<T: Float> FusedOp<T> for DenseOp {
    const NAME: &'static str = "dense";

    fn backward(grad: &mut FusedGrad<'_, T>) -> nnc_tape::Result<()> {
        let g = grad.view().grad_output().data();
        affine_backward(grad, g);
        Ok(())
    }
}

/// `x W + b` as one fused node: `x` `[n, in]`, `w` `[in, out]`, optional `b` `[out]`.
///
/// ```
/// use nnc_ops::dense;
/// use nnc_tape::{Tape, Tensor};
///
/// let mut tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0], &[1, 2])?);
/// let w = tape.var(Tensor::from_vec(vec![1.0, 0.0, 1.0, 0.0, 1.0, 1.0], &[2, 3])?);
/// let b = tape.var(Tensor::from_vec(vec![0.5, 0.5, 0.5], &[3])?);
/// let z = dense(&mut tape, x, w, Some(b))?;
/// assert_eq!(tape.value(z).data(), &[1.5, 2.5, 3.5]);
/// # Ok::<(), nnc_ops::OpsError>(())
/// ```
pub fn dense<T: Float>(tape: &mut Tape<T>, x: Var, w: Var, b: Option<Var>) -> Result<Var> {
    let dims = affine_dims("dense", tape, x, w, b)?;
    let mut out = tape.alloc_for_overwrite(&[dims.0, dims.2]);
    affine_forward(tape, out.data_mut(), x, w, b, dims, |z| z);
    let (inputs, len) = affine_inputs(x, w, b);
    Ok(tape.record_fused::<DenseOp>(&inputs[..len], out, [], &[])?)
}

/// The fused dense + activation op for the activation `P`.
struct DenseActivationOp<P>(PhantomData<P>);

impl<T: Float, P: Pointwise> FusedOp<T> for DenseActivationOp<P> {
    const NAME: &'static str = P::DENSE_NAME;

    fn backward(grad: &mut FusedGrad<'_, T>) -> nnc_tape::Result<()> {
        let v = grad.view();
        let (g, y) = (v.grad_output(), v.output());
        let a = T::from_f64(v.scalar(0));
        // The derivative reads z (saved) unless it is a function of y alone.
        let z = if P::FROM_OUTPUT { y } else { v.saved(0) };
        let m = y.shape()[1];
        let mut gz = grad.scratch_for_overwrite(g.shape());
        let (gzd, gd, zd, yd) = (gz.data_mut(), g.data(), z.data(), y.data());
        if v.num_inputs() > 2 && grad.needs_grad(2) {
            // ḡ_z row by row, adding each row into the bias gradient while it is in cache.
            grad.accumulate_or_write(2, |db, fresh| {
                for (i, gzr) in gzd.chunks_exact_mut(m).enumerate() {
                    let r = i * m..(i + 1) * m;
                    set_grad_times_derivative::<T, P>(
                        gzr,
                        &gd[r.clone()],
                        &zd[r.clone()],
                        &yd[r],
                        a,
                    );
                    if fresh && i == 0 {
                        db.iter_mut()
                            .zip(&*gzr)
                            .for_each(|(d, &x)| *d = T::ZERO + x);
                    } else {
                        db.iter_mut().zip(&*gzr).for_each(|(d, &x)| *d += x);
                    }
                }
            });
        } else {
            set_grad_times_derivative::<T, P>(gzd, gd, zd, yd, a);
        }
        affine_backward_products(grad, gz.data());
        grad.free(gz);
        Ok(())
    }
}

fn dense_activation_with<T: Float, P: Pointwise>(
    tape: &mut Tape<T>,
    x: Var,
    w: Var,
    b: Option<Var>,
    a: f64,
) -> Result<Var> {
    let dims = affine_dims(P::DENSE_NAME, tape, x, w, b)?;
    let (inputs, len) = affine_inputs(x, w, b);
    let inputs = &inputs[..len];
    let mut out = tape.alloc_for_overwrite(&[dims.0, dims.2]);
    let keep_z = !P::FROM_OUTPUT && tape.needs_grad(inputs);
    let at = T::from_f64(a);
    let saved = if keep_z {
        // The derivative needs z: keep a copy before applying the activation.
        affine_forward(tape, out.data_mut(), x, w, b, dims, |z| z);
        let mut z = tape.alloc_for_overwrite(&[dims.0, dims.2]);
        z.data_mut().copy_from_slice(out.data());
        for o in out.data_mut() {
            *o = P::value(*o, at);
        }
        Some(z)
    } else {
        affine_forward(tape, out.data_mut(), x, w, b, dims, |z| P::value(z, at));
        None
    };
    Ok(tape.record_fused::<DenseActivationOp<P>>(inputs, out, saved, &[a])?)
}

/// `f(x W + b)` as one fused node: the dense layer and its activation with a single backward
/// (`ḡ_z = ḡ ⊙ f'` into a pooled scratch buffer, then the dense backward). Equal to
/// [`dense`] followed by [`Activation::apply`], with one node and one buffer fewer.
pub fn dense_activation<T: Float>(
    tape: &mut Tape<T>,
    x: Var,
    w: Var,
    b: Option<Var>,
    act: Activation,
) -> Result<Var> {
    act.validate()?;
    if act == Activation::Identity {
        return dense(tape, x, w, b);
    }
    let a = act.parameter();
    with_pointwise!(act, P => dense_activation_with::<T, P>(tape, x, w, b, a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{check_gradient, randn};
    use nnc_tape::Tensor;

    #[test]
    fn forward_matches_matmul_plus_bias() {
        let (x, w, b) = (randn(&[5, 4], 1), randn(&[4, 3], 2), randn(&[3], 3));
        let mut tape = Tape::<f64>::new();
        let (xv, wv, bv) = (
            tape.constant(x.clone()),
            tape.constant(w.clone()),
            tape.constant(b.clone()),
        );
        let z = dense(&mut tape, xv, wv, Some(bv)).unwrap();
        let xw = x.matmul(&w).unwrap();
        for i in 0..5 {
            for j in 0..3 {
                let expected = xw.data()[i * 3 + j] + b.data()[j];
                assert!((tape.value(z).data()[i * 3 + j] - expected).abs() < 1e-14);
            }
        }
    }

    #[test]
    fn gradcheck_with_and_without_bias() {
        let inputs = [randn(&[5, 4], 1), randn(&[4, 3], 2), randn(&[3], 3)];
        check_gradient("dense", &inputs, 1e-6, |t, v| {
            Ok(dense(t, v[0], v[1], Some(v[2]))?)
        });
        check_gradient("dense (no bias)", &inputs[..2], 1e-6, |t, v| {
            Ok(dense(t, v[0], v[1], None)?)
        });
    }

    #[test]
    fn fused_activation_gradcheck_for_every_activation() {
        let inputs = [randn(&[6, 4], 4), randn(&[4, 5], 5), randn(&[5], 6)];
        for act in Activation::ALL {
            // Keep pre-activations away from the kinks of the rectifiers.
            let tol = 1e-6;
            check_gradient(act.name(), &inputs, tol, |t, v| {
                Ok(dense_activation(t, v[0], v[1], Some(v[2]), act)?)
            });
        }
    }

    #[test]
    fn fused_activation_equals_dense_then_activation_bitwise() {
        let (x, w, b) = (randn(&[7, 4], 7), randn(&[4, 5], 8), randn(&[5], 9));
        for act in Activation::ALL {
            let run = |fused: bool| {
                let mut tape = Tape::<f64>::new();
                let (xv, wv, bv) = (
                    tape.var(x.clone()),
                    tape.var(w.clone()),
                    tape.var(b.clone()),
                );
                let y = if fused {
                    dense_activation(&mut tape, xv, wv, Some(bv), act).unwrap()
                } else {
                    let z = dense(&mut tape, xv, wv, Some(bv)).unwrap();
                    act.apply(&mut tape, z).unwrap()
                };
                let out = tape.value(y).clone();
                let wsum = crate::testutil::weighted_sum(&mut tape, y).unwrap();
                let g = tape.backward(wsum).unwrap();
                let grads: Vec<Tensor<f64>> = [xv, wv, bv]
                    .iter()
                    .map(|&v| g.wrt(v).unwrap().clone())
                    .collect();
                (out, grads)
            };
            assert_eq!(run(true), run(false), "{act}");
        }
    }

    #[test]
    fn shape_errors_name_the_op_and_shapes() {
        let mut tape = Tape::<f32>::new();
        let x = tape.constant(Tensor::zeros(&[2, 3]));
        let w = tape.constant(Tensor::zeros(&[4, 5]));
        let e = dense(&mut tape, x, w, None).unwrap_err().to_string();
        assert_eq!(
            e,
            "dense: shapes [2, 3] and [4, 5] do not match: the input has 3 features but the \
             weight expects 4 (weight is [in, out])"
        );
        let w = tape.constant(Tensor::zeros(&[3, 5]));
        let b = tape.constant(Tensor::zeros(&[4]));
        let e = dense(&mut tape, x, w, Some(b)).unwrap_err().to_string();
        assert!(e.contains("the bias must be [5]"), "{e}");
    }

    #[test]
    fn no_gradient_needed_records_a_plain_value() {
        let mut tape = Tape::<f32>::new();
        let x = tape.constant(Tensor::ones(&[2, 3]));
        let w = tape.constant(Tensor::ones(&[3, 2]));
        let y = dense_activation(&mut tape, x, w, None, Activation::Gelu).unwrap();
        assert!(!tape.requires_grad(y));
        assert_eq!(tape.value(y).shape(), &[2, 2]);
    }
}
