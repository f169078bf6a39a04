//! Activation statistics at initialisation through depth: the mean and std of every layer's
//! output on a batch, before any training. With a bad initialisation the std collapses toward
//! zero (small weights, tanh) or explodes layer by layer — the classic experiment of the notes.

use super::{DoctorStep, Verdict};
use crate::babysit::{ActivationMonitor, CheckKind, Finding, LayerStats, Severity};
use crate::trainer::{TrainError, step_rng, unit_kind};
use nnc_ops::{ForwardCtx, LayerOutput, Sequential};
use nnc_tape::Tape;

/// Factor by which the last activation layer's std may differ from the first's.
pub const DEPTH_STD_FACTOR: f64 = 10.0;

/// Per-layer statistics at initialisation and what they show.
#[derive(Debug, Clone, PartialEq)]
pub struct DepthStats {
    /// One entry per layer output (fusion off, so every layer appears).
    pub layers: Vec<LayerStats>,
    /// Dead/saturated/collapse/explosion findings.
    pub findings: Vec<Finding>,
}

/// Runs `model` (fusion off) on the batch in train mode with frozen buffers and collects the
/// statistics of every layer's output.
pub fn activation_statistics(
    model: &mut Sequential<f32>,
    x: &[f32],
    y: &[usize],
    seed: u64,
) -> Result<DepthStats, TrainError> {
    let fusion = model.fusion();
    model.set_fusion(false);
    let mut tape = Tape::<f32>::new();
    tape.set_grad_enabled(false);
    let xv = tape.constant_from_slice(x, &[y.len(), model.input_width()])?;
    let mut r = step_rng(seed, u64::MAX - 1);
    let mut ctx = ForwardCtx::train(&mut r).frozen_buffers();
    let mut trace: Vec<LayerOutput> = Vec::new();
    let result = model.forward_traced(&mut tape, xv, &mut ctx, &mut trace);
    model.set_fusion(fusion);
    result?;
    let mut monitor = ActivationMonitor::new();
    for t in &trace {
        let v = tape.value(t.output);
        monitor.observe(t.index, &t.name, unit_kind(t.kind), v.data(), v.shape()[1]);
    }
    let layers = monitor.stats();
    let mut findings = monitor.findings(0);
    let acts: Vec<&LayerStats> = trace
        .iter()
        .zip(&layers)
        .filter(|(t, _)| t.kind.activation().is_some())
        .map(|(_, s)| s)
        .collect();
    if let (Some(first), Some(last)) = (acts.first(), acts.last())
        && acts.len() >= 2
        && first.std > 0.0
    {
        let ratio = last.std / first.std;
        let what = if ratio < 1.0 / DEPTH_STD_FACTOR {
            Some((
                "collapse",
                "the init scale is too small for this depth: use xavier (tanh/sigmoid) or he (relu), or add batchnorm",
            ))
        } else if ratio > DEPTH_STD_FACTOR {
            Some((
                "explode",
                "the init scale is too large for this depth: use xavier (tanh/sigmoid) or he (relu), or add batchnorm",
            ))
        } else {
            None
        };
        if let Some((verb, advice)) = what {
            findings.push(
                Finding::new(
                    CheckKind::ActivationStatistics,
                    Severity::Warning,
                    format!(
                        "activations {verb} through depth: std {:.3e} at `{}` but {:.3e} at `{}` \
                         ({ratio:.1e}x over {} activation layers)",
                        first.std,
                        first.layer,
                        last.std,
                        last.layer,
                        acts.len()
                    ),
                )
                .measure("first_std", first.std)
                .measure("last_std", last.std)
                .measure("ratio", ratio)
                .threshold(format!(
                    "last/first activation std within {}x",
                    DEPTH_STD_FACTOR
                ))
                .advice(advice),
            );
        }
    }
    Ok(DepthStats { layers, findings })
}

impl DepthStats {
    /// The statistics as a doctor step with a table.
    pub fn into_step(self) -> DoctorStep {
        let mut details = format!(
            "{:<16} {:>12} {:>12} {:>8}\n",
            "layer", "mean", "std", "flag"
        );
        for s in &self.layers {
            let flag = match (s.dead_fraction, s.saturated_fraction) {
                (Some(d), _) if d > 0.0 => format!("{:.0}% dead", d * 100.0),
                (_, Some(v)) if v > 0.0 => format!("{:.0}% sat", v * 100.0),
                _ => String::new(),
            };
            details.push_str(&format!(
                "{:<16} {:>12.4e} {:>12.4e} {:>8}\n",
                s.layer, s.mean, s.std, flag
            ));
        }
        let bad = self
            .findings
            .iter()
            .any(|f| f.severity >= Severity::Warning);
        let summary = if bad {
            self.findings
                .iter()
                .filter(|f| f.severity >= Severity::Warning)
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        } else {
            format!(
                "{} layers, std stays in range through depth",
                self.layers.len()
            )
        };
        DoctorStep {
            check: CheckKind::ActivationStatistics,
            verdict: if bad { Verdict::Warn } else { Verdict::Pass },
            summary,
            details,
            findings: self.findings,
            curve: Vec::new(),
        }
    }
}
