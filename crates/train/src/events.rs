//! What the trainer reports as it runs: a stream of events a front end renders as progress
//! bars, log lines, JSONL or plots. The trainer knows nothing of terminals.

use crate::babysit::{Finding, LayerStats};
use crate::metrics::Metrics;
use serde::{Deserialize, Serialize};

/// Why a run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The planned number of steps or epochs was done.
    Completed,
    /// Validation stopped improving for `patience` evaluations.
    EarlyStopped {
        /// The evaluations waited.
        patience: usize,
    },
    /// The loss diverged; the last finite weights were kept.
    Diverged {
        /// The step at which divergence was detected, numbered from 1 (its loss is the last
        /// step record; the steps completed are one fewer).
        step: u64,
        /// The operation to blame: the first that produced a non-finite value or, if every
        /// value is still finite, the one with the largest output.
        op: Option<String>,
        /// Whether `op` produced a non-finite value (true) or only the largest one (false).
        non_finite: bool,
    },
    /// The user interrupted the run (Ctrl-C).
    Interrupted,
}

/// One event of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Training is about to start.
    Started {
        /// Trainable scalars.
        parameters: usize,
        /// Training examples.
        train_examples: usize,
        /// Batches per epoch.
        steps_per_epoch: usize,
        /// Total planned steps.
        total_steps: u64,
    },
    /// A logged training step.
    Step {
        /// Steps completed.
        step: u64,
        /// Epochs completed (fractional).
        epoch: f64,
        /// Data loss of this batch (cross-entropy, hinge or squared error), before the update.
        loss: f64,
        /// The regularisation penalty added to it (`λ·Σw²` for L2; 0 without regularisation):
        /// the optimiser minimises `loss + penalty`.
        penalty: f64,
        /// Learning rate used.
        lr: f64,
        /// Steps per second since the run started.
        steps_per_second: f64,
    },
    /// An evaluation (usually at the end of an epoch).
    Evaluation {
        /// Steps completed.
        step: u64,
        /// Epochs completed.
        epoch: f64,
        /// Metrics on the training split (over the epoch's batches, train mode).
        train: Metrics,
        /// Metrics on the validation split, if there is one.
        val: Option<Metrics>,
        /// Per-layer activation statistics over the epoch.
        activations: Vec<LayerStats>,
    },
    /// The update/weight ratios `‖Δw‖ / ‖w‖` of one step, per weight tensor, as the
    /// babysitter samples them early in the run (between 2 % and 20 % of the steps, about
    /// 90 samples).
    UpdateRatios {
        /// Steps completed (the step whose update was measured).
        step: u64,
        /// `(weight name, ratio)`, in the model's order.
        ratios: Vec<(String, f64)>,
    },
    /// Something the babysitter noticed.
    Finding(Finding),
    /// A checkpoint was written.
    Checkpoint {
        /// Steps completed.
        step: u64,
        /// The file.
        path: String,
        /// `best` (the best validation so far), `last` (periodic) or `last_finite` (the
        /// weights a diverging step started from).
        kind: String,
    },
    /// The run ended.
    Stopped {
        /// Steps completed.
        step: u64,
        /// Why.
        reason: StopReason,
    },
}

/// Receives events from a run.
pub trait EventSink {
    /// Handles one event.
    fn event(&mut self, event: &Event);
}

impl<F: FnMut(&Event)> EventSink for F {
    fn event(&mut self, event: &Event) {
        self(event)
    }
}

/// Discards every event.
pub struct Silent;

impl EventSink for Silent {
    fn event(&mut self, _: &Event) {}
}
