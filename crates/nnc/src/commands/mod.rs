//! The commands other than `run` and `search` (which have their own modules, [`crate::run`]
//! and [`crate::search`]), and [`prepare`], which most of them start with.

pub mod bench;
pub mod check;
pub mod doctor;
pub mod eval;
pub mod grad;
pub mod list;

use crate::exit::Failure;

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
