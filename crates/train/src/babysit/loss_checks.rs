//! Checks on the loss curve: the initial loss, divergence, and a flat loss.

use super::finding::{CheckKind, Finding, Severity};
use serde::{Deserialize, Serialize};

/// The data loss a model is trained with (what the initial-loss check expects).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LossKind {
    /// Softmax cross-entropy: `−ln p_y`.
    Softmax,
    /// Multiclass SVM hinge with the given margin.
    Svm {
        /// The margin Δ.
        margin: f64,
    },
    /// Mean squared error (no class-count expectation).
    Mse,
}

/// The loss of a classifier whose scores are all (nearly) equal, as at initialisation with
/// small weights: `ln C` for softmax (each class gets probability 1/C) and `(C − 1)·Δ` for
/// the SVM (every wrong class violates the margin by Δ). `None` for MSE.
pub fn expected_initial_loss(kind: LossKind, classes: usize) -> Option<f64> {
    match kind {
        LossKind::Softmax => Some((classes as f64).ln()),
        LossKind::Svm { margin } => Some((classes as f64 - 1.0) * margin),
        LossKind::Mse => None,
    }
}

/// Relative tolerance of the initial-loss check.
pub const INITIAL_LOSS_TOLERANCE: f64 = 0.10;

/// Scores whose standard deviation is below this start "near 0", which is what the expected
/// value `ln C` assumes: a larger gap then comes from small scores that happen to line up with
/// the labels (a wide last layer on strongly structured data, two classes of unequal size),
/// not from the initialisation, and is not a finding. Weights ×10 (scores std ≥ 1) still are.
pub const SMALL_SCORES_STD: f64 = 0.5;

/// A learning rate to at most 3 significant digits, as one would write it (`1e-5`,
/// `2.5e-3`, `0.01`, `10`).
pub fn short_number(x: f64) -> String {
    let a = x.abs();
    if (1e-2..1e4).contains(&a) {
        let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
        let s = format!("{x:.decimals$}");
        return if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
    }
    let s = format!("{x:.2e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let m = mantissa.trim_end_matches('0').trim_end_matches('.');
            format!("{m}e{exp}")
        }
        None => s,
    }
}

/// What is known about the scores the initial loss was computed from: the layer that produced
/// them and their standard deviation (over every example and class).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoreFacts {
    /// The last layer with weights before the loss (e.g. `dense2`).
    pub layer: Option<String>,
    /// The standard deviation of the scores.
    pub std: Option<f64>,
}

/// Compares the data loss before any training step (regularisation off) with its expected
/// value; passes (severity info) within 10 %.
pub fn initial_loss_check(loss: f64, kind: LossKind, classes: usize) -> Option<Finding> {
    initial_loss_check_with(loss, kind, classes, &ScoreFacts::default())
}

/// [`initial_loss_check`] whose advice names the layer that feeds the loss and quotes the
/// scores' spread.
pub fn initial_loss_check_with(
    loss: f64,
    kind: LossKind,
    classes: usize,
    scores: &ScoreFacts,
) -> Option<Finding> {
    let expected = expected_initial_loss(kind, classes)?;
    let rel = (loss - expected).abs() / expected.max(f64::MIN_POSITIVE);
    let formula = match kind {
        LossKind::Softmax => format!("ln({classes})"),
        LossKind::Svm { margin } => format!("({classes} - 1) x {margin}"),
        LossKind::Mse => unreachable!(),
    };
    let mut base = Finding::new(CheckKind::InitialLoss, Severity::Info, "")
        .measure("loss", loss)
        .measure("expected", expected)
        .measure("relative_difference", rel)
        .threshold(format!(
            "within {:.0} % of {formula}, or scores with a std below {SMALL_SCORES_STD}",
            INITIAL_LOSS_TOLERANCE * 100.0
        ));
    if let Some(std) = scores.std {
        base = base.measure("score_std", std);
    }
    let message =
        format!("initial loss {loss:.4}, expected {expected:.4} = {formula} for {classes} classes");
    if rel <= INITIAL_LOSS_TOLERANCE && loss.is_finite() {
        return Some(Finding { message, ..base });
    }
    if let Some(std) = scores
        .std
        .filter(|s| *s < SMALL_SCORES_STD && loss.is_finite())
    {
        return Some(Finding {
            message: format!(
                "{message} ({:.0}% off, but the scores start near 0 (std {std:.3}): they line \
                 up with the labels by chance, the initialisation is fine)",
                rel * 100.0
            ),
            ..base
        });
    }
    let layer = scores
        .layer
        .as_deref()
        .map_or("the last layer".to_string(), |l| format!("`{l}`"));
    let advice = if loss > expected || !loss.is_finite() {
        let spread = scores
            .std
            .map_or(String::new(), |s| format!(" (their std is {s:.3})"));
        format!(
            "the scores should start near 0 for the loss to be {formula}, but the scores of \
             {layer} are large{spread}: write `init: small(0.01)` on {layer}, the layer that \
             feeds the loss (and check a `default init:` scale, if one is written); also check \
             that the labels are class indices 0..C-1"
        )
    } else {
        "the loss starts too low for random scores: check that the labels are not leaking \
         into the inputs (a column that encodes the label) and that the loss is averaged over \
         the batch"
            .to_string()
    };
    Some(Finding {
        severity: Severity::Warning,
        subject: scores.layer.clone(),
        message: format!("{message} ({:.0}% off)", rel * 100.0),
        advice,
        ..base
    })
}

