//! [`Sequential`]: a model instance — layers in order, their parameters in one [`Parameters`]
//! store under canonical names, and their buffers — run in an explicit mode.
//!
//! This is the seam the training crate and the `.nn` language build on: the language lowers a
//! `model` section to [`LayerSpec`]s, [`Sequential::from_specs`] builds them (the architecture
//! becomes parameters), the trainer calls [`Sequential::forward`] once per step and updates
//! [`Sequential::params_mut`] after resetting the tape, the babysitter reads per-layer outputs
//! from [`Sequential::forward_traced`], checkpoints save [`Sequential::params`] and
//! [`Sequential::buffers`], and gradient checks run on [`Sequential::to_f64`].
//!
//! **Fusion**: by default a dense layer directly followed by an activation runs as one fused
//! node ([`crate::dense_activation`]), and so does a batch-norm layer followed by an activation
//! in Train mode ([`crate::batch_norm_train_activation`]): bit-identical values and gradients,
//! one node, one buffer and a pass over the data fewer. A traced forward then reports the pair
//! once, under the activation layer (whose output it is); turn fusion off with
//! [`Sequential::set_fusion`] to see every layer's output.

use crate::error::{OpsError, Result};
use crate::layer::{Buffer, Layer, LayerKind, LayerSpec};
use crate::loss::Loss;
use crate::mode::ForwardCtx;
use crate::regularize::Penalty;
use nnc_tape::{
    Float, GradcheckOptions, GradcheckReport, ParamId, Parameters, Rng, Tape, Tensor, Var,
    gradcheck_params,
};
use std::fmt;
use std::sync::Arc;

/// One layer's output from a traced forward pass.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerOutput {
    /// Position of the layer in the model.
    pub index: usize,
    /// The layer's name (shared, so tracing allocates no strings).
    pub name: Arc<str>,
    /// What the layer computes (the babysitter checks ReLU outputs for dead units and
    /// sigmoid/tanh outputs for saturation).
    pub kind: LayerKind,
    /// The output on the tape.
    pub output: Var,
}

/// A feed-forward model: layers applied in order.
///
/// ```
/// use nnc_ops::{Activation, ForwardCtx, Init, LayerSpec, Sequential};
/// use nnc_tape::{Tape, Tensor, rng};
///
/// let mut model = Sequential::<f64>::new(4);
/// let mut r = rng(0);
/// model.push(LayerSpec::dense(8, Init::He), &mut r)?;
/// model.push(LayerSpec::batchnorm(), &mut r)?;
/// model.push(LayerSpec::Activation(Activation::Relu), &mut r)?;
/// model.push(LayerSpec::dense(3, Init::Xavier), &mut r)?;
/// let names: Vec<&str> = model.params().ids().map(|id| model.params().name(id)).collect();
/// assert_eq!(names, ["dense1.weight", "dense1.bias", "batchnorm1.gamma", "batchnorm1.beta",
///                    "dense2.weight", "dense2.bias"]);
/// assert_eq!(model.num_params(), 4 * 8 + 8 + 2 * 8 + 8 * 3 + 3);
///
/// let mut tape = Tape::new();
/// let x = tape.constant(Tensor::randn(&[5, 4], 1.0, &mut rng(1)));
/// let y = model.forward(&mut tape, x, &mut ForwardCtx::eval())?;
/// assert_eq!(tape.value(y).shape(), &[5, 3]);
/// # Ok::<(), nnc_ops::OpsError>(())
/// ```
pub struct Sequential<T: Float> {
    params: Parameters<T>,
    layers: Vec<Box<dyn Layer<T>>>,
    names: Vec<Arc<str>>,
    input_width: usize,
    output_width: usize,
    fusion: bool,
}

impl<T: Float> fmt::Debug for Sequential<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sequential")
            .field("layers", &self.names)
            .field("input_width", &self.input_width)
            .field("output_width", &self.output_width)
            .field("num_params", &self.num_params())
            .finish()
    }
}

