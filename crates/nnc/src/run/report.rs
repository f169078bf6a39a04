//! What `nnc run` says at the start and at the end, `summary.json`, and the plots.

use super::sink::History;
use crate::plots::{LineChart, Series, line_chart};
use crate::shared::numbers::group_digits;
use nnc_dsl::lower::Compiled;
use nnc_dsl::{Experiment, ModelFile};
use nnc_ops::Sequential;
use nnc_train::babysit::{Finding, Severity};
use nnc_train::classification::ClassificationReport;
use nnc_train::events::StopReason;
use nnc_train::metrics::{ConfusionMatrix, Metrics};
use nnc_train::trainer::KeptWeights;
use nnc_train::{RunSummary, TrainConfig};
use std::path::Path;

/// `data: 1257 train / 270 val / 270 test rows, 64 features, 10 classes`.
pub fn data_line(c: &Compiled) -> String {
    let s = &c.data.splits;
    let mut line = format!(
        "data: {} train / {} val / {} test rows, {} features, {} classes",
        s.train.len(),
        s.val.len(),
        s.test.len(),
        s.train.features(),
        s.train.classes()
    );
    if let Some((fold, k)) = c.data.fold {
        line.push_str(&format!(
            " (fold {} of {k}; `--fold K` picks another)",
            fold + 1
        ));
    }
    line
}

/// `model `digits_mlp`: 64 -> 10, 26,122 parameters (dense1 256, relu1, dense2 10)`.
pub fn model_line(e: &Experiment, m: &Sequential<f32>) -> String {
    let layers: Vec<String> = e.shapes.rows.iter().map(|r| r.layer.clone()).collect();
    format!(
        "model `{}`: {} -> {}, {} parameters ({})",
        e.name,
        m.input_width(),
        m.output_width(),
        group_digits(m.num_params() as u64),
        layers.join(" -> ")
    )
}

/// Everything the end of a run reports.
pub struct RunReport<'a> {
    /// The model file, checked and lowered.
    pub file: &'a ModelFile,
    /// The configuration trained with.
    pub config: &'a TrainConfig,
    /// The trainer's summary.
    pub summary: &'a RunSummary,
    /// Test metrics and confusion matrix, when there is a test split.
    pub test: Option<&'a (Metrics, ConfusionMatrix)>,
    /// The curves.
    pub history: &'a History,
    /// The run directory.
    pub dir: &'a Path,
    /// The file name of the TensorBoard event file, if one was written.
    pub tensorboard: Option<String>,
}

fn stop_words(stop: &StopReason) -> String {
    match stop {
        StopReason::Completed => "completed".into(),
        StopReason::EarlyStopped { patience } => {
            format!("stopped early: validation did not improve for {patience} evaluations")
        }
        StopReason::Diverged { step, op, .. } => match op {
            Some(op) => format!("DIVERGED at step {step} (blame: `{op}`)"),
            None => format!("DIVERGED at step {step}"),
        },
        StopReason::Interrupted => "interrupted (Ctrl-C)".into(),
    }
}

