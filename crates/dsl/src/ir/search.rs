//! The resolved `search` section.

use super::{Goal, Literal, MetricRef};
use crate::span::Span;
use serde::Serialize;

/// The `search` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchSpec {
    /// How points are chosen.
    pub strategy: Strategy,
    /// One searched dimension per `name ~ distribution` line.
    pub space: Vec<SearchDim>,
    /// The metric optimised.
    pub metric: MetricRef,
    /// Its goal.
    pub goal: Goal,
    /// Number of trials (single-stage search; `None` for a grid without `trials`).
    pub trials: Option<u64>,
    /// Per-trial budget (single-stage search).
    pub epochs: Option<u64>,
    /// Coarse-to-fine stages (empty for a single stage).
    pub stages: Vec<StageSpec>,
    /// Cross-validation per trial.
    pub validate: Option<Validation>,
}

/// How trials are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Strategy {
    /// Independent random samples.
    Random {
        /// Seed of the sampler.
        seed: Option<u64>,
    },
    /// Every combination of finite spaces.
    Grid,
}

/// `name ~ distribution`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchDim {
    /// The searched `param`.
    pub param: String,
    /// Its space.
    pub dist: Distribution,
    /// The line.
    pub span: Span,
}

/// Search spaces (closed intervals; integers inclusive at both ends).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Distribution {
    /// Uniform on `[lo, hi]`.
    Uniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// Log-uniform on `[lo, hi]`, `0 < lo`.
    LogUniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// Uniform integers in `lo..=hi`.
    Int {
        /// Lower bound.
        lo: i64,
        /// Upper bound.
        hi: i64,
    },
    /// Log-uniform integers in `lo..=hi`, `0 < lo`.
    LogInt {
        /// Lower bound.
        lo: i64,
        /// Upper bound.
        hi: i64,
    },
    /// `1 − x` log-uniform, for momentum-like values in `[lo, hi] ⊂ (0, 1)`.
    Log1m {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// One of the options, uniformly.
    Choice(Vec<ChoiceOption>),
}

impl Distribution {
    /// Whether every value it can produce is an integer.
    pub fn is_integer(&self) -> bool {
        match self {
            Distribution::Int { .. } | Distribution::LogInt { .. } => true,
            Distribution::Choice(options) => options.iter().all(|o| match o {
                ChoiceOption::Value(Literal::Number(n)) => n.fract() == 0.0,
                ChoiceOption::Value(_) => true,
                ChoiceOption::Dist(d) => d.is_integer(),
            }),
            _ => false,
        }
    }

    /// Whether it has finitely many values (a grid can enumerate it).
    pub fn is_finite(&self) -> bool {
        match self {
            Distribution::Int { .. } | Distribution::LogInt { .. } => true,
            Distribution::Choice(options) => options.iter().all(|o| match o {
                ChoiceOption::Value(_) => true,
                ChoiceOption::Dist(d) => d.is_finite(),
            }),
            _ => false,
        }
    }
}

/// An option of `choice`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChoiceOption {
    /// A fixed value.
    Value(Literal),
    /// A nested space.
    Dist(Distribution),
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
