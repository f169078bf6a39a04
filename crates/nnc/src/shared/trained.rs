//! A trained model as `eval`, `predict` and `export` load it: the model file, the network with
//! the saved weights, and the preprocessing fitted when it was trained.

use crate::cli::Common;
use crate::exit::{Failure, USAGE};
use crate::output::Output;
use crate::shared::weights::{read_weights, saved_pipeline, trained_model, warn_non_finite};
use nnc_data::FittedPipeline;
use nnc_dsl::lower::Prepared;
use nnc_dsl::{ModelFile, Purpose};
use nnc_ops::Sequential;
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
/// file `weights` into a [`Trained`]; warns when a parameter is not finite, saying what that
/// means for the command (`consequence`).
pub fn load_trained(
    model: &Path,
    weights: &Path,
    fold_index: Option<usize>,
    consequence: &str,
    common: &Common,
    out: &Output,
) -> Result<Trained, Failure> {
    let file = crate::commands::prepare(model, Purpose::Check, fold_index, common, out)?;
    let compiled = file.compiled();
    let tensors = read_weights(weights)?;
    // The weights first: loading another model's weights is the likelier mistake, and its
    // error names both models.
    let network = trained_model(&file, model, weights)?;
    warn_non_finite(&network, weights, consequence, out);
    let prepared = match saved_pipeline(&tensors)? {
        Some(pipeline) => compiled
            .raw
            .apply(&pipeline, compiled.data.fold.map(|(f, _)| f))
            .map_err(|e| Failure {
                code: USAGE,
                ..crate::load::lower_failure(e)
            })?,
        None => {
            out.note(
                "note: the weights carry no preprocessing statistics; refitting them on the \
                 training split",
            );
            compiled.data.clone()
        }
    };
    Ok(Trained {
        file,
        model: network,
        prepared,
    })
}
