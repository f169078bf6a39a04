//! Checks over the course of a run: the update/weight ratio and the train/validation gap.

use super::finding::{CheckKind, Finding, Severity};

/// The healthy band of the typical `‖Δw‖ / ‖w‖` per step, measured early in training (between
/// 2 % and 20 % of the steps, at least 100 steps in). The CS231n notes advise about 1e-3 as a
/// rough guide; layers differ widely (a first layer with two inputs and He weights runs at
/// 3e-5 while the notes' own spiral recipe runs its output layer at 5e-2 early on), so the
/// judgement is on the median over all weight tensors, and the band is two decades either
/// side of 1e-3.
pub const UPDATE_RATIO_BAND: (f64, f64) = (1e-5, 1e-1);

/// Collects update/weight ratios per parameter and judges their median.
#[derive(Debug, Clone, Default)]
pub struct UpdateRatioMonitor {
    ratios: Vec<(String, Vec<f64>)>,
}

impl UpdateRatioMonitor {
    /// An empty monitor.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `‖Δw‖ / ‖w‖` of parameter `name` at one step.
    pub fn record(&mut self, name: &str, ratio: f64) {
        if !ratio.is_finite() {
            return;
        }
        match self.ratios.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => v.push(ratio),
            None => self.ratios.push((name.to_string(), vec![ratio])),
        }
    }

    /// The median ratio of each parameter, in first-seen order.
    pub fn medians(&self) -> Vec<(String, f64)> {
        self.ratios
            .iter()
            .map(|(n, v)| {
                let mut s = v.clone();
                s.sort_by(f64::total_cmp);
                (n.clone(), s[s.len() / 2])
            })
            .collect()
    }

    /// The median over all parameters' medians (the run's typical ratio).
    pub fn overall_median(&self) -> Option<f64> {
        let mut m: Vec<f64> = self.medians().into_iter().map(|(_, r)| r).collect();
        if m.is_empty() {
            return None;
        }
        m.sort_by(f64::total_cmp);
        Some(m[m.len() / 2])
    }

    /// One warning when the typical ratio lies outside the healthy band, with every weight's
    /// median as evidence.
    pub fn findings(&self, step: u64) -> Vec<Finding> {
        let (lo, hi) = UPDATE_RATIO_BAND;
        let Some(r) = self.overall_median() else {
            return Vec::new();
        };
        if (lo..=hi).contains(&r) {
            return Vec::new();
        }
        let factor = format!(
            "{:.0}",
            super::loss_checks::lr_raise_factor(Some(r.min(1e-3)))
        );
        let lower = format!("{:.0}", (r / 1e-3).clamp(3.0, 1e6));
        let (what, advice) = if r > hi {
            (
                "too large",
                format!(
                    "the learning rate is probably too high: lower `lr` in the `optimizer` \
                     statement about {lower}x (updates near 1e-3 of the weights are healthy)"
                ),
            )
        } else {
            (
                "too small",
                format!(
                    "the learning rate is probably too low: raise `lr` in the `optimizer` \
                     statement about {factor}x (updates near 1e-3 of the weights are healthy)"
                ),
            )
        };
        let table = self
            .medians()
            .iter()
            .map(|(n, m)| format!("{n} {m:.1e}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut f = Finding::new(
            CheckKind::UpdateRatio,
            Severity::Warning,
            format!(
                "updates are {what}: the typical update is {r:.1e} of the weights per step \
                 (healthy: about 1e-3); per weight: {table}"
            ),
        )
        .subject("weights")
        .at_step(step)
        .measure("median_ratio", r)
        .threshold(format!(
            "median ||dw||/||w|| over the weights within [{lo:e}, {hi:e}]"
        ))
        .advice(advice);
        for (n, m) in self.medians() {
            f = f.measure(n, m);
        }
        vec![f]
    }
}

/// The train/validation accuracy gap above which a run is called overfitting.
pub const OVERFITTING_GAP: f64 = 0.1;

