//! Batch normalisation over features: each column of `x` `[n, d]` is normalised with batch
//! statistics in Train mode and running statistics in Eval mode, then scaled and shifted by the
//! learnable `γ` and `β`. One fused node with a closed-form backward.
//!
//! Ioffe & Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
//! Internal Covariate Shift" (2015). Practical effect (CS231n): much less sensitivity to the
//! weight initialisation, higher usable learning rates, some regularisation; a bias right before
//! batch norm is cancelled by the mean subtraction (β takes its role).
//!
//! **Train mode**, per feature `j` over the `n` rows (PyTorch's convention throughout):
//!
//! ```text
//! μ = (1/n) Σ x          σ² = (1/n) Σ (x − μ)²   (biased: used for normalising)
//! x̂ = (x − μ) / √(σ² + ε)        y = γ ⊙ x̂ + β        ε = 1e-5 inside the square root
//! running_mean = (1 − m)·running_mean + m·μ
//! running_var  = (1 − m)·running_var  + m·σ²·n/(n − 1)   (unbiased: used for the running update)
//! ```
//!
//! with momentum `m = 0.1` (the weight of the new batch). Train mode needs `n ≥ 2` (one example
//! has no variance): fewer is an error, not a panic. Running statistics are buffers, updated off
//! the tape (they get no gradient).
//!
//! Backward (Train), with `ḡ = ∂L/∂y` and sums over the batch:
//!
//! ```text
//! γ̄ += Σ ḡ ⊙ x̂        β̄ += Σ ḡ
//! x̄ += (γ / √(σ² + ε)) / n ⊙ (n ḡ − Σ ḡ − x̂ ⊙ Σ (ḡ ⊙ x̂))
//! ```
//!
//! **Eval mode** uses the running statistics, so the map is a fixed per-feature affine map:
//! `y = γ ⊙ (x − running_mean) / √(running_var + ε) + β`, `x̄ += ḡ ⊙ γ / √(running_var + ε)`.
//!
//! With `affine: false` there are no `γ`, `β` (equivalently γ = 1, β = 0). Canonical names:
//! `<bn>.gamma`, `<bn>.beta`, `<bn>.running_mean`, `<bn>.running_var`.

use crate::activation::{Activation, IdentityFn, Pointwise, with_pointwise};
use crate::error::{OpsError, Result};
use crate::mode::{ForwardCtx, Mode};
use nnc_tape::{Float, FusedGrad, FusedOp, Tape, Tensor, TensorError, Var, collective};
use std::marker::PhantomData;

/// Settings of a batch-norm layer (PyTorch's defaults).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BatchNormConfig {
    /// Weight of the new batch in the running averages, in `[0, 1]` (default 0.1).
    pub momentum: f64,
    /// Added to the variance inside the square root, `> 0` (default 1e-5).
    pub eps: f64,
}

impl Default for BatchNormConfig {
    fn default() -> Self {
        BatchNormConfig {
            momentum: 0.1,
            eps: 1e-5,
        }
    }
}

impl BatchNormConfig {
    /// Checks `momentum ∈ [0, 1]` and `eps > 0`.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.momentum) {
            return Err(OpsError::config(
                "batchnorm",
                format!(
                    "momentum must be in [0, 1] (0.1 is standard), got {}",
                    self.momentum
                ),
            ));
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(OpsError::config(
                "batchnorm",
                format!(
                    "eps must be a finite number > 0 (1e-5 is standard), got {}",
                    self.eps
                ),
            ));
        }
        Ok(())
    }
}

/// Checks `x: [n, d]`, `γ, β: [d]` and returns `(n, d)`.
fn check_shapes<T: Float>(
    op: &'static str,
    tape: &Tape<T>,
    x: Var,
    affine: Option<(Var, Var)>,
) -> Result<(usize, usize)> {
    let xs = tape.try_value(x)?.shape();
    let [n, d] = *xs else {
        return Err(TensorError::Rank {
            op,
            expected: 2,
            shape: xs.into(),
        }
        .into());
    };
    if let Some((g, b)) = affine {
        for p in [g, b] {
            let ps = tape.try_value(p)?.shape();
            if ps != [d] {
                return Err(TensorError::ShapeMismatch {
                    op,
                    lhs: xs.into(),
                    rhs: ps.into(),
                    hint: format!(": gamma and beta must be [{d}], one value per feature"),
                }
                .into());
            }
        }
    }
    Ok((n, d))
}

