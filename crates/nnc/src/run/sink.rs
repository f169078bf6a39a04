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
use std::time::Instant;

/// Points kept per curve (longer runs are thinned evenly).
pub const MAX_POINTS: u64 = 500;
/// Epoch records kept in `metrics.jsonl` (longer runs are thinned evenly; evaluations of the
/// validation split are always kept).
pub const MAX_EPOCH_RECORDS: u64 = 1000;
/// Log lines a run prints about its steps when the file has no `log every:` (plain mode).
pub const DEFAULT_LOG_LINES: u64 = 10;
/// Epoch lines a run keeps on screen (longer runs print every n-th epoch, the first and the
/// last): about this many.
pub const EPOCH_LINES: u64 = 20;

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
    /// Seconds from the command's start to the first training step: reading and checking the
    /// file, loading, splitting and preprocessing the data, building the model.
    pub seconds_to_first_step: Option<f64>,
}

enum Display {
    /// On a terminal: the progress bar once the run has started (lines printed before it are
    /// plain lines).
    Bar(Option<ProgressBar>),
    /// Off a terminal: plain lines.
    Lines,
    /// `--quiet` or `--format json`.
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
    total_steps: u64,
    steps_per_epoch: u64,
    last_train: Option<Metrics>,
    last_val: Option<Metrics>,
    /// The first error writing `metrics.jsonl`, if any.
    pub write_error: Option<String>,
    has_val: bool,
    /// The TensorBoard event file, fed the records `metrics.jsonl` gets and the findings.
    pub tensorboard: Option<TensorBoard>,
    /// When the run started (for the epoch lines' times).
    started_at: Instant,
    /// Evaluations printed as epoch lines so far.
    epoch_lines: u64,
    /// The terminal width the bar's layout was made for.
    bar_width: usize,
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
            Display::Bar(None)
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
            total_steps: 0,
            steps_per_epoch: 1,
            last_train: None,
            last_val: None,
            write_error: None,
            has_val,
            tensorboard: None,
            started_at: Instant::now(),
            epoch_lines: 0,
            bar_width: 0,
        })
    }

    /// The step interval the trainer should report steps at (for the curves and the bar).
    pub fn record_every(total_steps: u64) -> u64 {
        total_steps.div_ceil(MAX_POINTS).max(1)
    }

    /// Prints `text` (one or more lines) on standard error: above the progress bar on a
    /// terminal (the bar is cleared, the lines written, the bar drawn again below them),
    /// broken to the terminal's width.
    fn line(&self, text: &str) {
        match &self.display {
            Display::Bar(Some(bar)) => bar.suspend(|| crate::output::line_err_wrapped(text)),
            Display::Bar(None) => crate::output::line_err_wrapped(text),
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
        if let Display::Bar(Some(bar)) = &self.display {
            bar.finish_and_clear();
        }
    }

    /// The bar's message: the epoch, the last evaluation's losses and accuracies and the speed,
    /// as many of them as fit in `room` columns (the least important dropped first).
    fn message(&self, epoch: f64, room: usize) -> String {
        let epochs = self.total_steps.div_ceil(self.steps_per_epoch);
        let mut fields = vec![(0, format!("epoch {}/{epochs}", epoch.floor() as u64))];
        if let Some(t) = self.last_train {
            fields.push((1, format!("loss {:.4}", t.loss)));
            if t.accuracy.is_finite() {
                fields.push((3, format!("acc {:.1}%", 100.0 * t.accuracy)));
            }
        }
        if let Some(v) = self.last_val {
            fields.push((2, format!("val loss {:.4}", v.loss)));
            if v.accuracy.is_finite() {
                fields.push((4, format!("val acc {:.1}%", 100.0 * v.accuracy)));
            }
        }
        if self.history.steps_per_second > 0.0 {
            let speed = format!("{:.0} steps/s", self.history.steps_per_second);
            fields.push((5, speed));
        }
        fit_fields(&fields, room)
    }

    /// Moves the bar to `step` with a message that fits the terminal's current width (the
    /// bar's layout is made again when the width changed).
    fn show_progress(&mut self, step: u64, epoch: f64) {
        let Display::Bar(Some(bar)) = &self.display else {
            return;
        };
        let bar = bar.clone();
        let width = usize::from(console::Term::stderr().size().1);
        let (template, room) = bar_layout(width, self.total_steps);
        if width != self.bar_width {
            self.bar_width = width;
            bar.set_style(
                ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
        }
        bar.set_position(step);
        bar.set_message(self.message(epoch, room));
    }

    /// Whether the evaluation of epoch `index` gets an epoch line: the first printed, the last
    /// and every n-th, about [`EPOCH_LINES`] over the run.
    fn epoch_line_due(&self, index: u64, last: bool) -> bool {
        let epochs = self.total_steps.div_ceil(self.steps_per_epoch);
        let every = epochs.div_ceil(EPOCH_LINES).max(1);
        last || index.is_multiple_of(every) || self.epoch_lines == 0
    }

    /// One line about an evaluation: epoch, data loss and accuracy on the training batches and
    /// the validation split, and the time since training started.
    fn epoch_line(&self, index: u64, train: &Metrics, val: Option<&Metrics>) -> String {
        let epochs = self.total_steps.div_ceil(self.steps_per_epoch);
        let mut line = format!("epoch {index}/{epochs}  loss {:.4}", train.loss);
        if train.accuracy.is_finite() {
            line.push_str(&format!("  acc {:.1}%", 100.0 * train.accuracy));
        }
        if let Some(v) = val {
            line.push_str(&format!("  val loss {:.4}", v.loss));
            if v.accuracy.is_finite() {
                line.push_str(&format!("  val acc {:.1}%", 100.0 * v.accuracy));
            }
        }
        line.push_str("  ");
        line.push_str(&elapsed_words(self.started_at.elapsed().as_secs_f64()));
        line
    }

    fn started(&mut self, parameters: usize, examples: usize, spe: usize, total: u64) {
        self.total_steps = total;
        self.steps_per_epoch = spe.max(1) as u64;
        self.thinning = EpochThinning::new(self.steps_per_epoch, total);
        self.started_at = Instant::now();
        let ready = crate::shared::started::seconds();
        self.history.seconds_to_first_step = Some(ready);
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
        let plural =
            |n: u64, one: &str| format!("{} {one}{}", group(n), if n == 1 { "" } else { "s" });
        self.out.note(&format!(
            "training {} parameters on {} examples: {} ({} of {}), ready after {:.2} s",
            group(parameters as u64),
            group(examples as u64),
            plural(total, "step"),
            plural(total.div_ceil(self.steps_per_epoch), "epoch"),
            plural(spe as u64, "step"),
            ready
        ));
        if let Display::Bar(_) = self.display {
            self.display = Display::Bar(Some(ProgressBar::new(total)));
            self.bar_width = 0;
            self.show_progress(0, 0.0);
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
            Display::Bar(_) => self.show_progress(step, epoch),
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
            Display::Bar(_) => {
                // The new figures first: printing the line above the bar redraws it with them
                // (a message set after would wait for the next throttled draw).
                self.show_progress(step, epoch);
                if self.epoch_line_due(index, last) {
                    self.epoch_lines += 1;
                    self.line(&self.epoch_line(index, train, val));
                }
            }
            // Off a terminal, runs with a validation split print their evaluations (the
            // others print step lines).
            Display::Lines if val.is_some() && self.epoch_line_due(index, last) => {
                self.epoch_lines += 1;
                crate::output::line_err(&self.epoch_line(index, train, val));
            }
            _ => {}
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
                if let Display::Bar(Some(bar)) = &self.display {
                    bar.finish_and_clear();
                }
            }
        }
    }
}

