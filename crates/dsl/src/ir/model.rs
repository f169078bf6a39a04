//! The resolved `model` section.

pub use crate::shapes::Width;
use crate::span::Span;
pub use nnc_ops::{Activation, BatchNormConfig, Init, LayerSpec, Loss};
use serde::Serialize;

/// The `model` section, with blocks and repeats expanded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSpec {
    /// `model NAME`.
    pub name: Option<String>,
    /// `input N`, when declared.
    pub input: Option<u64>,
    /// Layers from input to scores.
    pub layers: Vec<ModelLayer>,
    /// The loss.
    pub loss: Loss,
    /// The `loss` statement.
    pub loss_span: Span,
}

/// One layer of the resolved model: the library's [`LayerSpec`] with its width possibly still
/// symbolic, under its canonical name, with the statement it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelLayer {
    /// Canonical name, unique in the model (`dense1`, `batchnorm1`, `relu2`, ...), used as the
    /// prefix of parameter names (`dense1.weight`).
    pub name: String,
    /// What it computes.
    #[serde(flatten)]
    pub spec: LayerSpec<Width>,
    /// The statement that produced it.
    pub span: Span,
    /// The outermost block call it came from, if any.
    pub call_site: Option<Span>,
}
