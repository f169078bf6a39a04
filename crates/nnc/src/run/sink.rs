//! What `nnc run` does with the trainer's events: a progress bar on a terminal (plain log
//! lines otherwise), findings printed as they happen, `metrics.jsonl`, the TensorBoard event
//! file ([`super::tensorboard`]), and the curves the plots are drawn from.

use super::tensorboard::TensorBoard;
use crate::output::Output;
use indicatif::{ProgressBar, ProgressStyle};
use nnc_train::babysit::{Finding, LayerStats, Severity};
use nnc_train::events::{Event, EventSink};
use nnc_train::metrics::Metrics;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Points kept per curve (longer runs are thinned evenly).
pub const MAX_POINTS: u64 = 500;
/// Epoch records kept in `metrics.jsonl` (longer runs are thinned evenly; evaluations of the
/// validation split are always kept).
pub const MAX_EPOCH_RECORDS: u64 = 1000;
/// Log lines a run prints about its steps when the file has no `log every:` (plain mode).
pub const DEFAULT_LOG_LINES: u64 = 10;

/// Which epoch records a run keeps: every one with a validation result, the last, and
/// evenly thinned others, at most [`MAX_EPOCH_RECORDS`].
#[derive(Debug, Clone, Copy)]
pub struct EpochThinning {
    every: u64,
    total_steps: u64,
}

impl Default for EpochThinning {
    fn default() -> Self {
        EpochThinning {
            every: 1,
            total_steps: u64::MAX,
        }
    }
}

impl EpochThinning {
    /// The thinning of a run of `total_steps` steps, `steps_per_epoch` per epoch.
    pub fn new(steps_per_epoch: u64, total_steps: u64) -> Self {
        let epochs = total_steps.div_ceil(steps_per_epoch.max(1));
        EpochThinning {
            every: epochs.div_ceil(MAX_EPOCH_RECORDS).max(1),
            total_steps,
        }
    }

    /// Whether the evaluation after `step` steps (epoch `epoch`) is kept.
    pub fn keeps(&self, step: u64, epoch: f64, has_val: bool) -> bool {
        has_val || step >= self.total_steps || (epoch.round() as u64).is_multiple_of(self.every)
    }
}

/// The curves of a run.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// `(step, batch data loss)` of logged steps.
    pub step_loss: Vec<(f64, f64)>,
    /// `(step, batch data loss + penalty)` of logged steps, when there is a penalty.
    pub step_objective: Vec<(f64, f64)>,
    /// `(step, mean training loss over the epoch)`.
    pub epoch_loss: Vec<(f64, f64)>,
    /// `(step, validation loss)`.
    pub val_loss: Vec<(f64, f64)>,
    /// `(epoch, training accuracy over the epoch)`.
    pub train_accuracy: Vec<(f64, f64)>,
    /// `(epoch, validation accuracy)`.
    pub val_accuracy: Vec<(f64, f64)>,
    /// Per layer: `(epoch, stats)`.
    pub activations: Vec<(String, Vec<(f64, LayerStats)>)>,
    /// The latest speed.
    pub steps_per_second: f64,
}

enum Display {
    Bar(ProgressBar),
    Lines,
    Silent,
}

/// The event sink of `nnc run`.
pub struct RunSink {
    out: Output,
    display: Display,
    metrics: Option<BufWriter<File>>,
    /// The curves so far.
    pub history: History,
    /// The findings so far.
    pub findings: Vec<Finding>,
    /// Steps between printed step lines (the file's `log every:`, else a tenth of the run).
    print_every: u64,
    next_print: u64,
    thinning: EpochThinning,
    evals_with_val: u64,
    total_steps: u64,
    steps_per_epoch: u64,
    last_train: Option<Metrics>,
    last_val: Option<Metrics>,
    /// The first error writing `metrics.jsonl`, if any.
    pub write_error: Option<String>,
    has_val: bool,
    /// The TensorBoard event file, fed the records `metrics.jsonl` gets and the findings.
    pub tensorboard: Option<TensorBoard>,
}

impl RunSink {
    /// A sink writing `metrics.jsonl` to `metrics` (if given); `log_every` is the file's
    /// logging period in steps (0: none); `has_val` says whether validation runs.
    pub fn new(
        out: Output,
        metrics: Option<&Path>,
        log_every: u64,
        has_val: bool,
    ) -> std::io::Result<Self> {
        let display = if out.interactive() {
            Display::Bar(ProgressBar::hidden())
        } else if out.quiet || out.json() {
            Display::Silent
        } else {
            Display::Lines
        };
        let metrics = match metrics {
            Some(p) => Some(BufWriter::new(File::create(p)?)),
            None => None,
        };
        Ok(RunSink {
            out,
            display,
            metrics,
            history: History::default(),
            findings: Vec::new(),
            print_every: log_every,
            next_print: log_every,
            thinning: EpochThinning::default(),
            evals_with_val: 0,
            total_steps: 0,
            steps_per_epoch: 1,
            last_train: None,
            last_val: None,
            write_error: None,
            has_val,
            tensorboard: None,
        })
    }

