//! Running a search's trials: each trial checks the model file again with its sampled values as
//! `--set` overrides (so structural params such as widths and depth work), cuts training to the
//! stage's epoch budget, lowers and trains without output, and measures the search's metric —
//! on every fold with `validate kfold(k)` (or the data's own `split kfold(k)`), whose metric is
//! the mean over the folds.
//!
//! * [`trial`]: [`TrialRunner`], the function the engine
//!   ([`nnc_train::search::run_search`]) calls for every trial.
//! * [`folds`]: the cross-validation folds and the training of one fold.
//! * [`best`]: the best trial written as a model file (`best.nn`), or its refit's.
//!
//! The engine itself (sampling, stages, parallel trials, warnings) is in
//! [`nnc_train::search`]; the `search` section is lowered into its plan by
//! [`crate::lower::search`].

pub mod best;
pub mod folds;
pub mod trial;

pub use best::{SearchedFile, best_file, refit_length};
pub use folds::{train_fold, train_fold_with, validation_folds};
pub use trial::{TrialEvents, TrialRunner};

use crate::ir::{Experiment, SplitSpec};
use crate::lower::search::{SearchSpace, space};

/// The search of `experiment` (`None` without a `search` section): its plan, validated by
/// `validate kfold(k)` or else by the data's own `split kfold(k)`, and whether the winner is
/// refitted: `refit` as written, else exactly when the search cross-validates (a holdout
/// search keeps its validation rows out of the winner's training).
pub fn search_space(experiment: &Experiment) -> Option<SearchSpace> {
    let spec = experiment.search.as_ref()?;
    let mut searched = space(spec);
    searched.kfold = searched.kfold.or(match experiment.data.split {
        SplitSpec::KFold { k, .. } => Some(k),
        _ => None,
    });
    searched.refit = spec.refit.unwrap_or(searched.kfold.is_some());
    Some(searched)
}
