//! One training run: the epoch loop, the step, and the end-of-epoch bookkeeping.

use super::config::{Keep, Monitor};
use super::evidence::{RecentSteps, StepLoss};
use super::kept::{KeptWeights, Snapshot};
use super::monitors::LiveMonitors;
use super::state::{RunProgress, load_checkpoint, load_weights, save_checkpoint, saved_step};
use super::steps::StepPlan;
use super::{
    EVAL_BATCH, EpochRecord, RunSummary, TrainConfig, TrainData, TrainError, blame, evaluate,
    step_rng,
};
use crate::babysit::{Causes, CheckKind, DataFacts, Finding, ScoreFacts, Severity, data_checks};
use crate::constraints::{apply_max_norm, clip_gradient_norm};
use crate::events::{Event, EventSink, StopReason};
use crate::metrics::{Metrics, correct_predictions};
use crate::optim::Optimizer;
use crate::schedule::Progress;
use nnc_data::Batcher;
use nnc_ops::{ForwardCtx, LayerOutput, Loss, RowShard, Sequential};
use nnc_tape::collective::{self, Collective, shard};
use nnc_tape::{ParamId, Tape};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The state of one run.
pub(super) struct Trainer<'a> {
    model: &'a mut Sequential<f32>,
    loss: Loss,
    data: TrainData<'a>,
    config: &'a TrainConfig,
    optimizer: Box<dyn Optimizer<f32>>,
    batcher: Batcher,
    batches: Vec<Range<usize>>,
    steps_per_epoch: u64,
    total_steps: u64,
    tape: Tape<f32>,
    weight_ids: Vec<ParamId>,
    monitors: LiveMonitors,
    findings: Vec<Finding>,
    // Buffers reused by every step.
    xbuf: Vec<f32>,
    ybuf: Vec<usize>,
    trace: Vec<LayerOutput>,
    order: Vec<usize>,
    /// The last steps' losses, reported when the run diverges between two logged steps.
    recent: RecentSteps,
    /// The weights of the best validation evaluation so far (`keep best`).
    best: Option<Snapshot>,
    /// The record of that evaluation.
    best_record: Option<EpochRecord>,
    /// One record per evaluation.
    history: Vec<EpochRecord>,
    /// Data-parallel training: the ranks this one sums gradients, losses and batch-norm
    /// statistics with; `None` for a single process.
    parallel: Option<Arc<dyn Collective>>,
    /// The rows of the current global batch this rank computes (data-parallel only).
    shard: Option<RowShard>,
    /// Scratch for the values summed across ranks each step.
    exchange: Vec<f64>,
    /// Data-parallel: whether this rank was asked to stop (Ctrl-C) before the current step,
    /// and whether any rank was, after it: ranks stop together, after the same step.
    stop_asked: bool,
    stop_agreed: bool,
}

/// Sums over the batches of an epoch.
#[derive(Default)]
struct EpochSums {
    loss: f64,
    correct: usize,
    seen: usize,
}

/// What a step found.
enum StepOutcome {
    /// The update was applied; the data loss and penalty of the batch before it.
    Updated { loss: f64, penalty: f64 },
    /// The run diverged: stop without updating (the batch's losses, for the curve).
    Diverged {
        reason: StopReason,
        loss: f64,
        penalty: f64,
    },
}

impl<'a> Trainer<'a> {
    pub(super) fn new(
        model: &'a mut Sequential<f32>,
        loss: Loss,
        data: TrainData<'a>,
        config: &'a TrainConfig,
    ) -> Result<Self, TrainError> {
        config.validate()?;
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
        let batches = batcher.ranges().to_vec();
        let plan = StepPlan::of(config, data.train.len());
        let (steps_per_epoch, total_steps) = (plan.per_epoch, plan.total);
        let weight_ids = model.weight_ids();
        Ok(Trainer {
            model,
            loss,
            data,
            config,
            optimizer: config.optimizer.build(),
            batcher,
            batches,
            steps_per_epoch,
            total_steps,
            tape: Tape::new(),
            weight_ids,
            monitors: LiveMonitors::new(config.babysit, steps_per_epoch, total_steps),
            findings: Vec::new(),
            xbuf: Vec::new(),
            ybuf: Vec::new(),
            trace: Vec::new(),
            order: Vec::new(),
            recent: RecentSteps::default(),
            best: None,
            best_record: None,
            history: Vec::new(),
            parallel: None,
            shard: None,
            exchange: Vec::new(),
            stop_asked: false,
            stop_agreed: false,
        })
    }