fn check_running<T: Float>(
    op: &'static str,
    d: usize,
    mean: &Tensor<T>,
    var: &Tensor<T>,
) -> Result<()> {
    for t in [mean, var] {
        if t.shape() != [d] {
            return Err(TensorError::ShapeMismatch {
                op,
                lhs: [d].as_slice().into(),
                rhs: t.shape().into(),
                hint: format!(": running statistics must be [{d}], one value per feature"),
            }
            .into());
        }
    }
    Ok(())
}

/// `[x]` or `[x, γ, β]`.
fn bn_inputs(x: Var, affine: Option<(Var, Var)>) -> ([Var; 3], usize) {
    match affine {
        Some((g, b)) => ([x, g, b], 3),
        None => ([x, x, x], 1),
    }
}

/// Applies `y = γ x̂ + β` in place when affine, keeping a copy of `x̂` for backward if needed.
/// Returns the saved tensors after `inv_std`.
fn scale_shift<T: Float>(
    tape: &mut Tape<T>,
    out: &mut Tensor<T>,
    affine: Option<(Var, Var)>,
    keep_xhat: bool,
    d: usize,
) -> Option<Tensor<T>> {
    let (g, b) = affine?;
    let xhat = keep_xhat.then(|| {
        let mut t = tape.alloc_for_overwrite(out.shape());
        t.data_mut().copy_from_slice(out.data());
        t
    });
    let (gv, bv) = (tape.value(g).data(), tape.value(b).data());
    for row in out.data_mut().chunks_exact_mut(d) {
        for ((o, &gj), &bj) in row.iter_mut().zip(gv).zip(bv) {
            *o = gj * *o + bj;
        }
    }
    xhat
}

/// Backward of the affine part: `γ̄ += Σ ḡ x̂`, `β̄ += Σ ḡ` from precomputed column sums.
fn affine_grads<T: Float>(grad: &mut FusedGrad<'_, T>, sum_g: &[T], sum_gx: &[T]) {
    if grad.view().num_inputs() == 3 {
        grad.accumulate(1, |dg| {
            dg.iter_mut().zip(sum_gx).for_each(|(d, &s)| *d += s)
        });
        grad.accumulate(2, |db| db.iter_mut().zip(sum_g).for_each(|(d, &s)| *d += s));
    }
}

/// `x̂`: saved(1) when affine, else the output itself.
fn saved_xhat<'a, T: Float>(v: &nnc_tape::FusedView<'a, T>) -> &'a Tensor<T> {
    if v.num_inputs() == 3 {
        v.saved(1)
    } else {
        v.output()
    }
}

/// Column sums `Σ ḡ` and `Σ ḡ ⊙ x̂` into two pooled scratch vectors.
fn column_sums<T: Float>(grad: &mut FusedGrad<'_, T>, d: usize) -> (Tensor<T>, Tensor<T>) {
    let v = grad.view();
    let (g, xhat) = (v.grad_output().data(), saved_xhat(&v).data());
    column_sums_of(grad, d, g, xhat, |_, g| g)
}

/// Column sums `Σ ḡ'` and `Σ ḡ' ⊙ x̂` of `ḡ' = h(i, ḡ_i)` into two pooled scratch vectors,
/// rows in order.
fn column_sums_of<T: Float>(
    grad: &mut FusedGrad<'_, T>,
    d: usize,
    g: &[T],
    xhat: &[T],
    h: impl Fn(usize, T) -> T,
) -> (Tensor<T>, Tensor<T>) {
    let mut sum_g = grad.scratch(&[d]);
    let mut sum_gx = grad.scratch(&[d]);
    let (sg, sgx) = (sum_g.data_mut(), sum_gx.data_mut());
    for (i, (grow, xrow)) in g.chunks_exact(d).zip(xhat.chunks_exact(d)).enumerate() {
        for j in 0..d {
            let gv = h(i * d + j, grow[j]);
            sg[j] += gv;
            sgx[j] += gv * xrow[j];
        }
    }
    (sum_g, sum_gx)
}