/// How much to raise a learning rate that moves the weights by `ratio` of their size per
/// step (healthy: about 1e-3): the factor that brings it there, at least 10, rounded to a power
/// of ten; 10 when the ratio is unknown.
pub fn lr_raise_factor(ratio: Option<f64>) -> f64 {
    let wanted = ratio
        .filter(|r| *r > 0.0 && r.is_finite())
        .map_or(10.0, |r| 1e-3 / r);
    10f64.powf(wanted.log10().round()).clamp(10.0, 1e6)
}

/// "raise `lr` … 1000x (to 1e-4)": the advice of a flat loss.
fn raise_lr_advice(lr: f64, ratio: Option<f64>) -> String {
    let factor = lr_raise_factor(ratio);
    format!(
        "the learning rate is probably too low: raise `lr` in the `optimizer` statement about \
         {factor:.0}x (to {}){}, or run `nnc doctor` for a learning-rate range test; also check \
         that the data and labels line up",
        short_number(lr * factor),
        if ratio.is_some() {
            ", which brings the updates near 1e-3 of the weights"
        } else {
            ""
        }
    )
}

/// Watches for divergence: a non-finite loss; or a smoothed loss above 4× the best smoothed
/// loss so far and above the starting loss (so minibatch noise near zero does not count) for
/// `patience` consecutive steps (so a spike the optimiser recovers from does not count); or a
/// smoothed loss above 100× the best, at once.
#[derive(Debug, Clone)]
pub struct DivergenceMonitor {
    smoothed: Option<f64>,
    best: f64,
    first: Option<f64>,
    above: u32,
    /// Factor over the best loss that counts as divergence.
    pub factor: f64,
    /// Weight of the newest loss in the exponential moving average.
    pub smoothing: f64,
    /// Consecutive steps above the threshold before the run counts as diverged.
    pub patience: u32,
}

impl Default for DivergenceMonitor {
    fn default() -> Self {
        DivergenceMonitor {
            smoothed: None,
            best: f64::INFINITY,
            first: None,
            above: 0,
            factor: 4.0,
            smoothing: 0.3,
            patience: 20,
        }
    }
}

