//! A [`Plan`] as a PyTorch state dict (safetensors) and the Python module it loads into.
//!
//! The network is an `nn.Sequential` with one entry per nnc layer, in order, so its state-dict
//! names are indices: `nn.Linear` `<i>.weight` `[out, in]` (nnc's `[in, out]` transposed) and
//! `<i>.bias`; a `Maxout` module `<i>.linear.weight` / `<i>.linear.bias`; `nn.BatchNorm1d`
//! `<i>.weight`, `<i>.bias`, `<i>.running_mean`, `<i>.running_var` and
//! `<i>.num_batches_tracked` (an i64 scalar, 0: nnc does not count batches, and PyTorch only
//! reads it when `momentum` is `None`). The preprocessing statistics are stored under the
//! names of [`super::plan`] (`preprocess.<i>.<step>.<statistic>`) and become buffers of the
//! generated `Preprocess` module.

use super::plan::{Constant, Node, Plan, PreOp};
use nnc_ops::Activation;
use safetensors::tensor::{Dtype, TensorView};
use std::collections::HashMap;
use std::fmt::Write;

/// One tensor of the state dict: name, element type, shape, little-endian bytes.
pub struct Entry {
    /// The state-dict name.
    pub name: String,
    /// F32 or I64.
    pub dtype: Dtype,
    /// The shape.
    pub shape: Vec<usize>,
    /// The values, little-endian.
    pub bytes: Vec<u8>,
}

impl Entry {
    fn f32(name: String, shape: Vec<usize>, data: &[f32]) -> Entry {
        Entry {
            name,
            dtype: Dtype::F32,
            shape,
            bytes: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    fn constant(name: String, c: &Constant) -> Entry {
        Entry::f32(name, c.shape.clone(), &c.data)
    }

    /// An `[in, out]` weight as `nn.Linear`'s `[out, in]`.
    fn transposed(name: String, w: &Constant) -> Entry {
        let (rows, cols) = (w.shape[0], w.shape[1]);
        let t: Vec<f32> = (0..rows * cols)
            .map(|i| w.data[(i % rows) * cols + i / rows])
            .collect();
        Entry::f32(name, vec![cols, rows], &t)
    }
}

/// The state dict of `plan`: the network's tensors under `nn.Sequential` names, then the
/// preprocessing statistics.
pub fn state_dict(plan: &Plan) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, node) in plan.layers.iter().enumerate() {
        match node {
            Node::Dense { weight, bias, .. } => {
                out.push(Entry::transposed(format!("{i}.weight"), weight));
                out.extend(bias.iter().map(|b| Entry::constant(format!("{i}.bias"), b)));
            }
            Node::Maxout { weight, bias, .. } => {
                out.push(Entry::transposed(format!("{i}.linear.weight"), weight));
                out.extend(
                    bias.iter()
                        .map(|b| Entry::constant(format!("{i}.linear.bias"), b)),
                );
            }
            Node::BatchNorm {
                gamma,
                beta,
                mean,
                var,
                ..
            } => {
                out.extend(
                    gamma
                        .iter()
                        .map(|g| Entry::constant(format!("{i}.weight"), g)),
                );
                out.extend(beta.iter().map(|b| Entry::constant(format!("{i}.bias"), b)));
                out.push(Entry::constant(format!("{i}.running_mean"), mean));
                out.push(Entry::constant(format!("{i}.running_var"), var));
                out.push(Entry {
                    name: format!("{i}.num_batches_tracked"),
                    dtype: Dtype::I64,
                    shape: vec![],
                    bytes: 0i64.to_le_bytes().to_vec(),
                });
            }
            Node::Activation { .. } | Node::Dropout { .. } => {}
        }
    }
    for step in &plan.preprocess {
        for op in &step.ops {
            let c = op.constant();
            out.push(Entry::constant(c.name.clone(), c));
        }
    }
    out
}