/// The fused Train-mode batch-norm op followed by the activation `P` (the identity for plain
/// batch norm). Saved: `inv_std = 1/√(σ² + ε)` and `x̂`; scalar 0 is the activation's
/// parameter.
struct BatchNormTrainOp<P>(PhantomData<P>);

/// `ḡ'` of one row: the activation's backward `0 + ḡ ⊙ f'(z, y)`, exactly as its own node
/// would accumulate it, with `z = γ x̂ + β` recomputed as in the forward pass (or `x̂` when
/// there is no affine part or `f'` is read from the output). Slices of one row, so the loop
/// vectorises.
fn activation_backward_row<T: Float, P: Pointwise>(
    g: &[T],
    xhat: &[T],
    y: &[T],
    affine: Option<(&[T], &[T])>,
    a: T,
    out: &mut [T],
) {
    let d = out.len();
    let (g, xhat, y) = (&g[..d], &xhat[..d], &y[..d]);
    match affine {
        Some((gm, bt)) if !P::FROM_OUTPUT => {
            let (gm, bt) = (&gm[..d], &bt[..d]);
            for j in 0..d {
                out[j] = T::ZERO + g[j] * P::derivative(gm[j] * xhat[j] + bt[j], y[j], a);
            }
        }
        _ => {
            for j in 0..d {
                out[j] = T::ZERO + g[j] * P::derivative(xhat[j], y[j], a);
            }
        }
    }
}

/// What the rows of `ḡ'` are computed from.
struct Rows<'a, T> {
    g: &'a [T],
    xhat: &'a [T],
    y: &'a [T],
    gb: Option<(&'a [T], &'a [T])>,
    a: T,
    d: usize,
}

impl<T: Float> Rows<'_, T> {
    /// Row `i` of `ḡ'`: `ḡ` itself for the identity, else computed into `row`.
    fn grad<'b, P: Pointwise>(&'b self, row: &'b mut Option<Tensor<T>>, i: usize) -> &'b [T] {
        let span = i * self.d..(i + 1) * self.d;
        match row {
            Some(r) => {
                let (g, xr, yr) = (
                    &self.g[span.clone()],
                    &self.xhat[span.clone()],
                    &self.y[span],
                );
                activation_backward_row::<T, P>(g, xr, yr, self.gb, self.a, r.data_mut());
                &r.data()[..self.d]
            }
            None => &self.g[span],
        }
    }
}

impl<T: Float, P: Pointwise> FusedOp<T> for BatchNormTrainOp<P> {
    const NAME: &'static str = P::BATCHNORM_NAME;

