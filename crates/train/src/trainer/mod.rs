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
mod monitors;
mod state;

pub use config::{Duration, EarlyStop, Monitor, TrainConfig};
pub use error::TrainError;
pub use evaluate::{EVAL_BATCH, evaluate, evaluate_confusion};
pub use state::{RunProgress, load_checkpoint, load_weights, save_checkpoint, save_weights};

use crate::babysit::Finding;
use crate::constraints::{apply_max_norm, clip_gradient_norm};
use crate::events::{Event, EventSink, StopReason};
use crate::metrics::{Metrics, correct_predictions};
use crate::optim::Optimizer;
use crate::schedule::Progress;
use monitors::LiveMonitors;
pub(crate) use monitors::{loss_kind, unit_kind};
use nnc_data::{Batcher, Dataset};
use nnc_ops::{ForwardCtx, LayerOutput, Loss, Sequential};
use nnc_tape::{Rng, Tape, rng};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The data of a run: the training split and, optionally, a validation split.
#[derive(Debug, Clone, Copy)]
pub struct TrainData<'a> {
    /// Examples to fit.
    pub train: &'a Dataset,
    /// Examples to evaluate on (none or empty: no validation).
    pub val: Option<&'a Dataset>,
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
    /// Final metrics on the training split (eval mode).
    pub train: Metrics,
    /// Final metrics on the validation split (eval mode).
    pub val: Option<Metrics>,
    /// The best monitored validation value, if validation ran.
    pub best_val: Option<f64>,
    /// Every finding of the babysitter, in order.
    pub findings: Vec<Finding>,
    /// One record per evaluation.
    pub history: Vec<EpochRecord>,
    /// The initial data loss on the first batch (before any update).
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

/// The state of one run.
struct Trainer<'a> {
    model: &'a mut Sequential<f32>,
    loss: Loss,
    data: TrainData<'a>,
    config: &'a TrainConfig,
    optimizer: Box<dyn Optimizer<f32>>,
    batcher: Batcher,
    steps_per_epoch: u64,
    total_steps: u64,
    tape: Tape<f32>,
    weight_ids: Vec<nnc_tape::ParamId>,
}

impl<'a> Trainer<'a> {
    fn new(
        model: &'a mut Sequential<f32>,
        loss: Loss,
        data: TrainData<'a>,
        config: &'a TrainConfig,
    ) -> Result<Self, TrainError> {
        if data.train.is_empty() {
            return Err(TrainError::Config("the training split is empty".into()));
        }
        if data.train.features() != model.input_width() {
            return Err(TrainError::Config(format!(
                "the model expects {} input features but the data has {}",
                model.input_width(),
                data.train.features()
            )));
        }
        let batcher = Batcher::new(data.train.len(), config.batch, true, config.seed)?;
        let steps_per_epoch = batcher.batches_per_epoch() as u64;
        let total_steps = match config.duration {
            Duration::Epochs(e) => e * steps_per_epoch,
            Duration::Steps(s) => s,
        };
        let weight_ids = model.weight_ids();
        Ok(Trainer {
            model,
            loss,
            data,
            config,
            optimizer: config.optimizer.build(),
            batcher,
            steps_per_epoch,
            total_steps,
            tape: Tape::new(),
            weight_ids,
        })
    }

    fn progress(&self, step: u64) -> Progress {
        Progress {
            step,
            epoch: step as f64 / self.steps_per_epoch as f64,
        }
    }

    fn save(
        &self,
        name: &str,
        progress: RunProgress,
        sink: &mut dyn EventSink,
    ) -> Result<(), TrainError> {
        if let Some(dir) = &self.config.checkpoint_dir {
            let path = dir.join(format!("{name}.safetensors"));
            save_checkpoint(&path, self.model, &*self.optimizer, progress)?;
            sink.event(&Event::Checkpoint {
                step: progress.step,
                path: path.display().to_string(),
                kind: name.into(),
            });
        }
        Ok(())
    }

    /// The data loss of the untrained model over (up to) the first [`EVAL_BATCH`] training
    /// rows, in train mode without touching buffers and without recording gradients: the
    /// number the initial-loss check compares with `ln C`. One small batch would be too noisy.
    fn initial_loss(&mut self, features: usize) -> Result<f64, TrainError> {
        let rows = self.data.train.len().min(EVAL_BATCH);
        let indices: Vec<usize> = (0..rows).collect();
        let (mut x, mut y) = (Vec::new(), Vec::new());
        self.data.train.fill_batch(&indices, &mut x, &mut y)?;
        self.tape.reset();
        self.tape.set_grad_enabled(false);
        let result = (|| {
            let xv = self.tape.constant_from_slice(&x, &[rows, features])?;
            let mut r = step_rng(self.config.seed, u64::MAX);
            let mut ctx = ForwardCtx::train(&mut r).frozen_buffers();
            let scores = self.model.forward(&mut self.tape, xv, &mut ctx)?;
            let l = self.loss.apply(&mut self.tape, scores, &y)?;
            Ok::<f64, TrainError>(self.tape.value(l).item()? as f64)
        })();
        self.tape.reset();
        self.tape.set_grad_enabled(true);
        result
    }

