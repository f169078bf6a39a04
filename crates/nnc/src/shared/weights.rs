//! `weights.safetensors`, as `nnc run` writes it and `nnc eval` reads it back.

use crate::exit::Failure;
use crate::exit::failure;
use nnc_data::FittedPipeline;
use nnc_ops::Sequential;
use nnc_tape::Tensor;
use nnc_train::trainer::save_weights;
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