    fn backward(grad: &mut FusedGrad<'_, T>) -> nnc_tape::Result<()> {
        let v = grad.view();
        let (n, d) = (v.input(0).shape()[0], v.input(0).shape()[1]);
        let affine = v.num_inputs() == 3;
        let (g, y) = (v.grad_output().data(), v.output().data());
        let (inv_std, xhat) = (v.saved(0).data(), v.saved(1).data());
        let gamma = affine.then(|| v.input(1).data());
        let gb = gamma.map(|gm| (gm, v.input(2).data()));
        let a = T::from_f64(v.scalar(0));
        // Row by row: ḡ' = ∂L/∂(batch-norm output) of the row (ḡ itself for plain batch norm),
        // then its contributions; every element sees the same operations in the same order as
        // a scalar loop, so the results are bit-identical to it.
        let mut row = (!P::IDENTITY).then(|| grad.scratch_for_overwrite(&[d]));
        let rows = Rows {
            g,
            xhat,
            y,
            gb,
            a,
            d,
        };
        let mut sum_g = grad.scratch(&[d]);
        let mut sum_gx = grad.scratch(&[d]);
        {
            let (sg, sgx) = (&mut sum_g.data_mut()[..d], &mut sum_gx.data_mut()[..d]);
            for i in 0..n {
                let (gp, xrow) = (rows.grad::<P>(&mut row, i), &xhat[i * d..(i + 1) * d]);
                for j in 0..d {
                    sg[j] += gp[j];
                    sgx[j] += gp[j] * xrow[j];
                }
            }
        }
        affine_grads(grad, sum_g.data(), sum_gx.data());
        // Data-parallel: γ̄ and β̄ are this shard's part (the gradients are summed later), but
        // x̄ needs the sums and the row count of the global batch.
        let n = sum_backward_across(&mut sum_g.data_mut()[..d], &mut sum_gx.data_mut()[..d], n);
        let (nt, inv_n) = (T::from_usize(n), T::ONE / T::from_usize(n));
        // scale_j = γ_j / √(σ_j² + ε) / n, multiplied in the same order as before.
        let mut scale = grad.scratch_for_overwrite(&[d]);
        for (j, s) in scale.data_mut().iter_mut().enumerate() {
            *s = gamma.map_or(T::ONE, |gm| gm[j]) * inv_std[j] * inv_n;
        }
        let (sg, sgx, sc) = (&sum_g.data()[..d], &sum_gx.data()[..d], &scale.data()[..d]);
        grad.accumulate_or_write(0, |dx, fresh| {
            for (i, drow) in dx.chunks_exact_mut(d).enumerate() {
                let (gp, xrow) = (rows.grad::<P>(&mut row, i), &xhat[i * d..(i + 1) * d]);
                let drow = &mut drow[..d];
                if fresh {
                    for j in 0..d {
                        drow[j] = T::ZERO + sc[j] * (nt * gp[j] - sg[j] - xrow[j] * sgx[j]);
                    }
                } else {
                    for j in 0..d {
                        drow[j] += sc[j] * (nt * gp[j] - sg[j] - xrow[j] * sgx[j]);
                    }
                }
            }
        });
        grad.free(scale);
        grad.free(sum_g);
        grad.free(sum_gx);
        if let Some(r) = row {
            grad.free(r);
        }
        Ok(())
    }
}

/// Sums the column sums `columns` and the row count `n` across the ranks of a data-parallel
/// step ([`collective::sum_across`]); returns the global row count (`n` alone in a single
/// process, where nothing is summed or allocated).
fn sum_columns_across<T: Float>(columns: &mut [T], n: usize) -> usize {
    if collective::current().is_none() {
        return n;
    }
    let mut wide: Vec<T> = columns.to_vec();
    wide.push(T::from_usize(n));
    collective::sum_across(&mut wide);
    columns.copy_from_slice(&wide[..columns.len()]);
    wide[columns.len()].to_f64() as usize
}

/// Backward's `Σ ḡ`, `Σ ḡ ⊙ x̂` and row count summed across the ranks of a data-parallel
/// step, in one exchange; the global row count.
fn sum_backward_across<T: Float>(sum_g: &mut [T], sum_gx: &mut [T], n: usize) -> usize {
    if collective::current().is_none() {
        return n;
    }
    let d = sum_g.len();
    let mut wide: Vec<T> = sum_g.iter().chain(sum_gx.iter()).copied().collect();
    wide.push(T::from_usize(n));
    collective::sum_across(&mut wide);
    sum_g.copy_from_slice(&wide[..d]);
    sum_gx.copy_from_slice(&wide[d..2 * d]);
    wide[2 * d].to_f64() as usize
}

/// Train-mode batch norm of `x` `[n, d]` with batch statistics, as one fused node.
///
/// `affine` is `Some((γ, β))` (each `[d]`) or `None`. If `running` is `Some((mean, var))`, the
/// running statistics are updated off the tape with momentum `cfg.momentum` (unbiased variance);
/// `None` leaves them untouched. Fails for fewer than 2 rows.
pub fn batch_norm_train<T: Float>(
    tape: &mut Tape<T>,
    x: Var,
    affine: Option<(Var, Var)>,
    cfg: BatchNormConfig,
    running: Option<(&mut Tensor<T>, &mut Tensor<T>)>,
) -> Result<Var> {
    batch_norm_train_with::<T, IdentityFn>(tape, x, affine, cfg, running, 0.0)
}

/// Train-mode batch norm followed by the activation `act`, as one fused node: the same values
/// and gradients as [`batch_norm_train`] then [`Activation::apply`], with one pass, one node and
/// one buffer fewer in each direction.
pub fn batch_norm_train_activation<T: Float>(
    tape: &mut Tape<T>,
    x: Var,
    affine: Option<(Var, Var)>,
    cfg: BatchNormConfig,
    running: Option<(&mut Tensor<T>, &mut Tensor<T>)>,
    act: Activation,
) -> Result<Var> {
    act.validate()?;
    let a = act.parameter();
    with_pointwise!(act, P => batch_norm_train_with::<T, P>(tape, x, affine, cfg, running, a))
}