/// `fields` (an importance, 0 the most important, and a text) joined by two spaces in their
/// order, without the least important ones that do not fit in `room` columns.
pub fn fit_fields(fields: &[(u8, String)], room: usize) -> String {
    let mut keep = vec![true; fields.len()];
    let width = |keep: &[bool]| {
        let kept = fields.iter().zip(keep).filter(|(_, k)| **k);
        let (n, chars) = kept.fold((0usize, 0usize), |(n, c), ((_, t), _)| {
            (n + 1, c + t.chars().count())
        });
        chars + 2 * n.saturating_sub(1)
    };
    let mut order: Vec<usize> = (0..fields.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(fields[i].0));
    for i in order {
        if width(&keep) <= room {
            break;
        }
        keep[i] = false;
    }
    let kept = fields.iter().zip(&keep).filter(|(_, k)| **k);
    kept.map(|((_, t), _)| t.as_str())
        .collect::<Vec<_>>()
        .join("  ")
}

/// The progress bar's template on a terminal `width` columns wide, for a run of `total` steps,
/// and the columns left for its message: the bar narrows and the elapsed time goes as the
/// terminal narrows, and one column stays free.
pub fn bar_layout(width: usize, total: u64) -> (String, usize) {
    let counts = 2 * total.to_string().len() + 2;
    let (template, fixed) = if width >= 100 {
        (
            "{elapsed_precise} [{bar:30}] {pos}/{len} {msg}",
            9 + 33 + counts,
        )
    } else if width >= 64 {
        (
            "{elapsed_precise} [{bar:16}] {pos}/{len} {msg}",
            9 + 19 + counts,
        )
    } else if width >= 40 {
        ("[{bar:10}] {pos}/{len} {msg}", 13 + counts)
    } else {
        ("{pos}/{len} {msg}", counts)
    };
    (template.to_string(), width.saturating_sub(fixed + 1))
}

