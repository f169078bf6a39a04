//! Hyperparameter search: random (default) or grid, in coarse-to-fine stages, with trials run
//! in parallel and recorded in trial order, so the result does not depend on the number of
//! jobs (or processes) and an interrupted search can resume.
//!
//! Where the trials run is pluggable: [`run_search`] runs them on threads of this process
//! ([`ThreadExecutor`]); [`run_search_with`] hands each stage's trials to any
//! [`TrialExecutor`] (`nnc search` under `mpirun` hands them to other processes), the runner
//! keeping the stages, the order of the records, resuming and Ctrl-C.
//!
//! The engine knows nothing of models: a trial is a function from sampled values to an
//! outcome ([`TrialOutcome`]), supplied by the caller (the language's `TrialRunner` checks the
//! experiment again with the sampled `param`s and trains it, on every fold with k-fold, whose
//! results [`summarize`] turns into the outcome). Here too: the plan's limits
//! ([`SearchPlan::check_limits`]), the one range-edge rule ([`range_edge`]) and the warnings
//! about a finished search ([`search_warnings`]).

mod edge;
mod folds;
mod halving;
mod leaderboard;
mod limits;
mod narrow;
mod ranking;
mod runner;
mod space;
mod warnings;

pub use edge::{EDGE_FRACTION, Edge, range_edge, widened};
pub use folds::{FoldResult, fold_mean_and_spread, summarize};
pub use halving::{halving_rungs, rung_epochs};
pub use leaderboard::{fit_width, group_table, leaderboard};
pub use limits::{DEFAULT_TRIALS, MAX_GRID, grid_size, stage_trial_count};
pub use narrow::narrow;
pub use ranking::{BudgetGroup, MetricFormat, best_index, budget_groups};
pub use runner::{
    SearchError, SearchResult, ThreadExecutor, TrialCounts, TrialExecutor, TrialFn, run_search,
    run_search_with, run_trial,
};
pub use space::{Choice, Dim, Dist, Value};
pub use warnings::search_warnings;

use serde::{Deserialize, Serialize};

/// Serde for an `f64` that may be NaN: NaN (and infinities) as `null`, `null` back as NaN.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() {
            s.serialize_f64(*x)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

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
    /// Successive halving: the first rung trains random samples for `min_epochs`; each later
    /// rung retrains the best 1/`eta` of the rung before, from scratch, for `eta` times the
    /// epochs, up to `max_epochs` ([`halving_rungs`]).
    Halving {
        /// The seed of the first rung's samples.
        seed: u64,
        /// The promotion factor η ≥ 2: a rung keeps 1/η of the trials for η× the epochs.
        eta: u64,
        /// Epochs of the first rung.
        min_epochs: u64,
        /// Epochs of the last rung.
        max_epochs: u64,
    },
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

/// The order of trials, best first: finished trials by the metric (per `goal`), then — among
/// equal metrics, common for accuracy on a small validation set — the lower validation loss,
/// then the lower id. Unfinished trials and missing metrics come last.
pub fn rank(goal: Goal, a: &TrialRecord, b: &TrialRecord) -> std::cmp::Ordering {
    let usable =
        |r: &TrialRecord| r.outcome.status == TrialStatus::Ok && r.outcome.metric.is_finite();
    let by_metric = match (usable(a), usable(b)) {
        (true, false) => return std::cmp::Ordering::Less,
        (false, true) => return std::cmp::Ordering::Greater,
        (false, false) => std::cmp::Ordering::Equal,
        (true, true) => match goal {
            Goal::Max => b.outcome.metric.total_cmp(&a.outcome.metric),
            Goal::Min => a.outcome.metric.total_cmp(&b.outcome.metric),
        },
    };
    let loss = |r: &TrialRecord| {
        r.outcome
            .val_loss
            .filter(|l| l.is_finite())
            .unwrap_or(f64::INFINITY)
    };
    by_metric
        .then_with(|| loss(a).total_cmp(&loss(b)))
        .then_with(|| a.spec.id.cmp(&b.spec.id))
}

