//! A [`Plan`] as an ONNX model (opset [`OPSET`], float32).
//!
//! The graph takes `input` `[N, features]` (raw features, `N` symbolic) and gives `logits`
//! `[N, classes]` and `probabilities = Softmax(logits, axis 1)`. Preprocessing becomes
//! `Sub`/`Div`/`Mul`/`Add`/`MatMul` on initializers; dense `Gemm` (`MatMul` without a bias);
//! maxout `Gemm → Reshape [-1, units, pieces] → ReduceMax(axes [2])`; batch norm
//! `BatchNormalization` with the running statistics; activations their ONNX operator
//! (`Relu`, `LeakyRelu`, `Elu`, `Sigmoid`, `Tanh`, `Selu`, `Softplus`), swish
//! `x · Sigmoid(x)` and GELU `0.5 · x · (1 + Erf(x / √2))`; dropout and the identity nothing.

use super::onnx_proto::{
    AttributeProto, AttributeType, Dimension, DimensionValue, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, StringStringEntryProto, TensorProto, TensorShapeProto, TypeProto,
    TypeProtoTensor, ValueInfoProto, data_type,
};
use super::plan::{Constant, Node, Plan, PreOp};
use nnc_ops::Activation;
use nnc_ops::activation::{SELU_ALPHA, SELU_LAMBDA};
use prost::Message;

/// The ONNX operator set the graph uses (`Softmax` over one axis, `ReduceMax` with an `axes`
/// attribute).
pub const OPSET: i64 = 13;
/// The ONNX IR version that goes with opset 13.
const IR_VERSION: i64 = 7;

/// The nodes and initializers of the graph being written; every value is named after what
/// computes it (`preprocess.0.center`, `dense1`, `relu1`, ...).
#[derive(Default)]
struct Graph {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
}

/// A node attribute.
enum Attr {
    Float(&'static str, f64),
    Int(&'static str, i64),
    Ints(&'static str, Vec<i64>),
}

impl Attr {
    fn proto(self) -> AttributeProto {
        let mut a = AttributeProto::default();
        match self {
            Attr::Float(name, f) => {
                a.name = name.into();
                a.f = f as f32;
                a.r#type = AttributeType::Float as i32;
            }
            Attr::Int(name, i) => {
                a.name = name.into();
                a.i = i;
                a.r#type = AttributeType::Int as i32;
            }
            Attr::Ints(name, ints) => {
                a.name = name.into();
                a.ints = ints;
                a.r#type = AttributeType::Ints as i32;
            }
        }
        a
    }
}

impl Graph {
    /// Adds `op(inputs)` with output `output`; returns `output`.
    fn node(&mut self, op: &str, inputs: &[&str], output: &str, attrs: Vec<Attr>) -> String {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.to_string()],
            name: output.to_string(),
            op_type: op.to_string(),
            attribute: attrs.into_iter().map(Attr::proto).collect(),
            domain: String::new(),
        });
        output.to_string()
    }

    /// Adds `c` as a float initializer; returns its name.
    fn constant(&mut self, c: &Constant) -> String {
        self.initializers.push(TensorProto {
            dims: c.shape.iter().map(|&d| d as i64).collect(),
            data_type: data_type::FLOAT,
            name: c.name.clone(),
            raw_data: c.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        });
        c.name.clone()
    }

    /// Adds a float initializer from values.
    fn floats(&mut self, name: String, shape: Vec<usize>, data: Vec<f32>) -> String {
        self.constant(&Constant { name, shape, data })
    }

    /// Adds an int64 initializer.
    fn ints(&mut self, name: &str, data: &[i64]) -> String {
        self.initializers.push(TensorProto {
            dims: vec![data.len() as i64],
            data_type: data_type::INT64,
            name: name.to_string(),
            raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        });
        name.to_string()
    }

    /// `x W (+ b)`: `Gemm` with a bias, `MatMul` without.
    fn affine(&mut self, x: &str, w: &Constant, b: Option<&Constant>, out: &str) -> String {
        let w = self.constant(w);
        match b {
            Some(b) => {
                let b = self.constant(b);
                self.node("Gemm", &[x, &w, &b], out, vec![])
            }
            None => self.node("MatMul", &[x, &w], out, vec![]),
        }
    }

    /// The activation `a` of `x`, named `out`.
    fn activation(&mut self, x: &str, a: Activation, out: &str) -> String {
        let scalar = |g: &mut Graph, stat: &str, v: f64| {
            g.floats(format!("{out}.{stat}"), vec![], vec![v as f32])
        };
        match a {
            Activation::Sigmoid => self.node("Sigmoid", &[x], out, vec![]),
            Activation::Tanh => self.node("Tanh", &[x], out, vec![]),
            Activation::Relu => self.node("Relu", &[x], out, vec![]),
            Activation::LeakyRelu { alpha } => {
                self.node("LeakyRelu", &[x], out, vec![Attr::Float("alpha", alpha)])
            }
            Activation::Elu { alpha } => {
                self.node("Elu", &[x], out, vec![Attr::Float("alpha", alpha)])
            }
            Activation::Selu => self.node(
                "Selu",
                &[x],
                out,
                vec![
                    Attr::Float("alpha", SELU_ALPHA),
                    Attr::Float("gamma", SELU_LAMBDA),
                ],
            ),
            Activation::Softplus => self.node("Softplus", &[x], out, vec![]),
            Activation::Swish => {
                let s = self.node("Sigmoid", &[x], &format!("{out}.sigmoid"), vec![]);
                self.node("Mul", &[x, &s], out, vec![])
            }
            Activation::Gelu => {
                let r = scalar(self, "frac_1_sqrt_2", std::f64::consts::FRAC_1_SQRT_2);
                let one = scalar(self, "one", 1.0);
                let half = scalar(self, "half", 0.5);
                let scaled = self.node("Mul", &[x, &r], &format!("{out}.scaled"), vec![]);
                let erf = self.node("Erf", &[&scaled], &format!("{out}.erf"), vec![]);
                let cdf2 = self.node("Add", &[&erf, &one], &format!("{out}.twice_cdf"), vec![]);
                let xc = self.node("Mul", &[x, &cdf2], &format!("{out}.x_twice_cdf"), vec![]);
                self.node("Mul", &[&xc, &half], out, vec![])
            }
            Activation::Identity => x.to_string(),
        }
    }

