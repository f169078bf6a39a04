//! The run directory: where it goes, and the files written before and after training.
//!
//! ```text
//! runs/<model>/<n>/
//!   model.nn              the model file as run (`nnc_dsl::resolve`: overridden params and
//!                         data paths rewritten, a header comment)
//!   experiment.json       the resolved experiment (every default filled in)
//!   metrics.jsonl         one JSON object per logged step and per (thinned) epoch
//!   summary.json          metrics, timings, findings, data and run settings
//!   weights.safetensors   parameters, buffers and preprocessing statistics
//!   checkpoints/          last.safetensors and best.safetensors (resumable)
//!   loss.svg accuracy.svg activations.svg
//! ```

use crate::commands::failure;
use crate::exit::Failure;
use nnc_data::FittedPipeline;
use nnc_ops::Sequential;
use nnc_tape::Tensor;
use nnc_train::trainer::save_weights;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Metadata key of the fitted preprocessing pipeline (JSON) in `weights.safetensors`.
pub const PREPROCESS_KEY: &str = "nnc.preprocess";
/// Metadata key of the class names (a JSON array).
pub const CLASSES_KEY: &str = "nnc.classes";

/// The files a run writes into its directory.
const RUN_FILES: [&str; 10] = [
    "model.nn",
    "experiment.json",
    "metrics.jsonl",
    "summary.json",
    "weights.safetensors",
    "checkpoints/last.safetensors",
    "checkpoints/best.safetensors",
    "loss.svg",
    "accuracy.svg",
    "activations.svg",
];

/// Creates the run directory: `out` when given (it may exist, but not hold another run or any
/// file a run writes), else the first free `runs/<model>/<n>/` (n = 1, 2, ...).
pub fn create_run_dir(out: Option<&Path>, model: &str) -> Result<PathBuf, Failure> {
    let cannot =
        |p: &Path, e: std::io::Error| failure(format!("cannot create `{}`: {e}", p.display()));
    if let Some(dir) = out {
        if dir.join("summary.json").exists() || dir.join("metrics.jsonl").exists() {
            return Err(crate::exit::Failure::new(
                crate::exit::USAGE,
                format!("`{}` already holds a run", dir.display()),
            )
            .hint("choose another --out directory, or leave it out to number runs automatically"));
        }
        // Never overwrite what the user keeps there (`--out .` next to a `model.nn`).
        if let Some(file) = RUN_FILES.iter().find(|f| dir.join(f).exists()) {
            return Err(crate::exit::Failure::new(
                crate::exit::USAGE,
                format!(
                    "`{}` already holds `{file}`, which the run would overwrite",
                    dir.display()
                ),
            )
            .hint("choose a new or empty --out directory, or leave it out to number runs automatically"));
        }
        crate::commands::create_out_dir(dir, "--out")?;
        return Ok(dir.to_path_buf());
    }
    let parent = Path::new("runs").join(sanitize(model));
    crate::commands::create_out_dir(&parent, "--out")?;
    let mut n = std::fs::read_dir(&parent)
        .map_err(|e| cannot(&parent, e))?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    loop {
        let dir = parent.join(n.to_string());
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            // Another run took this number at the same moment: take the next one.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => return Err(cannot(&dir, e)),
        }
    }
}

/// A model name usable as a directory name.
pub(crate) fn sanitize(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "model".into() } else { s }
}

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

/// Writes `text` to `path`.
pub fn write(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text)
        .map_err(|e| failure(format!("cannot write `{}`: {e}", path.display())))
}
