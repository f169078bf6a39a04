//! Gradient checking: backward against central finite differences in f64.
//!
//! For each checked element `x_j`: `numeric = (f(x + ε e_j) − f(x − ε e_j)) / 2ε` with
//! `ε = 1e-6`, compared with the analytic gradient by the relative error
//! `|a − n| / max(|a|, |n|, floor)`. The textbook bands: above `1e-2` the gradient is wrong;
//! at or below `1e-7` it is right; up to `1e-4` is acceptable near kinks (ReLU, max).
//!
//! The floor is noise-aware: a central difference cannot resolve a gradient smaller than its
//! own rounding error, about `ε_mach·|f|/ε` (≈ 2e-10 for a loss near 1 and `ε = 1e-6`). The
//! floor is `max(floor, noise_factor · ε_mach · max(|f⁺|, |f⁻|, 1) / ε)`, so gradients below
//! what finite differences can see are not reported as wrong, while an error in any gradient
//! above the floor (≈ 2e-6 for a loss near 1) still is.
//!
//! Kinks (ReLU at 0, a max changing its winner) are detected rather than guessed: when an
//! element disagrees, its one-sided differences `(f⁺ − f)/ε` and `(f − f⁻)/ε` are compared;
//! a smooth function makes them agree to `O(ε)`, a kink between `x − ε` and `x + ε` makes them
//! differ by the change of slope. Such elements are counted as kink crossings and left out of
//! the worst error (they say nothing about the backward pass); an element that disagrees where
//! the function is smooth is always reported.

use crate::Tensor;
use crate::error::{Result, TensorError};
use crate::params::Parameters;
use crate::shape::{Shape, ShowShape};
use crate::tape::{Tape, Var};
use std::fmt;

/// Settings of a gradient check.
#[derive(Debug, Clone, Copy)]
pub struct GradcheckOptions {
    /// Finite-difference step `ε`.
    pub eps: f64,
    /// Denominator floor of the relative error, so gradients that are zero up to rounding do
    /// not produce huge relative errors.
    pub floor: f64,
    /// Check at most this many elements per tensor (evenly spaced), or all if `None`.
    pub max_elements: Option<usize>,
    /// Multiple of the finite-difference rounding noise `ε_mach·|f|/ε` below which gradients
    /// are not distinguishable from zero (raises the floor; 0 disables it).
    pub noise_factor: f64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            floor: 1e-8,
            max_elements: None,
            noise_factor: 1e4,
        }
    }
}

/// The textbook verdict on a relative error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// ≤ 1e-7: the gradient is right.
    Good,
    /// ≤ 1e-4: fine for functions with kinks (ReLU, max), suspicious otherwise.
    AcceptableWithKinks,
    /// ≤ 1e-2: usually wrong unless the network is deep or the loss is kinked.
    Suspicious,
    /// > 1e-2: the gradient is wrong.
    Wrong,
}

impl Verdict {
    /// The band a relative error falls in.
    pub fn of(relative_error: f64) -> Verdict {
        if relative_error.is_nan() || relative_error > 1e-2 {
            Verdict::Wrong
        } else if relative_error > 1e-4 {
            Verdict::Suspicious
        } else if relative_error > 1e-7 {
            Verdict::AcceptableWithKinks
        } else {
            Verdict::Good
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Good => "good",
            Verdict::AcceptableWithKinks => "ok with kinks",
            Verdict::Suspicious => "suspicious",
            Verdict::Wrong => "WRONG",
        })
    }
}

/// The result of checking one tensor: its worst element.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorCheck {
    /// The tensor's name (`input 0`, or a parameter name).
    pub name: String,
    /// The tensor's shape.
    pub shape: Shape,
    /// How many elements were checked.
    pub checked: usize,
    /// Row-major index of the element with the largest relative error.
    pub worst_index: usize,
    /// Backward's gradient at that element.
    pub analytic: f64,
    /// The central-difference estimate at that element.
    pub numeric: f64,
    /// Relative error at that element.
    pub relative_error: f64,
    /// Elements left out because the perturbation crossed a kink.
    pub kinks: usize,
}

impl TensorCheck {
    /// The textbook band of this tensor's worst error.
    pub fn verdict(&self) -> Verdict {
        Verdict::of(self.relative_error)
    }
}

