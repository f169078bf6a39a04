//! [`LayerSpec`]: one entry of an architecture, built into a layer by [`LayerSpec::build`].

use super::{ActivationLayer, BatchNorm, Dense, Dropout, Layer, LayerKind, Maxout};
use crate::activation::Activation;
use crate::batchnorm::BatchNormConfig;
use crate::error::Result;
use crate::init::Init;
use nnc_tape::{Float, Parameters, Rng};

/// One entry of a model architecture: what to build, without parameters. The `.nn` language's
/// `model` section resolves to a list of these; [`Sequential`](crate::Sequential) builds them.
///
/// `W` is the type of a layer's output width: a number of units for a layer that can be
/// built; the language's checker holds widths that may still depend on the data (a
/// `pca(variance: v)` leaves `data.features` unknown until the data is read) and resolves them
/// with [`LayerSpec::map_width`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LayerSpec<W = usize> {
    /// `dense N` with a weight initialiser and an optional bias initialiser.
    Dense {
        /// Output width.
        units: W,
        /// Weight initialiser.
        init: Init,
        /// Bias initialiser; `None` for no bias (before batch norm).
        bias: Option<Init>,
    },
    /// `maxout N, pieces: k`.
    Maxout {
        /// Output width.
        units: W,
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
        #[serde(flatten)]
        config: BatchNormConfig,
        /// Learnable γ and β.
        affine: bool,
    },
    /// `dropout p`.
    Dropout {
        /// Drop probability in `[0, 1)`.
        rate: f64,
    },
    /// An activation (serialised as the activation itself: `{"kind": "relu"}`).
    #[serde(untagged)]
    Activation(Activation),
}

impl<W> LayerSpec<W> {
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

    /// The declared output width of a dense or maxout layer (`None` for layers that keep
    /// their input's width).
    pub fn units(&self) -> Option<&W> {
        match self {
            LayerSpec::Dense { units, .. } | LayerSpec::Maxout { units, .. } => Some(units),
            _ => None,
        }
    }

    /// Whether it has trainable weights (dense, maxout).
    pub fn has_weights(&self) -> bool {
        self.units().is_some()
    }

    /// The positions of the dense or maxout layers of `layers` that have a bias and are
    /// followed directly by batch norm: batch norm subtracts the batch mean, which cancels the
    /// bias exactly (its gradient is 0 and it never trains), so the bias is wasted. Build them
    /// with [`LayerSpec::dense_no_bias`] (`bias: false` in the `.nn` language, whose W308
    /// warning is this check).
    pub fn biases_before_batchnorm(layers: &[LayerSpec<W>]) -> Vec<usize> {
        layers
            .windows(2)
            .enumerate()
            .filter(|(_, pair)| {
                matches!(
                    pair,
                    [
                        LayerSpec::Dense { bias: Some(_), .. }
                            | LayerSpec::Maxout { bias: Some(_), .. },
                        LayerSpec::BatchNorm { .. }
                    ]
                )
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The same layer with its width mapped by `f` (e.g. a width expression resolved to a
    /// number once the data is read).
    pub fn map_width<U, E>(&self, f: impl FnOnce(&W) -> Result<U, E>) -> Result<LayerSpec<U>, E> {
        Ok(match self {
            LayerSpec::Dense { units, init, bias } => LayerSpec::Dense {
                units: f(units)?,
                init: *init,
                bias: *bias,
            },
            LayerSpec::Maxout {
                units,
                pieces,
                init,
                bias,
            } => LayerSpec::Maxout {
                units: f(units)?,
                pieces: *pieces,
                init: *init,
                bias: *bias,
            },
            LayerSpec::BatchNorm { config, affine } => LayerSpec::BatchNorm {
                config: *config,
                affine: *affine,
            },
            LayerSpec::Dropout { rate } => LayerSpec::Dropout { rate: *rate },
            LayerSpec::Activation(a) => LayerSpec::Activation(*a),
        })
    }
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

    /// `dense units` without a bias: the layer to put before batch norm, whose `β` replaces
    /// the bias (a bias there is cancelled by the mean subtraction: see
    /// [`LayerSpec::biases_before_batchnorm`]).
    pub fn dense_no_bias(units: usize, init: Init) -> Self {
        LayerSpec::Dense {
            units,
            init,
            bias: None,
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

    /// The output width for an input of `input_width` features.
    pub fn output_width(&self, input_width: usize) -> usize {
        match *self {
            LayerSpec::Dense { units, .. } | LayerSpec::Maxout { units, .. } => units,
            _ => input_width,
        }
    }

    /// The number of trainable values it will have for an input of `input_width` features:
    /// dense `in·units + units` (no `+ units` without a bias), maxout `pieces` times that,
    /// batch norm `2·width` (0 when not affine), others 0. Saturating, so that an absurd
    /// architecture reports `u64::MAX` instead of overflowing.
    pub fn param_count(&self, input_width: usize) -> u64 {
        let affine = |units: usize, bias: bool| {
            let units = units as u64;
            (input_width as u64)
                .saturating_mul(units)
                .saturating_add(if bias { units } else { 0 })
        };
        match *self {
            LayerSpec::Dense { units, bias, .. } => affine(units, bias.is_some()),
            LayerSpec::Maxout {
                units,
                pieces,
                bias,
                ..
            } => affine(units, bias.is_some()).saturating_mul(pieces as u64),
            LayerSpec::BatchNorm { affine: true, .. } => (input_width as u64).saturating_mul(2),
            LayerSpec::BatchNorm { affine: false, .. }
            | LayerSpec::Dropout { .. }
            | LayerSpec::Activation(_) => 0,
        }
    }

    /// The trainable values of a stack of `layers` fed `input_width` features: the sum of
    /// each layer's [`LayerSpec::param_count`] (saturating).
    pub fn total_param_count<'a>(
        input_width: usize,
        layers: impl IntoIterator<Item = &'a LayerSpec>,
    ) -> u64 {
        let mut width = input_width;
        let mut total = 0u64;
        for layer in layers {
            total = total.saturating_add(layer.param_count(width));
            width = layer.output_width(width);
        }
        total
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bias_right_before_batch_norm_is_found() {
        let layers = [
            LayerSpec::dense(8, Init::He),
            LayerSpec::batchnorm(),
            LayerSpec::Activation(Activation::Relu),
            LayerSpec::dense_no_bias(8, Init::He),
            LayerSpec::batchnorm(),
            LayerSpec::dense(3, Init::Xavier),
        ];
        assert_eq!(LayerSpec::biases_before_batchnorm(&layers), vec![0]);
    }

    /// Every layer serialises with one `kind` key: the layer's, or the activation's.
    #[test]
    fn layers_serialise_with_one_kind() {
        let json = |spec: LayerSpec| serde_json::to_string(&spec).unwrap();
        assert_eq!(
            json(LayerSpec::Activation(Activation::Relu)),
            r#"{"kind":"relu"}"#
        );
        assert_eq!(
            json(LayerSpec::Activation(Activation::LeakyRelu { alpha: 0.1 })),
            r#"{"kind":"leaky_relu","alpha":0.1}"#
        );
        assert_eq!(
            json(LayerSpec::batchnorm()),
            r#"{"kind":"batchnorm","momentum":0.1,"eps":0.00001,"affine":true}"#
        );
        assert_eq!(
            json(LayerSpec::dense(3, Init::He)),
            r#"{"kind":"dense","units":3,"init":{"kind":"he"},"bias":{"kind":"zeros"}}"#
        );
    }
}
