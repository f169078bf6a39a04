//! The tape: a Wengert list of recorded operations and their values.
//!
//! Recording an operation computes its value at once and appends a node `(op, inputs,
//! requires_grad)`. [`Tape::backward`] walks the list once in reverse; because nodes are
//! appended in evaluation order, reverse order is already a valid topological order, so there
//! is no sort and no recursion, and graphs of any depth work.
//!
//! A tape keeps its memory across steps: [`Tape::reset`] clears the recording but keeps the
//! node list's capacity and returns every tensor buffer to an internal pool, from which the
//! next step's values and gradients are drawn.

mod backward;
mod fused;
mod pool;

pub(crate) use backward::GradSink;
pub use backward::Gradients;
pub(crate) use fused::backward_fused;
pub use fused::{FusedGrad, FusedOp, FusedView};
pub(crate) use pool::Pool;

use crate::error::{Result, TensorError};
use crate::kernels::broadcast::Broadcast;
use crate::kernels::reduce::AxisSplit;
use crate::params::{ParamId, Parameters};
use crate::{Float, Tensor};
use std::ops::Range;
use std::sync::Arc;

/// A handle to a value recorded on a tape. Cheap to copy; valid until the tape is reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Var {
    pub(crate) index: u32,
    pub(crate) generation: u32,
}

impl Var {
    /// Position of the node on the tape (its evaluation order).
    pub fn index(self) -> usize {
        self.index as usize
    }
}

/// The kind of a binary elementwise primitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryKind {
    Add,
    Sub,
    Mul,
    Div,
}

/// A recorded operation with the inputs its backward pass needs.
pub(crate) enum Op<T: Float> {
    /// A constant or a variable created by the user.
    Leaf,
    /// A computed value that needs no gradient (its inputs need none, or recording was off);
    /// only the operation's name is kept, for NaN reports.
    NoGrad(&'static str),
    /// A parameter from a [`Parameters`] store.
    Param(ParamId),
    Binary {
        kind: BinaryKind,
        a: Var,
        b: Var,
        bc: Broadcast,
    },
    Neg(Var),
    Scale(Var, f64),
    AddScalar(Var),
    MatMul(Var, Var),
    Transpose(Var),
    SumAll(Var),
    MeanAll(Var),
    SumAxis(Var, AxisSplit),
    MeanAxis(Var, AxisSplit),
    MaxAxis {
        x: Var,
        split: AxisSplit,
        argmax: Range<usize>,
    },
    Exp(Var),
    Log(Var),
    Sqrt(Var),
    Powf(Var, f64),
    Reshape(Var),
    Fused(fused::FusedNode<T>),
}

impl<T: Float> Op<T> {
    /// The operation's name, as used in error messages and NaN reports.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Op::Leaf => "input",
            Op::NoGrad(name) => name,
            Op::Param(_) => "parameter",
            Op::Binary { kind, .. } => match kind {
                BinaryKind::Add => "add",
                BinaryKind::Sub => "sub",
                BinaryKind::Mul => "mul",
                BinaryKind::Div => "div",
            },
            Op::Neg(_) => "neg",
            Op::Scale(..) => "scale",
            Op::AddScalar(_) => "add_scalar",
            Op::MatMul(..) => "matmul",
            Op::Transpose(_) => "transpose",
            Op::SumAll(_) => "sum",
            Op::MeanAll(_) => "mean",
            Op::SumAxis(..) => "sum_axis",
            Op::MeanAxis(..) => "mean_axis",
            Op::MaxAxis { .. } => "max_axis",
            Op::Exp(_) => "exp",
            Op::Log(_) => "log",
            Op::Sqrt(_) => "sqrt",
            Op::Powf(..) => "powf",
            Op::Reshape(_) => "reshape",
            Op::Fused(f) => f.name,
        }
    }
}

pub(crate) struct Node<T: Float> {
    pub(crate) op: Op<T>,
    pub(crate) requires_grad: bool,
}

/// A node's value: computed by the tape, or a parameter shared with its store.
pub(crate) enum Value<T: Float> {
    Owned(Tensor<T>),
    Shared(Arc<Tensor<T>>),
}

