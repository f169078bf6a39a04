//! Per-layer activation statistics over an epoch: dead ReLU units, saturated sigmoid/tanh
//! units, and the mean/std of every layer's output.
//!
//! A ReLU unit is *dead* if it was never positive for any example of the epoch: it passes no
//! gradient and will not recover. A sigmoid value is *saturated* below 0.01 or above 0.99, a tanh
//! value beyond ±0.99: the local gradient there is under 1 % of its maximum.

use super::finding::{CheckKind, Finding, Severity};
use nnc_tape::collective::Collective;
use serde::{Deserialize, Serialize};

/// What kind of output a traced layer produces, for the checks that apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// ReLU output (dead-unit check).
    Relu,
    /// Sigmoid output (saturation below 0.01 / above 0.99).
    Sigmoid,
    /// Tanh output (saturation beyond ±0.99).
    Tanh,
    /// Anything else (statistics only).
    Other,
}

/// Fraction of a layer's units (or values) above which a finding is reported.
pub const LAYER_FRACTION_THRESHOLD: f64 = 0.5;

/// Summary statistics of one layer's outputs over an epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerStats {
    /// The layer's name.
    pub layer: String,
    /// Its unit kind.
    pub kind: UnitKind,
    /// Mean of all output values.
    pub mean: f64,
    /// Standard deviation of all output values.
    pub std: f64,
    /// Fraction of units never active (ReLU only).
    pub dead_fraction: Option<f64>,
    /// Fraction of values in the saturated tails (sigmoid/tanh only).
    pub saturated_fraction: Option<f64>,
}

#[derive(Debug, Clone)]
struct LayerTrace {
    name: String,
    kind: UnitKind,
    ever_active: Vec<bool>,
    sum: f64,
    sum_sq: f64,
    values: u64,
    saturated: u64,
}

/// Accumulates activation statistics per traced layer over an epoch.
#[derive(Debug, Clone, Default)]
pub struct ActivationMonitor {
    layers: Vec<LayerTrace>,
}

impl ActivationMonitor {
    /// An empty monitor.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a batch of layer `index`'s outputs (`rows × cols`, row-major). Layers are
    /// identified by their position in the trace; the name and kind are taken on first sight.
    pub fn observe<T: Copy + Into<f64>>(
        &mut self,
        index: usize,
        name: &str,
        kind: UnitKind,
        values: &[T],
        cols: usize,
    ) {
        if self.layers.len() <= index {
            self.layers.resize_with(index + 1, || LayerTrace {
                name: String::new(),
                kind: UnitKind::Other,
                ever_active: Vec::new(),
                sum: 0.0,
                sum_sq: 0.0,
                values: 0,
                saturated: 0,
            });
        }
        let t = &mut self.layers[index];
        if t.name.is_empty() {
            t.name = name.to_string();
            t.kind = kind;
        }
        if t.ever_active.len() != cols {
            t.ever_active = vec![false; cols];
        }
        let (mut sum, mut sum_sq, mut sat) = (0.0, 0.0, 0u64);
        for row in values.chunks_exact(cols.max(1)) {
            for (j, &v) in row.iter().enumerate() {
                let v: f64 = v.into();
                sum += v;
                sum_sq += v * v;
                match kind {
                    UnitKind::Relu => {
                        if v > 0.0 {
                            t.ever_active[j] = true;
                        }
                    }
                    UnitKind::Sigmoid => sat += u64::from(!(0.01..=0.99).contains(&v)),
                    UnitKind::Tanh => sat += u64::from(v.abs() > 0.99),
                    UnitKind::Other => {}
                }
            }
        }
        t.sum += sum;
        t.sum_sq += sum_sq;
        t.values += values.len() as u64;
        t.saturated += sat;
    }

    /// Sums what every rank of `c` traced into each rank's monitor, so that all hold the
    /// statistics of the global batches (data-parallel training: each rank traces only its
    /// shard). Every rank must call it at the same step, with the same layers traced.
    pub fn sum_across(&mut self, c: &dyn Collective) {
        let mut wide = Vec::new();
        for t in &self.layers {
            wide.extend([t.sum, t.sum_sq, t.values as f64, t.saturated as f64]);
            wide.extend(t.ever_active.iter().map(|&a| f64::from(u8::from(a))));
        }
        c.sum(&mut wide);
        let mut it = wide.into_iter();
        for t in &mut self.layers {
            let mut next = || it.next().unwrap_or(0.0);
            t.sum = next();
            t.sum_sq = next();
            t.values = next() as u64;
            t.saturated = next() as u64;
            for a in t.ever_active.iter_mut() {
                *a = next() > 0.0;
            }
        }
    }

