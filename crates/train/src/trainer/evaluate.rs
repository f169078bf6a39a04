//! Evaluation: a model's data loss and accuracy on a dataset, in eval mode, without recording
//! gradients.

use super::error::TrainError;
use crate::metrics::{ConfusionMatrix, Metrics, argmax_rows, correct_predictions};
use nnc_data::Dataset;
use nnc_ops::{ForwardCtx, Loss, Sequential};
use nnc_tape::{Float, Tape, Tensor};

/// Rows evaluated per forward pass.
pub const EVAL_BATCH: usize = 1024;

/// Mean data loss (no penalty) and accuracy of `model` on `data`, in eval mode (dropout off,
/// batch norm on running statistics), in batches of [`EVAL_BATCH`] rows.
pub fn evaluate<T: Float>(
    model: &mut Sequential<T>,
    loss: Loss,
    data: &Dataset,
    tape: &mut Tape<T>,
) -> Result<Metrics, TrainError> {
    let (metrics, _) = evaluate_inner(model, loss, data, tape, false)?;
    Ok(metrics)
}

/// What `model` outputs for preprocessed rows `inputs` (`[n, features]`), in eval mode
/// without recording gradients, in one pass: class probabilities for a model trained with
/// softmax cross-entropy, class scores otherwise ([`Loss::outputs`]). Row `i`'s predicted
/// class is the argmax of row `i`.
pub fn predict<T: Float>(
    model: &mut Sequential<T>,
    loss: Loss,
    inputs: Tensor<T>,
    tape: &mut Tape<T>,
) -> Result<Tensor<T>, TrainError> {
    let was = tape.grad_enabled();
    tape.set_grad_enabled(false);
    tape.reset();
    let x = tape.constant(inputs);
    let scores = model.forward(tape, x, &mut ForwardCtx::eval());
    let scores = scores.map(|s| tape.value(s).clone());
    tape.reset();
    tape.set_grad_enabled(was);
    Ok(loss.outputs(scores?)?)
}

/// [`evaluate`] plus the confusion matrix.
pub fn evaluate_confusion<T: Float>(
    model: &mut Sequential<T>,
    loss: Loss,
    data: &Dataset,
    tape: &mut Tape<T>,
) -> Result<(Metrics, ConfusionMatrix), TrainError> {
    let (m, cm) = evaluate_inner(model, loss, data, tape, true)?;
    Ok((m, cm.expect("requested")))
}

fn evaluate_inner<T: Float>(
    model: &mut Sequential<T>,
    loss: Loss,
    data: &Dataset,
    tape: &mut Tape<T>,
    confusion: bool,
) -> Result<(Metrics, Option<ConfusionMatrix>), TrainError> {
    let classes = model.output_width();
    let mut cm = confusion.then(|| ConfusionMatrix::new(classes));
    let was = tape.grad_enabled();
    tape.set_grad_enabled(false);
    let d = data.features();
    let (mut loss_sum, mut correct) = (0.0, 0usize);
    let mut xbuf: Vec<T> = Vec::new();
    let result = (|| {
        for start in (0..data.len()).step_by(EVAL_BATCH) {
            let end = (start + EVAL_BATCH).min(data.len());
            tape.reset();
            xbuf.clear();
            for i in start..end {
                xbuf.extend(data.row(i).iter().map(|&v| T::from_f64(v as f64)));
            }
            let labels = &data.labels()[start..end];
            let x = tape.constant_from_slice(&xbuf, &[end - start, d])?;
            let scores = model.forward(tape, x, &mut ForwardCtx::eval())?;
            let l = loss.apply(tape, scores, labels)?;
            loss_sum += tape.value(l).item()?.to_f64() * (end - start) as f64;
            let s = tape.value(scores).data();
            correct += correct_predictions(s, classes, labels);
            if let Some(cm) = cm.as_mut() {
                cm.add(&argmax_rows(s, classes), labels);
            }
        }
        Ok::<(), TrainError>(())
    })();
    tape.reset();
    tape.set_grad_enabled(was);
    result?;
    let n = data.len().max(1) as f64;
    Ok((
        Metrics {
            loss: loss_sum / n,
            accuracy: correct as f64 / n,
            examples: data.len(),
        },
        cm,
    ))
}
