//! What a training run does: optimiser, schedule, regularisation, batches, duration,
//! evaluation, early stopping, checkpoints and the babysitter.

use crate::optim::OptimizerConfig;
use crate::schedule::LrSchedule;
use nnc_data::BatchSize;
use nnc_ops::Penalty;
use std::path::PathBuf;

/// How long to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duration {
    /// Passes over the training set.
    Epochs(u64),
    /// Optimisation steps (batches).
    Steps(u64),
}

/// The validation metric early stopping and the best checkpoint follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monitor {
    /// Validation loss (lower is better).
    ValLoss,
    /// Validation accuracy (higher is better).
    ValAccuracy,
}

impl Monitor {
    /// Whether `new` improves on `best`.
    pub fn improves(self, new: f64, best: f64) -> bool {
        match self {
            Monitor::ValLoss => new < best,
            Monitor::ValAccuracy => new > best,
        }
    }

    /// Whether `new` improves on `best` by more than `min_delta` (`min_delta` 0: any
    /// improvement counts).
    pub fn improves_by(self, new: f64, best: f64, min_delta: f64) -> bool {
        match self {
            Monitor::ValLoss => new < best - min_delta,
            Monitor::ValAccuracy => new > best + min_delta,
        }
    }

    /// The worst possible value (the starting "best").
    pub fn worst(self) -> f64 {
        match self {
            Monitor::ValLoss => f64::INFINITY,
            Monitor::ValAccuracy => f64::NEG_INFINITY,
        }
    }
}

/// Stop when the monitored metric has not improved for `patience` evaluations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EarlyStop {
    /// The metric.
    pub monitor: Monitor,
    /// Evaluations without improvement before stopping.
    pub patience: usize,
}

/// The configuration of a run.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// The update rule.
    pub optimizer: OptimizerConfig,
    /// The learning rate over time.
    pub schedule: LrSchedule,
    /// A weight penalty added to the data loss (on weights, not biases).
    pub penalty: Option<Penalty>,
    /// Max-norm constraint on each unit's incoming weights.
    pub max_norm: Option<f64>,
    /// Clip the global gradient norm to this value.
    pub clip_grad_norm: Option<f64>,
    /// Rows per batch.
    pub batch: BatchSize,
    /// How long to train.
    pub duration: Duration,
    /// Evaluate on the validation split every this many epochs (0: only at the end).
    pub eval_every_epochs: u64,
    /// Early stopping, if any.
    pub early_stop: Option<EarlyStop>,
    /// The smallest change of the early-stopping metric that counts as an improvement
    /// (`early_stop …, min_delta: d`; 0: any improvement).
    pub early_stop_min_delta: f64,
    /// Emit a step event every this many steps (0: never).
    pub log_every_steps: u64,
    /// Seed of batch order and dropout masks.
    pub seed: u64,
    /// Directory for `best.safetensors` and `last.safetensors` (none: no checkpoints).
    pub checkpoint_dir: Option<PathBuf>,
    /// Resume from this checkpoint (written by a previous run with the same configuration).
    pub resume_from: Option<PathBuf>,
    /// Run the live babysitter checks.
    pub babysit: bool,
}

impl TrainConfig {
    /// Plain SGD at `lr` for `duration`, full batch, evaluation every epoch, babysitter on.
    pub fn sgd(lr: f64, duration: Duration) -> Self {
        TrainConfig {
            optimizer: OptimizerConfig::sgd(),
            schedule: LrSchedule::constant(lr),
            penalty: None,
            max_norm: None,
            clip_grad_norm: None,
            batch: BatchSize::Full,
            duration,
            eval_every_epochs: 1,
            early_stop: None,
            early_stop_min_delta: 0.0,
            log_every_steps: 0,
            seed: 0,
            checkpoint_dir: None,
            resume_from: None,
            babysit: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Monitor;

    #[test]
    fn min_delta_sets_the_smallest_improvement() {
        assert!(Monitor::ValLoss.improves_by(0.5, 0.6, 0.0));
        assert!(!Monitor::ValLoss.improves_by(0.59, 0.6, 0.05));
        assert!(Monitor::ValLoss.improves_by(0.5, f64::INFINITY, 0.05));
        assert!(Monitor::ValAccuracy.improves_by(0.9, 0.8, 0.05));
        assert!(!Monitor::ValAccuracy.improves_by(0.82, 0.8, 0.05));
    }
}
