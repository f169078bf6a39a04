//! Reductions: sum and mean of all elements or over an axis, and max over an axis.
//!
//! Backward: `∂Σx/∂x_i = 1`, `∂mean/∂x_i = 1/n`; for `max_j x[o, j, i]` the gradient goes to the
//! first maximum only (ties are broken by position, as in the forward pass).

use crate::error::{Result, TensorError};
use crate::kernels::reduce::{self, AxisSplit};
use crate::shape::ShowShape;
use crate::tape::{GradSink, Op, Tape, Var};
use crate::{Float, Tensor};

impl<T: Float> Tape<T> {
    /// Sum of all elements (a scalar of shape `[]`).
    pub fn sum(&mut self, x: Var) -> Result<Var> {
        self.check("sum", x)?;
        let s = reduce::sum_all(self.values[x.index()].get().data());
        let out = self.pool.full(&[], s);
        Ok(self.push_result(Op::SumAll(x), out, &[x]))
    }

    /// Mean of all elements (a scalar of shape `[]`).
    pub fn mean(&mut self, x: Var) -> Result<Var> {
        self.check("mean", x)?;
        let xv = self.values[x.index()].get();
        if xv.numel() == 0 {
            return Err(TensorError::invalid("mean", "the tensor is empty"));
        }
        let s = reduce::sum_all(xv.data()) / T::from_usize(xv.numel());
        let out = self.pool.full(&[], s);
        Ok(self.push_result(Op::MeanAll(x), out, &[x]))
    }

    /// Sum over `axis`; the axis is removed from the shape (`[m, n]` over 0 gives `[n]`).
    pub fn sum_axis(&mut self, x: Var, axis: usize) -> Result<Var> {
        self.axis_reduce("sum_axis", x, axis, false)
    }

    /// Mean over `axis`; the axis is removed from the shape.
    pub fn mean_axis(&mut self, x: Var, axis: usize) -> Result<Var> {
        self.axis_reduce("mean_axis", x, axis, true)
    }

    fn axis_reduce(&mut self, name: &'static str, x: Var, axis: usize, mean: bool) -> Result<Var> {
        self.check(name, x)?;
        let xv = self.values[x.index()].get();
        let split = AxisSplit::new(name, xv.shape(), axis)?;
        let mut out = self.pool.zeros(&AxisSplit::reduced_shape(xv.shape(), axis));
        reduce::sum_axis(xv.data(), split, out.data_mut());
        let op = if mean {
            let inv = T::ONE / T::from_usize(split.len.max(1));
            out.data_mut().iter_mut().for_each(|v| *v *= inv);
            Op::MeanAxis(x, split)
        } else {
            Op::SumAxis(x, split)
        };
        Ok(self.push_result(op, out, &[x]))
    }

    /// Maximum over `axis` (the axis is removed); the gradient flows to the first maximum.
    pub fn max_axis(&mut self, x: Var, axis: usize) -> Result<Var> {
        self.check("max_axis", x)?;
        let xv = self.values[x.index()].get();
        let split = AxisSplit::new("max_axis", xv.shape(), axis)?;
        if split.len == 0 {
            return Err(TensorError::invalid(
                "max_axis",
                format!("axis {axis} of shape {} is empty", ShowShape(xv.shape())),
            ));
        }
        let mut out = self.pool.zeros(&AxisSplit::reduced_shape(xv.shape(), axis));
        let start = self.indices.len();
        self.indices.resize(start + out.numel(), 0);
        reduce::max_axis(xv.data(), split, out.data_mut(), &mut self.indices[start..]);
        let argmax = start..self.indices.len();
        Ok(self.push_result(Op::MaxAxis { x, split, argmax }, out, &[x]))
    }
}

/// `x̄_i += c · ḡ` for every element (sum with `c = 1`, mean with `c = 1/n`).
pub(super) fn backward_sum_all<T: Float>(x: Var, c: T, g: Tensor<T>, sink: &mut GradSink<'_, T>) {
    let gv = c * g.data()[0];
    sink.accumulate(x, |dx| dx.iter_mut().for_each(|d| *d += gv));
    sink.pool.give(g);
}

/// `x̄[o, j, i] += c · ḡ[o, i]`.
pub(super) fn backward_sum_axis<T: Float>(
    x: Var,
    s: AxisSplit,
    c: T,
    g: Tensor<T>,
    sink: &mut GradSink<'_, T>,
) {
    let gd = g.data();
    sink.accumulate(x, |dx| {
        for o in 0..s.outer {
            let grow = &gd[o * s.inner..(o + 1) * s.inner];
            for j in 0..s.len {
                let start = s.index(o, j, 0);
                for (d, &gv) in dx[start..start + s.inner].iter_mut().zip(grow) {
                    *d += c * gv;
                }
            }
        }
    });
    sink.pool.give(g);
}

/// `x̄[o, argmax, i] += ḡ[o, i]`.
pub(super) fn backward_max_axis<T: Float>(
    x: Var,
    s: AxisSplit,
    argmax: &[usize],
    g: Tensor<T>,
    sink: &mut GradSink<'_, T>,
) {
    let gd = g.data();
    sink.accumulate(x, |dx| {
        for o in 0..s.outer {
            for i in 0..s.inner {
                let k = o * s.inner + i;
                dx[s.index(o, argmax[k], i)] += gd[k];
            }
        }
    });
    sink.pool.give(g);
}
