//! Elementwise functions: `eˣ`, `ln x`, `√x`, `xᵖ`.
//!
//! Backward: `∂eˣ = eˣ` (from the saved output), `∂ln x = 1/x`, `∂√x = 1/(2√x)` (from the
//! output), `∂xᵖ = p·xᵖ⁻¹`.

use crate::error::Result;
use crate::tape::{GradSink, Op, Tape, Var};
use crate::{Float, Tensor};

impl<T: Float> Tape<T> {
    /// `eˣ` elementwise.
    pub fn exp(&mut self, x: Var) -> Result<Var> {
        self.unary_map("exp", x, Op::Exp(x), |v| v.exp())
    }

    /// Natural logarithm elementwise (`ln 0 = −∞`, negative inputs give NaN, as in IEEE).
    pub fn log(&mut self, x: Var) -> Result<Var> {
        self.unary_map("log", x, Op::Log(x), |v| v.ln())
    }

    /// Square root elementwise.
    pub fn sqrt(&mut self, x: Var) -> Result<Var> {
        self.unary_map("sqrt", x, Op::Sqrt(x), |v| v.sqrt())
    }

    /// `xᵖ` elementwise for a constant exponent `p`.
    pub fn powf(&mut self, x: Var, p: f64) -> Result<Var> {
        let pt = T::from_f64(p);
        self.unary_map("powf", x, Op::Powf(x, p), |v| v.powf(pt))
    }
}

/// `x̄ += ḡ ⊙ f(i)`.
fn accumulate_scaled<T: Float>(
    x: Var,
    g: Tensor<T>,
    sink: &mut GradSink<'_, T>,
    f: impl Fn(usize) -> T,
) {
    let gd = g.data();
    sink.accumulate(x, |dx| {
        for (i, d) in dx.iter_mut().enumerate() {
            *d += gd[i] * f(i);
        }
    });
    sink.pool.give(g);
}

pub(super) fn backward_exp<T: Float>(
    x: Var,
    out: &Tensor<T>,
    g: Tensor<T>,
    sink: &mut GradSink<'_, T>,
) {
    let y = out.data();
    accumulate_scaled(x, g, sink, |i| y[i]);
}

pub(super) fn backward_log<T: Float>(x: Var, g: Tensor<T>, sink: &mut GradSink<'_, T>) {
    let xv = sink.values[x.index()].get().data();
    accumulate_scaled(x, g, sink, |i| T::ONE / xv[i]);
}

pub(super) fn backward_sqrt<T: Float>(
    x: Var,
    out: &Tensor<T>,
    g: Tensor<T>,
    sink: &mut GradSink<'_, T>,
) {
    let y = out.data();
    let half = T::from_f64(0.5);
    accumulate_scaled(x, g, sink, |i| half / y[i]);
}

pub(super) fn backward_powf<T: Float>(x: Var, p: f64, g: Tensor<T>, sink: &mut GradSink<'_, T>) {
    let xv = sink.values[x.index()].get().data();
    let pt = T::from_f64(p);
    let pm1 = T::from_f64(p - 1.0);
    accumulate_scaled(x, g, sink, |i| pt * xv[i].powf(pm1));
}