impl RunReport<'_> {
    fn steps_per_second(&self) -> f64 {
        self.summary.steps as f64 / self.summary.seconds.max(1e-9)
    }

    /// The final summary for people; `quiet` counts the babysitter's warnings instead of
    /// listing them (they are in `summary.json`).
    pub fn text(&self, quiet: bool) -> String {
        let s = self.summary;
        let name = &self.file.experiment().name;
        let ready = self
            .history
            .seconds_to_first_step
            .map_or(String::new(), |t| format!(" (first step after {t:.1} s)"));
        let mut t = format!(
            "run `{name}` {}: {} step{} ({:.1} epochs) in {:.1} s, {:.0} steps/s{ready}\n",
            stop_words(&s.stop),
            s.steps,
            if s.steps == 1 { "" } else { "s" },
            s.epochs,
            s.seconds,
            self.steps_per_second()
        );
        t.push_str(&format!(
            "  {:<6} {:>10} {:>10} {:>9}\n",
            "split", "data loss", "accuracy", "examples"
        ));
        let mut row = |split: &str, m: &Metrics| {
            t.push_str(&format!(
                "  {split:<6} {:>10.4} {:>9.2}% {:>9}\n",
                m.loss,
                100.0 * m.accuracy,
                m.examples
            ));
        };
        row("train", &s.train);
        if let Some(v) = &s.val {
            row("val", v);
        }
        if let Some((m, _)) = self.test {
            row("test", m);
        }
        if let Some(l) = s.initial_loss {
            t.push_str(&format!("  initial loss {l:.4}\n"));
        }
        if let Some(line) = self.best_line() {
            t.push_str(&format!("  {line}\n"));
        }
        t.push_str(&format!(
            "  weights.safetensors: {} ({})\n",
            kept_words(&s.kept),
            s.kept.reason
        ));
        t.push_str(&findings_text(&s.findings, quiet));
        t.push_str(&format!("run directory: {}\n", self.dir.display()));
        t
    }

    /// `best validation loss 0.0990 after epoch 12; the last evaluation (epoch 40) had 0.1181`.
    fn best_line(&self) -> Option<String> {
        let s = self.summary;
        let best = s.best.as_ref()?;
        let name = self.monitor_name();
        let pick = |m: &Metrics| {
            if name == "accuracy" {
                m.accuracy
            } else {
                m.loss
            }
        };
        let bv = pick(best.val.as_ref()?);
        let mut line = format!(
            "best validation {name} {bv:.4} after epoch {}",
            epoch_words(best.epoch)
        );
        if let (Some(last), Some(rec)) = (s.last_val, s.history.last())
            && rec.step != best.step
        {
            line.push_str(&format!(
                "; the last evaluation (epoch {}) had {:.4}",
                epoch_words(rec.epoch),
                pick(&last)
            ));
        }
        Some(line)
    }

    fn monitor_name(&self) -> &'static str {
        match self.config.early_stop.map(|e| e.monitor) {
            Some(nnc_train::Monitor::ValAccuracy) => "accuracy",
            _ => "loss",
        }
    }

    /// `summary.json`.
    pub fn json(&self) -> serde_json::Value {
        let s = self.summary;
        let e = &self.file.experiment();
        let splits = &self.file.compiled().data.splits;
        serde_json::json!({
            "model": e.name,
            "file": self.file.path().display().to_string(),
            "overrides": self.file.overrides().iter().map(|o| o.text.clone()).collect::<Vec<_>>(),
            "params": e.params.iter().map(|p| (p.name.clone(), p.value.clone())).collect::<std::collections::BTreeMap<_, _>>(),
            "seed": self.file.compiled().seed,
            "stop": s.stop,
            "steps": s.steps,
            "epochs": s.epochs,
            "seconds": s.seconds,
            "steps_per_second": self.steps_per_second(),
            "seconds_to_first_step": self.history.seconds_to_first_step,
            "ranks": crate::cluster::ranks(),
            "initial_loss": s.initial_loss,
            "best_val": s.best_val,
            "best": s.best.as_ref().map(|b| serde_json::json!({
                "epoch": b.epoch, "step": b.step, "val": b.val, "train_epoch": b.train,
            })),
            "last_val": s.last_val,
            "kept": s.kept,
            "train": s.train,
            "val": s.val,
            "test": self.test.map(|(m, _)| m),
            "test_confusion": self.test.map(|(_, c)| &c.counts),
            "test_report": self.test.map(|(_, c)| ClassificationReport::new(c, splits.train.class_names())),
            "classes": splits.train.class_names(),
            "data": {
                "train": splits.train.len(),
                "val": splits.val.len(),
                "test": splits.test.len(),
                "features": splits.train.features(),
                "classes": splits.train.classes(),
                "fold": self.file.compiled().data.fold.map(|(f, k)| serde_json::json!({"fold": f + 1, "of": k})),
                "leakage": self.file.compiled().data.leakage.total(),
            },
            "parameters": e.shapes.total_params,
            "findings": s.findings,
            "counts": counts(&s.findings),
            "files": {
                "model": "model.nn",
                "experiment": "experiment.json",
                "metrics": "metrics.jsonl",
                "weights": {"file": "weights.safetensors", "holds": s.kept.reason},
                "checkpoints": self.checkpoint_files(),
                "plots": ["loss.svg", "accuracy.svg", "activations.svg"],
                "tensorboard": self.tensorboard,
            },
        })
    }
}

impl RunReport<'_> {
    /// The checkpoints the run left, each with what it holds.
    fn checkpoint_files(&self) -> serde_json::Value {
        let dir = self.dir.join("checkpoints");
        let mut files = serde_json::Map::new();
        for (name, holds) in [
            (
                "last",
                "the latest periodic checkpoint (weights, optimiser state, progress): resume with it",
            ),
            ("best", "the weights of the best validation evaluation"),
            (
                "last_finite",
                "the weights the diverging step started from, the last finite ones",
            ),
        ] {
            let file = format!("{name}.safetensors");
            if dir.join(&file).exists() {
                files.insert(
                    format!("checkpoints/{file}"),
                    serde_json::Value::String(holds.into()),
                );
            }
        }
        serde_json::Value::Object(files)
    }
}

