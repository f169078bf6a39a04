//! What `nnc run` says at the start and at the end, `summary.json`, and the plots.

use super::sink::{History, finding_text};
use crate::commands::check::group_digits;
use crate::load::Loaded;
use crate::plots::{LineChart, Series, line_chart};
use nnc_dsl::Experiment;
use nnc_dsl::lower::Compiled;
use nnc_ops::Sequential;
use nnc_train::babysit::Severity;
use nnc_train::events::StopReason;
use nnc_train::metrics::{ConfusionMatrix, Metrics};
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
    /// The model file.
    pub loaded: &'a Loaded,
    /// The lowered experiment.
    pub compiled: &'a Compiled,
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

    /// The final summary for people.
    pub fn text(&self) -> String {
        let s = self.summary;
        let name = &self.loaded.checked.experiment.name;
        let mut t = format!(
            "run `{name}` {}: {} steps ({:.1} epochs) in {:.1} s, {:.0} steps/s\n",
            stop_words(&s.stop),
            s.steps,
            s.epochs,
            s.seconds,
            self.steps_per_second()
        );
        t.push_str(&format!(
            "  {:<6} {:>10} {:>10} {:>9}\n",
            "split", "loss", "accuracy", "examples"
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
            t.push_str(&format!("  initial loss {l:.4}"));
            if let Some(b) = s.best_val {
                t.push_str(&format!(", best validation {} {b:.4}", self.monitor_name()));
            }
            t.push('\n');
        }
        let serious: Vec<_> = s
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .collect();
        if serious.is_empty() {
            t.push_str("babysitter: no warnings\n");
        } else {
            t.push_str(&format!(
                "babysitter: {} warning{}\n",
                serious.len(),
                if serious.len() == 1 { "" } else { "s" }
            ));
            for f in serious {
                for (i, line) in finding_text(f).lines().enumerate() {
                    t.push_str(if i == 0 { "  - " } else { "    " });
                    t.push_str(line.trim_start());
                    t.push('\n');
                }
            }
        }
        t.push_str(&format!("run directory: {}\n", self.dir.display()));
        t
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
        let e = &self.loaded.checked.experiment;
        let splits = &self.compiled.data.splits;
        serde_json::json!({
            "model": e.name,
            "file": self.loaded.path.display().to_string(),
            "overrides": self.loaded.overrides.iter().map(|o| o.text.clone()).collect::<Vec<_>>(),
            "params": e.params.iter().map(|p| (p.name.clone(), p.value.clone())).collect::<std::collections::BTreeMap<_, _>>(),
            "seed": self.compiled.seed,
            "stop": s.stop,
            "steps": s.steps,
            "epochs": s.epochs,
            "seconds": s.seconds,
            "steps_per_second": self.steps_per_second(),
            "initial_loss": s.initial_loss,
            "best_val": s.best_val,
            "train": s.train,
            "val": s.val,
            "test": self.test.map(|(m, _)| m),
            "test_confusion": self.test.map(|(_, c)| &c.counts),
            "classes": splits.train.class_names(),
            "data": {
                "train": splits.train.len(),
                "val": splits.val.len(),
                "test": splits.test.len(),
                "features": splits.train.features(),
                "classes": splits.train.classes(),
                "fold": self.compiled.data.fold.map(|(f, k)| serde_json::json!({"fold": f + 1, "of": k})),
                "leakage": self.compiled.data.leakage.total(),
            },
            "parameters": e.shapes.total_params,
            "findings": s.findings,
            "files": {
                "model": "model.nn",
                "experiment": "experiment.json",
                "metrics": "metrics.jsonl",
                "weights": "weights.safetensors",
                "checkpoints": "checkpoints",
                "plots": ["loss.svg", "accuracy.svg", "activations.svg"],
            },
        })
    }
}

/// Draws `loss.svg`, `accuracy.svg` and `activations.svg` into `dir`.
pub fn plots(dir: &Path, h: &History) -> Result<(), String> {
    let mut loss = vec![Series::new("train (batch)", h.step_loss.clone())];
    if !h.epoch_loss.is_empty() {
        loss.push(Series::new("train (epoch mean)", h.epoch_loss.clone()));
    }
    if !h.val_loss.is_empty() {
        loss.push(Series::new("val", h.val_loss.clone()));
    }
    line_chart(
        &dir.join("loss.svg"),
        &LineChart {
            title: "loss",
            x_label: "step",
            y_label: "loss",
            log_y: true,
            series: &loss,
        },
    )?;
    let mut accuracy = vec![Series::new("train", h.train_accuracy.clone())];
    if !h.val_accuracy.is_empty() {
        accuracy.push(Series::new("val", h.val_accuracy.clone()));
    }
    line_chart(
        &dir.join("accuracy.svg"),
        &LineChart {
            title: "accuracy: train vs validation",
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
