//! The `train` section lowered into a [`TrainConfig`].
//!
//! Amounts of time keep the unit they were written in wherever the library can (schedules
//! count epochs or steps); where it needs one unit they are converted with the trainer's own
//! steps per epoch ([`StepPlan`]: the batches of an epoch, a one-row leftover joining the last
//! batch):
//!
//! | statement | library | conversion |
//! |---|---|---|
//! | `epochs N` / `steps N` | [`Duration`] | fractional epochs become `ceil(N · steps/epoch)` steps |
//! | `schedule …, warmup: W` | warm-up steps | `W epochs` → `round(W · steps/epoch)` steps |
//! | `eval val, every: T` | evaluation every k epochs | `ceil(T)` epochs (at least 1); `T steps` → `ceil(T / steps/epoch)` epochs |
//! | `log every: T` | log every k steps | `T epochs` → `round(T · steps/epoch)` steps (at least 1) |
//! | `cosine(period: P)` | period in P's unit | without `period`: the whole run, in the run's unit |
//!
//! Without an `eval` line, a run with a validation split evaluates it every epoch when it
//! early-stops (patience counts evaluations), and otherwise about 100 times over the run (so
//! the accuracy plot has a validation curve without slowing full-batch runs of thousands of
//! one-step epochs). `eval train` and `eval test` do not evaluate periodically: the training
//! metrics are recorded every epoch anyway, and the test split is evaluated once, at the end.

use super::LowerError;
use crate::ir::{
    EvalSpec, Interval, MetricKind, OptimizerSpec, ScheduleSpec, SplitName, TrainSpec,
};
use nnc_train::{
    Duration, EarlyStop, Every, LrSchedule, Monitor, OptimizerConfig, Schedule, StepPlan,
    TrainConfig,
};

/// Evaluations of the validation split over a run without an `eval` line.
pub const DEFAULT_EVALUATIONS: u64 = 100;

/// The optimiser and its base learning rate.
pub fn optimizer(spec: OptimizerSpec) -> (OptimizerConfig, f64) {
    let config = match spec {
        OptimizerSpec::Sgd {
            momentum,
            nesterov,
            dampening,
            ..
        } => OptimizerConfig::Sgd {
            momentum,
            dampening,
            nesterov,
        },
        OptimizerSpec::Adagrad { eps, .. } => OptimizerConfig::Adagrad { eps },
        OptimizerSpec::RmsProp { decay, eps, .. } => OptimizerConfig::RmsProp { decay, eps },
        OptimizerSpec::Adam {
            beta1, beta2, eps, ..
        } => OptimizerConfig::Adam {
            beta1,
            beta2,
            eps,
            weight_decay: 0.0,
        },
        OptimizerSpec::AdamW {
            beta1,
            beta2,
            eps,
            weight_decay,
            ..
        } => OptimizerConfig::Adam {
            beta1,
            beta2,
            eps,
            weight_decay,
        },
    };
    (config, spec.lr())
}

fn every(i: Interval) -> Every {
    match i {
        Interval::Epochs(e) => Every::Epochs(e),
        Interval::Steps(s) => Every::Steps(s as f64),
    }
}

fn to_steps(i: Interval, plan: StepPlan) -> u64 {
    match i {
        Interval::Steps(s) => s,
        Interval::Epochs(e) => plan.steps_in(e),
    }
}