    /// The step interval the trainer should report steps at (for the curves and the bar).
    pub fn record_every(total_steps: u64) -> u64 {
        total_steps.div_ceil(MAX_POINTS).max(1)
    }

    fn line(&self, text: &str) {
        match &self.display {
            Display::Bar(bar) => bar.println(match crate::output::terminal_width(true) {
                Some(w) => crate::output::wrap(text, w),
                None => text.to_string(),
            }),
            Display::Lines => crate::output::line_err(text),
            Display::Silent => {}
        }
    }

    /// Appends one record to `metrics.jsonl` and flushes it, so that every record up to a
    /// divergence, a Ctrl-C or a kill is in the file.
    fn write_record(&mut self, value: serde_json::Value) {
        if let Some(w) = self.metrics.as_mut()
            && let Err(e) = writeln!(w, "{value}").and_then(|()| w.flush())
            && self.write_error.is_none()
        {
            self.write_error = Some(e.to_string());
        }
    }

    /// Writes the test split's metrics (evaluated after training, at `step`) to the
    /// TensorBoard event file.
    pub fn test(&mut self, step: u64, test: &Metrics) {
        if let Some(tb) = self.tensorboard.as_mut() {
            tb.test(step, test);
            tb.flush();
        }
    }

    /// Flushes `metrics.jsonl` and the event file.
    pub fn finish(&mut self) {
        if let Some(tb) = self.tensorboard.as_mut() {
            tb.flush();
        }
        if let Some(w) = self.metrics.as_mut()
            && let Err(e) = w.flush()
            && self.write_error.is_none()
        {
            self.write_error = Some(e.to_string());
        }
        if let Display::Bar(bar) = &self.display {
            bar.finish_and_clear();
        }
    }

    fn message(&self, epoch: f64) -> String {
        let epochs = self.total_steps.div_ceil(self.steps_per_epoch);
        let mut m = format!("epoch {}/{epochs}", epoch.floor() as u64);
        if let Some(t) = self.last_train {
            m.push_str(&format!(
                " loss {:.4} acc {:.1}%",
                t.loss,
                100.0 * t.accuracy
            ));
        }
        if let Some(v) = self.last_val {
            m.push_str(&format!(" | val {:.4} {:.1}%", v.loss, 100.0 * v.accuracy));
        }
        if self.history.steps_per_second > 0.0 {
            m.push_str(&format!(" | {:.0} steps/s", self.history.steps_per_second));
        }
        m
    }