impl DivergenceMonitor {
    /// Observes the loss of `step` at learning rate `lr`; returns an error finding when the
    /// run has diverged.
    pub fn observe(&mut self, step: u64, loss: f64, lr: f64) -> Option<Finding> {
        let advice = format!(
            "lower the learning rate in the `optimizer` statement 3-10x (e.g. `lr: {}`), or add \
             `clip 1.0` to the train section to cap the gradient norm",
            short_number(lr / 10.0)
        );
        if !loss.is_finite() {
            return Some(
                Finding::new(
                    CheckKind::Divergence,
                    Severity::Error,
                    format!("the loss became {loss} at step {step} (learning rate {lr:e})"),
                )
                .at_step(step)
                .measure("loss", loss)
                .measure("lr", lr)
                .threshold("loss must stay finite")
                .advice(advice.clone()),
            );
        }
        let first = *self.first.get_or_insert(loss);
        let s = match self.smoothed {
            None => loss,
            Some(prev) => prev + self.smoothing * (loss - prev),
        };
        self.smoothed = Some(s);
        self.best = self.best.min(s);
        self.above = if s > self.factor * self.best && s > first {
            self.above + 1
        } else {
            0
        };
        let sustained = self.above >= self.patience;
        if sustained || (s > 100.0 * self.best && s > first) {
            let how = if sustained {
                format!(
                    "has stayed above {}x the best so far ({:.4}) and above the starting loss \
                     {first:.4} for {} steps",
                    self.factor, self.best, self.above
                )
            } else {
                format!(
                    "is more than 100x the best so far ({:.4}) and above the starting loss \
                     {first:.4}",
                    self.best
                )
            };
            return Some(
                Finding::new(
                    CheckKind::Divergence,
                    Severity::Error,
                    format!(
                        "the loss exploded at step {step}: smoothed loss {s:.4} {how} (learning \
                         rate {lr:e})"
                    ),
                )
                .at_step(step)
                .measure("loss", loss)
                .measure("smoothed_loss", s)
                .measure("best_loss", self.best)
                .measure("lr", lr)
                .threshold(format!("smoothed loss <= {}x the best so far", self.factor))
                .advice(advice),
            );
        }
        None
    }
}

/// Watches for a loss that does not decrease: after each window of steps, compares the mean
/// loss of the latest window with the mean of the first window; reports once if it has not
/// dropped by at least `min_decrease` (relative) — unless the loss had already fallen within
/// the first window (by more than 5 % from the first step's), which means the run learned
/// quickly and is now converged, not stuck.
#[derive(Debug, Clone)]
pub struct FlatLossMonitor {
    window: usize,
    min_decrease: f64,
    first_loss: Option<f64>,
    first_mean: Option<f64>,
    windows: usize,
    sum: f64,
    count: usize,
    fired: bool,
}

impl FlatLossMonitor {
    /// A monitor over windows of `window` steps requiring a relative decrease of
    /// `min_decrease` (e.g. 0.01).
    pub fn new(window: usize, min_decrease: f64) -> Self {
        FlatLossMonitor {
            window: window.max(1),
            min_decrease,
            first_loss: None,
            first_mean: None,
            windows: 0,
            sum: 0.0,
            count: 0,
            fired: false,
        }
    }