/// Seconds as the epoch lines show them: `4.2s`, `3m07s`, `1h02m`.
fn elapsed_words(secs: f64) -> String {
    let whole = secs as u64;
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else if whole < 3600 {
        format!("{}m{:02}s", whole / 60, whole % 60)
    } else {
        format!("{}h{:02}m", whole / 3600, whole % 3600 / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::{bar_layout, elapsed_words, fit_fields};

    #[test]
    fn the_bar_drops_fields_rather_than_cutting_them() {
        let fields = [
            (0, "epoch 11/100".to_string()),
            (1, "loss 0.0822".to_string()),
            (3, "acc 97.6%".to_string()),
            (2, "val loss 0.0712".to_string()),
            (4, "val acc 96.3%".to_string()),
            (5, "2941 steps/s".to_string()),
        ];
        assert_eq!(
            fit_fields(&fields, 200),
            "epoch 11/100  loss 0.0822  acc 97.6%  val loss 0.0712  val acc 96.3%  2941 steps/s"
        );
        assert_eq!(
            fit_fields(&fields, 45),
            "epoch 11/100  loss 0.0822  val loss 0.0712"
        );
        assert_eq!(fit_fields(&fields, 12), "epoch 11/100");
        assert_eq!(fit_fields(&fields, 5), "");
        for width in [30, 40, 64, 80, 100, 200] {
            let (template, room) = bar_layout(width, 10_000);
            // The drawn prefix: the elapsed time, the bar and the step counts.
            let bar: usize = template
                .split("{bar:")
                .nth(1)
                .and_then(|t| t.split('}').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let elapsed = if template.contains("elapsed") { 9 } else { 0 };
            let brackets = if bar > 0 { 3 } else { 0 };
            assert!(
                elapsed + bar + brackets + 12 + room < width,
                "{width}: {template}"
            );
        }
    }

    #[test]
    fn elapsed_times_are_short() {
        assert_eq!(elapsed_words(4.24), "4.2s");
        assert_eq!(elapsed_words(187.0), "3m07s");
        assert_eq!(elapsed_words(3725.0), "1h02m");
    }
}
