//! What a training run does: optimiser, schedule, regularisation, batches, duration,
//! evaluation, early stopping, checkpoints and the babysitter.

use super::TrainError;
use crate::optim::OptimizerConfig;
use crate::schedule::{Every, LrSchedule, Schedule};
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

/// Which weights a run ends with (`keep best` / `keep last` in a `.nn` file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Keep {
    /// The weights of the best validation evaluation (by the early-stopping metric, else the
    /// validation loss); the last weights when nothing was validated.
    #[default]
    Best,
    /// The weights of the last step.
    Last,
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
    /// Write `last.safetensors` every this many epochs (and always at the end of the run, when
    /// it is interrupted and before early stopping); 1 (the default) writes it every epoch.
    /// Full-batch runs have an epoch per step, where a synced write per step would dominate.
    pub checkpoint_every_epochs: u64,
    /// Which weights the run ends with (and the final metrics are measured on).
    pub keep: Keep,
}

/// Checks the optimiser's hyperparameters (momenta and decays in `[0, 1)`, positive ε).
fn validate_optimizer(optimizer: &OptimizerConfig) -> Result<(), TrainError> {
    match *optimizer {
        OptimizerConfig::Sgd {
            momentum,
            dampening,
            nesterov,
        } => {
            require(
                unit_interval_open(momentum),
                "sgd momentum must be in [0, 1)",
                momentum,
            )?;
            require(
                (0.0..=1.0).contains(&dampening),
                "sgd dampening must be in [0, 1]",
                dampening,
            )?;
            require(
                !nesterov || (momentum > 0.0 && dampening == 0.0),
                "nesterov momentum needs momentum > 0 and no dampening",
                format!("momentum {momentum}, dampening {dampening}"),
            )?;
        }
        OptimizerConfig::Adagrad { eps } => {
            require(positive(eps), "adagrad eps must be positive", eps)?
        }
        OptimizerConfig::RmsProp { decay, eps } => {
            require(
                unit_interval_open(decay),
                "rmsprop decay must be in [0, 1)",
                decay,
            )?;
            require(positive(eps), "rmsprop eps must be positive", eps)?;
        }
        OptimizerConfig::Adam {
            beta1,
            beta2,
            eps,
            weight_decay,
        } => {
            require(
                unit_interval_open(beta1),
                "adam beta1 must be in [0, 1)",
                beta1,
            )?;
            require(
                unit_interval_open(beta2),
                "adam beta2 must be in [0, 1)",
                beta2,
            )?;
            require(positive(eps), "adam eps must be positive", eps)?;
            require(
                weight_decay.is_finite() && weight_decay >= 0.0,
                "weight decay must be zero or positive",
                weight_decay,
            )?;
        }
    }
    Ok(())
}

/// Checks the schedule's periods, factors and milestones.
fn validate_schedule(schedule: &Schedule) -> Result<(), TrainError> {
    match schedule {
        Schedule::Constant => {}
        Schedule::Step { every, factor } => {
            check_every(*every, "the step schedule's period")?;
            require(
                positive(*factor),
                "the step schedule's factor must be positive",
                factor,
            )?;
        }
        Schedule::Exponential { k, unit } | Schedule::Inverse { k, unit, .. } => {
            check_every(*unit, "the schedule's unit")?;
            require(
                k.is_finite() && *k >= 0.0,
                "the decay constant k must be zero or positive",
                k,
            )?;
        }
        Schedule::MultiStep { at, factor, unit } => {
            check_every(*unit, "the schedule's unit")?;
            require(
                positive(*factor),
                "the multistep factor must be positive",
                factor,
            )?;
            require(
                at.iter().all(|m| m.is_finite()) && at.windows(2).all(|w| w[0] < w[1]),
                "multistep milestones must increase",
                format!("{at:?}"),
            )?;
        }
        Schedule::Cosine { period, min_lr } => {
            check_every(*period, "the cosine period")?;
            require(
                min_lr.is_finite() && *min_lr >= 0.0,
                "the cosine min_lr must be zero or positive",
                min_lr,
            )?;
        }
    }
    Ok(())
}