    /// Observes the loss of `step`. `update_ratio` (the typical ‖Δw‖/‖w‖, if measured) is
    /// added to the evidence.
    pub fn observe(
        &mut self,
        step: u64,
        loss: f64,
        lr: f64,
        update_ratio: Option<f64>,
    ) -> Option<Finding> {
        if !loss.is_finite() {
            return None;
        }
        let first_loss = *self.first_loss.get_or_insert(loss);
        self.sum += loss;
        self.count += 1;
        if self.count < self.window {
            return None;
        }
        let mean = self.sum / self.count as f64;
        self.sum = 0.0;
        self.count = 0;
        self.windows += 1;
        let Some(first) = self.first_mean else {
            self.first_mean = Some(mean);
            if mean < 0.95 * first_loss {
                self.fired = true; // learned within the first window: never flat from the start
            }
            return None;
        };
        let decrease = (first - mean) / first.abs().max(f64::MIN_POSITIVE);
        // Two windows past the first: a slow start (a deep net finding its way) is not flat.
        if self.fired || decrease >= self.min_decrease || self.windows < 3 {
            return None;
        }
        self.fired = true;
        let mut f = Finding::new(
            CheckKind::FlatLoss,
            Severity::Warning,
            format!(
                "the loss is not going down: mean {mean:.4} over steps {}-{} vs {first:.4} over \
                 the first {} ({:+.2} %) at learning rate {lr:e}",
                step + 1 - self.window as u64,
                step,
                self.window,
                -decrease * 100.0
            ),
        )
        .at_step(step)
        .measure("first_window_loss", first)
        .measure("last_window_loss", mean)
        .measure("relative_decrease", decrease)
        .measure("lr", lr)
        .threshold(format!(
            "loss must fall by {:.0} % per window of {} steps",
            self.min_decrease * 100.0,
            self.window
        ))
        .advice(raise_lr_advice(lr, update_ratio));
        if let Some(r) = update_ratio {
            f = f.measure("update_ratio", r);
            f.message.push_str(&format!(
                "; updates are {r:.1e} of the weights (healthy: ~1e-3)"
            ));
        }
        Some(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_loss_passes_near_ln_c_and_warns_far_from_it() {
        let ok = initial_loss_check(2.31, LossKind::Softmax, 10).unwrap();
        assert_eq!(ok.severity, Severity::Info);
        let bad = initial_loss_check(4.1, LossKind::Softmax, 10).unwrap();
        assert_eq!(bad.severity, Severity::Warning);
        assert!(bad.message.contains("initial loss 4.1000, expected 2.3026"));
        assert!(bad.advice.contains("init: small(0.01)"));
        let svm = initial_loss_check(9.0, LossKind::Svm { margin: 1.0 }, 10).unwrap();
        assert_eq!(svm.severity, Severity::Info);
        assert!(initial_loss_check(1.0, LossKind::Mse, 3).is_none());
    }

    #[test]
    fn numbers_and_factors_read_as_written() {
        assert_eq!(short_number(9.999999999999999e-6), "1e-5");
        assert_eq!(short_number(2.5e-3), "2.5e-3");
        assert_eq!(short_number(0.01), "0.01");
        assert_eq!(short_number(1.0), "1");
        assert_eq!(short_number(0.3), "0.3");
        assert_eq!(short_number(100.0), "100");
        assert_eq!(lr_raise_factor(None), 10.0);
        assert_eq!(lr_raise_factor(Some(2e-6)), 1000.0);
        assert_eq!(lr_raise_factor(Some(5e-4)), 10.0);
        // Small scores that miss ln C are not an init problem; large ones are.
        let small = ScoreFacts {
            layer: Some("dense2".into()),
            std: Some(0.2),
        };
        let f = initial_loss_check_with(0.807, LossKind::Softmax, 2, &small).unwrap();
        assert_eq!(f.severity, Severity::Info);
        let large = ScoreFacts {
            std: Some(1.3),
            ..small
        };
        let f = initial_loss_check_with(2.75, LossKind::Softmax, 10, &large).unwrap();
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.advice.contains("`init: small(0.01)` on `dense2`"));
    }

    #[test]
    fn divergence_fires_on_nan_and_on_explosion_but_not_on_noise() {
        let mut m = DivergenceMonitor::default();
        assert!(m.observe(0, 1.1, 0.1).is_none());
        assert!(m.observe(1, f64::NAN, 0.1).is_some());

        let mut m = DivergenceMonitor::default();
        for (i, l) in [1.1, 0.9, 0.5, 0.2, 0.05, 0.02].iter().enumerate() {
            assert!(m.observe(i as u64, *l, 0.1).is_none());
        }
        // Noise far above the best but below the starting loss is not divergence.
        assert!(m.observe(6, 0.5, 0.1).is_none());
        // A short spike that recovers is not divergence.
        for (i, l) in [2.0, 3.0, 0.3, 0.05, 0.02, 0.02, 0.02].iter().enumerate() {
            assert!(m.observe(7 + i as u64, *l, 0.1).is_none(), "spike at {i}");
        }
        let mut fired = None;
        for (i, l) in [5.0, 50.0, 500.0].iter().enumerate() {
            fired = fired.or(m.observe(20 + i as u64, *l, 0.1));
        }
        let f = fired.expect("explosion not caught");
        assert_eq!(f.severity, Severity::Error);
        assert!(f.message.contains("exploded"));
    }

    #[test]
    fn flat_loss_fires_once_when_the_loss_does_not_move() {
        let mut m = FlatLossMonitor::new(10, 0.01);
        let mut fired = 0;
        for step in 0..100 {
            let loss = 1.0986 - 1e-6 * step as f64;
            if m.observe(step, loss, 1e-7, Some(1e-9)).is_some() {
                fired += 1;
            }
        }
        assert_eq!(fired, 1);

        let mut m = FlatLossMonitor::new(10, 0.01);
        for step in 0..100 {
            let loss = 1.0986 * (-0.02 * step as f64).exp();
            assert!(m.observe(step, loss, 0.1, None).is_none());
        }
        // Converged within the first window, then flat at a low loss: not a flat-loss problem.
        let mut m = FlatLossMonitor::new(10, 0.01);
        for step in 0..100 {
            let loss = if step < 5 {
                1.0986 / (1 + step) as f64
            } else {
                0.014
            };
            assert!(m.observe(step, loss, 0.1, None).is_none());
        }
    }
}
