//! # nnc-train: optimisers, schedules, the training loop and the babysitter
//!
//! * [`optim`]: SGD (momentum, Nesterov), Adagrad, RMSProp, Adam, AdamW.
//! * [`schedule`]: constant, step, exponential, 1/t, multistep and cosine decay, with warm-up.
//! * [`babysit`]: the checks an expert runs while training, as structured findings.
//! * [`trainer`]: the training loop; [`doctor`]: the babysitting protocol before a run.
//! * [`search`]: random/grid hyperparameter search in coarse-to-fine stages.

pub mod babysit;
pub mod checkpoint;
pub mod classification;
pub mod constraints;
pub mod doctor;
pub mod events;
pub mod metrics;
pub mod optim;
pub mod schedule;
pub mod search;
pub mod trainer;

pub use optim::{Optimizer, OptimizerConfig};
pub use schedule::{Every, LrSchedule, Progress, Schedule};
pub use trainer::{
    Duration, EarlyStop, Keep, KeptWeights, Monitor, RunSummary, StepPlan, TrainConfig, TrainData,
    TrainError, check_data_parallel, evaluate, train, train_data_parallel,
};