    fn run(
        mut self,
        sink: &mut dyn EventSink,
        interrupt: Option<&AtomicBool>,
    ) -> Result<RunSummary, TrainError> {
        let started = Instant::now();
        let config = self.config;
        let monitor = config.early_stop.map(|e| e.monitor);
        let mut progress = RunProgress {
            step: 0,
            epoch: 0,
            best: monitor.map_or(f64::NAN, |m| m.worst()),
            bad_evals: 0,
            optimizer_steps: 0,
        };
        if let Some(path) = &config.resume_from {
            progress = load_checkpoint(path, self.model, &mut *self.optimizer)?;
        }
        let classes = self.model.output_width();
        let features = self.data.train.features();
        let has_val = self.data.val.is_some_and(|v| !v.is_empty());
        sink.event(&Event::Started {
            parameters: self.model.num_params(),
            train_examples: self.data.train.len(),
            steps_per_epoch: self.steps_per_epoch as usize,
            total_steps: self.total_steps,
        });

        let mut monitors =
            LiveMonitors::new(config.babysit, self.steps_per_epoch, self.total_steps);
        let mut findings: Vec<Finding> = Vec::new();
        let emit = |f: Finding, findings: &mut Vec<Finding>, sink: &mut dyn EventSink| {
            sink.event(&Event::Finding(f.clone()));
            findings.push(f);
        };
        let mut history = Vec::new();
        let mut initial_loss = None;
        let mut stop = StopReason::Completed;
        let mut xbuf: Vec<f32> = Vec::new();
        let mut ybuf: Vec<usize> = Vec::new();
        let mut trace: Vec<LayerOutput> = Vec::new();
        let mut order: Vec<usize> = Vec::new();
        let mut step = progress.step;
        let epochs = self.total_steps.div_ceil(self.steps_per_epoch);
        let mut lr = config.schedule.lr(self.progress(step));
        if step == 0 {
            let value = self.initial_loss(features)?;
            initial_loss = Some(value);
            if let Some(f) = monitors.initial_loss(self.loss, value, classes) {
                emit(f, &mut findings, sink);
            }
        }

        'epochs: for epoch in progress.epoch..epochs {
            let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
            order.clear();
            order.extend(self.batcher.epoch(epoch).flatten().copied());
            let batch_size = self.batcher.batch_size();
            for indices in order.chunks(batch_size).take(self.steps_per_epoch as usize) {
                if step >= self.total_steps {
                    break 'epochs;
                }
                if interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) {
                    stop = StopReason::Interrupted;
                    break 'epochs;
                }
                self.data.train.fill_batch(indices, &mut xbuf, &mut ybuf)?;
                lr = config.schedule.lr(self.progress(step));

                // Forward.
                self.tape.reset();
                let x = self
                    .tape
                    .constant_from_slice(&xbuf, &[ybuf.len(), features])?;
                let mut r = step_rng(config.seed, step);
                let mut ctx = ForwardCtx::train(&mut r);
                let traced = monitors.trace_step(step);
                let scores = if traced {
                    self.model
                        .forward_traced(&mut self.tape, x, &mut ctx, &mut trace)?
                } else {
                    self.model.forward(&mut self.tape, x, &mut ctx)?
                };
                let data_loss = self.loss.apply(&mut self.tape, scores, &ybuf)?;
                let data_loss_value = self.tape.value(data_loss).item()? as f64;
                let total = match config.penalty {
                    Some(p) => {
                        let r = p.apply(&mut self.tape, self.model.params(), &self.weight_ids)?;
                        self.tape.add(data_loss, r)?
                    }
                    None => data_loss,
                };
                let loss_value = self.tape.value(total).item()? as f64;
                if let Some(mut f) = monitors.divergence(step, loss_value, lr) {
                    let (op, non_finite) = blame(&self.tape, &trace, &mut f);
                    emit(f, &mut findings, sink);
                    stop = StopReason::Diverged {
                        step,
                        op,
                        non_finite,
                    };
                    break 'epochs;
                }
                loss_sum += data_loss_value * ybuf.len() as f64;
                correct += correct_predictions(self.tape.value(scores).data(), classes, &ybuf);
                seen += ybuf.len();
                if traced {
                    for t in &trace {
                        let v = self.tape.value(t.output);
                        monitors.observe_layer(t, v.data(), v.shape()[1]);
                    }
                }

                // Backward and update.
                let mut grads = self.tape.backward(total)?;
                grads.check_complete(self.model.params())?;
                if let Some(c) = config.clip_grad_norm {
                    clip_gradient_norm(self.model.params(), &mut grads, c);
                }
                self.tape.reset();
                let sample = monitors.before_update(step, self.model.params(), &self.weight_ids);
                self.optimizer.step(self.model.params_mut(), &grads, lr)?;
                self.tape.recycle(grads);
                if let Some(c) = config.max_norm {
                    apply_max_norm(self.model.params_mut(), c)?;
                }
                if sample {
                    monitors.after_update(self.model.params(), &self.weight_ids);
                }
                step += 1;
                if let Some(f) = monitors.flat(step, loss_value, lr) {
                    emit(f, &mut findings, sink);
                }
                for f in monitors.after_step(step) {
                    emit(f, &mut findings, sink);
                }
                if config.log_every_steps > 0 && step.is_multiple_of(config.log_every_steps) {
                    sink.event(&Event::Step {
                        step,
                        epoch: self.progress(step).epoch,
                        loss: loss_value,
                        lr,
                        steps_per_second: step as f64 / started.elapsed().as_secs_f64(),
                    });
                }
            }