    /// The statistics of every traced layer so far.
    pub fn stats(&self) -> Vec<LayerStats> {
        self.layers
            .iter()
            .filter(|t| t.values > 0)
            .map(|t| {
                let n = t.values as f64;
                let mean = t.sum / n;
                let var = (t.sum_sq / n - mean * mean).max(0.0);
                let dead = (t.kind == UnitKind::Relu).then(|| {
                    t.ever_active.iter().filter(|&&a| !a).count() as f64
                        / t.ever_active.len().max(1) as f64
                });
                let saturated = matches!(t.kind, UnitKind::Sigmoid | UnitKind::Tanh)
                    .then(|| t.saturated as f64 / n);
                LayerStats {
                    layer: t.name.clone(),
                    kind: t.kind,
                    mean,
                    std: var.sqrt(),
                    dead_fraction: dead,
                    saturated_fraction: saturated,
                }
            })
            .collect()
    }

    /// Findings for layers with more than half their units dead or their values saturated,
    /// observed at `step` (0: at initialisation, as the doctor probes it).
    pub fn findings(&self, step: u64) -> Vec<Finding> {
        let mut out = Vec::new();
        for s in self.stats() {
            if let Some(dead) = s.dead_fraction.filter(|&d| d > LAYER_FRACTION_THRESHOLD) {
                out.push(
                    Finding::new(
                        CheckKind::DeadUnits,
                        Severity::Warning,
                        format!(
                            "{:.0} % of the ReLU units of `{}` never activated {}: they pass no \
                             gradient and will not recover",
                            dead * 100.0,
                            s.layer,
                            if step == 0 {
                                "on any probed example at initialisation"
                            } else {
                                "during the last epoch"
                            }
                        ),
                    )
                    .subject(s.layer.clone())
                    .at_step(step)
                    .measure("dead_fraction", dead)
                    .measure("mean", s.mean)
                    .threshold("at most 50 % of a layer's units dead")
                    .advice(format!(
                        "lower `lr` in the `optimizer` statement (a step too large knocks units \
                         off the data for good), check the layer before `{}` for a large \
                         negative `bias:` or a weight scale other than `he`, or write \
                         `leaky_relu` or `elu` in its place (their units keep a gradient)",
                        s.layer
                    )),
                );
            }
            if let Some(sat) = s
                .saturated_fraction
                .filter(|&v| v > LAYER_FRACTION_THRESHOLD)
            {
                let tails = if s.kind == UnitKind::Sigmoid {
                    "below 0.01 or above 0.99"
                } else {
                    "beyond ±0.99"
                };
                out.push(
                    Finding::new(
                        CheckKind::Saturation,
                        Severity::Warning,
                        format!(
                            "{:.0} % of the outputs of `{}` are saturated ({tails}): gradients \
                             through them nearly vanish",
                            sat * 100.0,
                            s.layer
                        ),
                    )
                    .subject(s.layer.clone())
                    .at_step(step)
                    .measure("saturated_fraction", sat)
                    .measure("std", s.std)
                    .threshold("at most 50 % of a layer's outputs saturated")
                    .advice(format!(
                        "the inputs of `{}` are too large: lower `lr` in the `optimizer` \
                         statement if they grew during training; if they start so, use `xavier` \
                         on the layer before it, normalise the data (`preprocess center, \
                         normalize`) or add `batchnorm` before it",
                        s.layer
                    )),
                );
            }
        }
        out
    }

    /// Clears the accumulated statistics (at the start of an epoch).
    pub fn reset(&mut self) {
        self.layers.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_and_saturated_layers_are_reported_and_healthy_ones_are_not() {
        let mut m = ActivationMonitor::new();
        // 4 units, 3 never active.
        m.observe(
            0,
            "fc1.relu",
            UnitKind::Relu,
            &[0.0f32, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0],
            4,
        );
        // Healthy ReLU: every unit active somewhere.
        m.observe(1, "fc2.relu", UnitKind::Relu, &[1.0f32, 0.0, 0.0, 3.0], 2);
        // Tanh mostly saturated.
        m.observe(
            2,
            "fc3.tanh",
            UnitKind::Tanh,
            &[0.999f32, -0.995, 0.2, -1.0],
            2,
        );
        let f = m.findings(7);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].check, CheckKind::DeadUnits);
        assert_eq!(f[0].subject.as_deref(), Some("fc1.relu"));
        assert_eq!(f[0].figure("dead_fraction"), Some(0.75));
        assert_eq!(f[1].check, CheckKind::Saturation);
        assert_eq!(f[1].figure("saturated_fraction"), Some(0.75));
        let s = m.stats();
        assert_eq!(s[1].dead_fraction, Some(0.0));
        assert!((s[1].mean - 1.0).abs() < 1e-12);
    }
}
