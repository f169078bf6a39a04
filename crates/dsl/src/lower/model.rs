//! The `model` section lowered: layer specs under their canonical names, built into a fresh
//! [`Sequential`] from a seed, and the loss.
//!
//! The checker already resolved the layers into the library's [`LayerSpec`]s (initializers
//! included: an explicit `init`, else the model's `default`, else `he` before a rectifier and
//! `xavier` otherwise); lowering only fixes the widths that depend on the data.

use super::LowerError;
use crate::ir::{ModelSpec, Width};
use nnc_ops::{LayerSpec, Loss, Sequential};
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
        let layers = model
            .layers
            .iter()
            .map(|layer| {
                let spec = layer.spec.map_width(|w| width(w, &layer.name))?;
                Ok((layer.name.clone(), spec))
            })
            .collect::<Result<Vec<_>, LowerError>>()?;
        Ok(ModelBuilder {
            input_width: features,
            layers,
            loss: model.loss,
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

    /// The number of trainable values the model will have
    /// ([`LayerSpec::total_param_count`]: saturating, so that an absurd architecture cannot
    /// overflow).
    pub fn param_count(&self) -> u64 {
        LayerSpec::total_param_count(self.input_width, self.layers.iter().map(|(_, s)| s))
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
        let params = u128::from(self.param_count()).saturating_mul(2);
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
