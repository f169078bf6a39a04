//! The training loop: batches, forward, loss, backward, update — with evaluation, early
//! stopping, checkpoints and the live babysitter — reporting through an [`EventSink`].
//!
//! Determinism: batch order depends only on `(seed, epoch)` and dropout masks only on
//! `(seed, step)`, and every kernel is deterministic for any thread count; so the same seed
//! gives bit-identical weights, and a run resumed from a checkpoint ends exactly where an
//! uninterrupted run would.

mod config;
mod error;
mod evaluate;
mod evidence;
mod kept;
mod monitors;
mod run;
mod state;
mod steps;

pub use config::{Duration, EarlyStop, Keep, Monitor, TrainConfig};
pub use error::TrainError;
pub use evaluate::{EVAL_BATCH, evaluate, evaluate_confusion, predict};
pub use kept::KeptWeights;
pub use state::{RunProgress, load_checkpoint, load_weights, save_checkpoint, save_weights};
pub use steps::{StepPlan, batch_ranges, steps_per_epoch};

use crate::babysit::{DataContext, Finding};
use crate::events::{EventSink, StopReason};
use crate::metrics::Metrics;
pub(crate) use monitors::{loss_kind, unit_kind};
use nnc_data::Dataset;
use nnc_ops::{LayerOutput, Loss, Sequential};
use nnc_tape::collective::Collective;
use nnc_tape::{Rng, Tape, rng};
use run::Trainer;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// The data of a run: the training split and, optionally, a validation split, with what else
/// is known about the data (for the babysitter's data checks).
#[derive(Debug, Clone, Copy)]
pub struct TrainData<'a> {
    /// Examples to fit.
    pub train: &'a Dataset,
    /// Examples to evaluate on (none or empty: no validation).
    pub val: Option<&'a Dataset>,
    /// The test split, how the data was split and preprocessed, leakage: the data checks use
    /// what is given and skip what is not.
    pub context: DataContext<'a>,
}

impl<'a> TrainData<'a> {
    /// Training rows and optional validation rows, with no further context.
    pub fn new(train: &'a Dataset, val: Option<&'a Dataset>) -> Self {
        TrainData {
            train,
            val,
            context: DataContext::default(),
        }
    }
}

/// Metrics recorded at one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochRecord {
    /// Epochs completed.
    pub epoch: f64,
    /// Steps completed.
    pub step: u64,
    /// Training metrics over the epoch's batches (train mode).
    pub train: Metrics,
    /// Validation metrics (eval mode).
    pub val: Option<Metrics>,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
}

/// The outcome of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// Steps completed.
    pub steps: u64,
    /// Epochs completed (fractional).
    pub epochs: f64,
    /// Why the run ended.
    pub stop: StopReason,
    /// Final metrics on the training split (eval mode), of the kept weights.
    pub train: Metrics,
    /// Final metrics on the validation split (eval mode), of the kept weights.
    pub val: Option<Metrics>,
    /// The best monitored validation value, if validation ran.
    pub best_val: Option<f64>,
    /// The evaluation that had the best validation value, if validation ran.
    pub best: Option<EpochRecord>,
    /// The validation metrics of the last evaluation (the last weights, whichever are kept).
    pub last_val: Option<Metrics>,
    /// Which weights the model holds at the end (and the final metrics are of).
    pub kept: KeptWeights,
    /// Every finding of the babysitter, in order.
    pub findings: Vec<Finding>,
    /// One record per evaluation.
    pub history: Vec<EpochRecord>,
    /// The initial data loss on up to [`EVAL_BATCH`] training rows (before any update).
    pub initial_loss: Option<f64>,
    /// Wall-clock seconds of the training loop.
    pub seconds: f64,
}

/// The generator of dropout masks for `step`: a ChaCha8 stream that depends only on the seed
/// and the step.
pub fn step_rng(seed: u64, step: u64) -> Rng {
    let mut r = rng(seed ^ 0x5eed_d120_u64);
    r.set_stream(step);
    r
}

/// Trains `model` on `data` with the data loss `loss` as `config` says, reporting to `sink`.
/// `interrupt`, when set (e.g. by Ctrl-C), stops the run cleanly after the current step.
pub fn train(
    model: &mut Sequential<f32>,
    loss: Loss,
    data: TrainData<'_>,
    config: &TrainConfig,
    sink: &mut dyn EventSink,
    interrupt: Option<&AtomicBool>,
) -> Result<RunSummary, TrainError> {
    Trainer::new(model, loss, data, config)?.run(sink, interrupt)
}

/// Trains as [`train`] does, data-parallel with the ranks of `collective`, each running this
/// same call: every global batch is split into contiguous shards, one per rank; the loss,
/// the gradients and batch norm's statistics are those of the global batch (summed across
/// the ranks in rank order), and dropout draws the masks one process would, so `N` ranks
/// train the model one process trains, up to the rounding of the sums. Every rank must see the
/// same data, model and config; only one should checkpoint (`config.checkpoint_dir`) and
/// report.
pub fn train_data_parallel(
    model: &mut Sequential<f32>,
    loss: Loss,
    data: TrainData<'_>,
    config: &TrainConfig,
    sink: &mut dyn EventSink,
    interrupt: Option<&AtomicBool>,
    collective: Arc<dyn Collective>,
) -> Result<RunSummary, TrainError> {
    Trainer::new(model, loss, data, config)?
        .data_parallel(collective)?
        .run(sink, interrupt)
}

/// Checks that `ranks` data-parallel ranks can share the batches of `config` over `rows`
/// training rows (every rank needs a row of every batch): the check
/// [`train_data_parallel`] makes, for a caller that wants to fail before any rank starts.
pub fn check_data_parallel(
    config: &TrainConfig,
    rows: usize,
    ranks: usize,
) -> Result<(), TrainError> {
    run::check_ranks(&nnc_data::batch_ranges(rows, config.batch), ranks)
}

/// Names the operation a divergence came from and adds it to the finding's message: the first
/// op with a non-finite value, else the op with the largest output.
/// A traced layer's output is named after the layer (`dense2 (dense)`).
fn blame(tape: &Tape<f32>, trace: &[LayerOutput], f: &mut Finding) -> (Option<String>, bool) {
    let label = |v: nnc_tape::Var, op: &str| match trace.iter().find(|t| t.output == v) {
        Some(t) => format!("{} ({op})", t.name),
        None => op.to_string(),
    };
    if let Some((v, op)) = tape.first_non_finite() {
        let name = label(v, op);
        f.message
            .push_str(&format!("; the first non-finite value came from `{name}`"));
        return (Some(name), true);
    }
    match tape.largest_magnitude() {
        Some((v, op, m)) => {
            let name = label(v, op);
            f.message.push_str(&format!(
                "; no value is non-finite yet, the largest ({m:.3e}) comes from `{name}`"
            ));
            f.measured.push(("largest_value".into(), m));
            (Some(name), false)
        }
        None => (None, false),
    }
}