/// Per-tensor results of a gradient check.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GradcheckReport {
    /// One entry per checked tensor, in input order.
    pub tensors: Vec<TensorCheck>,
}

impl GradcheckReport {
    /// The largest relative error over all tensors (0 if nothing was checked).
    pub fn max_relative_error(&self) -> f64 {
        self.tensors
            .iter()
            .map(|t| t.relative_error)
            .fold(0.0, |a, b| if b.is_nan() { f64::NAN } else { a.max(b) })
    }

    /// The worst verdict over all tensors.
    pub fn verdict(&self) -> Verdict {
        Verdict::of(self.max_relative_error())
    }
}

impl fmt::Display for GradcheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .tensors
            .iter()
            .map(|t| t.name.len())
            .max()
            .unwrap_or(6)
            .max(6);
        writeln!(
            f,
            "{:<width$}  {:<12}  {:>7}  {:>5}  {:>13}  {:>13}  {:>9}  verdict",
            "tensor", "shape", "checked", "kinks", "analytic", "numeric", "rel.err"
        )?;
        for t in &self.tensors {
            writeln!(
                f,
                "{:<width$}  {:<12}  {:>7}  {:>5}  {:>13.6e}  {:>13.6e}  {:>9.2e}  {}",
                t.name,
                ShowShape(&t.shape).to_string(),
                t.checked,
                t.kinks,
                t.analytic,
                t.numeric,
                t.relative_error,
                t.verdict()
            )?;
        }
        Ok(())
    }
}

/// `|a − n| / max(|a|, |n|, floor)`.
pub fn relative_error(analytic: f64, numeric: f64, floor: f64) -> f64 {
    let diff = (analytic - numeric).abs();
    if diff == 0.0 {
        return 0.0;
    }
    diff / analytic.abs().max(numeric.abs()).max(floor)
}

/// The elements to check: all, or `max` evenly spaced ones (always including the first).
fn checked_elements(n: usize, max: Option<usize>) -> Vec<usize> {
    match max {
        Some(m) if m < n && m > 0 => (0..m).map(|i| i * n / m).collect(),
        _ => (0..n).collect(),
    }
}

/// Evaluates `f` with recording off and returns its scalar value.
fn eval_scalar(tape: &mut Tape<f64>, loss: Result<Var>) -> Result<f64> {
    let loss = loss?;
    let v = tape.value(loss).item();
    tape.reset();
    v
}

/// Relative errors above this are examined for a kink crossing.
const KINK_SUSPECT: f64 = 1e-4;

/// Compares one analytic gradient with central differences. `f_at(j, x, eval)` sets element
/// `j` to `x` and, if `eval`, returns the loss there; `f0` is the loss at the unperturbed point.
fn check_tensor(
    name: String,
    value: &Tensor<f64>,
    analytic: Option<&Tensor<f64>>,
    opts: &GradcheckOptions,
    f0: f64,
    mut f_at: impl FnMut(usize, f64, bool) -> Result<f64>,
) -> Result<TensorCheck> {
    let mut worst = TensorCheck {
        name,
        shape: value.shape().into(),
        checked: 0,
        worst_index: 0,
        analytic: 0.0,
        numeric: 0.0,
        relative_error: -1.0,
        kinks: 0,
    };
    for j in checked_elements(value.numel(), opts.max_elements) {
        let x = value.data()[j];
        let plus = f_at(j, x + opts.eps, true)?;
        let minus = f_at(j, x - opts.eps, true)?;
        f_at(j, x, false)?; // restore without evaluating
        let numeric = (plus - minus) / (2.0 * opts.eps);
        let a = analytic.map_or(0.0, |g| g.data()[j]);
        let noise =
            opts.noise_factor * f64::EPSILON * plus.abs().max(minus.abs()).max(1.0) / opts.eps;
        let rel = relative_error(a, numeric, opts.floor.max(noise));
        worst.checked += 1;
        if rel > KINK_SUSPECT {
            // One-sided differences agree to O(ε) where f is smooth; a kink between x − ε and
            // x + ε makes them differ by the change of slope.
            let forward = (plus - f0) / opts.eps;
            let backward = (f0 - minus) / opts.eps;
            let gap = (forward - backward).abs();
            if gap > 0.01 * forward.abs().max(backward.abs()) + 4.0 * noise {
                worst.kinks += 1;
                continue;
            }
        }
        if rel > worst.relative_error || rel.is_nan() {
            worst.worst_index = j;
            worst.analytic = a;
            worst.numeric = numeric;
            worst.relative_error = rel;
        }
    }
    worst.relative_error = worst.relative_error.max(0.0);
    Ok(worst)
}

