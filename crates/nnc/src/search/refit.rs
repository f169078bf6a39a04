//! The refit (scikit-learn's `refit=True`): after the search, the winner's values trained
//! again on every training row — train and validation, or all folds — and evaluated once on
//! the test split. The refit is `nnc run` of the search's `best.nn` (written with
//! [`nnc_dsl::search::best_file`] in its refit form) into the run directory `refit/` of the
//! search directory, so `nnc run best.nn` reproduces it and `nnc eval` loads its weights.
//! Under `mpirun` the refit runs on rank 0 alone, after the other ranks have left.

use super::report::RefitEnd;
use crate::cli::Common;
use crate::exit::Failure;
use crate::output::Output;
use crate::run::run_in_with;
use nnc_dsl::Purpose;
use nnc_train::search::TrialRecord;
use std::path::Path;

/// The directory of the refit inside the search directory.
pub const REFIT_DIR: &str = "refit";

/// Trains `best_nn` (the refit's model file, in `search_dir`) into `search_dir/refit/`,
/// printing the run as `nnc run` does.
pub fn refit(
    best_nn: &Path,
    search_dir: &Path,
    best: &TrialRecord,
    common: &Common,
    out: &Output,
) -> Result<RefitEnd, Failure> {
    let plain = Common {
        set: Vec::new(),
        seed: None,
        ..common.clone()
    };
    out.note(&format!(
        "\nrefit: trial {}'s values trained on every training row (train and validation, or all folds)",
        best.spec.number(),
    ));
    // The refit's time to its first step counts from here, not from the search's start.
    crate::shared::started::restart();
    let file = crate::commands::prepare(best_nn, Purpose::Run, None, &plain, out)?;
    let dir = search_dir.join(REFIT_DIR);
    crate::shared::files::create_out_dir(&dir, "the refit")?;
    // On rank 0 alone: under mpirun the other ranks have left once the search was over.
    let end = run_in_with(&file, &dir, None, "refit", None, out)?;
    Ok(RefitEnd {
        dir,
        train_rows: file.compiled().data.splits.train.len(),
        test: end.test.map(|(m, _)| m),
        code: end.code,
    })
}
