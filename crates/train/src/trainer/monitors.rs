//! The live babysitter of a run: the monitors of [`crate::babysit`] wired to the training loop,
//! with each (check, subject) reported at most once.

use crate::babysit::{
    ActivationMonitor, Causes, CheckKind, DivergenceMonitor, Finding, FlatLossMonitor, LayerStats,
    LossKind, ScoreFacts, Severity, UnitKind, UpdateRatioMonitor, chance_level_check,
    initial_loss_check_with, overfitting_check,
};
use crate::metrics::Metrics;
use nnc_ops::{Activation, LayerKind, LayerOutput, Loss};
use nnc_tape::collective::Collective;
use nnc_tape::{ParamId, Parameters, Tensor};
use std::collections::HashSet;
use std::sync::Arc;

/// The data-loss kind of an ops loss.
pub(crate) fn loss_kind(loss: Loss) -> LossKind {
    match loss {
        Loss::SoftmaxCrossEntropy => LossKind::Softmax,
        Loss::Svm { margin } => LossKind::Svm { margin },
        Loss::MeanSquaredError => LossKind::Mse,
    }
}

/// What the activation checks apply to a layer's output.
pub(crate) fn unit_kind(kind: LayerKind) -> UnitKind {
    match kind {
        LayerKind::Activation(Activation::Relu) => UnitKind::Relu,
        LayerKind::Activation(Activation::Sigmoid) => UnitKind::Sigmoid,
        LayerKind::Activation(Activation::Tanh) => UnitKind::Tanh,
        _ => UnitKind::Other,
    }
}

/// The monitors of one run.
pub(crate) struct LiveMonitors {
    enabled: bool,
    divergence: DivergenceMonitor,
    flat: FlatLossMonitor,
    activations: ActivationMonitor,
    ratios: UpdateRatioMonitor,
    /// Measure the update ratio every this many steps, in the window of steps where it tells
    /// whether the learning rate fits: after the first transient, before convergence shrinks
    /// every update.
    ratio_every: u64,
    ratio_window: std::ops::Range<u64>,
    snapshots: Vec<Tensor<f32>>,
    reported: HashSet<(CheckKind, Option<String>)>,
    /// Activation statistics are gathered over windows of this many steps (at least an epoch)…
    activation_window: u64,
    /// …on every this-many-th step, so that tracing costs about a tenth of the steps.
    trace_every: u64,
    /// Statistics of the last completed window.
    last_stats: Vec<LayerStats>,
    /// The data findings symptoms lead with.
    causes: Causes,
    /// Data-parallel training: the ranks whose traced shards make up the global batches.
    parallel: Option<Arc<dyn Collective>>,
}

impl LiveMonitors {
    pub(crate) fn new(enabled: bool, steps_per_epoch: u64, total_steps: u64) -> Self {
        // A flat-loss window of two epochs or a twentieth of the run, 20 to 500 steps.
        let window = (2 * steps_per_epoch).max(total_steps / 20).clamp(20, 500) as usize;
        LiveMonitors {
            enabled,
            divergence: DivergenceMonitor::default(),
            flat: FlatLossMonitor::new(window, 0.01),
            activations: ActivationMonitor::new(),
            ratios: UpdateRatioMonitor::new(),
            ratio_every: (total_steps / 500).max(1),
            ratio_window: (total_steps / 50).max(100)..(total_steps / 5).max(200),
            snapshots: Vec::new(),
            reported: HashSet::new(),
            activation_window: steps_per_epoch.max(50),
            trace_every: (steps_per_epoch.max(50) / 10).max(1),
            last_stats: Vec::new(),
            causes: Causes::default(),
            parallel: None,
        }
    }

    /// Data-parallel: activation statistics are those of the global batches, summed across
    /// the ranks of `c` whenever they are read.
    pub(crate) fn set_parallel(&mut self, c: Arc<dyn Collective>) {
        self.parallel = Some(c);
    }

