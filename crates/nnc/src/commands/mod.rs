//! The commands other than `run` (which has its own module, [`crate::run`]).

pub mod bench;
pub mod check;
pub mod doctor;
pub mod eval;
pub mod grad;
pub mod list;

use crate::exit::{BAD_MODEL, Failure};
use nnc_train::TrainError;

/// A training-library error as a failure (exit code 1).
pub fn train_failure(e: TrainError) -> Failure {
    Failure::new(BAD_MODEL, e.to_string())
}

/// Any other library error (tensor, ops) as a failure (exit code 1).
pub fn failure(e: impl std::fmt::Display) -> Failure {
    Failure::new(BAD_MODEL, e.to_string())
}

/// Reads, checks and lowers a model file.
pub fn prepare(
    model: &std::path::Path,
    purpose: nnc_dsl::Purpose,
    fold: Option<usize>,
    common: &crate::cli::Common,
    out: &crate::output::Output,
) -> Result<(crate::load::Loaded, nnc_dsl::lower::Compiled), Failure> {
    let loaded = crate::load::load(model, &common.set, purpose, true, out)?;
    let compiled = crate::load::lower(&loaded, common.seed, fold)?;
    Ok((loaded, compiled))
}