impl TrialOutcome {
    /// The outcome of a trial that could not run, with why.
    pub fn failed(message: impl Into<String>) -> TrialOutcome {
        TrialOutcome {
            status: TrialStatus::Failed(message.into()),
            metric: f64::NAN,
            spread: None,
            fold_metrics: Vec::new(),
            train_accuracy: None,
            val_accuracy: None,
            initial_loss: None,
            final_loss: None,
            val_loss: None,
            epochs_run: 0.0,
            kept_epoch: None,
            seconds: 0.0,
        }
    }

    /// Whether the training loss barely moved: it ended within [`FLAT_FRACTION`] of where it
    /// started (unknown losses are not flat).
    pub fn flat(&self) -> bool {
        match (self.initial_loss, self.final_loss) {
            (Some(a), Some(b)) if a.is_finite() && b.is_finite() && a > 0.0 => {
                (a - b) / a < FLAT_FRACTION
            }
            _ => false,
        }
    }
}

/// The relative drop of the training loss below which a trial counts as flat: it learnt
/// (almost) nothing.
pub const FLAT_FRACTION: f64 = 0.02;

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

/// What a trial must run. In JSON (`trials.jsonl`, `summary.json`) a trial is named by its
/// [`number`](TrialSpec::number), as in the table and the leaderboard: `"trial": 28`, and a
/// promoted trial's `"from"` is the number of the trial it was promoted from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialSpec {
    /// Position over the whole search (0-based, in launch order); its random stream.
    #[serde(rename = "trial", with = "one_based")]
    pub id: usize,
    /// The stage's name (`rung 2` with successive halving).
    pub stage: String,
    /// The sampled values, in dimension order.
    pub params: Vec<(String, Value)>,
    /// Epochs budgeted for this trial (`None`: the experiment's own).
    pub budget_epochs: Option<u64>,
    /// With successive halving, the id of the previous rung's trial whose values this one
    /// trains again for longer (`None` for a sampled trial).
    #[serde(
        rename = "from",
        default,
        skip_serializing_if = "Option::is_none",
        with = "one_based_option"
    )]
    pub promoted_from: Option<usize>,
}

/// Serde for a 0-based id written as the 1-based number people read.
mod one_based {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(id: &usize, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(*id as u64 + 1)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        let number = u64::deserialize(d)?;
        usize::try_from(number)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .ok_or_else(|| D::Error::custom("trial numbers start at 1"))
    }
}

/// [`one_based`] for an optional id.
mod one_based_option {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(id: &Option<usize>, s: S) -> Result<S::Ok, S::Error> {
        match id {
            Some(id) => s.serialize_u64(*id as u64 + 1),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
        match Option::<u64>::deserialize(d)? {
            None => Ok(None),
            Some(number) => usize::try_from(number)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .map(Some)
                .ok_or_else(|| D::Error::custom("trial numbers start at 1")),
        }
    }
}

impl TrialSpec {
    /// The trial's number as people read it: counted from 1 (`id + 1`), in the live table,
    /// the leaderboard, the warnings and every message.
    pub fn number(&self) -> usize {
        self.id + 1
    }
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
    /// The searched metric (mean over folds with k-fold); NaN if unavailable (written as
    /// `null` in JSON, which has no NaN).
    #[serde(with = "nan_as_null")]
    pub metric: f64,
    /// Standard deviation over folds (k-fold only).
    pub spread: Option<f64>,
    /// The metric of each fold (k-fold only), whose mean is `metric`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fold_metrics: Vec<f64>,
    /// Training accuracy at the end, for the overfitting check.
    pub train_accuracy: Option<f64>,
    /// Validation accuracy at the end.
    pub val_accuracy: Option<f64>,
    /// The training loss before the first step, for the flat-loss check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_loss: Option<f64>,
    /// The training data loss at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_loss: Option<f64>,
    /// Validation loss at the end (mean over folds), which breaks ties of the metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_loss: Option<f64>,
    /// Epochs actually run.
    pub epochs_run: f64,
    /// Epochs completed when the weights the metric was measured on were current (the mean
    /// over folds; earlier than `epochs_run` when the best validation evaluation's weights
    /// were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_epoch: Option<f64>,
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
    /// The rank (process) that ran it, when the search ran on several (`mpirun`); absent from
    /// the JSON of a single-process search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
}
