//! Checkpoints of a run: parameters, buffers, optimiser state and progress in one safetensors
//! file, so a run can be resumed with results identical to an uninterrupted one.

use super::error::TrainError;
use crate::checkpoint::{load_tensors, save_tensors};
use crate::optim::Optimizer;
use nnc_ops::Sequential;
use nnc_tape::Tensor;
use std::collections::BTreeMap;
use std::path::Path;

/// Where a run is, as saved in a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunProgress {
    /// Steps completed.
    pub step: u64,
    /// Epochs completed.
    pub epoch: u64,
    /// The best monitored validation value so far.
    pub best: f64,
    /// Evaluations since the best one.
    pub bad_evals: usize,
    /// The optimiser's own step counter.
    pub optimizer_steps: u64,
}

const OPT_PREFIX: &str = "optimizer.";

/// Writes the model, its buffers and the optimiser state, with progress as metadata.
pub fn save_checkpoint(
    path: &Path,
    model: &Sequential<f32>,
    optimizer: &dyn Optimizer<f32>,
    progress: RunProgress,
) -> Result<(), TrainError> {
    let params = model.params();
    let mut named: Vec<(String, Tensor<f32>)> = params
        .ids()
        .map(|id| (params.name(id).to_string(), params.value(id).clone()))
        .collect();
    named.extend(
        model
            .buffers()
            .map(|b| (b.name.to_string(), b.value.clone())),
    );
    let (opt, opt_steps) = optimizer.state(params);
    named.extend(
        opt.into_iter()
            .map(|(n, t)| (format!("{OPT_PREFIX}{n}"), t)),
    );
    let refs: Vec<(String, &Tensor<f32>)> = named.iter().map(|(n, t)| (n.clone(), t)).collect();
    let mut meta = BTreeMap::new();
    meta.insert("format".into(), "nnc-checkpoint-1".into());
    meta.insert("step".into(), progress.step.to_string());
    meta.insert("epoch".into(), progress.epoch.to_string());
    meta.insert("best".into(), format!("{:e}", progress.best));
    meta.insert("bad_evals".into(), progress.bad_evals.to_string());
    meta.insert("optimizer".into(), optimizer.name().into());
    meta.insert(
        "optimizer_steps".into(),
        opt_steps.max(progress.optimizer_steps).to_string(),
    );
    save_tensors(path, &refs, &meta)?;
    Ok(())
}

/// Saves only the parameters and buffers (the weights file users load elsewhere).
pub fn save_weights(
    path: &Path,
    model: &Sequential<f32>,
    extra: &[(String, Tensor<f32>)],
    metadata: &BTreeMap<String, String>,
) -> Result<(), TrainError> {
    let params = model.params();
    let mut refs: Vec<(String, &Tensor<f32>)> = params
        .ids()
        .map(|id| (params.name(id).to_string(), params.value(id)))
        .collect();
    refs.extend(model.buffers().map(|b| (b.name.to_string(), &b.value)));
    refs.extend(extra.iter().map(|(n, t)| (n.clone(), t)));
    save_tensors(path, &refs, metadata)?;
    Ok(())
}

/// Loads parameters and buffers saved by [`save_weights`] or [`save_checkpoint`] into a model
/// of the same architecture. Fails, naming it, if a parameter is missing or has another shape.
pub fn load_weights(path: &Path, model: &mut Sequential<f32>) -> Result<(), TrainError> {
    let file = load_tensors::<f32>(path)?;
    let ids: Vec<_> = model.params().ids().collect();
    for id in ids {
        let name = model.params().name(id).to_string();
        let t = file.get(&name).ok_or_else(|| {
            TrainError::Config(format!(
                "{}: no tensor `{name}`: the weights do not belong to this model",
                path.display()
            ))
        })?;
        check_shape(path, &name, model.params().value(id).shape(), t.shape())?;
        model.params_mut().set(id, t.clone())?;
    }
    let buffers: Vec<(String, Vec<usize>)> = model
        .buffers()
        .map(|b| (b.name.to_string(), b.value.shape().to_vec()))
        .collect();
    for (name, shape) in buffers {
        let t = file
            .get(&name)
            .ok_or_else(|| TrainError::Config(format!("{}: no buffer `{name}`", path.display())))?;
        check_shape(path, &name, &shape, t.shape())?;
        model.set_buffer(&name, t.clone())?;
    }
    Ok(())
}

/// Fails, naming the tensor and both shapes, when a saved tensor does not fit the model.
fn check_shape(
    path: &Path,
    name: &str,
    model: &[usize],
    saved: &[usize],
) -> Result<(), TrainError> {
    if model == saved {
        return Ok(());
    }
    Err(TrainError::Config(format!(
        "{}: `{name}` has shape {saved:?} but the model's `{name}` is {model:?}: the weights do not belong to this model",
        path.display()
    )))
}

/// Restores a checkpoint written by [`save_checkpoint`]; returns the saved progress.
pub fn load_checkpoint(
    path: &Path,
    model: &mut Sequential<f32>,
    optimizer: &mut dyn Optimizer<f32>,
) -> Result<RunProgress, TrainError> {
    load_weights(path, model)?;
    let file = load_tensors::<f32>(path)?;
    let meta = |k: &str| -> Result<&str, TrainError> {
        file.metadata.get(k).map(String::as_str).ok_or_else(|| {
            TrainError::Config(format!(
                "{}: not a training checkpoint (no `{k}` in its metadata)",
                path.display()
            ))
        })
    };
    let parse_err = |k: &str| TrainError::Config(format!("{}: bad `{k}` metadata", path.display()));
    let progress = RunProgress {
        step: meta("step")?.parse().map_err(|_| parse_err("step"))?,
        epoch: meta("epoch")?.parse().map_err(|_| parse_err("epoch"))?,
        best: meta("best")?.parse().map_err(|_| parse_err("best"))?,
        bad_evals: meta("bad_evals")?
            .parse()
            .map_err(|_| parse_err("bad_evals"))?,
        optimizer_steps: meta("optimizer_steps")?
            .parse()
            .map_err(|_| parse_err("optimizer_steps"))?,
    };
    let opt_state: Vec<(String, Tensor<f32>)> = file
        .tensors
        .iter()
        .filter_map(|(n, t)| {
            n.strip_prefix(OPT_PREFIX)
                .map(|n| (n.to_string(), t.clone()))
        })
        .collect();
    optimizer.load_state(model.params(), &opt_state, progress.optimizer_steps)?;
    Ok(progress)
}

/// The step a checkpoint was written at (`None` if the file is missing or not a checkpoint).
pub(super) fn saved_step(path: &Path) -> Option<u64> {
    load_tensors::<f32>(path)
        .ok()?
        .metadata
        .get("step")?
        .parse()
        .ok()
}