impl<T: Float> Value<T> {
    #[inline(always)]
    pub(crate) fn get(&self) -> &Tensor<T> {
        match self {
            Value::Owned(t) => t,
            Value::Shared(t) => t,
        }
    }
}

/// A reverse-mode autodiff tape over `f32` or `f64`.
///
/// ```
/// use nnc_tape::{Tape, Tensor};
///
/// let mut tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3])?);
/// let y = tape.mul(x, x)?; // y = x²
/// let loss = tape.sum(y)?; // Σ x²
/// let grads = tape.backward(loss)?;
/// assert_eq!(grads.wrt(x).unwrap().data(), &[2.0, 4.0, 6.0]); // d/dx = 2x
/// # Ok::<(), nnc_tape::TensorError>(())
/// ```
pub struct Tape<T: Float> {
    pub(crate) nodes: Vec<Node<T>>,
    pub(crate) values: Vec<Value<T>>,
    /// Tensors saved by fused ops for their backward pass.
    pub(crate) saved: Vec<Tensor<T>>,
    /// Integer indices saved by ops (argmax positions).
    pub(crate) indices: Vec<usize>,
    /// The inputs of fused nodes, each node's a range: no allocation per node, however many
    /// inputs (an L2 penalty over every weight).
    pub(crate) fused_inputs: Vec<Var>,
    pub(crate) pool: Pool<T>,
    /// Gradient slots of the last backward pass, kept for their capacity.
    pub(crate) grad_slots: Vec<Option<Tensor<T>>>,
    /// Spare vectors for [`Gradients`], kept for their capacity.
    pub(crate) spare_grad_vecs: Vec<backward::ParamGrads<T>>,
    pub(crate) spare_leaf_vecs: Vec<backward::LeafGrads<T>>,
    /// The node of each parameter recorded in this step, by parameter index.
    param_vars: Vec<Option<Var>>,
    /// Identity of the parameter store used in this recording.
    store_id: Option<u64>,
    generation: u32,
    grad_enabled: bool,
}

impl<T: Float> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Tape<T> {
    /// An empty tape with gradient recording on.
    pub fn new() -> Self {
        Tape {
            nodes: Vec::new(),
            values: Vec::new(),
            saved: Vec::new(),
            indices: Vec::new(),
            fused_inputs: Vec::new(),
            pool: Pool::default(),
            grad_slots: Vec::new(),
            spare_grad_vecs: Vec::new(),
            spare_leaf_vecs: Vec::new(),
            param_vars: Vec::new(),
            store_id: None,
            generation: 0,
            grad_enabled: true,
        }
    }

    /// Clears the recording for the next step, keeping all capacity: node storage is reused
    /// and every tensor buffer goes back to the pool. Handles from before the reset become
    /// invalid (using one is an error, never a wrong answer). Parameters are released, so
    /// they can be updated.
    pub fn reset(&mut self) {
        for v in self.values.drain(..) {
            if let Value::Owned(t) = v {
                self.pool.give(t);
            }
        }
        for t in self.saved.drain(..) {
            self.pool.give(t);
        }
        for t in self.grad_slots.drain(..).flatten() {
            self.pool.give(t);
        }
        self.nodes.clear();
        self.indices.clear();
        self.fused_inputs.clear();
        self.param_vars.clear();
        self.store_id = None;
        self.generation = self.generation.wrapping_add(1);
        self.pool.end_generation();
    }

    /// Returns the buffers of a [`Gradients`] to the tape, for use in the next step.
    pub fn recycle(&mut self, grads: Gradients<T>) {
        let (mut params, mut leaves) = grads.into_parts();
        for t in params.drain(..).flatten() {
            self.pool.give(t);
        }
        for (_, t) in leaves.drain(..) {
            self.pool.give(t);
        }
        self.spare_grad_vecs.push(params);
        self.spare_leaf_vecs.push(leaves);
    }

    /// Turns gradient recording on or off. With it off, every new node records only its value
    /// (no-grad mode, for evaluation).
    pub fn set_grad_enabled(&mut self, enabled: bool) {
        self.grad_enabled = enabled;
    }

