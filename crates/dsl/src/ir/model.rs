//! The resolved `model` section.

pub use crate::shapes::Width;
use crate::span::Span;
use serde::Serialize;

/// The `model` section, with blocks and repeats expanded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSpec {
    /// `model NAME`.
    pub name: Option<String>,
    /// `input N`, when declared.
    pub input: Option<u64>,
    /// Layers from input to scores.
    pub layers: Vec<LayerSpec>,
    /// The loss.
    pub loss: LossSpec,
    /// The `loss` statement.
    pub loss_span: Span,
}

/// One layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerSpec {
    /// Canonical name, unique in the model (`dense1`, `batchnorm1`, `relu2`, ...), used as the
    /// prefix of parameter names (`dense1.weight`).
    pub name: String,
    /// What it computes.
    pub kind: LayerKind,
    /// The statement that produced it.
    pub span: Span,
    /// The outermost block call it came from, if any.
    pub call_site: Option<Span>,
}

/// Layer kinds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LayerKind {
    /// Fully connected: `y = x W + b`.
    Dense {
        /// Output width (symbolic only when the data was not read).
        units: Width,
        /// Weight initializer.
        init: InitSpec,
        /// Bias (`None`: no bias).
        bias: Option<InitSpec>,
    },
    /// Batch normalization.
    BatchNorm {
        /// Weight of the new batch in the running averages.
        momentum: f64,
        /// Added to the variance.
        eps: f64,
        /// Learnable γ and β.
        affine: bool,
    },
    /// Inverted dropout with drop probability `rate`.
    Dropout {
        /// Probability of zeroing a unit.
        rate: f64,
    },
    /// Maxout: `units` outputs, each the maximum of `pieces` affine pieces.
    Maxout {
        /// Output width (symbolic only when the data was not read).
        units: Width,
        /// Pieces per unit.
        pieces: u64,
        /// Weight initializer.
        init: InitSpec,
        /// Bias (`None`: no bias).
        bias: Option<InitSpec>,
    },
    /// An elementwise activation.
    Activation(Activation),
}

/// Weight or bias initializers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum InitSpec {
    /// `std · N(0, 1)`.
    Small {
        /// The standard deviation.
        std: f64,
    },
    /// `N(0, 1) / sqrt(fan_in)`.
    Xavier,
    /// `N(0, 1) · sqrt(2 / fan_in)`.
    He,
    /// `U(-a, a)`.
    Uniform {
        /// Half-width.
        a: f64,
    },
    /// All zeros (biases only).
    Zeros,
    /// A constant (biases only).
    Constant {
        /// The value.
        value: f64,
    },
}

/// Activation functions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Activation {
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `tanh x`.
    Tanh,
    /// `max(0, x)`.
    Relu,
    /// `max(αx, x)`.
    LeakyRelu {
        /// Slope for negative inputs.
        alpha: f64,
    },
    /// `x` if positive, else `α(e^x − 1)`.
    Elu {
        /// Saturation value for negative inputs.
        alpha: f64,
    },
    /// Gaussian error linear unit.
    Gelu,
    /// Scaled ELU.
    Selu,
    /// `ln(1 + e^x)`.
    Softplus,
    /// `x · sigmoid(x)`.
    Swish,
    /// The identity.
    Identity,
}

impl Activation {
    /// The activation's name as written.
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Elu { .. } => "elu",
            Activation::Gelu => "gelu",
            Activation::Selu => "selu",
            Activation::Softplus => "softplus",
            Activation::Swish => "swish",
            Activation::Identity => "none",
        }
    }

    /// Whether it is of the rectifier family (suits He initialization).
    pub fn is_rectifier(&self) -> bool {
        matches!(
            self,
            Activation::Relu
                | Activation::LeakyRelu { .. }
                | Activation::Elu { .. }
                | Activation::Gelu
                | Activation::Selu
                | Activation::Swish
                | Activation::Softplus
        )
    }

    /// Whether it saturates at both ends (sigmoid, tanh).
    pub fn is_saturating(&self) -> bool {
        matches!(self, Activation::Sigmoid | Activation::Tanh)
    }
}

/// Losses.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LossSpec {
    /// Softmax cross-entropy on class scores.
    Softmax,
    /// Multiclass hinge loss.
    Svm {
        /// The margin Δ.
        margin: f64,
    },
    /// Mean squared error (against one-hot classes or numeric targets).
    Mse,
}