    /// Appends layer `node` to the value `x`; returns the output's name.
    fn layer(&mut self, x: &str, node: &Node) -> String {
        match node {
            Node::Dense { name, weight, bias } => self.affine(x, weight, bias.as_ref(), name),
            Node::Maxout {
                name,
                weight,
                bias,
                units,
                pieces,
            } => {
                let z = self.affine(x, weight, bias.as_ref(), &format!("{name}.pieces"));
                let shape = self.ints(
                    &format!("{name}.shape"),
                    &[-1, *units as i64, *pieces as i64],
                );
                let grouped =
                    self.node("Reshape", &[&z, &shape], &format!("{name}.grouped"), vec![]);
                let keep = vec![Attr::Ints("axes", vec![2]), Attr::Int("keepdims", 0)];
                self.node("ReduceMax", &[&grouped], name, keep)
            }
            Node::BatchNorm {
                name,
                gamma,
                beta,
                mean,
                var,
                eps,
                ..
            } => {
                let width = mean.data.len();
                let scale = match gamma {
                    Some(g) => self.constant(g),
                    None => self.floats(format!("{name}.gamma"), vec![width], vec![1.0; width]),
                };
                let shift = match beta {
                    Some(b) => self.constant(b),
                    None => self.floats(format!("{name}.beta"), vec![width], vec![0.0; width]),
                };
                let (m, v) = (self.constant(mean), self.constant(var));
                let attrs = vec![Attr::Float("epsilon", *eps)];
                self.node(
                    "BatchNormalization",
                    &[x, &scale, &shift, &m, &v],
                    name,
                    attrs,
                )
            }
            Node::Activation { name, activation } => self.activation(x, *activation, name),
            Node::Dropout { .. } => x.to_string(),
        }
    }
}

/// A float tensor value `[N, width]` with a symbolic batch dimension `N`.
fn value_info(name: &str, width: usize, doc: &str) -> ValueInfoProto {
    let dim = |v| Dimension { value: Some(v) };
    ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeProtoTensor {
                elem_type: data_type::FLOAT,
                shape: Some(TensorShapeProto {
                    dim: vec![
                        dim(DimensionValue::DimParam("N".into())),
                        dim(DimensionValue::DimValue(width as i64)),
                    ],
                }),
            }),
        }),
        doc_string: doc.to_string(),
    }
}

/// The ONNX model of `plan`, serialised.
pub fn onnx_bytes(plan: &Plan) -> Vec<u8> {
    let mut g = Graph::default();
    let mut x = "input".to_string();
    for step in &plan.preprocess {
        for (j, op) in step.ops.iter().enumerate() {
            let c = g.constant(op.constant());
            let kind = match op {
                PreOp::Sub(_) => "Sub",
                PreOp::Div(_) => "Div",
                PreOp::Mul(_) => "Mul",
                PreOp::Add(_) => "Add",
                PreOp::MatMul(_) => "MatMul",
            };
            let out = if j + 1 == step.ops.len() {
                step.name.clone()
            } else {
                format!("{}.{j}", step.name)
            };
            x = g.node(kind, &[&x, &c], &out, vec![]);
        }
    }
    for node in &plan.layers {
        x = g.layer(&x, node);
    }
    g.node("Identity", &[&x], "logits", vec![]);
    g.node(
        "Softmax",
        &["logits"],
        "probabilities",
        vec![Attr::Int("axis", 1)],
    );
    let classes = plan.classes.len();
    let graph = GraphProto {
        node: g.nodes,
        name: plan.model.clone(),
        initializer: g.initializers,
        doc_string: format!(
            "nnc model `{}`: raw features in, class scores out",
            plan.model
        ),
        input: vec![value_info(
            "input",
            plan.features,
            "raw features, before preprocessing",
        )],
        output: vec![
            value_info("probabilities", classes, "softmax of the logits"),
            value_info("logits", classes, "class scores"),
        ],
    };
    let meta = |k: &str, v: String| StringStringEntryProto {
        key: k.to_string(),
        value: v,
    };
    ModelProto {
        ir_version: IR_VERSION,
        producer_name: "nnc".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: String::new(),
        graph: Some(graph),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        metadata_props: vec![
            meta("nnc.model", plan.model.clone()),
            meta(
                "nnc.classes",
                serde_json::to_string(&plan.classes).unwrap_or_default(),
            ),
        ],
    }
    .encode_to_vec()
}
