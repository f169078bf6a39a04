//! The resolved `train` section.

use super::Interval;
pub use nnc_data::BatchSize;
pub use nnc_ops::Penalty;
pub use nnc_train::Keep;
use serde::Serialize;

/// The `train` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainSpec {
    /// The update rule.
    pub optimizer: OptimizerSpec,
    /// The learning-rate schedule.
    pub schedule: ScheduleSpec,
    /// Linear warm-up length.
    pub warmup: Option<Interval>,
    /// Weight penalty (`None`: none).
    pub regularize: Option<Penalty>,
    /// Max-norm constraint on each unit's incoming weights.
    pub maxnorm: Option<f64>,
    /// Clip the global gradient norm to this value.
    pub clip_grad_norm: Option<f64>,
    /// Rows per step.
    pub batch: BatchSize,
    /// How long to train.
    pub length: Interval,
    /// Periodic evaluation.
    pub eval: Option<EvalSpec>,
    /// Early stopping.
    pub early_stop: Option<EarlyStopSpec>,
    /// Logging period.
    pub log_every: Option<Interval>,
    /// Seed of initialization, dropout and batching.
    pub seed: Option<u64>,
    /// `keep best` / `keep last`: the weights the run ends with (`None`: not written, which
    /// keeps the best validation evaluation's when there is a validation split).
    pub keep: Option<Keep>,
}

/// Optimizers with all hyperparameters resolved.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OptimizerSpec {
    /// SGD with optional (Nesterov) momentum.
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum.
        momentum: f64,
        /// Nesterov look-ahead.
        nesterov: bool,
        /// Dampening.
        dampening: f64,
    },
    /// Adagrad.
    Adagrad {
        /// Learning rate.
        lr: f64,
        /// Added to the root of the cache.
        eps: f64,
    },
    /// RMSProp.
    RmsProp {
        /// Learning rate.
        lr: f64,
        /// Decay of the squared-gradient average.
        decay: f64,
        /// Added to the root.
        eps: f64,
    },
    /// Adam.
    Adam {
        /// Learning rate.
        lr: f64,
        /// First-moment decay.
        beta1: f64,
        /// Second-moment decay.
        beta2: f64,
        /// Added to the root.
        eps: f64,
    },
    /// AdamW (decoupled weight decay).
    AdamW {
        /// Learning rate.
        lr: f64,
        /// First-moment decay.
        beta1: f64,
        /// Second-moment decay.
        beta2: f64,
        /// Added to the root.
        eps: f64,
        /// Decoupled weight decay.
        weight_decay: f64,
    },
}

impl OptimizerSpec {
    /// The base learning rate.
    pub fn lr(&self) -> f64 {
        match *self {
            OptimizerSpec::Sgd { lr, .. }
            | OptimizerSpec::Adagrad { lr, .. }
            | OptimizerSpec::RmsProp { lr, .. }
            | OptimizerSpec::Adam { lr, .. }
            | OptimizerSpec::AdamW { lr, .. } => lr,
        }
    }
}

/// Learning-rate schedules.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ScheduleSpec {
    /// Constant rate.
    None,
    /// Multiply by `factor` every `every`.
    Step {
        /// Period.
        every: Interval,
        /// Multiplier.
        factor: f64,
    },
    /// `lr0 · e^(−k·epoch)`.
    Exp {
        /// Decay constant per epoch.
        k: f64,
    },
    /// `lr0 / (1 + k·epoch)^power`.
    Inv {
        /// Decay constant per epoch.
        k: f64,
        /// Exponent (1 by default).
        power: f64,
    },
    /// Multiply by `factor` at each milestone.
    MultiStep {
        /// Milestones (increasing, one unit).
        at: Vec<Interval>,
        /// Multiplier.
        factor: f64,
    },
    /// Cosine annealing to `min_lr` over `period` (`None`: the whole run).
    Cosine {
        /// Anneal length.
        period: Option<Interval>,
        /// Final rate.
        min_lr: f64,
    },
}

/// A data split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitName {
    /// Training rows.
    Train,
    /// Validation rows (or the held-out fold).
    Val,
    /// Test rows.
    Test,
}

impl SplitName {
    /// The split's name as written (`train`, `val`, `test`).
    pub fn name(self) -> &'static str {
        match self {
            SplitName::Train => "train",
            SplitName::Val => "val",
            SplitName::Test => "test",
        }
    }
}

/// A metric kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    /// The loss.
    Loss,
    /// Classification accuracy.
    Accuracy,
}

/// `split.metric`, e.g. `val.accuracy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MetricRef {
    /// Which split.
    pub split: SplitName,
    /// Which metric.
    pub kind: MetricKind,
}

/// Whether a metric should go up or down: the search engine's goal.
pub use nnc_train::search::Goal;

impl MetricKind {
    /// The natural goal: accuracy up, loss down.
    pub fn natural_goal(self) -> Goal {
        match self {
            MetricKind::Loss => Goal::Min,
            MetricKind::Accuracy => Goal::Max,
        }
    }
}

/// `eval split, every: …`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EvalSpec {
    /// The split evaluated.
    pub split: SplitName,
    /// How often.
    pub every: Interval,
}

/// `early_stop metric, patience: n`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EarlyStopSpec {
    /// The watched metric.
    pub metric: MetricRef,
    /// Its goal.
    pub goal: Goal,
    /// Evaluations without improvement before stopping.
    pub patience: u64,
    /// The smallest change that counts as an improvement.
    pub min_delta: f64,
}
