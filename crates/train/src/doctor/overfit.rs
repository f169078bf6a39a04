//! Overfit a tiny subset: with regularisation off, a correct model and training setup must
//! fit 20 examples perfectly (CS231n: "make sure you can overfit very small portion of the
//! training data"). If it cannot, something between data, labels, model and optimiser is
//! broken.

use super::probe::step;
use crate::optim::OptimizerConfig;
use crate::trainer::TrainError;
use nnc_data::Dataset;
use nnc_ops::{Loss, Sequential};
use nnc_tape::Tape;

/// The outcome of an overfitting attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct OverfitResult {
    /// Steps run.
    pub steps: u64,
    /// Final training accuracy on the subset (train mode, last step).
    pub accuracy: f64,
    /// Final loss on the subset.
    pub loss: f64,
    /// The loss after each step.
    pub curve: Vec<(f64, f64)>,
}

impl OverfitResult {
    /// Whether the subset was fitted perfectly.
    pub fn passed(&self) -> bool {
        self.accuracy >= 1.0
    }
}

/// How to train in the overfitting test.
#[derive(Debug, Clone)]
pub struct OverfitSettings {
    /// The update rule.
    pub optimizer: OptimizerConfig,
    /// The learning rate.
    pub lr: f64,
    /// The step budget.
    pub max_steps: u64,
    /// Seed of the dropout masks.
    pub seed: u64,
}

/// Trains `model` on all rows of `subset` (full batch, no penalty) as `settings` say, stopping
/// once every example is classified correctly and the loss is below 0.01.
/// `labels_for_step(step, labels, out)` writes the labels used at each step — the identity for
/// a real check; tests use it to plant a label bug.
pub fn overfit_tiny_subset(
    model: &mut Sequential<f32>,
    loss: Loss,
    subset: &Dataset,
    settings: &OverfitSettings,
    mut labels_for_step: impl FnMut(u64, &[usize], &mut Vec<usize>),
) -> Result<OverfitResult, TrainError> {
    let OverfitSettings {
        ref optimizer,
        lr,
        max_steps,
        seed,
    } = *settings;
    let indices: Vec<usize> = (0..subset.len()).collect();
    let (x, y) = super::probe::rows(subset, &indices)?;
    let mut opt = optimizer.build::<f32>();
    let mut tape = Tape::new();
    let mut labels = Vec::with_capacity(y.len());
    let mut curve = Vec::new();
    let (mut last_loss, mut accuracy) = (f64::NAN, 0.0);
    let mut steps = 0;
    while steps < max_steps {
        labels.clear();
        labels_for_step(steps, &y, &mut labels);
        let (l, correct) = step(
            model,
            &mut *opt,
            &mut tape,
            loss,
            (&x, &labels),
            lr,
            (seed, steps),
        )?;
        steps += 1;
        last_loss = l;
        // Accuracy against the true labels: a planted label bug cannot fake success.
        accuracy = correct_against(model, &x, &y, correct, &labels);
        curve.push((steps as f64, l));
        if !l.is_finite() || (accuracy >= 1.0 && l < 0.01) {
            break;
        }
    }
    Ok(OverfitResult {
        steps,
        accuracy,
        loss: last_loss,
        curve,
    })
}

/// Accuracy of the last step's predictions against the true labels `y`: when the step's labels
/// equal `y`, the step's own count is used; otherwise the model is evaluated again.
fn correct_against(
    model: &mut Sequential<f32>,
    x: &[f32],
    y: &[usize],
    correct: usize,
    used: &[usize],
) -> f64 {
    if used == y {
        return correct as f64 / y.len().max(1) as f64;
    }
    let mut tape = Tape::<f32>::new();
    tape.set_grad_enabled(false);
    let Ok(xv) = tape.constant_from_slice(x, &[y.len(), model.input_width()]) else {
        return 0.0;
    };
    match model.forward(&mut tape, xv, &mut nnc_ops::ForwardCtx::eval()) {
        Ok(s) => {
            crate::metrics::correct_predictions(tape.value(s).data(), model.output_width(), y)
                as f64
                / y.len().max(1) as f64
        }
        Err(_) => 0.0,
    }
}