/// The schedule; `length` is the run's length (the default cosine period).
pub fn schedule(spec: &ScheduleSpec, length: Interval) -> Schedule {
    let per_epoch = Every::Epochs(1.0);
    match spec {
        ScheduleSpec::None => Schedule::Constant,
        ScheduleSpec::Step { every: e, factor } => Schedule::Step {
            every: every(*e),
            factor: *factor,
        },
        ScheduleSpec::Exp { k } => Schedule::Exponential {
            k: *k,
            unit: per_epoch,
        },
        ScheduleSpec::Inv { k, power } => Schedule::Inverse {
            k: *k,
            power: *power,
            unit: per_epoch,
        },
        ScheduleSpec::MultiStep { at, factor } => {
            let unit = match at.first() {
                Some(Interval::Steps(_)) => Every::Steps(1.0),
                _ => per_epoch,
            };
            Schedule::MultiStep {
                at: at
                    .iter()
                    .map(|i| match i {
                        Interval::Epochs(e) => *e,
                        Interval::Steps(s) => *s as f64,
                    })
                    .collect(),
                factor: *factor,
                unit,
            }
        }
        ScheduleSpec::Cosine { period, min_lr } => Schedule::Cosine {
            period: every(period.unwrap_or(length)),
            min_lr: *min_lr,
        },
    }
}

/// The training configuration for a training split of `train_rows` rows; `has_val` says
/// whether there is a validation split to evaluate. The seed is the section's (0 when
/// absent); checkpoints and resumption are the caller's business.
pub fn config(
    spec: &TrainSpec,
    train_rows: usize,
    has_val: bool,
) -> Result<TrainConfig, LowerError> {
    let epoch = StepPlan::new(train_rows, spec.batch, Duration::Epochs(1));
    let (optimizer, lr) = optimizer(spec.optimizer);
    let duration = match spec.length {
        Interval::Steps(s) => Duration::Steps(s),
        Interval::Epochs(e) if e.fract() == 0.0 => Duration::Epochs(e as u64),
        Interval::Epochs(e) => Duration::Steps(epoch.run_steps_in(e)),
    };
    let total_epochs = StepPlan::new(train_rows, spec.batch, duration).epochs();
    let early_stop = match &spec.early_stop {
        Some(es) => {
            if es.metric.split != SplitName::Val {
                return Err(LowerError::invalid(
                    "early stopping watches the validation split",
                    "write `early_stop val.loss` or `early_stop val.accuracy`",
                ));
            }
            Some(EarlyStop {
                monitor: match es.metric.kind {
                    MetricKind::Loss => Monitor::ValLoss,
                    MetricKind::Accuracy => Monitor::ValAccuracy,
                },
                patience: usize::try_from(es.patience).unwrap_or(usize::MAX),
            })
        }
        None => None,
    };
    let eval_every_epochs = match spec.eval {
        Some(EvalSpec {
            split: SplitName::Val,
            every: Interval::Epochs(e),
        }) => (e.ceil() as u64).max(1),
        Some(EvalSpec {
            split: SplitName::Val,
            every: Interval::Steps(s),
        }) => epoch.epochs_in(s),
        _ if early_stop.is_some() => 1,
        _ if has_val => total_epochs.div_ceil(DEFAULT_EVALUATIONS).max(1),
        _ => 0,
    };
    let mut config = TrainConfig::sgd(lr, duration);
    config.optimizer = optimizer;
    config.schedule = LrSchedule {
        base_lr: lr,
        schedule: schedule(&spec.schedule, spec.length),
        warmup_steps: spec.warmup.map_or(0, |w| to_steps(w, epoch)),
    };
    config.penalty = spec.regularize;
    config.max_norm = spec.maxnorm;
    config.clip_grad_norm = spec.clip_grad_norm;
    config.batch = spec.batch;
    config.eval_every_epochs = eval_every_epochs;
    config.keep = spec.keep.unwrap_or_default();
    config.early_stop = early_stop;
    config.early_stop_min_delta = spec.early_stop.map_or(0.0, |e| e.min_delta);
    config.log_every_steps = spec.log_every.map_or(0, |l| to_steps(l, epoch).max(1));
    config.seed = spec.seed.unwrap_or(0);
    Ok(config)
}

/// The section with its length replaced by `epochs` (a search trial's budget); a cosine
/// schedule without a period follows the new length.
pub fn with_epochs(spec: &TrainSpec, epochs: u64) -> TrainSpec {
    TrainSpec {
        length: Interval::Epochs(epochs as f64),
        ..spec.clone()
    }
}