            // End of epoch: metrics, babysitter, validation, checkpoints.
            let epoch_done = epoch + 1;
            let train_metrics = Metrics {
                loss: loss_sum / seen.max(1) as f64,
                accuracy: correct as f64 / seen.max(1) as f64,
                examples: seen,
            };
            let evaluate_now = has_val
                && (epoch_done == epochs
                    || (config.eval_every_epochs > 0
                        && epoch_done % config.eval_every_epochs == 0));
            let val = if evaluate_now {
                let val_set = self.data.val.expect("has_val");
                Some(evaluate(self.model, self.loss, val_set, &mut self.tape)?)
            } else {
                None
            };
            sink.event(&Event::Evaluation {
                step,
                epoch: self.progress(step).epoch,
                train: train_metrics,
                val,
                activations: monitors.layer_stats(),
            });
            history.push(EpochRecord {
                epoch: self.progress(step).epoch,
                step,
                train: train_metrics,
                val,
                lr,
            });
            progress.step = step;
            progress.epoch = epoch_done;
            progress.optimizer_steps = step;
            let mut improved = false;
            if let (Some(v), Some(m)) = (val, monitor) {
                let value = match m {
                    config::Monitor::ValLoss => v.loss,
                    config::Monitor::ValAccuracy => v.accuracy,
                };
                if m.improves_by(value, progress.best, config.early_stop_min_delta) {
                    progress.best = value;
                    progress.bad_evals = 0;
                    improved = true;
                } else {
                    progress.bad_evals += 1;
                }
            } else if let Some(v) = val {
                // Without early stopping the best checkpoint follows the validation loss.
                if progress.best.is_nan() || v.loss < progress.best {
                    progress.best = v.loss;
                    improved = true;
                }
            }
            if improved {
                self.save("best", progress, sink)?;
            }
            self.save("last", progress, sink)?;
            if let Some(es) = config.early_stop
                && val.is_some()
                && progress.bad_evals >= es.patience
            {
                stop = StopReason::EarlyStopped {
                    patience: es.patience,
                };
                break 'epochs;
            }
        }

        // Final evaluation and end-of-run checks.
        self.tape.reset();
        let train_final = evaluate(self.model, self.loss, self.data.train, &mut self.tape)?;
        let val_final = match self.data.val {
            Some(v) if !v.is_empty() => Some(evaluate(self.model, self.loss, v, &mut self.tape)?),
            _ => None,
        };
        if !matches!(stop, StopReason::Diverged { .. }) {
            for f in monitors.flush_activations(step) {
                emit(f, &mut findings, sink);
            }
            for f in monitors.end_run(
                step,
                &train_final,
                val_final.as_ref(),
                &self.data.train.class_counts(),
            ) {
                emit(f, &mut findings, sink);
            }
        }
        sink.event(&Event::Stopped {
            step,
            reason: stop.clone(),
        });
        Ok(RunSummary {
            steps: step,
            epochs: self.progress(step).epoch,
            stop,
            train: train_final,
            val: val_final,
            best_val: (!progress.best.is_nan() && progress.best.is_finite())
                .then_some(progress.best),
            findings,
            history,
            initial_loss,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}
