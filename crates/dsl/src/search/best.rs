//! The best trial of a search as a model file (`best.nn`): the file with the trial's values
//! written into its `param`s and its training length, so `nnc run` of it trains exactly the
//! trial; or the refit's file, which trains the winner on every training row and tests it
//! once ([`crate::resolve::trial_text`] makes the edits).

use crate::check::Override;
use crate::ir::{Experiment, Interval};
use crate::lower::FileProbe;
use crate::lower::search::trial_overrides;
use crate::resolve::{TrialFile, trial_text};
use crate::{CheckOptions, Purpose};
use nnc_train::search::TrialRecord;
use std::path::Path;

/// The model file a search's best trial is written from.
#[derive(Debug, Clone, Copy)]
pub struct SearchedFile<'a> {
    /// Its path.
    pub path: &'a Path,
    /// Its text.
    pub text: &'a str,
    /// The user's own `--set` overrides the search ran with.
    pub base: &'a [Override],
    /// The data read while checking it.
    pub probe: &'a FileProbe,
}

/// `best` as a model file for `dest` (the directory it is written to; data paths are
/// rewritten relative to it): the trial itself, or with `refit` the refit's file. `note` is
/// put under the header comment. An error says why the file cannot be written (the file
/// changed since the search, or a refit the file cannot express).
pub fn best_file(
    file: SearchedFile<'_>,
    best: &TrialRecord,
    refit: bool,
    note: &str,
    dest: &Path,
) -> Result<String, String> {
    let mut overrides = file.base.to_vec();
    overrides.extend(trial_overrides(&best.spec));
    let options = CheckOptions {
        overrides: &overrides,
        probe: file.probe,
        purpose: Purpose::Search,
    };
    let checked = crate::check_with(file.text, file.path, &options)
        .map_err(|_| "the best trial's values no longer check (the file changed?)".to_string())?;
    let experiment = &checked.experiment;
    let (epochs, length_reason) = if refit {
        refit_length(best, experiment)
    } else {
        (best.spec.budget_epochs, None)
    };
    let trial = TrialFile {
        epochs,
        refit,
        note,
        length_reason,
    };
    trial_text(
        file.path,
        file.text,
        &overrides,
        experiment,
        &trial,
        "nnc search",
        dest,
    )
}

/// The epochs a refit trains, and why when it is not the trial's budget: the budget (or the
/// file's length), unless the trial stopped early — the refit has no validation split to stop
/// on, so it trains to the epoch the trial's kept weights are from (its best validation
/// evaluation; the mean over folds, rounded up), as Keras users refit to the best epoch.
pub fn refit_length(
    best: &TrialRecord,
    experiment: &Experiment,
) -> (Option<u64>, Option<&'static str>) {
    let planned = best.spec.budget_epochs.map(|e| e as f64).or_else(|| {
        match experiment.train.as_ref()?.length {
            Interval::Epochs(e) => Some(e),
            Interval::Steps(_) => None,
        }
    });
    let outcome = &best.outcome;
    match planned {
        Some(p) if outcome.epochs_run > 0.0 && outcome.epochs_run + 1e-9 < p => {
            let (epochs, reason) = match outcome.kept_epoch.filter(|&e| e > 0.0) {
                Some(kept) => (
                    kept,
                    "the epochs to the trial's best validation evaluation (it stopped early)",
                ),
                None => (
                    outcome.epochs_run,
                    "the epochs the trial ran (it stopped early)",
                ),
            };
            (Some((epochs.ceil() as u64).max(1)), Some(reason))
        }
        _ => (best.spec.budget_epochs, None),
    }
}
