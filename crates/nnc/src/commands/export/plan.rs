//! [`Plan`]: the inference path of a trained model — preprocessing with its fitted statistics,
//! then the layers with their weights — in the terms both export formats are written from.
//!
//! Preprocessing becomes per-feature arithmetic and matrix products on f32 constants named
//! `preprocess.<i>.<step>.<statistic>`:
//!
//! | step | operations |
//! |---|---|
//! | `scale(c)` | `x · factor` |
//! | `center` | `x − mean` |
//! | `channel_center` | `x − mean` (each channel's mean repeated over its pixels) |
//! | `normalize` | `x / std` |
//! | `minmax(lo, hi)` | `(x − min) · factor + lo`, `factor = (hi − lo) / range` |
//! | `pca`, `whiten`, `zca` | `(x − mean) · projection`, `projection = U_k diag(s)` (`· U_kᵀ` for `zca`) |
//!
//! Factors and projections are computed in f64 from the exact fitted statistics and rounded
//! to f32 once.

use crate::exit::{BAD_MODEL, Failure};
use nnc_data::FittedPipeline;
use nnc_data::FittedStep;
use nnc_data::preprocess::{Elementwise, Projection, ProjectionKind};
use nnc_ops::{Activation, Layer, LayerKind, LayerSpec, Sequential};

/// A named f32 constant of the exported model, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Constant {
    /// Its name (a parameter name such as `dense1.weight`, or `preprocess.<i>.<step>.<stat>`).
    pub name: String,
    /// Its shape (`[]` for a scalar).
    pub shape: Vec<usize>,
    /// Its values.
    pub data: Vec<f32>,
}

impl Constant {
    /// A constant from f64 values, rounded to f32.
    fn from_f64(name: String, shape: Vec<usize>, data: &[f64]) -> Constant {
        Constant {
            name,
            shape,
            data: data.iter().map(|&v| v as f32).collect(),
        }
    }
}

/// One operation of a preprocessing step; the right operand is a constant broadcast over rows.
#[derive(Debug, Clone, PartialEq)]
pub enum PreOp {
    /// `x − c`.
    Sub(Constant),
    /// `x / c`.
    Div(Constant),
    /// `x · c` elementwise.
    Mul(Constant),
    /// `x + c`.
    Add(Constant),
    /// `x C` (matrix product with a `[in, out]` constant).
    MatMul(Constant),
}

impl PreOp {
    /// The constant operand.
    pub fn constant(&self) -> &Constant {
        match self {
            PreOp::Sub(c) | PreOp::Div(c) | PreOp::Mul(c) | PreOp::Add(c) | PreOp::MatMul(c) => c,
        }
    }
}

/// A fitted preprocessing step as operations.
#[derive(Debug, Clone, PartialEq)]
pub struct PreStep {
    /// `preprocess.<i>.<step>`.
    pub name: String,
    /// The operations, in order.
    pub ops: Vec<PreOp>,
}

/// One layer of the inference path.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `x W + b`, `W` `[in, units]` as nnc stores it.
    Dense {
        /// Layer name.
        name: String,
        /// Weight `[in, units]`.
        weight: Constant,
        /// Bias `[units]`, if any.
        bias: Option<Constant>,
    },
    /// `max_p (x W + b)[:, u·pieces + p]` for each unit `u`.
    Maxout {
        /// Layer name.
        name: String,
        /// Weight `[in, units·pieces]`, unit `u`'s pieces in columns `u·pieces .. u·pieces + pieces`.
        weight: Constant,
        /// Bias `[units·pieces]`, if any.
        bias: Option<Constant>,
        /// Output units.
        units: usize,
        /// Pieces per unit.
        pieces: usize,
    },
    /// Batch norm in eval mode: `γ ⊙ (x − running_mean) / √(running_var + ε) + β`.
    BatchNorm {
        /// Layer name.
        name: String,
        /// `γ` (`None`: 1, not affine).
        gamma: Option<Constant>,
        /// `β` (`None`: 0, not affine).
        beta: Option<Constant>,
        /// Running mean.
        mean: Constant,
        /// Running (unbiased) variance.
        var: Constant,
        /// `ε`.
        eps: f64,
        /// Momentum of the running averages (for PyTorch's layer; unused at inference).
        momentum: f64,
    },
    /// An elementwise activation.
    Activation {
        /// Layer name.
        name: String,
        /// The function.
        activation: Activation,
    },
    /// Dropout: the identity at inference.
    Dropout {
        /// Layer name.
        name: String,
        /// Drop probability (for PyTorch's layer).
        rate: f64,
    },
}

