//! Small shared pieces of the doctor: a fixed batch of rows, the data loss of a model on it,
//! and a plain training step.

use crate::babysit::ScoreFacts;
use crate::optim::Optimizer;
use crate::trainer::{TrainError, step_rng};
use nnc_data::Dataset;
use nnc_ops::{ForwardCtx, Loss, Penalty, Sequential};
use nnc_tape::{Tape, Var};

/// Rows `indices` of `data` as a flat input buffer and labels.
pub(crate) fn rows(
    data: &Dataset,
    indices: &[usize],
) -> Result<(Vec<f32>, Vec<usize>), TrainError> {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    data.fill_batch(indices, &mut x, &mut y)?;
    Ok((x, y))
}

/// The forward pass of `model` on a batch in train mode with frozen buffers and no gradient
/// recording (the probes of an untrained model): the tape and the scores.
fn probe_forward(
    model: &mut Sequential<f32>,
    x: &[f32],
    rows: usize,
    seed: u64,
) -> Result<(Tape<f32>, Var), TrainError> {
    let mut tape = Tape::<f32>::new();
    tape.set_grad_enabled(false);
    let xv = tape.constant_from_slice(x, &[rows, model.input_width()])?;
    let mut r = step_rng(seed, u64::MAX);
    let mut ctx = ForwardCtx::train(&mut r).frozen_buffers();
    let scores = model.forward(&mut tape, xv, &mut ctx)?;
    Ok((tape, scores))
}

/// The data loss (plus `penalty`, if any) of `model` on a batch, in train mode with frozen
/// buffers and no gradient recording.
pub(crate) fn loss_on(
    model: &mut Sequential<f32>,
    loss: Loss,
    penalty: Option<Penalty>,
    x: &[f32],
    y: &[usize],
    seed: u64,
) -> Result<f64, TrainError> {
    let (mut tape, scores) = probe_forward(model, x, y.len(), seed)?;
    let mut l = loss.apply(&mut tape, scores, y)?;
    if let Some(p) = penalty {
        let ids = model.weight_ids();
        let r = p.apply(&mut tape, model.params(), &ids)?;
        l = tape.add(l, r)?;
    }
    Ok(tape.value(l).item()? as f64)
}

/// The data loss of the untrained `model` on a batch (as [`loss_on`], no penalty), with the
/// standard deviation of its scores and the layer that produced them: what the initial-loss
/// check judges.
pub(crate) fn initial_scores(
    model: &mut Sequential<f32>,
    loss: Loss,
    x: &[f32],
    y: &[usize],
    seed: u64,
) -> Result<(f64, ScoreFacts), TrainError> {
    let (mut tape, scores) = probe_forward(model, x, y.len(), seed)?;
    let l = loss.apply(&mut tape, scores, y)?;
    let s = tape.value(scores).data();
    let n = s.len().max(1) as f64;
    let mean = s.iter().map(|&v| v as f64).sum::<f64>() / n;
    let std = (s.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
    let layer = model
        .layers()
        .filter(|l| !l.weight_ids().is_empty())
        .last()
        .map(|l| l.name().to_string());
    Ok((
        tape.value(l).item()? as f64,
        ScoreFacts {
            layer,
            std: Some(std),
        },
    ))
}

/// One training step on a batch (train mode, no penalty); returns the loss before the update
/// and the number of correct predictions in the batch.
pub(crate) fn step(
    model: &mut Sequential<f32>,
    optimizer: &mut dyn Optimizer<f32>,
    tape: &mut Tape<f32>,
    loss: Loss,
    (x, y): (&[f32], &[usize]),
    lr: f64,
    rng_seed: (u64, u64),
) -> Result<(f64, usize), TrainError> {
    tape.reset();
    let xv = tape.constant_from_slice(x, &[y.len(), model.input_width()])?;
    let mut r = step_rng(rng_seed.0, rng_seed.1);
    let mut ctx = ForwardCtx::train(&mut r);
    let scores = model.forward(tape, xv, &mut ctx)?;
    let correct =
        crate::metrics::correct_predictions(tape.value(scores).data(), model.output_width(), y);
    let l = loss.apply(tape, scores, y)?;
    let value = tape.value(l).item()? as f64;
    if !value.is_finite() {
        tape.reset();
        return Ok((value, correct));
    }
    let grads = tape.backward(l)?;
    tape.reset();
    optimizer.step(model.params_mut(), &grads, lr)?;
    tape.recycle(grads);
    Ok((value, correct))
}