/// Checks the gradient of the scalar function `f` with respect to each of `inputs`.
///
/// `f` receives a tape and one variable per input and returns the scalar loss. It is called
/// once with recording on (for backward) and twice per checked element with recording off.
pub fn gradcheck(
    inputs: &[Tensor<f64>],
    f: impl FnMut(&mut Tape<f64>, &[Var]) -> Result<Var>,
) -> Result<GradcheckReport> {
    gradcheck_with(inputs, GradcheckOptions::default(), f)
}

/// [`gradcheck`] with explicit options.
pub fn gradcheck_with(
    inputs: &[Tensor<f64>],
    opts: GradcheckOptions,
    mut f: impl FnMut(&mut Tape<f64>, &[Var]) -> Result<Var>,
) -> Result<GradcheckReport> {
    let mut tape = Tape::<f64>::new();
    let vars: Vec<Var> = inputs.iter().map(|t| tape.var(t.clone())).collect();
    let loss = f(&mut tape, &vars)?;
    let grads = tape.backward(loss)?;
    let analytic: Vec<Option<Tensor<f64>>> = vars.iter().map(|&v| grads.wrt(v).cloned()).collect();
    drop(grads);
    tape.reset();
    tape.set_grad_enabled(false);

    let mut current: Vec<Tensor<f64>> = inputs.to_vec();
    let f0 = {
        let vars: Vec<Var> = current.iter().map(|t| tape.constant(t.clone())).collect();
        let loss = f(&mut tape, &vars);
        eval_scalar(&mut tape, loss)?
    };
    let mut report = GradcheckReport::default();
    for (k, input) in inputs.iter().enumerate() {
        let check = check_tensor(
            format!("input {k}"),
            input,
            analytic[k].as_ref(),
            &opts,
            f0,
            |j, x, eval| {
                current[k].data_mut()[j] = x;
                if !eval {
                    return Ok(0.0);
                }
                let vars: Vec<Var> = current.iter().map(|t| tape.constant(t.clone())).collect();
                let loss = f(&mut tape, &vars);
                eval_scalar(&mut tape, loss)
            },
        )?;
        report.tensors.push(check);
    }
    Ok(report)
}

/// Checks the gradient of `f` with respect to every trainable parameter of `params`.
///
/// `f` records the loss of a model whose parameters come from the store it receives. The
/// parameters are perturbed in place and restored afterwards.
pub fn gradcheck_params(
    params: &mut Parameters<f64>,
    opts: GradcheckOptions,
    mut f: impl FnMut(&mut Tape<f64>, &Parameters<f64>) -> Result<Var>,
) -> Result<GradcheckReport> {
    let mut tape = Tape::<f64>::new();
    let loss = f(&mut tape, params)?;
    let grads = tape.backward(loss)?;
    let ids: Vec<_> = params.ids().filter(|&id| params.is_trainable(id)).collect();
    let analytic: Vec<Option<Tensor<f64>>> =
        ids.iter().map(|&id| grads.param(id).cloned()).collect();
    drop(grads);
    tape.reset();
    tape.set_grad_enabled(false);
    let f0 = {
        let loss = f(&mut tape, params);
        eval_scalar(&mut tape, loss)?
    };

    let mut report = GradcheckReport::default();
    for (k, &id) in ids.iter().enumerate() {
        let value = params.value(id).clone();
        let check = check_tensor(
            params.name(id).to_string(),
            &value,
            analytic[k].as_ref(),
            &opts,
            f0,
            |j, x, eval| {
                params.value_mut(id)?.data_mut()[j] = x;
                if !eval {
                    return Ok(0.0);
                }
                let loss = f(&mut tape, params);
                eval_scalar(&mut tape, loss)
            },
        )?;
        if params.value(id) != &value {
            return Err(TensorError::invalid(
                "gradcheck",
                "a parameter was not restored after perturbation",
            ));
        }
        report.tensors.push(check);
    }
    Ok(report)
}
