//! [`LayerSpec`]: one entry of an architecture, built into a layer by [`LayerSpec::build`].

use super::{ActivationLayer, BatchNorm, Dense, Dropout, Layer, LayerKind, Maxout};
use crate::activation::Activation;
use crate::batchnorm::BatchNormConfig;
use crate::error::Result;
use crate::init::Init;
use nnc_tape::{Float, Parameters, Rng};

/// One entry of a model architecture: what to build, without parameters. The `.nn` language's
/// `model` section lowers to a list of these; [`Sequential`](crate::Sequential) builds them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LayerSpec {
    /// `dense N` with a weight initialiser and an optional bias initialiser.
    Dense {
        /// Output width.
        units: usize,
        /// Weight initialiser.
        init: Init,
        /// Bias initialiser; `None` for no bias (before batch norm).
        bias: Option<Init>,
    },
    /// `maxout N, pieces: k`.
    Maxout {
        /// Output width.
        units: usize,
        /// Pieces per unit (≥ 2).
        pieces: usize,
        /// Weight initialiser.
        init: Init,
        /// Bias initialiser; `None` for no bias.
        bias: Option<Init>,
    },
    /// `batchnorm momentum: m, eps: e, affine: a`.
    BatchNorm {
        /// Momentum and eps.
        config: BatchNormConfig,
        /// Learnable γ and β.
        affine: bool,
    },
    /// `dropout p`.
    Dropout {
        /// Drop probability in `[0, 1)`.
        rate: f64,
    },
    /// An activation.
    Activation(Activation),
}

impl LayerSpec {
    /// `dense units` with the given weight init and a zero bias.
    pub fn dense(units: usize, init: Init) -> Self {
        LayerSpec::Dense {
            units,
            init,
            bias: Some(Init::Zeros),
        }
    }

    /// `maxout units, pieces: k` with the given weight init and a zero bias.
    pub fn maxout(units: usize, pieces: usize, init: Init) -> Self {
        LayerSpec::Maxout {
            units,
            pieces,
            init,
            bias: Some(Init::Zeros),
        }
    }

    /// `batchnorm` with PyTorch's defaults (momentum 0.1, eps 1e-5, affine).
    pub fn batchnorm() -> Self {
        LayerSpec::BatchNorm {
            config: BatchNormConfig::default(),
            affine: true,
        }
    }

    /// `dropout rate`.
    pub fn dropout(rate: f64) -> Self {
        LayerSpec::Dropout { rate }
    }

    /// The kind of layer it builds.
    pub fn kind(&self) -> LayerKind {
        match *self {
            LayerSpec::Dense { .. } => LayerKind::Dense,
            LayerSpec::Maxout { pieces, .. } => LayerKind::Maxout { pieces },
            LayerSpec::BatchNorm { .. } => LayerKind::BatchNorm,
            LayerSpec::Dropout { .. } => LayerKind::Dropout,
            LayerSpec::Activation(a) => LayerKind::Activation(a),
        }
    }

    /// The output width for an input of `input_width` features.
    pub fn output_width(&self, input_width: usize) -> usize {
        match *self {
            LayerSpec::Dense { units, .. } | LayerSpec::Maxout { units, .. } => units,
            _ => input_width,
        }
    }

    /// The number of trainable values it will have for an input of `input_width` features:
    /// dense `in·units + units`, maxout `pieces` times that, batch norm `2·width` (0 when not
    /// affine).
    pub fn param_count(&self, input_width: usize) -> usize {
        match *self {
            LayerSpec::Dense { units, bias, .. } => {
                input_width * units + if bias.is_some() { units } else { 0 }
            }
            LayerSpec::Maxout {
                units,
                pieces,
                bias,
                ..
            } => pieces * (input_width * units + if bias.is_some() { units } else { 0 }),
            LayerSpec::BatchNorm { affine, .. } => {
                if affine {
                    2 * input_width
                } else {
                    0
                }
            }
            LayerSpec::Dropout { .. } | LayerSpec::Activation(_) => 0,
        }
    }

    /// Builds the layer `name` for `input_width` input features, adding its parameters to
    /// `params` (initialised from `rng`).
    pub fn build<T: Float>(
        &self,
        name: &str,
        params: &mut Parameters<T>,
        input_width: usize,
        rng: &mut Rng,
    ) -> Result<Box<dyn Layer<T>>> {
        Ok(match *self {
            LayerSpec::Dense { units, init, bias } => Box::new(Dense::new(
                params,
                name,
                input_width,
                units,
                init,
                bias,
                rng,
            )?),
            LayerSpec::Maxout {
                units,
                pieces,
                init,
                bias,
            } => Box::new(Maxout::new(
                params,
                name,
                input_width,
                units,
                pieces,
                init,
                bias,
                rng,
            )?),
            LayerSpec::BatchNorm { config, affine } => {
                Box::new(BatchNorm::new(params, name, input_width, config, affine)?)
            }
            LayerSpec::Dropout { rate } => Box::new(Dropout::new(name, rate)?),
            LayerSpec::Activation(a) => Box::new(ActivationLayer::new(name, a)?),
        })
    }
}
