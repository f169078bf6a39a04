//! The layer abstraction models are built from: the [`Layer`] trait (an instance with parameter
//! ids and buffers), [`LayerSpec`] (an architecture entry: what to build), and the built-in
//! layers [`Dense`], [`Maxout`], [`BatchNorm`], [`Dropout`] and [`ActivationLayer`].
//!
//! Layers do not own their parameters: those live in one [`Parameters`] store shared by the
//! whole model under canonical names (`<layer>.weight`, `<layer>.bias`, `<bn>.gamma`,
//! `<bn>.beta`), and a layer keeps their ids. Buffers — values that are part of the model but
//! get no gradient, like batch norm's `<bn>.running_mean` and `<bn>.running_var` — are owned by
//! the layer and updated off the tape during a Train-mode forward pass.

mod affine;
mod norm;
mod simple;
mod spec;

pub use affine::{Dense, Maxout};
pub use norm::BatchNorm;
pub use simple::{ActivationLayer, Dropout};
pub use spec::LayerSpec;

use crate::activation::Activation;
use crate::error::{OpsError, Result};
use crate::mode::ForwardCtx;
use nnc_tape::{Float, ParamId, Parameters, Tape, Tensor, Var};

/// A named tensor that belongs to a model but is not trained by gradient descent (batch norm's
/// running statistics). Saved with the weights, cast with the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Buffer<T: Float> {
    /// Canonical name, e.g. `batchnorm1.running_var`.
    pub name: String,
    /// The value.
    pub value: Tensor<T>,
}

impl<T: Float> Buffer<T> {
    pub(super) fn cast<U: Float>(&self) -> Buffer<U> {
        Buffer {
            name: self.name.clone(),
            value: self.value.cast(),
        }
    }
}

/// What a layer computes, for reports and for the babysitter's per-layer checks (dead ReLU
/// units on [`Activation::Relu`] outputs, saturation on sigmoid/tanh outputs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LayerKind {
    /// Fully connected.
    Dense,
    /// Maxout with this many pieces per unit.
    Maxout {
        /// Pieces per unit.
        pieces: usize,
    },
    /// Batch normalisation.
    BatchNorm,
    /// Inverted dropout.
    Dropout,
    /// An elementwise activation.
    Activation(Activation),
    /// A layer defined outside this crate, by name.
    Custom(&'static str),
}

impl LayerKind {
    /// A short name: `dense`, `maxout`, `batchnorm`, `dropout`, the activation's name, or the
    /// custom name. Default layer names are this plus a counter (`dense1`, `relu2`).
    pub fn name(&self) -> &'static str {
        match self {
            LayerKind::Dense => "dense",
            LayerKind::Maxout { .. } => "maxout",
            LayerKind::BatchNorm => "batchnorm",
            LayerKind::Dropout => "dropout",
            LayerKind::Activation(a) => a.name(),
            LayerKind::Custom(name) => name,
        }
    }

    /// The activation, for activation layers.
    pub fn activation(&self) -> Option<Activation> {
        match *self {
            LayerKind::Activation(a) => Some(a),
            _ => None,
        }
    }
}

/// A layer of a model: a named piece of computation with parameter ids into the model's store,
/// optional buffers, and a forward pass in an explicit [`Mode`](crate::Mode).
///
/// Implement it to add a layer kind outside this crate and add it to a model with
/// [`Sequential::push_layer`](crate::Sequential::push_layer).
pub trait Layer<T: Float>: Send + Sync {
    /// The canonical name, unique in the model and the prefix of its parameter and buffer names.
    fn name(&self) -> &str;

    /// What it computes.
    fn kind(&self) -> LayerKind;

    /// Records the layer's output for input `x` `[n, input_width]`, reading parameters from
    /// `params` (the model's store, or a copy of it with the same layout). Train mode may
    /// update buffers (when `ctx.update_buffers`).
    fn forward(
        &mut self,
        tape: &mut Tape<T>,
        params: &Parameters<T>,
        x: Var,
        ctx: &mut ForwardCtx<'_>,
    ) -> Result<Var>;

    /// Records the layer followed by `act` as one fused node, if the layer supports it
    /// (`Ok(None)` otherwise; the caller then applies the activation separately). Dense layers
    /// do.
    fn forward_with_activation(
        &mut self,
        tape: &mut Tape<T>,
        params: &Parameters<T>,
        x: Var,
        act: Activation,
        ctx: &mut ForwardCtx<'_>,
    ) -> Result<Option<Var>> {
        let _ = (tape, params, x, act, ctx);
        Ok(None)
    }

    /// Ids of all its parameters in the model's store.
    fn param_ids(&self) -> &[ParamId];

    /// Ids of the parameters weight penalties apply to (weights; not biases, γ or β).
    fn weight_ids(&self) -> &[ParamId] {
        &[]
    }

    /// Its buffers (running statistics), in a fixed order.
    fn buffers(&self) -> &[Buffer<T>] {
        &[]
    }

    /// Its buffers, for loading a checkpoint.
    fn buffers_mut(&mut self) -> &mut [Buffer<T>] {
        &mut []
    }

    /// The width of its output for an input of `input_width` features; fails if it was built
    /// for another width.
    fn output_width(&self, input_width: usize) -> Result<usize>;

    /// The same layer over `f64` (parameter ids unchanged, buffers cast), for gradient checks.
    fn to_f64(&self) -> Box<dyn Layer<f64>>;

    /// The same layer over `f32`.
    fn to_f32(&self) -> Box<dyn Layer<f32>>;
}

/// Fails unless `input_width == expected`.
pub(super) fn check_width(layer: &str, expected: usize, input_width: usize) -> Result<()> {
    if expected != input_width {
        return Err(OpsError::config(
            "layer",
            format!("`{layer}` was built for {expected} input features, got {input_width}"),
        ));
    }
    Ok(())
}
