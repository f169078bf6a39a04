//! The commands other than `run` and `search` (which have their own modules, [`crate::run`]
//! and [`crate::search`]), and [`prepare`], which most of them start with.

pub mod bench;
pub mod check;
pub mod compare;
pub mod doctor;
pub mod eval;
pub mod export;
pub mod grad;
pub mod list;
pub mod predict;

use crate::exit::Failure;
use nnc_dsl::{ModelFile, ModelFileParts};

/// Reads, checks and lowers a model file into the library's [`ModelFile`], printing its
/// diagnostics on the way; `fold_index` counts from 0.
pub fn prepare(
    model: &std::path::Path,
    purpose: nnc_dsl::Purpose,
    fold_index: Option<usize>,
    common: &crate::cli::Common,
    out: &crate::output::Output,
) -> Result<ModelFile, Failure> {
    let loaded = crate::load::load(model, &common.set, purpose, true, out)?;
    let compiled = crate::load::lower(&loaded, common.seed, fold_index)?;
    Ok(ModelFile::from_parts(ModelFileParts {
        path: loaded.path,
        text: loaded.text,
        overrides: loaded.overrides,
        checked: loaded.checked,
        compiled,
        probe: loaded.probe,
        memory_limit: crate::load::available_memory(),
    }))
}
