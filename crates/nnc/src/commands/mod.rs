//! The commands other than `run` (which has its own module, [`crate::run`]).

pub mod bench;
pub mod check;
pub mod doctor;
pub mod eval;
pub mod grad;
pub mod list;

use crate::exit::{BAD_MODEL, Failure, USAGE};
use nnc_train::TrainError;
use std::path::Path;

/// A training-library error as a failure (exit code 1).
pub fn train_failure(e: TrainError) -> Failure {
    Failure::new(BAD_MODEL, e.to_string())
}

/// Any other library error (tensor, ops) as a failure (exit code 1).
pub fn failure(e: impl std::fmt::Display) -> Failure {
    Failure::new(BAD_MODEL, e.to_string())
}

/// Creates the output directory `dir` that `flag` names, with its parents. A path that is (or
/// lies under) an existing file is bad usage (exit code 2) naming that file, rather than the
/// bare "File exists" or "Not a directory" of the file system; other errors exit with code 1.
pub fn create_out_dir(dir: &Path, flag: &str) -> Result<(), Failure> {
    if let Some(file) = dir.ancestors().find(|p| p.exists() && !p.is_dir()) {
        return Err(Failure::new(
            USAGE,
            format!(
                "cannot create `{}`: `{}` is a file, not a directory",
                dir.display(),
                file.display()
            ),
        )
        .hint(format!(
            "give {flag} a directory: a new one is created, an existing one is reused"
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| failure(format!("cannot create `{}`: {e}", dir.display())))
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