/// The whole inference path: raw features in, class scores (logits) out.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The model's name.
    pub model: String,
    /// Raw input features.
    pub features: usize,
    /// Class names, one per output.
    pub classes: Vec<String>,
    /// Preprocessing steps, in order.
    pub preprocess: Vec<PreStep>,
    /// Layers, in order.
    pub layers: Vec<Node>,
}

impl Plan {
    /// The features the layers receive: the raw features, or the outputs of the last
    /// projection.
    pub fn features_after_preprocessing(&self) -> usize {
        self.preprocess
            .iter()
            .flat_map(|s| &s.ops)
            .fold(self.features, |w, op| match op {
                PreOp::MatMul(c) => c.shape[1],
                _ => w,
            })
    }
}

impl Node {
    /// The layer's name.
    pub fn name(&self) -> &str {
        match self {
            Node::Dense { name, .. }
            | Node::Maxout { name, .. }
            | Node::BatchNorm { name, .. }
            | Node::Activation { name, .. }
            | Node::Dropout { name, .. } => name,
        }
    }

    /// Its output width for `width` input features.
    pub fn output_width(&self, width: usize) -> usize {
        match self {
            Node::Dense { weight, .. } => weight.shape[1],
            Node::Maxout { units, .. } => *units,
            _ => width,
        }
    }
}

/// The preprocessing steps of `pipeline` as operations.
pub fn preprocessing(pipeline: &FittedPipeline) -> Vec<PreStep> {
    pipeline
        .steps()
        .iter()
        .zip(pipeline.fitted_steps())
        .enumerate()
        .map(|(i, (step, fitted))| {
            let name = format!("preprocess.{i}.{}", step.name());
            let ops = match fitted {
                FittedStep::Elementwise(e) => elementwise(&name, e),
                FittedStep::Projection(p) => projection(&name, p),
            };
            PreStep { name, ops }
        })
        .collect()
}

fn elementwise(prefix: &str, e: &Elementwise) -> Vec<PreOp> {
    let vector =
        |stat: &str, v: &[f64]| Constant::from_f64(format!("{prefix}.{stat}"), vec![v.len()], v);
    let scalar = |stat: &str, v: f64| Constant::from_f64(format!("{prefix}.{stat}"), vec![], &[v]);
    match e {
        Elementwise::Scale { factor } => vec![PreOp::Mul(scalar("factor", *factor))],
        Elementwise::Center { mean } => vec![PreOp::Sub(vector("mean", mean))],
        Elementwise::ChannelCenter { mean, plane } => {
            let repeated: Vec<f64> = mean
                .iter()
                .flat_map(|&m| std::iter::repeat_n(m, *plane))
                .collect();
            vec![PreOp::Sub(vector("mean", &repeated))]
        }
        Elementwise::Normalize { std } => vec![PreOp::Div(vector("std", std))],
        Elementwise::MinMax { min, range, lo, hi } => {
            let factor: Vec<f64> = range.iter().map(|r| (hi - lo) / r).collect();
            vec![
                PreOp::Sub(vector("min", min)),
                PreOp::Mul(vector("factor", &factor)),
                PreOp::Add(scalar("lo", *lo)),
            ]
        }
    }
}

