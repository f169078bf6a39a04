//! The `model` section lowered: layer specs under their canonical names, built into a fresh
//! [`Sequential`] from a seed, and the loss.
//!
//! Initializers are already resolved by the checker (an explicit `init`, else the model's
//! `default`, else `he` before a rectifier and `xavier` otherwise), so lowering maps them one
//! to one.

use super::LowerError;
use crate::ir::{Activation, InitSpec, LayerKind, LossSpec, ModelSpec, Width};
use nnc_ops::{BatchNormConfig, Init, LayerSpec, Loss, Sequential};
use nnc_tape::{Rng, rng};

/// The ChaCha stream initial weights are drawn from (the trainer draws batch orders from
/// stream `epoch` and dropout masks from another seed, so weights do not correlate with them).
pub const INIT_STREAM: u64 = 0x1417_0000;

/// The generator of initial weights for `seed`.
pub fn init_rng(seed: u64) -> Rng {
    let mut r = rng(seed);
    r.set_stream(INIT_STREAM);
    r
}

/// The library's initializer.
pub fn init(spec: InitSpec) -> Init {
    match spec {
        InitSpec::Small { std } => Init::Small { std },
        InitSpec::Xavier => Init::Xavier,
        InitSpec::He => Init::He,
        InitSpec::Uniform { a } => Init::Uniform { a },
        InitSpec::Zeros => Init::Zeros,
        InitSpec::Constant { value } => Init::Constant { value },
    }
}

/// The library's activation (`leaky_relu`'s `alpha` is the library's `slope`).
pub fn activation(a: Activation) -> nnc_ops::Activation {
    use nnc_ops::Activation as A;
    match a {
        Activation::Sigmoid => A::Sigmoid,
        Activation::Tanh => A::Tanh,
        Activation::Relu => A::Relu,
        Activation::LeakyRelu { alpha } => A::LeakyRelu { slope: alpha },
        Activation::Elu { alpha } => A::Elu { alpha },
        Activation::Gelu => A::Gelu,
        Activation::Selu => A::Selu,
        Activation::Softplus => A::Softplus,
        Activation::Swish => A::Swish,
        Activation::Identity => A::Identity,
    }
}

/// The library's loss.
pub fn loss(spec: LossSpec) -> Loss {
    match spec {
        LossSpec::Softmax => Loss::SoftmaxCrossEntropy,
        LossSpec::Svm { margin } => Loss::Svm { margin },
        LossSpec::Mse => Loss::MeanSquaredError,
    }
}

/// Builds fresh instances of the model: the architecture, without parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelBuilder {
    /// Features the model receives (after preprocessing).
    pub input_width: usize,
    /// The layers, with their canonical names (`dense1`, `relu1`, ...).
    pub layers: Vec<(String, LayerSpec)>,
    /// The data loss.
    pub loss: Loss,
}

