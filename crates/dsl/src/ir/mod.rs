//! The resolved, typed experiment: what a checked `.nn` file means, with every name resolved,
//! every default filled in and every value typed. Lowering builds library objects from this.

pub use crate::ast::TimeUnit;
use crate::span::Span;
use serde::Serialize;
use std::path::PathBuf;

mod data;
mod model;
mod search;
mod train;

pub use data::*;
pub use model::*;
pub use search::*;
pub use train::*;

/// A checked experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Experiment {
    /// The model's name (`model NAME { … }`), else the file stem.
    pub name: String,
    /// The format version the file declared (`None` when it has no `nn` line).
    pub version: Option<String>,
    /// The directory relative paths were resolved against.
    pub base_dir: PathBuf,
    /// Every `param` with its final value.
    pub params: Vec<ParamValue>,
    /// Data source, split, preprocessing.
    pub data: DataSpec,
    /// What the probe found out about the data (`None` fields when symbolic).
    pub data_shape: DataShapeInfo,
    /// The network.
    pub model: ModelSpec,
    /// Shapes from the data to the loss.
    pub shapes: crate::shapes::ShapeTable,
    /// Training settings (`None` when the file has no `train` section and none was needed).
    pub train: Option<TrainSpec>,
    /// The hyperparameter search, if any.
    pub search: Option<SearchSpec>,
}

/// A constant value as written (for params and search choices).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum Literal {
    /// A number.
    Number(f64),
    /// `true` / `false`.
    Bool(bool),
    /// A string.
    Str(String),
    /// A name such as `relu`.
    Name(String),
    /// A call such as `leaky_relu(0.1)`, written back as source text.
    Call(String),
    /// `5 epochs`.
    Quantity(Interval),
    /// `20%`, as the percentage.
    Percent(f64),
    /// A list.
    List(Vec<Literal>),
}

/// A `param` and its final value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamValue {
    /// Its name.
    pub name: String,
    /// The value used (override or default).
    pub value: Literal,
    /// The default as written in the file, as source text.
    pub default_source: String,
    /// Whether `--set` changed it.
    pub overridden: bool,
    /// Whether it is used where an integer is required (widths, counts).
    pub integer: bool,
    /// The declaration.
    pub span: Span,
}

/// An amount of training time, in epochs or steps (kept distinct).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "unit", content = "value", rename_all = "lowercase")]
pub enum Interval {
    /// Passes over the training set (may be fractional).
    Epochs(f64),
    /// Optimisation steps.
    Steps(u64),
}