    /// The activation monitor over the global batches: this rank's own, or (data-parallel)
    /// a copy with every rank's traces summed in.
    fn global_activations(&self) -> std::borrow::Cow<'_, ActivationMonitor> {
        match &self.parallel {
            Some(c) => {
                let mut all = self.activations.clone();
                all.sum_across(&**c);
                std::borrow::Cow::Owned(all)
            }
            None => std::borrow::Cow::Borrowed(&self.activations),
        }
    }

    /// Sets the data findings that symptom findings lead with.
    pub(crate) fn set_causes(&mut self, causes: Causes) {
        self.causes = causes;
    }

    /// Whether this step's layer outputs are traced for the activation statistics.
    pub(crate) fn trace_step(&self, step: u64) -> bool {
        self.enabled && step.is_multiple_of(self.trace_every)
    }

    /// Keeps a finding if its (check, subject) was not reported yet, leading with its cause.
    fn once(&mut self, f: Finding) -> Option<Finding> {
        self.reported
            .insert((f.check, f.subject.clone()))
            .then(|| self.causes.explain(f))
    }

    pub(crate) fn initial_loss(
        &mut self,
        loss: Loss,
        value: f64,
        classes: usize,
        scores: &ScoreFacts,
    ) -> Option<Finding> {
        if !self.enabled {
            return None;
        }
        initial_loss_check_with(value, loss_kind(loss), classes, scores).and_then(|f| self.once(f))
    }

    /// Divergence is checked even with the babysitter off: a diverged run must stop.
    pub(crate) fn divergence(&mut self, step: u64, loss: f64, lr: f64) -> Option<Finding> {
        let f = self.divergence.observe(step, loss, lr)?;
        Some(if self.enabled {
            self.causes.explain(f)
        } else {
            f
        })
    }

    /// A finding of the run itself (parameters that became non-finite), leading with its
    /// cause.
    pub(crate) fn explain(&self, f: Finding) -> Finding {
        self.causes.explain(f)
    }

    pub(crate) fn flat(&mut self, step: u64, loss: f64, lr: f64) -> Option<Finding> {
        if !self.enabled {
            return None;
        }
        let ratio = self.ratios.overall_median();
        let f = self
            .flat
            .observe(step, loss, lr, ratio)
            .and_then(|f| self.once(f))?;
        self.causes.add(&f);
        Some(f)
    }

    pub(crate) fn observe_layer(&mut self, layer: &LayerOutput, values: &[f32], cols: usize) {
        self.activations.observe(
            layer.index,
            &layer.name,
            unit_kind(layer.kind),
            values,
            cols,
        );
    }

    /// The activation statistics of the last completed window (or of the current one, before
    /// the first window completes).
    pub(crate) fn layer_stats(&self) -> Vec<LayerStats> {
        if self.last_stats.is_empty() {
            self.global_activations().stats()
        } else {
            self.last_stats.clone()
        }
    }

    /// After step `step` (1-based count of steps done): when a window of activation
    /// statistics completes, its dead/saturated findings, and a fresh window.
    /// Also reports the update/weight ratios as soon as their sampling window closes.
    pub(crate) fn after_step(&mut self, step: u64) -> Vec<Finding> {
        if !self.enabled {
            return Vec::new();
        }
        let mut found = Vec::new();
        if step == self.ratio_window.end {
            let ratios = self.ratios.findings(step);
            for f in &ratios {
                self.causes.add(f);
            }
            found.extend(ratios);
        }
        if step.is_multiple_of(self.activation_window) {
            let (activations, stats) = {
                let window = self.global_activations();
                (window.findings(step), window.stats())
            };
            for f in &activations {
                // Dead units explain the flat loss and vanishing updates that follow.
                self.causes.add(f);
            }
            found.extend(activations);
            self.last_stats = stats;
            self.activations.reset();
        }
        found.into_iter().filter_map(|f| self.once(f)).collect()
    }

    /// At the end of a run shorter than one window: the findings of what was traced.
    pub(crate) fn flush_activations(&mut self, step: u64) -> Vec<Finding> {
        if !self.enabled || !self.last_stats.is_empty() {
            return Vec::new();
        }
        let found = self.global_activations().findings(step);
        found.into_iter().filter_map(|f| self.once(f)).collect()
    }

    /// Snapshots the weights before an update when this step is sampled; returns whether it is.
    pub(crate) fn before_update(
        &mut self,
        step: u64,
        params: &Parameters<f32>,
        weights: &[ParamId],
    ) -> bool {
        if !self.enabled
            || !self.ratio_window.contains(&step)
            || !step.is_multiple_of(self.ratio_every)
        {
            return false;
        }
        self.snapshots
            .resize_with(weights.len(), || Tensor::zeros(&[0]));
        for (snap, &id) in self.snapshots.iter_mut().zip(weights) {
            let w = params.value(id);
            if snap.shape() != w.shape() {
                *snap = w.clone();
            } else {
                snap.data_mut().copy_from_slice(w.data());
            }
        }
        true
    }

    /// Records `‖w_after − w_before‖ / ‖w_before‖` for every weight, and returns them.
    pub(crate) fn after_update(
        &mut self,
        params: &Parameters<f32>,
        weights: &[ParamId],
    ) -> Vec<(String, f64)> {
        let mut measured = Vec::with_capacity(weights.len());
        for (snap, &id) in self.snapshots.iter().zip(weights) {
            let (mut d2, mut w2) = (0.0f64, 0.0f64);
            for (&b, &a) in snap.data().iter().zip(params.value(id).data()) {
                let (b, a) = (b as f64, a as f64);
                d2 += (a - b) * (a - b);
                w2 += b * b;
            }
            if w2 > 0.0 {
                let ratio = (d2 / w2).sqrt();
                self.ratios.record(params.name(id), ratio);
                measured.push((params.name(id).to_string(), ratio));
            }
        }
        measured
    }

    /// End-of-run checks: update ratios, chance-level accuracy (against the training
    /// split's majority-class rate), overfitting.
    pub(crate) fn end_run(
        &mut self,
        step: u64,
        train: &Metrics,
        val: Option<&Metrics>,
        class_counts: &[usize],
    ) -> Vec<Finding> {
        if !self.enabled {
            return Vec::new();
        }
        let mut out: Vec<Finding> = self.ratios.findings(step);
        for f in &out {
            self.causes.add(f);
        }
        let total: usize = class_counts.iter().sum();
        let majority = class_counts.iter().copied().max().unwrap_or(0) as f64 / total.max(1) as f64;
        if train.accuracy.is_finite()
            && let Some(f) = chance_level_check(train.accuracy, majority, class_counts.len())
        {
            out.push(f.at_step(step));
        }
        // A model that learned nothing does not overfit: a gap then is noise of two poor fits.
        let learned_nothing = out.iter().any(|f| f.check == CheckKind::ChanceLevel);
        if let Some(v) = val
            && v.examples > 0
            && !learned_nothing
            && let Some(f) = overfitting_check(train.accuracy, v.accuracy)
        {
            out.push(f.at_step(step));
        }
        out.into_iter()
            .filter(|f| f.severity >= Severity::Info)
            .filter_map(|f| self.once(f))
            .collect()
    }
}
