//! The resolved `search` section. Its strategy, spaces and goal are the search engine's own
//! types ([`nnc_train::search`]); the language adds the source spans diagnostics point at.

use super::{Goal, Interval, Literal, MetricRef};
use crate::span::Span;
pub use nnc_train::search::{Choice, Dist, Strategy, Value};
use serde::Serialize;

/// The `search` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchSpec {
    /// How points are chosen (a random search without `seed:` samples with
    /// [`DEFAULT_SAMPLER_SEED`]).
    pub strategy: Strategy,
    /// One searched dimension per `name ~ distribution` line.
    pub space: Vec<SearchDim>,
    /// The metric optimised.
    pub metric: MetricRef,
    /// Its goal.
    pub goal: Goal,
    /// Number of trials (single-stage search; `None` for a grid without `trials`; with
    /// successive halving, the first rung's size).
    pub trials: Option<u64>,
    /// Per-trial budget (single-stage search).
    pub epochs: Option<u64>,
    /// Coarse-to-fine stages (empty for a single stage, and with successive halving, whose
    /// rungs are its stages).
    pub stages: Vec<StageSpec>,
    /// Cross-validation per trial.
    pub validate: Option<Validation>,
    /// `refit true|false` as written: whether the winner trains again on all training rows
    /// after the search (`None`: decided by the validation, see
    /// [`crate::search::search_space`]).
    pub refit: Option<bool>,
}

/// `name ~ distribution`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchDim {
    /// The searched `param`.
    pub param: String,
    /// Its space (a choice's options as the engine's values: numbers, or the source text
    /// of anything else, see [`choice_value`]).
    pub dist: Dist,
    /// The line.
    pub span: Span,
}

/// The sampler seed of a `search random` or `search halving` without `seed:`.
pub const DEFAULT_SAMPLER_SEED: u64 = 0;

/// The promotion factor of a `search halving` without `eta:`: each rung keeps the best third
/// of the trials for three times the epochs.
pub const DEFAULT_ETA: u64 = 3;

/// A choice's option written in the file as the engine's value: numbers stay numbers;
/// everything else becomes the source text a `--set` override parses back (`relu`,
/// `leaky_relu(0.1)`, `5 epochs`).
pub fn choice_value(literal: &Literal) -> Value {
    match literal {
        Literal::Number(n) => Value::Number(*n),
        other => Value::Name(source_text(other)),
    }
}

/// A literal as the source text that reads back to it.
fn source_text(literal: &Literal) -> String {
    match literal {
        Literal::Number(n) => number_text(*n),
        Literal::Bool(b) => b.to_string(),
        Literal::Str(s) | Literal::Name(s) | Literal::Call(s) => s.clone(),
        Literal::Quantity(Interval::Epochs(e)) => format!("{} epochs", number_text(*e)),
        Literal::Quantity(Interval::Steps(s)) => format!("{s} steps"),
        Literal::Percent(p) => format!("{}%", number_text(*p)),
        Literal::List(items) => format!(
            "[{}]",
            items.iter().map(source_text).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// A number as the shortest text that reads back to the same `f64`: plain decimals from 1e-4
/// to 1e15 (`0.04216454286861573`), scientific notation outside (`1.37e-5`).
pub fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else if (1e-4..1e15).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// One stage of a coarse-to-fine search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageSpec {
    /// Its name.
    pub name: String,
    /// Trials in this stage.
    pub trials: u64,
    /// Epochs per trial.
    pub epochs: Option<u64>,
    /// Best trials of the previous stage the ranges narrow around.
    pub keep: Option<u64>,
    /// Factor the ranges shrink by, in (0, 1).
    pub shrink: Option<f64>,
    /// The line.
    pub span: Span,
}

/// How each trial is validated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Validation {
    /// k-fold cross-validation (the metric is averaged over folds).
    KFold {
        /// Number of folds.
        k: u64,
    },
}
