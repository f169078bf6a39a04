//! The extension interface: fused operations defined outside this crate, with their own
//! forward computation and closed-form backward, recorded as first-class tape nodes.
//!
//! A fused op computes its output itself (usually into a buffer from
//! [`Tape::alloc_zeros`]), saves what its backward pass needs (tensors and up to a few scalars),
//! and records one node with [`Tape::record_fused`]. During backward the tape calls
//! [`FusedOp::backward`] with a [`FusedGrad`] that gives read access to the upstream gradient,
//! the output, the inputs and the saved values, and accumulates into the inputs' gradients.
//! Recording allocates nothing beyond the tensors themselves, which come from and return to the
//! tape's buffer pool.
//!
//! # Example: a fused `softplus(x) = ln(1 + eˣ)`
//!
//! ```
//! use nnc_tape::{FusedGrad, FusedOp, Float, Result, Shape, Tape, Tensor, Var, gradcheck};
//!
//! /// softplus(x) = ln(1 + eˣ); d/dx = σ(x) = 1 / (1 + e⁻ˣ).
//! struct Softplus;
//!
//! impl<T: Float> FusedOp<T> for Softplus {
//!     const NAME: &'static str = "softplus";
//!
//!     fn backward(grad: &mut FusedGrad<'_, T>) -> Result<()> {
//!         let view = grad.view();
//!         grad.accumulate(0, |dx| {
//!             let x = view.input(0).data();
//!             for ((d, &g), &x) in dx.iter_mut().zip(view.grad_output().data()).zip(x) {
//!                 *d += g / (T::ONE + (-x).exp());
//!             }
//!         });
//!         Ok(())
//!     }
//! }
//!
//! fn softplus<T: Float>(tape: &mut Tape<T>, x: Var) -> Result<Var> {
//!     // Take the output buffer from the pool first (no allocation in steady state, and no
//!     // `Vec` for the shape: `Shape` keeps up to four dimensions inline), then read the input.
//!     let shape: Shape = tape.try_value(x)?.shape().into();
//!     let mut out = tape.alloc_zeros(&shape);
//!     for (o, &v) in out.data_mut().iter_mut().zip(tape.value(x).data()) {
//!         *o = (T::ONE + v.exp()).ln();
//!     }
//!     tape.record_fused::<Softplus>(&[x], out, [], &[])
//! }
//!
//! // The fused op passes a finite-difference gradient check like any primitive.
//! let x = Tensor::from_vec(vec![-1.0, 0.5, 2.0], &[3])?;
//! let report = gradcheck(&[x], |tape, xs| {
//!     let y = softplus(tape, xs[0])?;
//!     tape.sum(y)
//! })?;
//! assert!(report.max_relative_error() < 1e-8);
//! # Ok::<(), nnc_tape::TensorError>(())
//! ```

use super::{GradSink, Op, Tape, Value, Var};
use crate::error::{Result, TensorError};
use crate::{Float, Tensor};
use smallvec::SmallVec;
use std::ops::Range;

/// A fused operation: its name and its closed-form backward pass.
///
/// Implement it on a marker type (usually zero-sized); the forward pass is ordinary code that
/// ends in [`Tape::record_fused`]. Operation parameters that backward needs (an epsilon, a
/// slope) travel as the `scalars` of the record.
pub trait FusedOp<T: Float> {
    /// The name shown in errors and in divergence reports ("the first NaN came from …").
    const NAME: &'static str;

    /// Adds `∂L/∂input_j = ḡ · ∂output/∂input_j` into the gradient of every input that needs
    /// one, using [`FusedGrad::accumulate`].
    fn backward(grad: &mut FusedGrad<'_, T>) -> Result<()>;
}

/// A recorded fused node (internal).
pub(crate) struct FusedNode<T: Float> {
    pub(crate) name: &'static str,
    pub(crate) backward: fn(&mut FusedGrad<'_, T>) -> Result<()>,
    /// The inputs, a range of the tape's `fused_inputs`.
    pub(crate) inputs: Range<usize>,
    pub(crate) saved: Range<usize>,
    pub(crate) scalars: SmallVec<[f64; 4]>,
}

/// Read access to everything a fused backward pass may use. Cheap to copy, so it can be
/// captured by the closure given to [`FusedGrad::accumulate`].
#[derive(Clone, Copy)]
pub struct FusedView<'a, T: Float> {
    grad_output: &'a Tensor<T>,
    output: &'a Tensor<T>,
    inputs: &'a [Var],
    values: &'a [Value<T>],
    saved: &'a [Tensor<T>],
    scalars: &'a [f64],
}

impl<'a, T: Float> FusedView<'a, T> {
    /// `ḡ = ∂L/∂output`, the upstream gradient (same shape as the output).
    pub fn grad_output(&self) -> &'a Tensor<T> {
        self.grad_output
    }

