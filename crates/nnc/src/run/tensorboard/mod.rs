//! TensorBoard event files of a run: the curves of `metrics.jsonl`, the test metrics and the
//! babysitter's findings, written as the events arrive, so that `tensorboard --logdir runs/`
//! overlays every run. The tags:
//!
//! | tag | when | value |
//! |---|---|---|
//! | `loss/train_batch` | logged steps | the batch's data loss, before the update |
//! | `loss/penalty` | logged steps (with regularisation) | the penalty added to it (`λ·Σw²` for L2) |
//! | `lr` | logged steps | the learning rate |
//! | `steps_per_second` | logged steps | speed since the start |
//! | `loss/train`, `accuracy/train` | evaluations | over the epoch's batches |
//! | `loss/val`, `accuracy/val` | evaluations with a validation split | |
//! | `loss/test`, `accuracy/test` | the end, with a test split | |
//! | `activations/<layer>/{mean,std,dead,saturated}` | evaluations | the layer's statistics |
//! | `update_ratio/<weight>`, `update_ratio/median` | the steps the babysitter samples (about 90, between 2 % and 20 % of the run) | `‖Δw‖/‖w‖` of the step's update |
//! | `findings/<check>` | each finding (text) | the finding as `nnc run` prints it |
//!
//! Steps are the steps completed; the epoch records are those `metrics.jsonl` keeps. A search
//! writes one file per trial ([`sink::BoardSink`]) in `trials/<t>/` (`trials/<t>/fold-<k>/`
//! with k-fold validation) of its directory.

pub mod proto;
pub mod record;
pub mod sink;
pub mod writer;

use nnc_train::babysit::{Finding, LayerStats};
use nnc_train::metrics::Metrics;
use std::path::Path;
use writer::EventWriter;

/// The TensorBoard side of a run's event sink. Nothing is flushed until [`TensorBoard::flush`].
pub struct TensorBoard {
    writer: EventWriter,
    /// The latest step seen (findings without a step are filed there).
    step: u64,
}

impl TensorBoard {
    /// Creates the run's event file in `dir`.
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        Ok(TensorBoard {
            writer: EventWriter::create(dir)?,
            step: 0,
        })
    }

    /// The event file.
    pub fn path(&self) -> &Path {
        self.writer.path()
    }

    /// The first error writing the file, if any.
    pub fn write_error(&self) -> Option<&str> {
        self.writer.write_error.as_deref()
    }

    /// A logged step: data loss, penalty (when non-zero), learning rate and speed.
    pub fn step(&mut self, step: u64, loss: f64, penalty: f64, lr: f64, speed: f64) {
        self.step = step;
        let mut values = vec![("loss/train_batch".to_string(), loss)];
        if penalty != 0.0 {
            values.push(("loss/penalty".to_string(), penalty));
        }
        values.push(("lr".to_string(), lr));
        values.push(("steps_per_second".to_string(), speed));
        self.writer.scalars(step, &values);
    }

    /// An evaluation: the training (and validation) metrics and the activation statistics.
    pub fn evaluation(
        &mut self,
        step: u64,
        train: &Metrics,
        val: Option<&Metrics>,
        activations: &[LayerStats],
    ) {
        self.step = step;
        let mut values = metrics("train", train);
        if let Some(v) = val {
            values.extend(metrics("val", v));
        }
        for s in activations {
            let tag = |what: &str| format!("activations/{}/{what}", s.layer);
            values.push((tag("mean"), s.mean));
            values.push((tag("std"), s.std));
            if let Some(d) = s.dead_fraction {
                values.push((tag("dead"), d));
            }
            if let Some(d) = s.saturated_fraction {
                values.push((tag("saturated"), d));
            }
        }
        self.writer.scalars(step, &values);
    }

    /// A finding: its text under `findings/<check>`.
    pub fn finding(&mut self, f: &Finding) {
        let step = f.step.unwrap_or(self.step);
        let check = serde_json::to_value(f.check)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "other".to_string());
        self.writer
            .text(step, &format!("findings/{check}"), &f.to_string());
    }

    /// The update/weight ratios of one step: `update_ratio/<weight>` per weight tensor and
    /// `update_ratio/median`, their median (the figure the babysitter judges).
    pub fn update_ratios(&mut self, step: u64, ratios: &[(String, f64)]) {
        let mut values: Vec<(String, f64)> = ratios
            .iter()
            .map(|(name, r)| (format!("update_ratio/{name}"), *r))
            .collect();
        let mut sorted: Vec<f64> = ratios.iter().map(|(_, r)| *r).collect();
        sorted.sort_by(f64::total_cmp);
        if let Some(&median) = sorted.get(sorted.len() / 2) {
            values.push(("update_ratio/median".to_string(), median));
        }
        self.writer.scalars(step, &values);
    }

    /// The test split's metrics, evaluated once at the end (`step`: the steps completed).
    pub fn test(&mut self, step: u64, test: &Metrics) {
        self.writer.scalars(step, &metrics("test", test));
    }

    /// Flushes the file, so that TensorBoard (and a reader after a kill) sees every event so
    /// far.
    pub fn flush(&mut self) {
        self.writer.flush();
    }
}

/// `loss/<split>` and (for classifiers) `accuracy/<split>`.
fn metrics(split: &str, m: &Metrics) -> Vec<(String, f64)> {
    let mut values = vec![(format!("loss/{split}"), m.loss)];
    if !m.accuracy.is_nan() {
        values.push((format!("accuracy/{split}"), m.accuracy));
    }
    values
}

#[cfg(test)]
mod tests {
    use super::TensorBoard;
    use super::proto::{Data, Event, What};
    use nnc_train::babysit::{CheckKind, Finding, Severity};
    use prost::Message;

    #[test]
    fn a_finding_is_text_and_update_ratios_are_scalars_with_their_median() {
        let dir = std::env::temp_dir().join(format!("nnc-tb-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut tb = TensorBoard::create(&dir).unwrap();
        let finding = Finding::new(
            CheckKind::UpdateRatio,
            Severity::Warning,
            "updates too small",
        )
        .at_step(200)
        .measure("median_ratio", 2e-5);
        tb.finding(&finding);
        tb.update_ratios(
            200,
            &[
                ("dense1.weight".to_string(), 3e-5),
                ("dense2.weight".to_string(), 1e-5),
                ("dense3.weight".to_string(), 2e-5),
            ],
        );
        tb.flush();
        let bytes = std::fs::read(tb.path()).unwrap();
        let mut tags = Vec::new();
        for record in super::record::read_records(&bytes).unwrap() {
            let event = Event::decode(record).unwrap();
            if let Some(What::Summary(s)) = event.what {
                assert_eq!(event.step, 200);
                for v in s.value {
                    let value = match v.value {
                        Some(Data::SimpleValue(x)) => format!("{x:e}"),
                        Some(Data::Tensor(t)) => {
                            String::from_utf8(t.string_val[0].clone()).unwrap()
                        }
                        None => String::new(),
                    };
                    tags.push(format!("{} = {value}", v.tag));
                }
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            tags,
            [
                "findings/update_ratio = warning [update/weight ratio] step 200: updates too small",
                "update_ratio/dense1.weight = 3e-5",
                "update_ratio/dense2.weight = 1e-5",
                "update_ratio/dense3.weight = 2e-5",
                "update_ratio/median = 2e-5",
            ]
        );
    }
}