/// `best validation weights (epoch 12)`, `last step's weights (step 800)`.
fn kept_words(k: &KeptWeights) -> String {
    match k.which.as_str() {
        "best" => format!(
            "the best validation weights, epoch {}",
            epoch_words(k.epoch)
        ),
        "last_finite" => format!("the last finite weights, step {}", k.step),
        _ => format!("the last step's weights, step {}", k.step),
    }
}

/// An epoch count as people write it: `12`, or `0.38` for part of one.
fn epoch_words(e: f64) -> String {
    if e.fract() == 0.0 {
        format!("{e:.0}")
    } else {
        format!("{e:.2}")
    }
}

/// `{"errors": 1, "warnings": 2, "notes": 1}`: the findings the summary lists, by severity.
fn counts(findings: &[Finding]) -> serde_json::Value {
    let n = |pred: &dyn Fn(&Finding) -> bool| findings.iter().filter(|f| pred(f)).count();
    serde_json::json!({
        "errors": n(&|f| f.severity == Severity::Error),
        "warnings": n(&|f| f.severity == Severity::Warning),
        "notes": n(&|f| f.severity == Severity::Info && !f.advice.is_empty()),
    })
}

/// The babysitter's part of the summary: the counts of errors and warnings, then each of them
/// as printed when it happened (notes and passed checks were printed then; all are in
/// `summary.json`). `quiet` lists the errors only.
pub fn findings_text(findings: &[Finding], quiet: bool) -> String {
    let listed: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .collect();
    let count = |sev: Severity, one: &str, many: &str| {
        let k = listed.iter().filter(|f| f.severity == sev).count();
        (k > 0).then(|| format!("{k} {}", if k == 1 { one } else { many }))
    };
    let warnings = count(Severity::Warning, "warning", "warnings");
    let parts: Vec<String> = [count(Severity::Error, "error", "errors"), warnings.clone()]
        .into_iter()
        .flatten()
        .collect();
    let mut t = match (parts.is_empty(), quiet && warnings.is_some()) {
        (true, _) => "babysitter: no warnings\n".to_string(),
        (false, false) => format!("babysitter: {}\n", parts.join(", ")),
        (false, true) => format!(
            "babysitter: {} (the warnings are in summary.json)\n",
            parts.join(", ")
        ),
    };
    for f in listed {
        if quiet && f.severity < Severity::Error {
            continue;
        }
        for (i, line) in f.to_string().lines().enumerate() {
            t.push_str(if i == 0 { "  - " } else { "    " });
            t.push_str(line.trim_start());
            t.push('\n');
        }
    }
    t
}

/// Draws `loss.svg`, `accuracy.svg` and `activations.svg` into `dir`.
pub fn plots(dir: &Path, h: &History) -> Result<(), String> {
    let mut loss = vec![Series::new("train data loss (batch)", h.step_loss.clone())];
    if !h.step_objective.is_empty() {
        loss.push(Series::new(
            "train data loss + penalty (batch)",
            h.step_objective.clone(),
        ));
    }
    if !h.epoch_loss.is_empty() {
        loss.push(Series::new(
            "train data loss (epoch mean)",
            h.epoch_loss.clone(),
        ));
    }
    if !h.val_loss.is_empty() {
        loss.push(Series::new("val data loss", h.val_loss.clone()));
    }
    line_chart(
        &dir.join("loss.svg"),
        &LineChart {
            title: "loss",
            x_label: "step",
            y_label: "loss (data loss: without the penalty)",
            log_y: true,
            series: &loss,
        },
    )?;
    let mut accuracy = vec![Series::new(
        "train (over the epoch's batches)",
        h.train_accuracy.clone(),
    )];
    let title = if h.val_accuracy.is_empty() {
        "training accuracy (no validation split)"
    } else {
        accuracy.push(Series::new("validation", h.val_accuracy.clone()));
        "accuracy: train vs validation"
    };
    line_chart(
        &dir.join("accuracy.svg"),
        &LineChart {
            title,
            x_label: "epoch",
            y_label: "accuracy",
            log_y: false,
            series: &accuracy,
        },
    )?;
    let activations: Vec<Series> = h
        .activations
        .iter()
        .map(|(layer, points)| {
            Series::new(
                format!("{layer} std"),
                points.iter().map(|(e, s)| (*e, s.std)).collect(),
            )
        })
        .collect();
    line_chart(
        &dir.join("activations.svg"),
        &LineChart {
            title: "activation std per layer",
            x_label: "epoch",
            y_label: "std of the layer's outputs",
            log_y: true,
            series: &activations,
        },
    )
}