fn batch_norm_train_with<T: Float, P: Pointwise>(
    tape: &mut Tape<T>,
    x: Var,
    affine: Option<(Var, Var)>,
    cfg: BatchNormConfig,
    running: Option<(&mut Tensor<T>, &mut Tensor<T>)>,
    a: f64,
) -> Result<Var> {
    cfg.validate()?;
    let (n, d) = check_shapes("batchnorm_train", tape, x, affine)?;
    let data_parallel = collective::current().is_some();
    if n < 2 && !data_parallel {
        return Err(OpsError::BatchTooSmall {
            op: "batchnorm",
            examples: n,
        });
    }
    if let Some((m, v)) = &running {
        check_running("batchnorm_train", d, m, v)?;
    }
    let (inputs, len) = bn_inputs(x, affine);
    let inputs = &inputs[..len];
    let needs = tape.needs_grad(inputs);
    let mut out = tape.alloc_for_overwrite(&[n, d]);
    let mut xhat = needs.then(|| tape.alloc_for_overwrite(&[n, d]));
    let mut mean = tape.alloc_zeros(&[d]);
    let mut inv_std = tape.alloc_zeros(&[d]);
    {
        let xv = tape.value(x).data();
        let (mu, var) = (mean.data_mut(), inv_std.data_mut());
        for row in xv.chunks_exact(d) {
            mu.iter_mut().zip(row).for_each(|(m, &v)| *m += v);
        }
        // Data-parallel: the statistics of the global batch (Σx, then Σ(x − μ)², summed
        // across the ranks); `n` is the global row count from here on.
        let n = sum_columns_across(mu, n);
        if n < 2 {
            return Err(OpsError::BatchTooSmall {
                op: "batchnorm",
                examples: n,
            });
        }
        let inv_n = T::ONE / T::from_usize(n);
        mu.iter_mut().for_each(|m| *m *= inv_n);
        for row in xv.chunks_exact(d) {
            for ((s, &v), &m) in var.iter_mut().zip(row).zip(mu.iter()) {
                let c = v - m;
                *s += c * c;
            }
        }
        if data_parallel {
            sum_columns_across(var, 0);
        }
        var.iter_mut().for_each(|s| *s *= inv_n); // biased σ²
        if let Some((rm, rv)) = running {
            let m = T::from_f64(cfg.momentum);
            let keep = T::ONE - m;
            let unbias = T::from_usize(n) / T::from_usize(n - 1);
            for (r, &b) in rm.data_mut().iter_mut().zip(mu.iter()) {
                *r = keep * *r + m * b;
            }
            for (r, &b) in rv.data_mut().iter_mut().zip(var.iter()) {
                *r = keep * *r + m * b * unbias;
            }
        }
        let eps = T::from_f64(cfg.eps);
        var.iter_mut().for_each(|s| *s = T::ONE / (*s + eps).sqrt());
        // One pass: x̂ = (x − μ)·inv_std (kept for backward), y = f(γ x̂ + β).
        let is = &*var;
        let gb = affine.map(|(g, b)| (tape.value(g).data(), tape.value(b).data()));
        let at = T::from_f64(a);
        let mut xh_rows = xhat.as_mut().map(|t| t.data_mut().chunks_exact_mut(d));
        for (orow, xrow) in out.data_mut().chunks_exact_mut(d).zip(xv.chunks_exact(d)) {
            let xh_row = xh_rows.as_mut().and_then(|r| r.next());
            for j in 0..d {
                let xh = (xrow[j] - mu[j]) * is[j];
                orow[j] = xh;
            }
            if let Some(h) = xh_row {
                h.copy_from_slice(orow);
            }
            match gb {
                Some((gv, bv)) => {
                    for j in 0..d {
                        orow[j] = P::value(gv[j] * orow[j] + bv[j], at);
                    }
                }
                None if !P::IDENTITY => orow.iter_mut().for_each(|o| *o = P::value(*o, at)),
                None => {}
            }
        }
    }
    tape.free(mean);
    // Without a gradient to compute, `record_fused` recycles the saved tensors at once.
    let saved = std::iter::once(inv_std).chain(xhat);
    Ok(tape.record_fused::<BatchNormTrainOp<P>>(inputs, out, saved, &[a])?)
}

