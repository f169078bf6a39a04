//! The backward pass: one reverse walk over the Wengert list.
//!
//! For node `i` (in reverse evaluation order) holding gradient `ḡ_i = ∂L/∂v_i`, each input `j`
//! that needs a gradient receives `ḡ_j += ḡ_i · ∂v_i/∂v_j`. The gradient of a node is complete
//! when the walk reaches it (every consumer comes later on the tape), so it is taken out of its
//! slot, used once and its buffer recycled.

use super::{Node, Op, Tape, Value, Var};
use crate::error::{Result, TensorError};
use crate::params::{ParamId, Parameters};
use crate::tape::Pool;
use crate::{Float, Tensor, ops};

/// Per-parameter gradient slots, indexed by [`ParamId`].
pub(crate) type ParamGrads<T> = Vec<Option<Tensor<T>>>;
/// Gradients of variables created with [`Tape::var`].
pub(crate) type LeafGrads<T> = Vec<(Var, Tensor<T>)>;

/// Gradients of a loss with respect to the parameters and variables of one recording.
#[derive(Debug)]
pub struct Gradients<T: Float> {
    params: ParamGrads<T>,
    leaves: LeafGrads<T>,
}

impl<T: Float> Gradients<T> {
    /// The gradient of a parameter, if the loss depends on it.
    pub fn param(&self, id: ParamId) -> Option<&Tensor<T>> {
        self.params.get(id.index()).and_then(Option::as_ref)
    }

    /// The gradient of a parameter, mutably (for clipping or weight decay).
    pub fn param_mut(&mut self, id: ParamId) -> Option<&mut Tensor<T>> {
        self.params.get_mut(id.index()).and_then(Option::as_mut)
    }

    /// The gradient of a parameter, or an error naming it if it received none.
    pub fn require(&self, params: &Parameters<T>, id: ParamId) -> Result<&Tensor<T>> {
        self.param(id).ok_or_else(|| TensorError::MissingGradient {
            name: params.name(id).to_string(),
        })
    }

    /// Fails, naming the parameter, if any trainable parameter of `params` received no
    /// gradient: a parameter that does not influence the loss is a bug, not something to skip.
    pub fn check_complete(&self, params: &Parameters<T>) -> Result<()> {
        for id in params.ids() {
            if params.is_trainable(id) {
                self.require(params, id)?;
            }
        }
        Ok(())
    }

    /// The gradient of a variable created with [`Tape::var`].
    pub fn wrt(&self, v: Var) -> Option<&Tensor<T>> {
        self.leaves.iter().find(|(w, _)| *w == v).map(|(_, t)| t)
    }

    /// Parameters with a gradient, in id order.
    pub fn iter_params(&self) -> impl Iterator<Item = (ParamId, &Tensor<T>)> {
        self.params
            .iter()
            .enumerate()
            .filter_map(|(i, g)| g.as_ref().map(|g| (ParamId(i), g)))
    }

    /// Takes a parameter's gradient out.
    pub fn take_param(&mut self, id: ParamId) -> Option<Tensor<T>> {
        self.params.get_mut(id.index()).and_then(Option::take)
    }

    pub(crate) fn into_parts(self) -> (ParamGrads<T>, LeafGrads<T>) {
        (self.params, self.leaves)
    }
}

/// Where backward contributions go: the gradient slots of the nodes before the current one.
pub(crate) struct GradSink<'a, T: Float> {
    pub(crate) slots: &'a mut [Option<Tensor<T>>],
    pub(crate) nodes: &'a [Node<T>],
    pub(crate) values: &'a [Value<T>],
    pub(crate) pool: &'a mut Pool<T>,
}