/// Compares final training and validation accuracy.
pub fn overfitting_check(train_accuracy: f64, val_accuracy: f64) -> Option<Finding> {
    let gap = train_accuracy - val_accuracy;
    (gap > OVERFITTING_GAP).then(|| {
        Finding::new(
            CheckKind::Overfitting,
            Severity::Warning,
            format!(
                "training accuracy {:.1} % is {:.1} points above validation accuracy {:.1} %: \
                 the model is overfitting",
                train_accuracy * 100.0,
                gap * 100.0,
                val_accuracy * 100.0
            ),
        )
        .measure("train_accuracy", train_accuracy)
        .measure("val_accuracy", val_accuracy)
        .measure("gap", gap)
        .threshold(format!("gap at most {OVERFITTING_GAP}"))
        .advice(
            "regularise more (`regularize l2(…)` with a larger λ, or `dropout 0.5` after the \
             hidden activations), give training more rows, or use a smaller model",
        )
    })
}

/// The share of the room above the majority-class rate that training accuracy must cover to
/// count as learning: `accuracy > m + CHANCE_MARGIN · (1 − m)`, with `m` the majority rate
/// (0.4 for 3 balanced classes, 0.19 for 10, 0.955 when one class is 95 % of the rows).
pub const CHANCE_MARGIN: f64 = 0.1;

/// Reports a run whose final training accuracy is no better than always predicting the most
/// common class (`majority_rate`, e.g. 1/C for balanced classes), within [`CHANCE_MARGIN`] of
/// the room above it.
pub fn chance_level_check(
    train_accuracy: f64,
    majority_rate: f64,
    classes: usize,
) -> Option<Finding> {
    let bar = majority_rate + CHANCE_MARGIN * (1.0 - majority_rate);
    (train_accuracy <= bar).then(|| {
        Finding::new(
            CheckKind::ChanceLevel,
            Severity::Warning,
            format!(
                "the model learned nothing: training accuracy {:.1} % is chance level for {classes} \
                 classes (the most common class is {:.1} % of the data)",
                train_accuracy * 100.0,
                majority_rate * 100.0
            ),
        )
        .measure("train_accuracy", train_accuracy)
        .measure("majority_rate", majority_rate)
        .threshold(format!(
            "training accuracy above {:.1} % (the majority rate plus {:.0} % of the room above \
             it)",
            bar * 100.0,
            CHANCE_MARGIN * 100.0
        ))
        .advice(
            "run `nnc doctor` (its learning-rate range test and tiny-subset fit tell a learning \
             rate problem from a data problem), and check that the labels belong to the inputs",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::babysit::leakage_check;

    #[test]
    fn update_ratio_judges_the_median_over_weights() {
        let mut m = UpdateRatioMonitor::new();
        for r in [1e-3, 2e-3, 5e-1, 1.5e-3] {
            m.record("fc1.weight", r); // one outlier: the median stays healthy
        }
        for r in [3e-5, 2e-5, 3e-5] {
            m.record("fc2.weight", r); // one slow layer alone is not a finding
        }
        assert!(m.findings(10).is_empty());
        let mut slow = UpdateRatioMonitor::new();
        for name in ["fc1.weight", "fc2.weight", "fc3.weight"] {
            for r in [1e-8, 2e-8, 1e-8] {
                slow.record(name, r);
            }
        }
        let f = slow.findings(10);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("too small"));
        assert_eq!(f[0].figure("fc2.weight"), Some(1e-8));
    }

    #[test]
    fn overfitting_and_leakage() {
        assert!(overfitting_check(0.99, 0.95).is_none());
        let f = overfitting_check(1.0, 0.8).unwrap();
        assert!((f.figure("gap").unwrap() - 0.2).abs() < 1e-12);
        assert!(chance_level_check(0.34, 1.0 / 3.0, 3).is_some());
        assert!(chance_level_check(0.9, 1.0 / 3.0, 3).is_none());
        // With one class at 95 %, a perfect fit is not chance level, 95.2 % is.
        assert!(chance_level_check(1.0, 0.95, 2).is_none());
        assert!(chance_level_check(0.952, 0.95, 2).is_some());
        assert!(leakage_check(0, "train/val").is_none());
        assert_eq!(
            leakage_check(3, "train/val").unwrap().figure("duplicates"),
            Some(3.0)
        );
    }
}