impl<T: Float> Sequential<T> {
    /// An empty model taking `input_width` features.
    pub fn new(input_width: usize) -> Self {
        Sequential {
            params: Parameters::new(),
            layers: Vec::new(),
            names: Vec::new(),
            input_width,
            output_width: input_width,
            fusion: true,
        }
    }

    /// Builds every spec in order with default names (`dense1`, `relu1`, `dense2`, ...).
    pub fn from_specs(input_width: usize, specs: &[LayerSpec], rng: &mut Rng) -> Result<Self> {
        let mut m = Self::new(input_width);
        for spec in specs {
            m.push(*spec, rng)?;
        }
        Ok(m)
    }

    /// The default name of the next layer of `kind`: its kind name and a count per kind
    /// starting at 1 (`dense1`, `dense2`, `batchnorm1`, `relu1`).
    pub fn default_name(&self, kind: LayerKind) -> String {
        let k = kind.name();
        let count = self.layers.iter().filter(|l| l.kind().name() == k).count();
        format!("{k}{}", count + 1)
    }

    /// Appends the layer `spec` under its default name.
    pub fn push(&mut self, spec: LayerSpec, rng: &mut Rng) -> Result<&mut Self> {
        let name = self.default_name(spec.kind());
        self.push_named(&name, spec, rng)
    }

    /// Appends the layer `spec` as `name` (which must be unique in the model).
    pub fn push_named(&mut self, name: &str, spec: LayerSpec, rng: &mut Rng) -> Result<&mut Self> {
        self.push_layer(|params, width| spec.build(name, params, width, rng))
    }

    /// Appends a layer made by `build`, which receives the model's parameter store and the
    /// current output width (for layers defined outside this crate).
    pub fn push_layer(
        &mut self,
        build: impl FnOnce(&mut Parameters<T>, usize) -> Result<Box<dyn Layer<T>>>,
    ) -> Result<&mut Self> {
        let layer = build(&mut self.params, self.output_width)?;
        let name = layer.name();
        if self.names.iter().any(|n| &**n == name) {
            return Err(OpsError::config(
                "model",
                format!("two layers are called `{name}`; layer names must be unique"),
            ));
        }
        self.output_width = layer
            .output_width(self.output_width)
            .map_err(|e| e.in_layer(name))?;
        self.names.push(Arc::from(name));
        self.layers.push(layer);
        Ok(self)
    }

    /// Records the model's output for `x` `[n, input_width]` with its own parameters.
    pub fn forward(&mut self, tape: &mut Tape<T>, x: Var, ctx: &mut ForwardCtx<'_>) -> Result<Var> {
        self.run(tape, None, x, ctx, None)
    }

    /// Records the model's output reading parameters from `params`, a store with the same
    /// layout (e.g. the copy a gradient check perturbs).
    pub fn forward_with(
        &mut self,
        tape: &mut Tape<T>,
        params: &Parameters<T>,
        x: Var,
        ctx: &mut ForwardCtx<'_>,
    ) -> Result<Var> {
        self.run(tape, Some(params), x, ctx, None)
    }

    /// Records the model's output and appends each layer's output to `trace` (cleared first;
    /// keep it across steps to reuse its capacity). With fusion on, a dense layer followed by
    /// an activation appears once, as the activation layer.
    pub fn forward_traced(
        &mut self,
        tape: &mut Tape<T>,
        x: Var,
        ctx: &mut ForwardCtx<'_>,
        trace: &mut Vec<LayerOutput>,
    ) -> Result<Var> {
        trace.clear();
        self.run(tape, None, x, ctx, Some(trace))
    }