/// The state dict serialised as safetensors, with the model name in the metadata.
pub fn safetensors_bytes(plan: &Plan) -> Result<Vec<u8>, String> {
    let entries = state_dict(plan);
    let views = entries
        .iter()
        .map(|e| {
            TensorView::new(e.dtype, e.shape.clone(), &e.bytes)
                .map(|v| (e.name.as_str(), v))
                .map_err(|err| format!("tensor `{}`: {err}", e.name))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let meta = HashMap::from([
        ("format".to_string(), "pt".to_string()),
        ("nnc.model".to_string(), plan.model.clone()),
    ]);
    safetensors::serialize(views, Some(meta)).map_err(|e| e.to_string())
}

/// A Python float literal that reads back as the same f64.
fn py_float(v: f64) -> String {
    format!("{v:?}")
}

/// The `nn.Module` constructor of layer `node`, fed `width` features.
fn layer_module(node: &Node, width: usize) -> String {
    match node {
        Node::Dense { weight, bias, .. } => format!(
            "nn.Linear({width}, {}, bias={})",
            weight.shape[1],
            if bias.is_some() { "True" } else { "False" }
        ),
        Node::Maxout {
            units,
            pieces,
            bias,
            ..
        } => format!(
            "Maxout({width}, {units}, {pieces}, bias={})",
            if bias.is_some() { "True" } else { "False" }
        ),
        Node::BatchNorm {
            gamma,
            eps,
            momentum,
            ..
        } => format!(
            "nn.BatchNorm1d({width}, eps={}, momentum={}, affine={})",
            py_float(*eps),
            py_float(*momentum),
            if gamma.is_some() { "True" } else { "False" }
        ),
        Node::Dropout { rate, .. } => format!("nn.Dropout({})", py_float(*rate)),
        Node::Activation { activation, .. } => match *activation {
            Activation::Sigmoid => "nn.Sigmoid()".into(),
            Activation::Tanh => "nn.Tanh()".into(),
            Activation::Relu => "nn.ReLU()".into(),
            Activation::LeakyRelu { alpha } => format!("nn.LeakyReLU({})", py_float(alpha)),
            Activation::Elu { alpha } => format!("nn.ELU({})", py_float(alpha)),
            Activation::Gelu => "nn.GELU()".into(),
            Activation::Selu => "nn.SELU()".into(),
            Activation::Softplus => "nn.Softplus()".into(),
            Activation::Swish => "nn.SiLU()".into(),
            Activation::Identity => "nn.Identity()".into(),
        },
    }
}

/// The buffer name of a preprocessing constant: `preprocess.0.center.mean` → `p0_center_mean`.
fn buffer_name(constant: &str) -> String {
    let rest = constant.strip_prefix("preprocess.").unwrap_or(constant);
    format!("p{}", rest.replace('.', "_"))
}

/// The `Preprocess` module's `__init__` and `forward` bodies.
fn preprocess_code(plan: &Plan) -> (String, String) {
    let (mut init, mut forward) = (String::new(), String::new());
    for step in &plan.preprocess {
        let _ = writeln!(forward, "        # {}", step.name);
        for op in &step.ops {
            let c = op.constant();
            let b = buffer_name(&c.name);
            let shape: Vec<String> = c.shape.iter().map(|d| d.to_string()).collect();
            let _ = writeln!(
                init,
                "        self.register_buffer(\"{b}\", torch.zeros({}))",
                match shape.len() {
                    0 => "()".to_string(),
                    1 => format!("({},)", shape[0]),
                    _ => format!("({})", shape.join(", ")),
                }
            );
            let expr = match op {
                PreOp::Sub(_) => format!("x - self.{b}"),
                PreOp::Div(_) => format!("x / self.{b}"),
                PreOp::Mul(_) => format!("x * self.{b}"),
                PreOp::Add(_) => format!("x + self.{b}"),
                PreOp::MatMul(_) => format!("x @ self.{b}"),
            };
            let _ = writeln!(forward, "        x = {expr}");
        }
    }
    (init, forward)
}

/// The Python module defining the model of `plan`: `module` is its own name (the file's stem),
/// `weights` the state dict's file name.
pub fn python(plan: &Plan, module: &str, weights: &str) -> String {
    let mut layers = String::new();
    let mut width = plan.features_after_preprocessing();
    for (i, node) in plan.layers.iter().enumerate() {
        let _ = writeln!(
            layers,
            "        {},  # {i}: {}",
            layer_module(node, width),
            node.name()
        );
        width = node.output_width(width);
    }
    let (init, forward) = preprocess_code(plan);
    let classes = serde_json::to_string(&plan.classes).unwrap_or_default();
    PYTHON
        .replace("{model}", &plan.model)
        .replace("{module}", module)
        .replace("{weights}", weights)
        .replace("{features}", &plan.features.to_string())
        .replace("{classes}", &classes)
        .replace("{pre_init}", init.trim_end_matches('\n'))
        .replace("{pre_forward}", forward.trim_end_matches('\n'))
        .replace("{layers}", layers.trim_end_matches('\n'))
}

const PYTHON: &str = r#""""PyTorch module of the nnc model `{model}` (written by `nnc export --to pytorch`).

    import torch
    from {module} import load
    model = load("{weights}")  # eval mode
    # rows: raw features [N, {features}], before preprocessing
    logits = model(torch.tensor(rows, dtype=torch.float32))  # [N, len(CLASSES)]
    probabilities = logits.softmax(dim=1)

`model.net` is a plain nn.Sequential whose state dict is the file's `<i>.*` tensors;
`model.preprocess` holds the fitted preprocessing statistics (`preprocess.*`) as buffers.
"""

import torch
from torch import nn

CLASSES = {classes}
FEATURES = {features}


class Maxout(nn.Module):
    """`units` outputs, each the max of `pieces` affine pieces: unit u takes the max of
    columns u*pieces .. u*pieces + pieces - 1 of `linear(x)`."""

    def __init__(self, in_features, units, pieces, bias=True):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(in_features, units * pieces, bias=bias)

    def forward(self, x):
        return self.linear(x).view(-1, self.units, self.pieces).amax(dim=2)


class Preprocess(nn.Module):
    """The preprocessing fitted on the training split, applied to raw features."""

    def __init__(self):
        super().__init__()
{pre_init}

    def forward(self, x):
{pre_forward}
        return x


def network():
    """The layers, in nnc's order (dropout is the identity in eval mode)."""
    return nn.Sequential(
{layers}
    )


class Model(nn.Module):
    """Raw features in, class scores (logits) out."""

    def __init__(self):
        super().__init__()
        self.preprocess = Preprocess()
        self.net = network()

    def forward(self, x):
        return self.net(self.preprocess(x))


def load(path="{weights}"):
    """The model with the weights of `path` (a safetensors file), in eval mode."""
    from safetensors.torch import load_file

    tensors = load_file(path)
    model = Model()
    prefix = "preprocess."
    model.net.load_state_dict({k: v for k, v in tensors.items() if not k.startswith(prefix)})
    model.preprocess.load_state_dict(
        {"p" + k[len(prefix):].replace(".", "_"): v for k, v in tensors.items() if k.startswith(prefix)}
    )
    return model.eval()
"#;