    fn started(&mut self, parameters: usize, examples: usize, spe: usize, total: u64) {
        self.total_steps = total;
        self.steps_per_epoch = spe.max(1) as u64;
        self.thinning = EpochThinning::new(self.steps_per_epoch, total);
        if self.print_every == 0 {
            // Without `log every:`, runs with a validation split print their evaluations;
            // runs without one print about ten step lines.
            self.print_every = if self.has_val {
                u64::MAX
            } else {
                total.div_ceil(DEFAULT_LOG_LINES).max(1)
            };
            self.next_print = self.print_every;
        }
        let group = |n: u64| crate::shared::numbers::group_digits(n);
        self.out.note(&format!(
            "training {} parameters on {} examples: {} steps ({} epochs of {spe} steps)",
            group(parameters as u64),
            group(examples as u64),
            group(total),
            group(total.div_ceil(self.steps_per_epoch))
        ));
        if let Display::Bar(_) = self.display {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:20}] {pos}/{len} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            self.display = Display::Bar(bar);
        }
    }

    fn step(&mut self, step: u64, epoch: f64, loss: f64, penalty: f64, lr: f64, speed: f64) {
        self.history.step_loss.push((step as f64, loss));
        if penalty != 0.0 {
            self.history
                .step_objective
                .push((step as f64, loss + penalty));
        }
        self.history.steps_per_second = speed;
        if let Some(tb) = self.tensorboard.as_mut() {
            tb.step(step, loss, penalty, lr, speed);
            tb.flush();
        }
        self.write_record(serde_json::json!({
            "kind": "step", "step": step, "epoch": epoch, "loss": loss, "penalty": penalty,
            "lr": lr, "steps_per_second": speed,
        }));
        match &self.display {
            Display::Bar(bar) => {
                bar.set_position(step);
                bar.set_message(self.message(epoch));
            }
            Display::Lines if step >= self.next_print => {
                while self.next_print <= step {
                    self.next_print = self.next_print.saturating_add(self.print_every);
                }
                let penalty = if penalty != 0.0 {
                    format!(" (+ penalty {penalty:.4})")
                } else {
                    String::new()
                };
                crate::output::line_err(&format!(
                    "step {step}/{} epoch {epoch:.2}: data loss {loss:.4}{penalty}, lr {lr:.3e}, \
                     {speed:.0} steps/s",
                    self.total_steps
                ));
            }
            _ => {}
        }
    }

    fn evaluation(
        &mut self,
        step: u64,
        epoch: f64,
        train: &Metrics,
        val: Option<&Metrics>,
        activations: &[LayerStats],
    ) {
        let index = epoch.round() as u64;
        let last = step >= self.total_steps;
        let keep = self.thinning.keeps(step, epoch, val.is_some());
        self.last_train = Some(*train);
        if let Some(v) = val {
            self.last_val = Some(*v);
        }
        if keep {
            let x = step as f64;
            self.history.epoch_loss.push((x, train.loss));
            self.history.train_accuracy.push((epoch, train.accuracy));
            if let Some(v) = val {
                self.history.val_loss.push((x, v.loss));
                self.history.val_accuracy.push((epoch, v.accuracy));
            }
            for s in activations {
                let at = match self
                    .history
                    .activations
                    .iter()
                    .position(|(n, _)| *n == s.layer)
                {
                    Some(i) => i,
                    None => {
                        self.history.activations.push((s.layer.clone(), Vec::new()));
                        self.history.activations.len() - 1
                    }
                };
                self.history.activations[at].1.push((epoch, s.clone()));
            }
            if let Some(tb) = self.tensorboard.as_mut() {
                tb.evaluation(step, train, val, activations);
                tb.flush();
            }
            self.write_record(serde_json::json!({
                "kind": "epoch", "step": step, "epoch": epoch, "train": train, "val": val,
                "activations": activations,
            }));
        }
        match &self.display {
            Display::Bar(bar) => {
                bar.set_position(step);
                bar.set_message(self.message(epoch));
            }
            Display::Lines => {
                if let Some(v) = val {
                    self.evals_with_val += 1;
                    // At most ~20 lines about evaluations.
                    let epochs = self.total_steps.div_ceil(self.steps_per_epoch);
                    let every = epochs.div_ceil(20).max(1);
                    if last || index.is_multiple_of(every) || self.evals_with_val == 1 {
                        crate::output::line_err(&format!(
                            "epoch {index}: train loss {:.4} acc {:.2}% | val loss {:.4} acc \
                             {:.2}%",
                            train.loss,
                            100.0 * train.accuracy,
                            v.loss,
                            100.0 * v.accuracy
                        ));
                    }
                }
            }
            Display::Silent => {}
        }
    }

    /// A sampled step's update/weight ratios: a `metrics.jsonl` record and TensorBoard
    /// scalars.
    fn update_ratios(&mut self, step: u64, ratios: &[(String, f64)]) {
        if let Some(tb) = self.tensorboard.as_mut() {
            tb.update_ratios(step, ratios);
        }
        let ratios: serde_json::Map<String, serde_json::Value> = ratios
            .iter()
            .map(|(name, r)| (name.clone(), serde_json::json!(r)))
            .collect();
        self.write_record(serde_json::json!({
            "kind": "update_ratios", "step": step, "ratios": ratios,
        }));
    }

    fn finding(&mut self, f: &Finding) {
        self.findings.push(f.clone());
        if let Some(tb) = self.tensorboard.as_mut() {
            tb.finding(f);
            tb.flush();
        }
        self.out.record("finding", f);
        if f.severity >= Severity::Warning || !self.out.quiet {
            self.line(&f.to_string());
        }
    }
}

impl EventSink for RunSink {
    fn event(&mut self, event: &Event) {
        match event {
            Event::Started {
                parameters,
                train_examples,
                steps_per_epoch,
                total_steps,
            } => self.started(*parameters, *train_examples, *steps_per_epoch, *total_steps),
            Event::Step {
                step,
                epoch,
                loss,
                penalty,
                lr,
                steps_per_second,
            } => self.step(*step, *epoch, *loss, *penalty, *lr, *steps_per_second),
            Event::Evaluation {
                step,
                epoch,
                train,
                val,
                activations,
            } => self.evaluation(*step, *epoch, train, val.as_ref(), activations),
            Event::UpdateRatios { step, ratios } => self.update_ratios(*step, ratios),
            Event::Finding(f) => self.finding(f),
            Event::Checkpoint { .. } => {}
            Event::Stopped { .. } => {
                if let Display::Bar(bar) = &self.display {
                    bar.finish_and_clear();
                }
            }
        }
    }
}