    /// Whether new nodes record what backward needs.
    pub fn grad_enabled(&self) -> bool {
        self.grad_enabled
    }

    /// Number of nodes recorded since the last reset.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True if nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Elements held in the buffer pool (memory kept for reuse).
    pub fn pooled_elements(&self) -> usize {
        self.pool.held_elements()
    }

    /// Checks that `v` belongs to the current recording.
    #[inline]
    pub(crate) fn check(&self, op: &'static str, v: Var) -> Result<()> {
        if v.generation != self.generation || v.index() >= self.nodes.len() {
            return Err(TensorError::UnknownVar {
                op,
                index: v.index(),
                len: self.nodes.len(),
            });
        }
        Ok(())
    }

    /// The value of a recorded node.
    ///
    /// # Panics
    /// If `v` is from before the last reset; use [`Tape::try_value`] to get an error instead.
    #[inline]
    pub fn value(&self, v: Var) -> &Tensor<T> {
        self.try_value(v)
            .expect("Tape::value: the variable is not on the tape (was the tape reset?)")
    }

    /// The value of a recorded node, or an error for a stale handle.
    #[inline]
    pub fn try_value(&self, v: Var) -> Result<&Tensor<T>> {
        self.check("value", v)?;
        Ok(self.values[v.index()].get())
    }

    /// The shape of a recorded node's value.
    #[inline]
    pub fn shape(&self, v: Var) -> &[usize] {
        self.value(v).shape()
    }

    /// Whether backward will compute a gradient for `v`.
    pub fn requires_grad(&self, v: Var) -> bool {
        self.nodes
            .get(v.index())
            .is_some_and(|n| n.requires_grad && v.generation == self.generation)
    }