    /// The op's output value.
    pub fn output(&self) -> &'a Tensor<T> {
        self.output
    }

    /// The value of input `i` (in the order given to [`Tape::record_fused`]).
    pub fn input(&self, i: usize) -> &'a Tensor<T> {
        self.values[self.inputs[i].index()].get()
    }

    /// Number of inputs.
    pub fn num_inputs(&self) -> usize {
        self.inputs.len()
    }

    /// Saved tensor `i` (in the order given to [`Tape::record_fused`]).
    pub fn saved(&self, i: usize) -> &'a Tensor<T> {
        &self.saved[i]
    }

    /// Saved scalar `i`.
    pub fn scalar(&self, i: usize) -> f64 {
        self.scalars[i]
    }
}

/// The context of a fused backward pass: a [`FusedView`] plus write access to the inputs'
/// gradients.
pub struct FusedGrad<'a, T: Float> {
    view: FusedView<'a, T>,
    sink: GradSink<'a, T>,
}

impl<'a, T: Float> FusedGrad<'a, T> {
    /// The read-only view (copy it into closures).
    pub fn view(&self) -> FusedView<'a, T> {
        self.view
    }

    /// Whether input `i` needs a gradient (skip work for those that do not).
    pub fn needs_grad(&self, i: usize) -> bool {
        self.sink.needs(self.view.inputs[i])
    }

    /// Adds a contribution to input `i`'s gradient: `add` receives the gradient buffer (zeros
    /// on the first contribution) and must add into it, never assign. Skipped when input `i`
    /// needs no gradient.
    pub fn accumulate(&mut self, i: usize, add: impl FnOnce(&mut [T])) {
        self.sink.accumulate(self.view.inputs[i], add);
    }

    /// Like [`FusedGrad::accumulate`] without zeroing the buffer first: on input `i`'s first
    /// contribution `f(buf, true)` receives unspecified values and must write every element
    /// with exactly what adding the contribution to zero gives (`0 + x`: the same as `x` except
    /// that `-0.0` becomes `+0.0`); afterwards `f(buf, false)` must add, as for `accumulate`.
    /// Saves a pass over the gradient when an op can produce its contribution in place (a
    /// matrix product writing its result). Skipped when input `i` needs no gradient.
    pub fn accumulate_or_write(&mut self, i: usize, f: impl FnOnce(&mut [T], bool)) {
        self.sink.accumulate_or_write(self.view.inputs[i], f);
    }

    /// A zeroed scratch tensor from the tape's buffer pool (give it back with
    /// [`FusedGrad::free`]).
    pub fn scratch(&mut self, shape: &[usize]) -> Tensor<T> {
        self.sink.pool.zeros(shape)
    }

    /// A scratch tensor with unspecified elements (recycled values, or zeros), for a buffer the
    /// caller overwrites completely; give it back with [`FusedGrad::free`].
    pub fn scratch_for_overwrite(&mut self, shape: &[usize]) -> Tensor<T> {
        self.sink.pool.for_overwrite(shape)
    }

    /// Returns a scratch tensor to the pool.
    pub fn free(&mut self, t: Tensor<T>) {
        self.sink.pool.give(t);
    }
}

/// Runs a fused node's backward pass (called by the backward walk).
pub(crate) fn backward_fused<T: Float>(
    node: &FusedNode<T>,
    output: &Tensor<T>,
    g: Tensor<T>,
    sink: &mut GradSink<'_, T>,
    saved: &[Tensor<T>],
    fused_inputs: &[Var],
) -> Result<()> {
    let view = FusedView {
        grad_output: &g,
        output,
        inputs: &fused_inputs[node.inputs.clone()],
        values: sink.values,
        saved: &saved[node.saved.clone()],
        scalars: &node.scalars,
    };
    let mut ctx = FusedGrad {
        view,
        sink: GradSink {
            slots: &mut *sink.slots,
            nodes: sink.nodes,
            values: sink.values,
            pool: &mut *sink.pool,
        },
    };
    let r = (node.backward)(&mut ctx);
    sink.pool.give(g);
    r
}

impl<T: Float> Tape<T> {
    /// Records a fused op `F` with its computed `output`, the tensors its backward pass needs
    /// (`saved`) and scalar settings (`scalars`). Returns the output's handle.
    ///
    /// If no input needs a gradient (or recording is off), the saved tensors are recycled at
    /// once and only the output is kept.
    pub fn record_fused<F: FusedOp<T>>(
        &mut self,
        inputs: &[Var],
        output: Tensor<T>,
        saved: impl IntoIterator<Item = Tensor<T>>,
        scalars: &[f64],
    ) -> Result<Var> {
        for &v in inputs {
            self.check(F::NAME, v)?;
        }
        if inputs.len() > u16::MAX as usize {
            return Err(TensorError::invalid(F::NAME, "too many inputs"));
        }
        if !self.needs_grad(inputs) {
            for t in saved {
                self.pool.give(t);
            }
            return Ok(self.push(Op::NoGrad(F::NAME), Value::Owned(output), false));
        }
        let start = self.saved.len();
        self.saved.extend(saved);
        let first_input = self.fused_inputs.len();
        self.fused_inputs.extend_from_slice(inputs);
        let node = FusedNode {
            name: F::NAME,
            backward: F::backward,
            inputs: first_input..self.fused_inputs.len(),
            saved: start..self.saved.len(),
            scalars: SmallVec::from_slice(scalars),
        };
        Ok(self.push(Op::Fused(node), Value::Owned(output), true))
    }
}