impl ModelBuilder {
    /// The architecture of `model` for data with `features` inputs and `classes` classes
    /// (widths the checker left symbolic — `data.features` after `pca(variance: v)` — are
    /// resolved here).
    pub fn new(model: &ModelSpec, features: usize, classes: usize) -> Result<Self, LowerError> {
        let width = |w: &Width, layer: &str| -> Result<usize, LowerError> {
            match w {
                Width::Known(n) => usize::try_from(*n)
                    .map_err(|_| LowerError::invalid(format!("`{layer}` is too wide ({n})"), "")),
                Width::Symbolic(s) if s == "data.features" => Ok(features),
                Width::Symbolic(s) if s == "data.classes" => Ok(classes),
                Width::Symbolic(s) => Err(LowerError::invalid(
                    format!(
                        "the width of `{layer}` is `{s}`, which is only known once the data is read"
                    ),
                    "write a width that does not depend on data the checker could not read (e.g. with `pca(components: k)` instead of `pca(variance: v)`)",
                )),
            }
        };
        let mut layers = Vec::with_capacity(model.layers.len());
        for layer in &model.layers {
            let spec = match &layer.kind {
                LayerKind::Dense {
                    units,
                    init: i,
                    bias,
                } => LayerSpec::Dense {
                    units: width(units, &layer.name)?,
                    init: init(*i),
                    bias: bias.map(init),
                },
                LayerKind::Maxout {
                    units,
                    pieces,
                    init: i,
                    bias,
                } => LayerSpec::Maxout {
                    units: width(units, &layer.name)?,
                    pieces: usize::try_from(*pieces).unwrap_or(usize::MAX),
                    init: init(*i),
                    bias: bias.map(init),
                },
                LayerKind::BatchNorm {
                    momentum,
                    eps,
                    affine,
                } => LayerSpec::BatchNorm {
                    config: BatchNormConfig {
                        momentum: *momentum,
                        eps: *eps,
                    },
                    affine: *affine,
                },
                LayerKind::Dropout { rate } => LayerSpec::Dropout { rate: *rate },
                LayerKind::Activation(a) => LayerSpec::Activation(activation(*a)),
            };
            layers.push((layer.name.clone(), spec));
        }
        Ok(ModelBuilder {
            input_width: features,
            layers,
            loss: loss(model.loss),
        })
    }

    /// A fresh model with weights drawn from [`init_rng`]`(seed)`.
    pub fn build(&self, seed: u64) -> Result<Sequential<f32>, LowerError> {
        let mut r = init_rng(seed);
        let mut m = Sequential::new(self.input_width);
        for (name, spec) in &self.layers {
            m.push_named(name, *spec, &mut r)?;
        }
        Ok(m)
    }

    /// The number of trainable values the model will have (Σ of each layer's count, in
    /// saturating `u128` arithmetic so that an absurd architecture cannot overflow).
    pub fn param_count(&self) -> u128 {
        let mut width = self.input_width as u128;
        let mut total = 0u128;
        for (_, spec) in &self.layers {
            let count = match *spec {
                LayerSpec::Dense { units, bias, .. } => {
                    let units = units as u128;
                    width
                        .saturating_mul(units)
                        .saturating_add(if bias.is_some() { units } else { 0 })
                }
                LayerSpec::Maxout {
                    units,
                    pieces,
                    bias,
                    ..
                } => {
                    let units = units as u128;
                    width
                        .saturating_mul(units)
                        .saturating_add(if bias.is_some() { units } else { 0 })
                        .saturating_mul(pieces as u128)
                }
                LayerSpec::BatchNorm { affine: true, .. } => width.saturating_mul(2),
                _ => 0,
            };
            total = total.saturating_add(count);
            width = match *spec {
                LayerSpec::Dense { units, .. } | LayerSpec::Maxout { units, .. } => units as u128,
                _ => width,
            };
        }
        total
    }

    /// A lower bound of the memory, in bytes, that training with batches of `batch` rows
    /// needs: `4 · (2·P + 2·B·W)` for `P` parameters and the `W` outputs per row of the dense
    /// and maxout layers (each maxout piece counted), in f32 — the values and gradients of
    /// both, leaving out optimiser state, other layers and workspace. A model above it cannot
    /// train on a machine with less memory. Saturating, like [`Self::param_count`].
    pub fn training_bytes(&self, batch: usize) -> u128 {
        let outputs = self
            .layers
            .iter()
            .map(|(_, spec)| match *spec {
                LayerSpec::Dense { units, .. } => units as u128,
                LayerSpec::Maxout { units, pieces, .. } => {
                    (units as u128).saturating_mul(pieces as u128)
                }
                _ => 0,
            })
            .fold(0u128, u128::saturating_add);
        let params = self.param_count().saturating_mul(2);
        let activations = (batch as u128).saturating_mul(outputs).saturating_mul(2);
        params.saturating_add(activations).saturating_mul(4)
    }

    /// The number of outputs (class scores).
    pub fn output_width(&self) -> usize {
        self.layers
            .iter()
            .fold(self.input_width, |w, (_, s)| s.output_width(w))
    }
}