impl<T: Float> GradSink<'_, T> {
    /// Whether `v` needs a gradient.
    #[inline(always)]
    pub(crate) fn needs(&self, v: Var) -> bool {
        self.nodes[v.index()].requires_grad
    }

    /// The one place gradients are accumulated: `add` receives the gradient buffer of `v`
    /// (zeros if this is its first contribution) and must *add* its contribution into it,
    /// never assign. Does nothing if `v` needs no gradient.
    #[inline]
    pub(crate) fn accumulate(&mut self, v: Var, add: impl FnOnce(&mut [T])) {
        if !self.needs(v) {
            return;
        }
        let slot = &mut self.slots[v.index()];
        let g = match slot {
            Some(g) => g,
            None => slot.insert(self.pool.zeros(self.values[v.index()].get().shape())),
        };
        add(g.data_mut());
    }

    /// Like [`GradSink::accumulate`], but on the first contribution the buffer is not zeroed:
    /// `f(buf, true)` receives unspecified values and must write every element exactly as
    /// adding the contribution to zero would (`0 + x`, which differs from `x` only in turning
    /// `-0.0` into `+0.0`); later contributions get `f(buf, false)` and add.
    #[inline]
    pub(crate) fn accumulate_or_write(&mut self, v: Var, f: impl FnOnce(&mut [T], bool)) {
        if !self.needs(v) {
            return;
        }
        let slot = &mut self.slots[v.index()];
        match slot {
            Some(g) => f(g.data_mut(), false),
            None => {
                let mut g = self
                    .pool
                    .for_overwrite(self.values[v.index()].get().shape());
                f(g.data_mut(), true);
                *slot = Some(g);
            }
        }
    }

    /// Accumulates a whole tensor. The first contribution is moved into the empty slot
    /// (`0 + t`, no copy); later ones are added through [`GradSink::accumulate`].
    #[inline]
    pub(crate) fn accumulate_owned(&mut self, v: Var, t: Tensor<T>) {
        if !self.needs(v) {
            self.pool.give(t);
            return;
        }
        let slot = &mut self.slots[v.index()];
        if slot.is_none() {
            debug_assert_eq!(t.numel(), self.values[v.index()].get().numel());
            let shape = self.values[v.index()].get().shape();
            *slot = Some(if t.shape() == shape {
                t
            } else {
                t.reshape(shape).expect("same element count")
            });
            return;
        }
        self.accumulate(v, |g| {
            for (a, &b) in g.iter_mut().zip(t.data()) {
                *a += b;
            }
        });
        self.pool.give(t);
    }
}

impl<T: Float> Tape<T> {
    /// Computes the gradients of `loss` (a one-element tensor) with respect to every parameter
    /// and variable it depends on.
    ///
    /// Walks the tape once in reverse from `loss`. Fails if `loss` is not a scalar or not from
    /// this recording. Buffers of the returned [`Gradients`] can be handed back with
    /// [`Tape::recycle`].
    pub fn backward(&mut self, loss: Var) -> Result<Gradients<T>> {
        self.check("backward", loss)?;
        let loss_value = self.values[loss.index()].get();
        if loss_value.numel() != 1 {
            return Err(TensorError::NonScalarLoss {
                shape: loss_value.shape().into(),
            });
        }
        let mut params = self.spare_grad_vecs.pop().unwrap_or_default();
        params.clear();
        let mut leaves = self.spare_leaf_vecs.pop().unwrap_or_default();
        leaves.clear();
        if !self.nodes[loss.index()].requires_grad {
            return Ok(Gradients { params, leaves });
        }

        let mut slots = std::mem::take(&mut self.grad_slots);
        for t in slots.drain(..).flatten() {
            self.pool.give(t);
        }
        slots.resize_with(loss.index() + 1, || None);
        slots[loss.index()] = Some(self.pool.full(loss_value.shape(), T::ONE));

        let generation = loss.generation;
        let Tape {
            nodes,
            values,
            saved,
            indices,
            fused_inputs,
            pool,
            ..
        } = self;
        let mut result = Ok(());
        for i in (0..=loss.index()).rev() {
            let node = &nodes[i];
            if !node.requires_grad {
                continue;
            }
            let (before, rest) = slots.split_at_mut(i);
            let Some(g) = rest[0].take() else { continue };
            match &node.op {
                Op::Leaf => leaves.push((
                    Var {
                        index: i as u32,
                        generation,
                    },
                    g,
                )),
                Op::Param(id) => {
                    if params.len() <= id.index() {
                        params.resize_with(id.index() + 1, || None);
                    }
                    params[id.index()] = Some(g);
                }
                op => {
                    let mut sink = GradSink {
                        slots: before,
                        nodes,
                        values,
                        pool,
                    };
                    let out = values[i].get();
                    if let Err(e) =
                        ops::backward(op, out, g, &mut sink, saved, indices, fused_inputs)
                    {
                        result = Err(e);
                        break;
                    }
                }
            }
        }
        self.grad_slots = slots;
        result.map(|()| Gradients { params, leaves })
    }
}