fn projection(prefix: &str, p: &Projection) -> Vec<PreOp> {
    let (d, k) = (p.inputs(), p.kept());
    // U_k diag(s): column j of the basis times its scale.
    let scaled: Vec<f64> = (0..d * k)
        .map(|i| p.components[i] * p.scale[i % k])
        .collect();
    let (matrix, out) = if p.kind == ProjectionKind::Zca {
        // (U_k diag(s)) U_kᵀ: entry (r, c) = Σ_j scaled[r, j] · U[c, j].
        let m = (0..d * d)
            .map(|i| {
                let (r, c) = (i / d, i % d);
                (0..k)
                    .map(|j| scaled[r * k + j] * p.components[c * k + j])
                    .sum()
            })
            .collect();
        (m, d)
    } else {
        (scaled, k)
    };
    vec![
        PreOp::Sub(Constant::from_f64(
            format!("{prefix}.mean"),
            vec![d],
            &p.mean,
        )),
        PreOp::MatMul(Constant::from_f64(
            format!("{prefix}.projection"),
            vec![d, out],
            &matrix,
        )),
    ]
}

/// A parameter of `model` as a constant; `None` if the model has no parameter `name`.
fn param(model: &Sequential<f32>, name: &str) -> Option<Constant> {
    let id = model.params().find(name)?;
    let t = model.params().value(id);
    Some(Constant {
        name: name.to_string(),
        shape: t.shape().to_vec(),
        data: t.data().to_vec(),
    })
}

/// A buffer of `layer` as a constant.
fn buffer(layer: &dyn Layer<f32>, name: &str) -> Option<Constant> {
    layer
        .buffers()
        .iter()
        .find(|b| b.name == name)
        .map(|b| Constant {
            name: name.to_string(),
            shape: b.value.shape().to_vec(),
            data: b.value.data().to_vec(),
        })
}

/// The error for a layer the exporter cannot write.
fn unexportable(name: &str, what: &str) -> Failure {
    Failure::new(
        BAD_MODEL,
        format!("layer `{name}` cannot be exported: {what}"),
    )
    .hint("export supports dense, maxout, batchnorm, dropout and the activations of `nnc list activations`")
}

/// The layers of `model` (trained weights loaded) as nodes; `specs` are the layer specs it
/// was built from (for batch norm's ε and momentum, dropout's rate). Fails, naming the layer,
/// on a layer it cannot export.
pub fn layers(
    model: &Sequential<f32>,
    specs: &[(String, LayerSpec)],
) -> Result<Vec<Node>, Failure> {
    let spec = |name: &str| specs.iter().find(|(n, _)| n == name).map(|(_, s)| *s);
    let missing = |name: &str, what: &str| unexportable(name, &format!("its {what} is missing"));
    model
        .layers()
        .map(|layer| {
            let name = layer.name().to_string();
            let weight =
                || param(model, &format!("{name}.weight")).ok_or_else(|| missing(&name, "weight"));
            let bias = param(model, &format!("{name}.bias"));
            Ok(match (layer.kind(), spec(&name)) {
                (LayerKind::Dense, _) => Node::Dense {
                    weight: weight()?,
                    bias,
                    name,
                },
                (LayerKind::Maxout { pieces }, _) => {
                    let weight = weight()?;
                    let units = weight.shape.get(1).copied().unwrap_or(0) / pieces.max(1);
                    Node::Maxout {
                        weight,
                        bias,
                        units,
                        pieces,
                        name,
                    }
                }
                (LayerKind::BatchNorm, Some(LayerSpec::BatchNorm { config, .. })) => {
                    let stat = |s: &str| {
                        buffer(layer, &format!("{name}.{s}")).ok_or_else(|| missing(&name, s))
                    };
                    Node::BatchNorm {
                        gamma: param(model, &format!("{name}.gamma")),
                        beta: param(model, &format!("{name}.beta")),
                        mean: stat("running_mean")?,
                        var: stat("running_var")?,
                        eps: config.eps,
                        momentum: config.momentum,
                        name,
                    }
                }
                (LayerKind::Dropout, Some(LayerSpec::Dropout { rate })) => {
                    Node::Dropout { name, rate }
                }
                (LayerKind::Activation(activation), _) => Node::Activation { name, activation },
                (LayerKind::Custom(kind), _) => {
                    return Err(unexportable(
                        &name,
                        &format!("`{kind}` layers have no export"),
                    ));
                }
                (kind, _) => {
                    return Err(unexportable(
                        &name,
                        &format!(
                            "the model file does not describe this {} layer",
                            kind.name()
                        ),
                    ));
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
