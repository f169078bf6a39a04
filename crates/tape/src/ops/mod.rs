//! The primitive operations of the tape, one module per family: forward (recording) as
//! methods on [`Tape`](crate::Tape), backward as a function the reverse walk dispatches to.

mod arith;
mod linalg;
mod reduce;
mod shape;
mod unary;

use crate::error::Result;
use crate::tape::{GradSink, Op};
use crate::{Float, Tensor};

/// Runs the backward pass of one recorded node: given `g = ∂L/∂out`, accumulates the
/// contribution of every input. Consumes `g` (its buffer is moved on or recycled).
pub(crate) fn backward<T: Float>(
    op: &Op<T>,
    out: &Tensor<T>,
    g: Tensor<T>,
    sink: &mut GradSink<'_, T>,
    saved: &[Tensor<T>],
    indices: &[usize],
    fused_inputs: &[crate::Var],
) -> Result<()> {
    match *op {
        Op::Leaf | Op::Param(_) | Op::NoGrad(_) => sink.pool.give(g),
        Op::Binary { kind, a, b, bc } => arith::backward_binary(kind, a, b, bc, out, g, sink),
        Op::Neg(x) => arith::backward_scale(x, -1.0, g, sink),
        Op::Scale(x, c) => arith::backward_scale(x, c, g, sink),
        Op::AddScalar(x) => sink.accumulate_owned(x, g),
        Op::MatMul(a, b) => linalg::backward_matmul(a, b, g, sink),
        Op::Transpose(x) => linalg::backward_transpose(x, g, sink),
        Op::SumAll(x) => reduce::backward_sum_all(x, T::ONE, g, sink),
        Op::MeanAll(x) => {
            let n = sink.values[x.index()].get().numel().max(1);
            reduce::backward_sum_all(x, T::ONE / T::from_usize(n), g, sink)
        }
        Op::SumAxis(x, s) => reduce::backward_sum_axis(x, s, T::ONE, g, sink),
        Op::MeanAxis(x, s) => {
            reduce::backward_sum_axis(x, s, T::ONE / T::from_usize(s.len.max(1)), g, sink)
        }
        Op::MaxAxis {
            x,
            split,
            ref argmax,
        } => reduce::backward_max_axis(x, split, &indices[argmax.clone()], g, sink),
        Op::Exp(x) => unary::backward_exp(x, out, g, sink),
        Op::Log(x) => unary::backward_log(x, g, sink),
        Op::Sqrt(x) => unary::backward_sqrt(x, out, g, sink),
        Op::Powf(x, p) => unary::backward_powf(x, p, g, sink),
        Op::Reshape(x) => sink.accumulate_owned(x, g),
        Op::Fused(ref node) => {
            return crate::tape::backward_fused(node, out, g, sink, saved, fused_inputs);
        }
    }
    Ok(())
}