/// Fails with a message naming the setting unless `ok`.
fn require(ok: bool, what: &str, value: impl std::fmt::Display) -> Result<(), TrainError> {
    if ok {
        Ok(())
    } else {
        Err(TrainError::Config(format!("{what}, got {value}")))
    }
}

fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

fn unit_interval_open(x: f64) -> bool {
    (0.0..1.0).contains(&x)
}

fn check_every(every: Every, what: &str) -> Result<(), TrainError> {
    let (Every::Steps(v) | Every::Epochs(v)) = every;
    require(
        positive(v),
        &format!("{what} must be a positive duration"),
        v,
    )
}

impl TrainConfig {
    /// Checks every setting for a value the update rules cannot use (a learning rate that is
    /// not a positive number, a momentum of 1 or more, a zero period, ...), naming it.
    pub fn validate(&self) -> Result<(), TrainError> {
        require(
            positive(self.schedule.base_lr),
            "the learning rate must be a positive number",
            self.schedule.base_lr,
        )?;
        validate_optimizer(&self.optimizer)?;
        validate_schedule(&self.schedule.schedule)?;
        if let Some(p) = self.penalty {
            let (a, b) = match p {
                nnc_ops::Penalty::L2(l) | nnc_ops::Penalty::L1(l) => (l, 0.0),
                nnc_ops::Penalty::Elastic { l1, l2 } => (l1, l2),
            };
            require(
                a.is_finite() && a >= 0.0 && b.is_finite() && b >= 0.0,
                "the regularisation strength must be zero or positive",
                format!("{p:?}"),
            )?;
        }
        if let Some(c) = self.max_norm {
            require(positive(c), "the max-norm constraint must be positive", c)?;
        }
        if let Some(c) = self.clip_grad_norm {
            require(
                positive(c),
                "the gradient clipping norm must be positive",
                c,
            )?;
        }
        if let BatchSize::Rows(0) = self.batch {
            return Err(TrainError::Config(
                "the batch size must be at least 1, got 0".into(),
            ));
        }
        Ok(())
    }

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
            checkpoint_every_epochs: 1,
            keep: Keep::Best,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Monitor;

    #[test]
    fn bad_settings_are_refused_with_their_name() {
        use super::{Duration, TrainConfig};
        use crate::optim::OptimizerConfig;
        let ok = TrainConfig::sgd(0.1, Duration::Steps(1));
        assert!(ok.validate().is_ok());
        let mut c = ok.clone();
        c.schedule.base_lr = f64::NAN;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("learning rate")
        );
        let mut c = ok.clone();
        c.optimizer = OptimizerConfig::Sgd {
            momentum: 1.0,
            dampening: 0.0,
            nesterov: false,
        };
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("momentum must be in [0, 1), got 1")
        );
        let mut c = ok.clone();
        c.schedule.schedule = crate::schedule::Schedule::Step {
            every: crate::schedule::Every::Steps(0.0),
            factor: 0.5,
        };
        assert!(c.validate().unwrap_err().to_string().contains("period"));
        let mut c = ok;
        c.clip_grad_norm = Some(-1.0);
        assert!(c.validate().is_err());
    }

    #[test]
    fn min_delta_sets_the_smallest_improvement() {
        assert!(Monitor::ValLoss.improves_by(0.5, 0.6, 0.0));
        assert!(!Monitor::ValLoss.improves_by(0.59, 0.6, 0.05));
        assert!(Monitor::ValLoss.improves_by(0.5, f64::INFINITY, 0.05));
        assert!(Monitor::ValAccuracy.improves_by(0.9, 0.8, 0.05));
        assert!(!Monitor::ValAccuracy.improves_by(0.82, 0.8, 0.05));
    }
}
