//! A trained model as `eval`, `predict` and `export` load it: the model file, the network with
//! the saved weights, and the preprocessing fitted when it was trained.

use crate::cli::Common;
use crate::exit::{Failure, USAGE, failure};
use crate::output::Output;
use crate::shared::weights::PREPROCESS_KEY;
use nnc_data::FittedPipeline;
use nnc_dsl::lower::Prepared;
use nnc_dsl::{ModelFile, Purpose};
use nnc_ops::Sequential;
use nnc_train::checkpoint::load_tensors;
use nnc_train::trainer::load_weights;
use std::path::Path;

/// A model file with its trained weights loaded.
pub struct Trained {
    /// The model file, checked and lowered (its data loaded and split).
    pub file: ModelFile,
    /// The network holding the saved weights.
    pub model: Sequential<f32>,
    /// The data preprocessed with the saved pipeline (refitted on the training split when the
    /// weights carry none).
    pub prepared: Prepared,
}

impl Trained {
    /// The preprocessing the model was trained with.
    pub fn pipeline(&self) -> &FittedPipeline {
        &self.prepared.pipeline
    }
}

/// Loads `model` (with `--set` overrides and `fold_index`, counting from 0) and the weights
/// file `weights` into a [`Trained`]; warns when a parameter is not finite.
pub fn load_trained(
    model: &Path,
    weights: &Path,
    fold_index: Option<usize>,
    common: &Common,
    out: &Output,
) -> Result<Trained, Failure> {
    let file = crate::commands::prepare(model, Purpose::Check, fold_index, common, out)?;
    let compiled = file.compiled();
    let tensors = load_tensors::<f32>(weights).map_err(|e| {
        Failure::new(USAGE, e.to_string()).hint("give the `weights.safetensors` of a run")
    })?;
    let prepared = match tensors.metadata.get(PREPROCESS_KEY) {
        Some(json) => {
            let pipeline = FittedPipeline::from_json(json).map_err(failure)?;
            compiled
                .raw
                .apply(&pipeline, compiled.data.fold.map(|(f, _)| f))
                .map_err(|e| Failure {
                    code: USAGE,
                    ..crate::load::lower_failure(e)
                })?
        }
        None => {
            out.note(
                "note: the weights carry no preprocessing statistics; refitting them on the \
                 training split",
            );
            compiled.data.clone()
        }
    };
    let mut network = file.build().map_err(failure)?;
    load_weights(weights, &mut network).map_err(|e| {
        Failure::new(USAGE, e.to_string()).hint(format!(
            "use the model file the weights were trained from (`{}` builds `{}`)",
            model.display(),
            file.experiment().name
        ))
    })?;
    warn_non_finite(&network, weights, out);
    Ok(Trained {
        file,
        model: network,
        prepared,
    })
}

/// Warns when a parameter holds NaN or infinite values: the outputs of such weights mean
/// nothing (a ReLU even hides a NaN).
fn warn_non_finite(model: &Sequential<f32>, weights: &Path, out: &Output) {
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
             diverged, or the file is corrupted; the results below are not meaningful",
            weights.display()
        ));
    }
}