/// The fused Eval-mode batch-norm op. Saved: `inv_std` of the running variance and, when affine,
/// `x̂`.
struct BatchNormEvalOp;

impl<T: Float> FusedOp<T> for BatchNormEvalOp {
    const NAME: &'static str = "batchnorm_eval";

    fn backward(grad: &mut FusedGrad<'_, T>) -> nnc_tape::Result<()> {
        let v = grad.view();
        let d = v.input(0).shape()[1];
        if v.num_inputs() == 3 && (grad.needs_grad(1) || grad.needs_grad(2)) {
            let (sum_g, sum_gx) = column_sums(grad, d);
            affine_grads(grad, sum_g.data(), sum_gx.data());
            grad.free(sum_g);
            grad.free(sum_gx);
        }
        let (g, inv_std) = (v.grad_output().data(), v.saved(0).data());
        let gamma = (v.num_inputs() == 3).then(|| v.input(1).data());
        grad.accumulate(0, |dx| {
            for (drow, grow) in dx.chunks_exact_mut(d).zip(g.chunks_exact(d)) {
                for j in 0..d {
                    drow[j] += grow[j] * gamma.map_or(T::ONE, |gm| gm[j]) * inv_std[j];
                }
            }
        });
        Ok(())
    }
}

/// Eval-mode batch norm of `x` `[n, d]` with the running statistics (each `[d]`), as one fused
/// node: `y = γ ⊙ (x − running_mean) / √(running_var + ε) + β`. Works for any `n`, including 1.
pub fn batch_norm_eval<T: Float>(
    tape: &mut Tape<T>,
    x: Var,
    affine: Option<(Var, Var)>,
    eps: f64,
    running_mean: &Tensor<T>,
    running_var: &Tensor<T>,
) -> Result<Var> {
    BatchNormConfig { momentum: 0.1, eps }.validate()?;
    let (n, d) = check_shapes("batchnorm_eval", tape, x, affine)?;
    check_running("batchnorm_eval", d, running_mean, running_var)?;
    let (inputs, len) = bn_inputs(x, affine);
    let inputs = &inputs[..len];
    let needs = tape.needs_grad(inputs);
    let mut out = tape.alloc_zeros(&[n, d]);
    let mut inv_std = tape.alloc_zeros(&[d]);
    let e = T::from_f64(eps);
    for (s, &v) in inv_std.data_mut().iter_mut().zip(running_var.data()) {
        *s = T::ONE / (v + e).sqrt();
    }
    {
        let (xv, mu, is) = (tape.value(x).data(), running_mean.data(), inv_std.data());
        for (orow, xrow) in out.data_mut().chunks_exact_mut(d).zip(xv.chunks_exact(d)) {
            for j in 0..d {
                orow[j] = (xrow[j] - mu[j]) * is[j];
            }
        }
    }
    let xhat = scale_shift(tape, &mut out, affine, needs, d);
    Ok(tape.record_fused::<BatchNormEvalOp>(inputs, out, [inv_std].into_iter().chain(xhat), &[])?)
}

/// Batch norm in the context's mode: [`batch_norm_train`] (updating the running statistics when
/// `ctx.update_buffers`) or [`batch_norm_eval`].
pub fn batch_norm<T: Float>(
    tape: &mut Tape<T>,
    x: Var,
    affine: Option<(Var, Var)>,
    cfg: BatchNormConfig,
    running_mean: &mut Tensor<T>,
    running_var: &mut Tensor<T>,
    ctx: &ForwardCtx<'_>,
) -> Result<Var> {
    match ctx.mode {
        Mode::Train => {
            let running = ctx.update_buffers.then_some((running_mean, running_var));
            batch_norm_train(tape, x, affine, cfg, running)
        }
        Mode::Eval => batch_norm_eval(tape, x, affine, cfg.eps, running_mean, running_var),
    }
}

#[cfg(test)]
mod tests;