    /// The name of the operation that produced `v`; `"stale"` for a handle from before the
    /// last [`Tape::reset`] (or from another tape).
    pub fn op_name(&self, v: Var) -> &'static str {
        match self.nodes.get(v.index()) {
            Some(n) if v.generation == self.generation => n.op.name(),
            _ => "stale",
        }
    }

    /// The first node, in evaluation order, whose value holds a NaN or an infinity, with the
    /// name of its operation: where a divergence started.
    pub fn first_non_finite(&self) -> Option<(Var, &'static str)> {
        self.values
            .iter()
            .position(|v| !v.get().all_finite())
            .map(|i| {
                (
                    Var {
                        index: i as u32,
                        generation: self.generation,
                    },
                    self.nodes[i].op.name(),
                )
            })
    }

    /// The node whose value has the largest absolute element, with its op name and that
    /// magnitude: where an explosion is coming from when nothing is non-finite yet.
    /// Constants and parameters are skipped (they are inputs, not computations).
    pub fn largest_magnitude(&self) -> Option<(Var, &'static str, f64)> {
        let mut best: Option<(usize, f64)> = None;
        for (i, (node, value)) in self.nodes.iter().zip(&self.values).enumerate() {
            if matches!(node.op, Op::Leaf | Op::Param(_)) {
                continue;
            }
            let m = value
                .get()
                .data()
                .iter()
                .map(|x| x.abs().to_f64())
                .fold(0.0, f64::max);
            if best.is_none_or(|(_, b)| m > b) {
                best = Some((i, m));
            }
        }
        best.map(|(i, m)| {
            (
                Var {
                    index: i as u32,
                    generation: self.generation,
                },
                self.nodes[i].op.name(),
                m,
            )
        })
    }

    /// Appends a node (the one place nodes are created).
    #[inline]
    pub(crate) fn push(&mut self, op: Op<T>, value: Value<T>, requires_grad: bool) -> Var {
        let index = self.nodes.len() as u32;
        let requires_grad = requires_grad && self.grad_enabled;
        // A node whose inputs need no gradient records nothing to differentiate.
        let op = if requires_grad || matches!(op, Op::Param(_) | Op::Leaf) {
            op
        } else {
            Op::NoGrad(op.name())
        };
        self.nodes.push(Node { op, requires_grad });
        self.values.push(value);
        Var {
            index,
            generation: self.generation,
        }
    }

    /// Appends a computed value as the result of `op`; it requires a gradient if any input does.
    #[inline]
    pub(crate) fn push_result(&mut self, op: Op<T>, value: Tensor<T>, inputs: &[Var]) -> Var {
        let rg = inputs.iter().any(|&v| self.nodes[v.index()].requires_grad);
        self.push(op, Value::Owned(value), rg)
    }

    /// Whether a node computed from `inputs` would need a gradient (recording is on and some
    /// input needs one). Fused ops use it to skip saving tensors for a backward that never runs.
    pub fn needs_grad(&self, inputs: &[Var]) -> bool {
        self.grad_enabled
            && inputs
                .iter()
                .any(|v| self.nodes.get(v.index()).is_some_and(|n| n.requires_grad))
    }

    /// Records a constant: a value that never gets a gradient (data, labels, masks).
    pub fn constant(&mut self, value: Tensor<T>) -> Var {
        self.push(Op::Leaf, Value::Owned(value), false)
    }

    /// Records a constant copied from a slice into a recycled buffer (no allocation in steady
    /// state). Fails if the length does not fit the shape.
    pub fn constant_from_slice(&mut self, data: &[T], shape: &[usize]) -> Result<Var> {
        if crate::shape::numel(shape) != data.len() {
            return Err(TensorError::ElementCount {
                op: "constant_from_slice",
                shape: shape.into(),
                expected: crate::shape::numel(shape),
                got: data.len(),
            });
        }
        let t = self.pool.copy_of(data, shape);
        Ok(self.constant(t))
    }

    /// Records a variable that gets a gradient (returned by [`Gradients::wrt`]).
    pub fn var(&mut self, value: Tensor<T>) -> Var {
        self.push(Op::Leaf, Value::Owned(value), true)
    }

    /// Records a parameter of `params`. The tape shares the tensor (no copy) until the next
    /// reset. Using the same parameter twice in a step returns the same node. Frozen
    /// parameters are recorded without gradient.
    pub fn param(&mut self, params: &Parameters<T>, id: ParamId) -> Result<Var> {
        match self.store_id {
            Some(s) if s != params.store_id() => {
                return Err(TensorError::invalid(
                    "param",
                    "parameters from two different stores in one recording",
                ));
            }
            _ => self.store_id = Some(params.store_id()),
        }
        let shared = params.shared(id).ok_or_else(|| {
            TensorError::invalid("param", format!("no parameter #{} in the store", id.0))
        })?;
        if let Some(Some(v)) = self.param_vars.get(id.0) {
            return Ok(*v);
        }
        let v = self.push(
            Op::Param(id),
            Value::Shared(Arc::clone(shared)),
            params.is_trainable(id),
        );
        if self.param_vars.len() <= id.0 {
            self.param_vars.resize(id.0 + 1, None);
        }
        self.param_vars[id.0] = Some(v);
        Ok(v)
    }

    /// A tensor of zeros from the tape's buffer pool, for building op outputs without
    /// allocating in steady state.
    pub fn alloc_zeros(&mut self, shape: &[usize]) -> Tensor<T> {
        self.pool.zeros(shape)
    }

    /// A tensor of `shape` from the tape's buffer pool whose elements are unspecified (values
    /// left from an earlier use, or zeros): for an op output that the caller overwrites
    /// completely. Cheaper than [`Tape::alloc_zeros`], which writes every element first.
    pub fn alloc_for_overwrite(&mut self, shape: &[usize]) -> Tensor<T> {
        self.pool.for_overwrite(shape)
    }

    /// A tensor of `shape` whose elements come from `iter` (exactly one per element), in a
    /// recycled buffer.
    pub fn alloc_from_iter(&mut self, shape: &[usize], iter: impl Iterator<Item = T>) -> Tensor<T> {
        let t = self.pool.collect(shape, iter);
        assert_eq!(
            t.numel(),
            crate::shape::numel(shape),
            "alloc_from_iter: the iterator yielded the wrong number of elements"
        );
        t
    }

    /// Gives a tensor's buffer back to the pool.
    pub fn free(&mut self, t: Tensor<T>) {
        self.pool.give(t);
    }
}
