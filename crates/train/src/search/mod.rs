//! Hyperparameter search: random (default) or grid, in coarse-to-fine stages, with trials run
//! in parallel and recorded in trial order, so the result does not depend on the number of
//! jobs and an interrupted search can resume.
//!
//! The engine knows nothing of models: a trial is a function from sampled values to an
//! outcome ([`TrialOutcome`]), supplied by the caller (the `nnc search` command compiles the
//! experiment with the sampled `param`s and trains it).

mod narrow;
mod report;
mod runner;
mod space;

pub use narrow::narrow;
pub use report::{leaderboard, search_warnings};
pub use runner::{SearchResult, run_search};
pub use space::{Choice, Dim, Dist, Value};

use serde::{Deserialize, Serialize};

/// How trials are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Strategy {
    /// Independent random samples from a seeded generator.
    Random {
        /// The seed.
        seed: u64,
    },
    /// Every combination of the (finite) dimensions.
    Grid,
}

/// Whether the metric is maximised or minimised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    /// Higher is better (accuracy).
    Max,
    /// Lower is better (loss).
    Min,
}

impl Goal {
    /// Whether `a` is better than `b` (NaN is never better).
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Goal::Max => a > b || (b.is_nan() && !a.is_nan()),
            Goal::Min => a < b || (b.is_nan() && !a.is_nan()),
        }
    }
}

/// One stage of the search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// Its name (`coarse`, `fine`).
    pub name: String,
    /// Trials (for a grid: `None` runs every combination).
    pub trials: Option<u64>,
    /// Epochs per trial (`None`: the experiment's own).
    pub epochs: Option<u64>,
    /// Best trials of the previous stage to narrow around.
    pub keep: usize,
    /// Width of the narrowed ranges relative to the previous ones.
    pub shrink: f64,
}

/// A whole search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchPlan {
    /// Random or grid.
    pub strategy: Strategy,
    /// The dimensions.
    pub space: Vec<Dim>,
    /// The stages (at least one).
    pub stages: Vec<Stage>,
    /// The metric's name, e.g. `val.accuracy`.
    pub metric: String,
    /// Its goal.
    pub goal: Goal,
}

/// What a trial must run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialSpec {
    /// Position over the whole search (0-based, in launch order).
    pub id: usize,
    /// The stage's name.
    pub stage: String,
    /// The sampled values, in dimension order.
    pub params: Vec<(String, Value)>,
    /// Epochs budgeted for this trial (`None`: the experiment's own).
    pub budget_epochs: Option<u64>,
}

/// How a trial ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialStatus {
    /// Trained to the end (or early-stopped).
    Ok,
    /// The loss diverged.
    Diverged,
    /// It could not run (e.g. an invalid combination); the message says why.
    Failed(String),
}

/// What a trial measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialOutcome {
    /// How it ended.
    pub status: TrialStatus,
    /// The searched metric (mean over folds with k-fold); NaN if unavailable.
    pub metric: f64,
    /// Standard deviation over folds (k-fold only).
    pub spread: Option<f64>,
    /// Training accuracy at the end, for the overfitting check.
    pub train_accuracy: Option<f64>,
    /// Validation accuracy at the end.
    pub val_accuracy: Option<f64>,
    /// Epochs actually run.
    pub epochs_run: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// One line of `trials.jsonl`: what ran and what it measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialRecord {
    /// The trial.
    #[serde(flatten)]
    pub spec: TrialSpec,
    /// Its outcome.
    #[serde(flatten)]
    pub outcome: TrialOutcome,
}