    fn run(
        &mut self,
        tape: &mut Tape<T>,
        params: Option<&Parameters<T>>,
        x: Var,
        ctx: &mut ForwardCtx<'_>,
        mut trace: Option<&mut Vec<LayerOutput>>,
    ) -> Result<Var> {
        let shape = tape.try_value(x)?.shape();
        if shape.len() != 2 || shape[1] != self.input_width {
            return Err(OpsError::config(
                "model",
                format!(
                    "expects inputs [n, {}] (one example per row), got {}",
                    self.input_width,
                    nnc_tape::shape::ShowShape(shape)
                ),
            ));
        }
        let Sequential {
            params: own,
            layers,
            names,
            fusion,
            ..
        } = self;
        let params = params.unwrap_or(own);
        let mut h = x;
        let mut i = 0;
        while i < layers.len() {
            let next_act = if *fusion {
                layers.get(i + 1).and_then(|l| l.kind().activation())
            } else {
                None
            };
            let mut done = None;
            if let Some(act) = next_act {
                let fused = layers[i]
                    .forward_with_activation(tape, params, h, act, ctx)
                    .map_err(|e| e.in_layer(&names[i]))?;
                if let Some(y) = fused {
                    done = Some((y, i + 1));
                }
            }
            let (y, last) = match done {
                Some(d) => d,
                None => {
                    let y = layers[i]
                        .forward(tape, params, h, ctx)
                        .map_err(|e| e.in_layer(&names[i]))?;
                    (y, i)
                }
            };
            if let Some(t) = trace.as_deref_mut() {
                t.push(LayerOutput {
                    index: last,
                    name: Arc::clone(&names[last]),
                    kind: layers[last].kind(),
                    output: y,
                });
            }
            h = y;
            i = last + 1;
        }
        Ok(h)
    }

    /// Turns dense + activation fusion on (default) or off.
    pub fn set_fusion(&mut self, on: bool) {
        self.fusion = on;
    }

    /// Whether dense + activation pairs run fused.
    pub fn fusion(&self) -> bool {
        self.fusion
    }

    /// The parameter store (names `<layer>.weight`, ...).
    pub fn params(&self) -> &Parameters<T> {
        &self.params
    }

    /// The parameter store, for updates (after the tape holding them is reset).
    pub fn params_mut(&mut self) -> &mut Parameters<T> {
        &mut self.params
    }

    /// Total number of parameter values.
    pub fn num_params(&self) -> usize {
        self.params.numel()
    }

    /// Ids of the parameters weight penalties apply to: the weights of dense and maxout
    /// layers, not biases, γ or β.
    pub fn weight_ids(&self) -> Vec<ParamId> {
        self.layers
            .iter()
            .flat_map(|l| l.weight_ids().iter().copied())
            .collect()
    }

    /// The layers in order.
    pub fn layers(&self) -> impl ExactSizeIterator<Item = &dyn Layer<T>> {
        self.layers.iter().map(|l| &**l)
    }

