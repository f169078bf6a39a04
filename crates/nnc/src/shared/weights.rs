//! `weights.safetensors`, as `nnc run` writes it and `nnc eval` reads it back.

use crate::exit::{Failure, USAGE, failure};
use crate::output::Output;
use nnc_data::FittedPipeline;
use nnc_dsl::ModelFile;
use nnc_ops::Sequential;
use nnc_tape::Tensor;
use nnc_train::checkpoint::{TensorFile, load_tensors};
use nnc_train::trainer::{load_weights, save_weights};
use std::collections::BTreeMap;
use std::path::Path;

/// Metadata key of the fitted preprocessing pipeline (JSON) in `weights.safetensors`.
pub const PREPROCESS_KEY: &str = "nnc.preprocess";
/// Metadata key of the class names (a JSON array).
pub const CLASSES_KEY: &str = "nnc.classes";

/// Writes `weights.safetensors`: parameters and buffers under their canonical names, the
/// preprocessing statistics (`preprocess.<i>.<step>.<statistic>`, as f32), and in the metadata
/// the fitted pipeline as JSON (exact, for `nnc eval`), the class names and the model name.
pub fn write_weights(
    path: &Path,
    model: &Sequential<f32>,
    pipeline: &FittedPipeline,
    classes: &[String],
    name: &str,
    seed: u64,
) -> Result<(), Failure> {
    let stats = pipeline.statistics().map_err(failure)?;
    let extra: Vec<(String, Tensor<f32>)> = stats
        .into_iter()
        .map(|(n, t)| {
            let data = t.data().iter().map(|&x| x as f32).collect();
            Tensor::from_vec(data, t.shape()).map(|t| (n, t))
        })
        .collect::<Result<_, _>>()
        .map_err(failure)?;
    let mut meta = BTreeMap::new();
    meta.insert("format".to_string(), "nnc-weights-1".to_string());
    meta.insert("nnc.model".to_string(), name.to_string());
    meta.insert("nnc.seed".to_string(), seed.to_string());
    meta.insert(PREPROCESS_KEY.to_string(), pipeline.to_json());
    meta.insert(
        CLASSES_KEY.to_string(),
        serde_json::to_string(classes).unwrap_or_default(),
    );
    save_weights(path, model, &extra, &meta).map_err(failure)
}

/// Reads a weights file (`weights.safetensors` of a run, or a checkpoint).
pub fn read_weights(weights: &Path) -> Result<TensorFile<f32>, Failure> {
    if weights.is_dir() {
        let inside = weights.join("weights.safetensors");
        let hint = if inside.is_file() {
            format!("the run's weights are `--weights {}`", inside.display())
        } else {
            "give the `weights.safetensors` of a run, or a checkpoint".to_string()
        };
        return Err(Failure::new(
            USAGE,
            format!(
                "--weights `{}` is a directory, not a weights file",
                weights.display()
            ),
        )
        .hint(hint));
    }
    load_tensors::<f32>(weights).map_err(|e| {
        Failure::new(USAGE, e.to_string()).hint("give the `weights.safetensors` of a run")
    })
}

/// The fitted preprocessing pipeline a weights file carries in its metadata (`None` for
/// weights saved without one).
pub fn saved_pipeline(file: &TensorFile<f32>) -> Result<Option<FittedPipeline>, Failure> {
    file.metadata
        .get(PREPROCESS_KEY)
        .map(|json| FittedPipeline::from_json(json).map_err(failure))
        .transpose()
}

/// The model of `model_file` (read from `model`) with the parameters and buffers of
/// `weights`; fails with a hint when the weights belong to another model.
pub fn trained_model(
    model_file: &ModelFile,
    model: &Path,
    weights: &Path,
) -> Result<Sequential<f32>, Failure> {
    let mut m = model_file.build().map_err(failure)?;
    load_weights(weights, &mut m).map_err(|e| {
        Failure::new(USAGE, e.to_string()).hint(format!(
            "use the weights with the model file they were trained from (`{}` builds `{}`)",
            model.display(),
            model_file.experiment().name
        ))
    })?;
    Ok(m)
}

/// Warns when a parameter holds NaN or infinite values (a ReLU even hides a NaN in the
/// outputs); `consequence` says what it spoils.
pub fn warn_non_finite(model: &Sequential<f32>, weights: &Path, consequence: &str, out: &Output) {
    let params = model.params();
    if let Some((name, bad)) = params
        .ids()
        .map(|id| {
            let v = params.value(id).data();
            (params.name(id), v.iter().filter(|x| !x.is_finite()).count())
        })
        .find(|&(_, bad)| bad > 0)
    {
        out.warn(&format!(
            "warning: `{name}` in {} holds {bad} NaN or infinite values: the run that saved it \
             diverged, or the file is corrupted; {consequence}",
            weights.display()
        ));
    }
}