    /// Trains data-parallel with the ranks of `collective`: each global batch is split into
    /// contiguous shards, one per rank ([`nnc_tape::collective::shard`]); fails when a batch
    /// has fewer rows than there are ranks.
    pub(super) fn data_parallel(
        mut self,
        collective: Arc<dyn Collective>,
    ) -> Result<Self, TrainError> {
        check_ranks(&self.batches, collective.size())?;
        self.monitors.set_parallel(Arc::clone(&collective));
        self.parallel = Some(collective);
        Ok(self)
    }

    fn progress(&self, step: u64) -> Progress {
        Progress {
            step,
            epoch: step as f64 / self.steps_per_epoch as f64,
        }
    }

    fn emit(&mut self, f: Finding, sink: &mut dyn EventSink) {
        sink.event(&Event::Finding(f.clone()));
        self.findings.push(f);
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
    /// number the initial-loss check compares with `ln C` (one small batch would be too
    /// noisy), with the spread of the scores and the layer that produced them.
    fn initial_loss(&mut self) -> Result<(f64, ScoreFacts), TrainError> {
        let rows = self.data.train.len().min(EVAL_BATCH);
        let indices: Vec<usize> = (0..rows).collect();
        let (mut x, mut y) = (Vec::new(), Vec::new());
        self.data.train.fill_batch(&indices, &mut x, &mut y)?;
        crate::doctor::initial_scores(self.model, self.loss, &x, &y, self.config.seed)
    }

    /// One step on the rows `indices`: forward, loss, divergence check, backward, update.
    fn step(
        &mut self,
        step: u64,
        lr: f64,
        sums: &mut EpochSums,
        sink: &mut dyn EventSink,
    ) -> Result<StepOutcome, TrainError> {
        let config = self.config;
        let features = self.data.train.features();
        let classes = self.model.output_width();
        self.tape.reset();
        let x = self
            .tape
            .constant_from_slice(&self.xbuf, &[self.ybuf.len(), features])?;
        let mut r = step_rng(config.seed, step);
        let mut ctx = ForwardCtx::train(&mut r);
        ctx.shard = self.shard;
        let parallel = self.parallel.clone();
        // Layer handles are recorded on every step (cheap, and divergence reports name the
        // layer); their values are summarised only on sampled steps.
        let scores = collective::within(parallel.as_ref(), || {
            self.model
                .forward_traced(&mut self.tape, x, &mut ctx, &mut self.trace)
        })?;
        let mut data_loss = self.loss.apply(&mut self.tape, scores, &self.ybuf)?;
        if let Some(s) = self.shard {
            // This shard's part of the global batch's mean: the parts sum to it.
            data_loss = self
                .tape
                .scale(data_loss, self.ybuf.len() as f64 / s.global_rows as f64)?;
        }
        let mut data_loss_value = self.tape.value(data_loss).item()? as f64;
        // The penalty is counted once: by the first rank.
        let total = match config.penalty {
            Some(p) if parallel.as_ref().is_none_or(|c| c.rank() == 0) => {
                let r = p.apply(&mut self.tape, self.model.params(), &self.weight_ids)?;
                self.tape.add(data_loss, r)?
            }
            _ => data_loss,
        };
        let mut loss_value = self.tape.value(total).item()? as f64;
        let mut correct = correct_predictions(self.tape.value(scores).data(), classes, &self.ybuf);
        let mut rows = self.ybuf.len();
        if let Some(c) = &parallel {
            // The global batch's losses and counts, the same on every rank (so every rank
            // takes the same decisions).
            self.exchange.clear();
            self.exchange.extend([
                data_loss_value,
                loss_value,
                correct as f64,
                rows as f64,
                f64::from(u8::from(self.stop_asked)),
            ]);
            c.sum(&mut self.exchange);
            data_loss_value = self.exchange[0];
            loss_value = self.exchange[1];
            correct = self.exchange[2] as usize;
            rows = self.exchange[3] as usize;
            self.stop_agreed = self.exchange[4] > 0.0;
        }
        let penalty = loss_value - data_loss_value;
        // Steps are numbered from 1, as in the step records: step `step + 1` blew up.
        if let Some(mut f) = self.monitors.divergence(step + 1, loss_value, lr) {
            let (op, non_finite) = blame(&self.tape, &self.trace, &mut f);
            self.emit(f, sink);
            return Ok(StepOutcome::Diverged {
                reason: StopReason::Diverged {
                    step: step + 1,
                    op,
                    non_finite,
                },
                loss: data_loss_value,
                penalty,
            });
        }
        sums.loss += data_loss_value * rows as f64;
        sums.correct += correct;
        sums.seen += rows;
        if self.monitors.trace_step(step) {
            for t in &self.trace {
                let v = self.tape.value(t.output);
                self.monitors.observe_layer(t, v.data(), v.shape()[1]);
            }
        }

        let mut grads = collective::within(parallel.as_ref(), || self.tape.backward(total))?;
        grads.check_complete(self.model.params())?;
        if let Some(c) = &parallel {
            collective::sum_gradients(&**c, self.model.params(), &mut grads, &mut self.exchange);
        }
        if let Some(c) = config.clip_grad_norm {
            clip_gradient_norm(self.model.params(), &mut grads, c);
        }
        self.tape.reset();
        let sample = self
            .monitors
            .before_update(step, self.model.params(), &self.weight_ids);
        self.optimizer.step(self.model.params_mut(), &grads, lr)?;
        self.tape.recycle(grads);
        if let Some(c) = config.max_norm {
            apply_max_norm(self.model.params_mut(), c)?;
        }
        let done = step + 1;
        if sample {
            let ratios = self
                .monitors
                .after_update(self.model.params(), &self.weight_ids);
            sink.event(&Event::UpdateRatios { step: done, ratios });
        }
        for f in self
            .monitors
            .flat(done, loss_value, lr)
            .into_iter()
            .chain(self.monitors.after_step(done))
        {
            self.emit(f, sink);
        }
        Ok(StepOutcome::Updated {
            loss: data_loss_value,
            penalty,
        })
    }

    /// Reports a step's losses as an event and remembers it as reported.
    fn report_step(&mut self, s: StepLoss, started: &Instant, sink: &mut dyn EventSink) {
        sink.event(&Event::Step {
            step: s.step,
            epoch: s.epoch,
            loss: s.loss,
            penalty: s.penalty,
            lr: s.lr,
            steps_per_second: s.step as f64 / started.elapsed().as_secs_f64().max(1e-9),
        });
        self.recent.last_reported = s.step;
    }

    /// The data checks, before the first step: reported, kept among the run's findings, and
    /// given to the monitors as the causes symptoms lead with.
    fn check_data(&mut self, sink: &mut dyn EventSink) {
        if !self.config.babysit {
            return;
        }
        let found = data_checks(&DataFacts {
            train: self.data.train,
            val: self.data.val,
            context: self.data.context,
            parameters: self.model.num_params(),
        });
        self.monitors.set_causes(Causes::new(&found));
        for f in found {
            self.emit(f, sink);
        }
    }

    /// True if every parameter is finite (checked before a checkpoint is written, so a kept
    /// checkpoint is always usable).
    fn weights_finite(&self) -> bool {
        let p = self.model.params();
        p.ids().all(|id| p.value(id).all_finite())
    }

    pub(super) fn run(
        mut self,
        sink: &mut dyn EventSink,
        interrupt: Option<&AtomicBool>,
    ) -> Result<RunSummary, TrainError> {
        let started = Instant::now();
        // The other workers wait for the next parallel product spinning, not asleep.
        let _awake = nnc_tape::workers::KeepAwake::new();
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
            self.resume_best()?;
            progress = load_checkpoint(path, self.model, &mut *self.optimizer)?;
        }
        let classes = self.model.output_width();
        sink.event(&Event::Started {
            parameters: self.model.num_params(),
            train_examples: self.data.train.len(),
            steps_per_epoch: self.steps_per_epoch as usize,
            total_steps: self.total_steps,
        });
        self.check_data(sink);

        let mut initial_loss = None;
        if progress.step == 0 {
            let (value, scores) = self.initial_loss()?;
            initial_loss = Some(value);
            if let Some(f) = self
                .monitors
                .initial_loss(self.loss, value, classes, &scores)
            {
                self.emit(f, sink);
            }
        }
        let (stop, step) = self.epochs(&mut progress, &started, sink, interrupt)?;
        let kept = self.choose_weights(&stop, step, sink)?;

        // Final evaluation of the kept weights, and end-of-run checks.
        self.tape.reset();
        let train_final = evaluate(self.model, self.loss, self.data.train, &mut self.tape)?;
        let val_final = match self.data.val {
            Some(v) if !v.is_empty() => Some(evaluate(self.model, self.loss, v, &mut self.tape)?),
            _ => None,
        };
        if !matches!(stop, StopReason::Diverged { .. }) {
            let counts = self.data.train.class_counts();
            let mut end = self.monitors.flush_activations(step);
            end.extend(
                self.monitors
                    .end_run(step, &train_final, val_final.as_ref(), &counts),
            );
            for f in end {
                self.emit(f, sink);
            }
        }
        sink.event(&Event::Stopped {
            step,
            reason: stop.clone(),
        });
        let last_val = self.history.iter().rev().find_map(|r| r.val);
        Ok(RunSummary {
            steps: step,
            epochs: self.progress(step).epoch,
            stop,
            train: train_final,
            val: val_final,
            best_val: (!progress.best.is_nan() && progress.best.is_finite())
                .then_some(progress.best),
            best: self.best_record.clone(),
            last_val,
            kept,
            findings: self.findings,
            history: self.history,
            initial_loss,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// The epoch loop, from `progress` on; returns why it stopped and the steps done.
    fn epochs(
        &mut self,
        progress: &mut RunProgress,
        started: &Instant,
        sink: &mut dyn EventSink,
        interrupt: Option<&AtomicBool>,
    ) -> Result<(StopReason, u64), TrainError> {
        let config = self.config;
        let mut stop = StopReason::Completed;
        let mut step = progress.step;
        self.recent.last_reported = step;
        let epochs = self.total_steps.div_ceil(self.steps_per_epoch);
        let mut lr = config.schedule.lr(self.progress(step));
        // A resumed run continues inside the epoch it stopped in.
        let start_epoch = step / self.steps_per_epoch;
        let skip = (step % self.steps_per_epoch) as usize;
        'epochs: for epoch in start_epoch..epochs {
            let mut sums = EpochSums::default();
            self.order.clear();
            self.order
                .extend(self.batcher.epoch(epoch).flatten().copied());
            let first = if epoch == start_epoch { skip } else { 0 };
            for b in first..self.batches.len() {
                if step >= self.total_steps {
                    break;
                }
                let asked = interrupt.is_some_and(|f| f.load(Ordering::Relaxed));
                if asked && self.parallel.is_none() {
                    stop = StopReason::Interrupted;
                    break;
                }
                // Data-parallel ranks learn of a stop through the step's exchange, and all
                // stop after it (one rank leaving alone would leave the others waiting).
                self.stop_asked = asked;
                let mut rows = &self.order[self.batches[b].clone()];
                if let Some(c) = &self.parallel {
                    let part = shard(rows.len(), c.rank(), c.size());
                    self.shard = Some(RowShard {
                        start: part.start,
                        global_rows: rows.len(),
                    });
                    rows = &rows[part];
                }
                self.data
                    .train
                    .fill_batch(rows, &mut self.xbuf, &mut self.ybuf)?;
                lr = config.schedule.lr(self.progress(step));
                let outcome = self.step(step, lr, &mut sums, sink)?;
                let (loss, penalty) = match &outcome {
                    StepOutcome::Updated { loss, penalty }
                    | StepOutcome::Diverged { loss, penalty, .. } => (*loss, *penalty),
                };
                let record = StepLoss {
                    step: step + 1,
                    epoch: self.progress(step + 1).epoch,
                    loss,
                    penalty,
                    lr,
                };
                self.recent.push(record);
                if let StepOutcome::Diverged { reason, .. } = outcome {
                    // The curve up to the blow-up, the diverging batch included.
                    for s in self.recent.unreported() {
                        self.report_step(s, started, sink);
                    }
                    stop = reason;
                    break 'epochs;
                }
                step += 1;
                if config.log_every_steps > 0 && step.is_multiple_of(config.log_every_steps) {
                    self.report_step(record, started, sink);
                }
                if self.stop_agreed {
                    stop = StopReason::Interrupted;
                    break;
                }
            }
            if sums.seen == 0 {
                // Nothing ran (interrupted at once, or the budget was already spent). With
                // `checkpoint_every_epochs` > 1 the last epochs may not be saved yet.
                if stop == StopReason::Interrupted && step > 0 {
                    self.save("last", *progress, sink)?;
                }
                break;
            }
            let interrupted = stop == StopReason::Interrupted;
            let end = self.end_epoch(step, lr, &sums, interrupted, progress, sink)?;
            if let Some(reason) = end {
                stop = reason;
                break;
            }
            if stop == StopReason::Interrupted || step >= self.total_steps {
                break;
            }
        }
        Ok((stop, step))
    }

    /// The end of an epoch (or of its part that ran): metrics, validation, the best weights,
    /// checkpoints, early stopping. Returns a reason to stop, if any.
    fn end_epoch(
        &mut self,
        step: u64,
        lr: f64,
        sums: &EpochSums,
        interrupted: bool,
        progress: &mut RunProgress,
        sink: &mut dyn EventSink,
    ) -> Result<Option<StopReason>, TrainError> {
        let config = self.config;
        let monitor = config.early_stop.map(|e| e.monitor);
        let has_val = self.data.val.is_some_and(|v| !v.is_empty());
        let whole_epoch = step.is_multiple_of(self.steps_per_epoch);
        let epoch_done = step / self.steps_per_epoch;
        let train_metrics = Metrics {
            loss: sums.loss / sums.seen as f64,
            accuracy: sums.correct as f64 / sums.seen as f64,
            examples: sums.seen,
        };
        let last_epoch = step >= self.total_steps;
        let evaluate_now = has_val
            && (last_epoch
                || (whole_epoch
                    && config.eval_every_epochs > 0
                    && epoch_done.is_multiple_of(config.eval_every_epochs)));
        let val = match self.data.val {
            Some(v) if evaluate_now => Some(evaluate(self.model, self.loss, v, &mut self.tape)?),
            _ => None,
        };
        sink.event(&Event::Evaluation {
            step,
            epoch: self.progress(step).epoch,
            train: train_metrics,
            val,
            activations: self.monitors.layer_stats(),
        });
        let record = EpochRecord {
            epoch: self.progress(step).epoch,
            step,
            train: train_metrics,
            val,
            lr,
        };
        self.history.push(record.clone());
        progress.step = step;
        progress.epoch = epoch_done;
        progress.optimizer_steps = step;
        if !self.weights_finite() {
            let f = self.monitors.explain(non_finite_parameters(step, lr));
            self.emit(f, sink);
            return Ok(Some(StopReason::Diverged {
                step,
                op: Some("update".into()),
                non_finite: true,
            }));
        }
        if self.track_best(progress, val, monitor) {
            if config.keep == Keep::Best {
                let into = self.best.take();
                self.best = Some(Snapshot::take(self.model, step, record.epoch, into));
            }
            self.best_record = Some(record);
            self.save("best", *progress, sink)?;
        }
        let early_stop = config
            .early_stop
            .is_some_and(|es| val.is_some() && progress.bad_evals >= es.patience);
        if last_epoch
            || early_stop
            || interrupted
            || epoch_done.is_multiple_of(config.checkpoint_every_epochs.max(1))
        {
            self.save("last", *progress, sink)?;
        }
        Ok(match config.early_stop {
            Some(es) if early_stop => Some(StopReason::EarlyStopped {
                patience: es.patience,
            }),
            _ => None,
        })
    }

    /// After the loop: the weights the run ends with. After a divergence, the weights the
    /// diverging step started from are written as `last_finite` when they are finite (else the
    /// last periodic checkpoint, always finite, is loaded back); then `keep best` puts back the
    /// best validation evaluation's weights.
    fn choose_weights(
        &mut self,
        stop: &StopReason,
        step: u64,
        sink: &mut dyn EventSink,
    ) -> Result<KeptWeights, TrainError> {
        // The tape may still hold the parameters of the last step.
        self.tape.reset();
        let epoch_of = |s: u64| s as f64 / self.steps_per_epoch as f64;
        let validated = self.data.val.is_some_and(|v| !v.is_empty());
        let mut kept = KeptWeights {
            which: "last".into(),
            step,
            epoch: epoch_of(step),
            reason: match self.config.keep {
                Keep::Last => "`keep last`".into(),
                Keep::Best if validated => "nothing was validated yet".into(),
                Keep::Best => "no validation split to choose the best by".into(),
            },
        };
        if matches!(stop, StopReason::Diverged { .. }) {
            let progress = RunProgress {
                step,
                epoch: step / self.steps_per_epoch,
                best: f64::NAN,
                bad_evals: 0,
                optimizer_steps: step,
            };
            if self.weights_finite() {
                self.save("last_finite", progress, sink)?;
                kept = KeptWeights {
                    which: "last_finite".into(),
                    step,
                    epoch: epoch_of(step),
                    reason: format!(
                        "the weights after step {step}, the last finite ones: the loss of step \
                         {} exploded with them",
                        step + 1
                    ),
                };
            } else if let Some(dir) = &self.config.checkpoint_dir
                && let last = dir.join("last.safetensors")
                && let Some(saved) = saved_step(&last)
            {
                load_weights(&last, self.model)?;
                kept = KeptWeights {
                    which: "last_finite".into(),
                    step: saved,
                    epoch: epoch_of(saved),
                    reason: format!(
                        "the run diverged and its weights became non-finite: the last \
                         checkpoint's, from step {saved}"
                    ),
                };
            } else {
                kept.reason = "the run diverged and no finite weights were saved: these weights \
                               are not usable"
                    .into();
            }
        }
        if self.config.keep == Keep::Best
            && let Some(best) = &self.best
        {
            best.restore(self.model)?;
            kept = KeptWeights {
                which: "best".into(),
                step: best.step,
                epoch: best.epoch,
                reason: "`keep best`".into(),
            };
        }
        Ok(kept)
    }

    /// On resume with `keep best`: the best weights so far, from `best.safetensors`.
    fn resume_best(&mut self) -> Result<(), TrainError> {
        let Some(dir) = &self.config.checkpoint_dir else {
            return Ok(());
        };
        let path = dir.join("best.safetensors");
        if self.config.keep != Keep::Best || !path.exists() {
            return Ok(());
        }
        let Some(step) = saved_step(&path) else {
            return Ok(());
        };
        load_weights(&path, self.model)?;
        let epoch = step as f64 / self.steps_per_epoch as f64;
        self.best = Some(Snapshot::take(self.model, step, epoch, None));
        Ok(())
    }

    /// Updates the best validation value and the early-stopping counter; returns whether this
    /// evaluation is the best so far. Without early stopping, the best follows the validation
    /// loss.
    fn track_best(
        &self,
        progress: &mut RunProgress,
        val: Option<Metrics>,
        monitor: Option<Monitor>,
    ) -> bool {
        let Some(v) = val else { return false };
        let (m, min_delta) = match monitor {
            Some(m) => (m, self.config.early_stop_min_delta),
            None => (Monitor::ValLoss, 0.0),
        };
        let value = match m {
            Monitor::ValLoss => v.loss,
            Monitor::ValAccuracy => v.accuracy,
        };
        if progress.best.is_nan() || m.improves_by(value, progress.best, min_delta) {
            progress.best = value;
            progress.bad_evals = 0;
            true
        } else {
            progress.bad_evals += 1;
            false
        }
    }
}

/// Refuses more `ranks` than the rows of the smallest of `batches`: every rank of a
/// data-parallel step needs at least one row.
pub(super) fn check_ranks(batches: &[Range<usize>], ranks: usize) -> Result<(), TrainError> {
    let Some(smallest) = batches.iter().map(|b| b.len()).min() else {
        return Ok(());
    };
    if smallest >= ranks {
        return Ok(());
    }
    let which = if smallest == batches[0].len() {
        "a batch"
    } else {
        "the epoch's last batch"
    };
    Err(TrainError::Config(format!(
        "{ranks} ranks share each batch, but {which} has only {smallest} rows: every rank \
         needs at least one; use fewer ranks or a larger `batch`"
    )))
}

/// The finding of an update that made a parameter non-finite while the loss was finite.
fn non_finite_parameters(step: u64, lr: f64) -> Finding {
    Finding::new(
        CheckKind::Divergence,
        Severity::Error,
        format!(
            "a parameter became non-finite in the update of step {step} while the loss was \
             still finite"
        ),
    )
    .at_step(step)
    .measure("lr", lr)
    .threshold("parameters must stay finite")
    .advice(format!(
        "lower the learning rate in the `optimizer` statement 3-10x (e.g. `lr: {:e}`), or add \
         `clip 1.0` to the train section",
        lr / 10.0
    ))
}