    /// Layer `index`.
    pub fn layer(&self, index: usize) -> Option<&dyn Layer<T>> {
        self.layers.get(index).map(|l| &**l)
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// True for a model without layers (the identity).
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Input features.
    pub fn input_width(&self) -> usize {
        self.input_width
    }

    /// Output width (classes for a classifier).
    pub fn output_width(&self) -> usize {
        self.output_width
    }

    /// Every buffer (running statistics) in layer order, with its canonical name.
    pub fn buffers(&self) -> impl Iterator<Item = &Buffer<T>> {
        self.layers.iter().flat_map(|l| l.buffers().iter())
    }

    /// The buffer called `name`, for loading a checkpoint.
    pub fn buffer_mut(&mut self, name: &str) -> Option<&mut Tensor<T>> {
        self.layers
            .iter_mut()
            .flat_map(|l| l.buffers_mut().iter_mut())
            .find(|b| b.name == name)
            .map(|b| &mut b.value)
    }

    /// Replaces the buffer `name` (same shape).
    pub fn set_buffer(&mut self, name: &str, value: Tensor<T>) -> Result<()> {
        let slot = self
            .buffer_mut(name)
            .ok_or_else(|| OpsError::config("model", format!("no buffer called `{name}`")))?;
        if slot.shape() != value.shape() {
            return Err(
                nnc_tape::TensorError::mismatch("set_buffer", slot.shape(), value.shape()).into(),
            );
        }
        *slot = value;
        Ok(())
    }

    /// The same model over `U` (f32 or f64): [`Sequential::to_f32`] or
    /// [`Sequential::to_f64`], for code generic over the float type.
    pub fn cast<U: Float>(&self) -> Sequential<U> {
        let any: Box<dyn std::any::Any> = match U::DTYPE {
            nnc_tape::DType::F32 => Box::new(self.to_f32()),
            nnc_tape::DType::F64 => Box::new(self.to_f64()),
        };
        *any.downcast::<Sequential<U>>()
            .expect("a Float's DTYPE names its type")
    }

    /// The same model over `f64` — parameters and buffers cast, ids unchanged — for gradient
    /// checks and gradient snapshots.
    pub fn to_f64(&self) -> Sequential<f64> {
        Sequential {
            params: self.params.cast(),
            layers: self.layers.iter().map(|l| l.to_f64()).collect(),
            names: self.names.clone(),
            input_width: self.input_width,
            output_width: self.output_width,
            fusion: self.fusion,
        }
    }

    /// The same model over `f32`.
    pub fn to_f32(&self) -> Sequential<f32> {
        Sequential {
            params: self.params.cast(),
            layers: self.layers.iter().map(|l| l.to_f32()).collect(),
            names: self.names.clone(),
            input_width: self.input_width,
            output_width: self.output_width,
            fusion: self.fusion,
        }
    }
}

impl Sequential<f64> {
    /// Checks the gradient of `loss(model(x), labels) + penalty` with respect to every trainable
    /// parameter by central differences (f64).
    ///
    /// Runs in Train mode (batch statistics) without touching the running statistics; dropout
    /// masks come from `rng(dropout_seed)` re-seeded for every evaluation, so each evaluation
    /// sees the same masks and the function being checked is deterministic.
    pub fn gradcheck(
        &mut self,
        x: &Tensor<f64>,
        labels: &[usize],
        loss: Loss,
        penalty: Option<Penalty>,
        opts: GradcheckOptions,
        dropout_seed: u64,
    ) -> Result<GradcheckReport> {
        let mut params = self.params.clone();
        let weights = self.weight_ids();
        let report = gradcheck_params(&mut params, opts, |tape, p| {
            let xv = tape.constant_from_slice(x.data(), x.shape())?;
            let mut rng = nnc_tape::rng(dropout_seed);
            let mut ctx = ForwardCtx::train(&mut rng).frozen_buffers();
            let scores = self.forward_with(tape, p, xv, &mut ctx)?;
            let mut l = loss.apply(tape, scores, labels)?;
            if let Some(pen) = penalty {
                let r = pen.apply(tape, p, &weights)?;
                l = tape.add(l, r)?;
            }
            Ok(l)
        })?;
        Ok(report)
    }
}

/// A table of the layers: name, kind, output width and parameter count.
impl<T: Float> fmt::Display for Sequential<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<14} {:<12} {:>8} {:>10}",
            "layer", "kind", "output", "params"
        )?;
        writeln!(
            f,
            "{:<14} {:<12} {:>8} {:>10}",
            "input", "", self.input_width, ""
        )?;
        let mut width = self.input_width;
        for (layer, name) in self.layers.iter().zip(&self.names) {
            width = layer.output_width(width).unwrap_or(0);
            let count: usize = layer
                .param_ids()
                .iter()
                .map(|&id| self.params.value(id).numel())
                .sum();
            writeln!(
                f,
                "{:<14} {:<12} {:>8} {:>10}",
                name,
                layer.kind().name(),
                width,
                count
            )?;
        }
        write!(f, "total parameters: {}", self.num_params())
    }
}

#[cfg(test)]
mod tests;
