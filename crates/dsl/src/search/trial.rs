//! One trial of a search: the model file checked again with the trial's values as `--set`
//! overrides, its training cut to the stage's epoch budget, lowered, trained without output on
//! the holdout split or on every fold, and summarised
//! ([`nnc_train::search::summarize`]).

use super::folds::{train_fold_with, validation_folds};
use crate::ir::{Experiment, MetricRef};
use crate::lower::search::trial_overrides;
use crate::lower::{CompileOptions, FileProbe, compile};
use crate::{CheckOptions, Override, Purpose};
use nnc_train::events::{EventSink, Silent};
use nnc_train::search::{FoldResult, TrialOutcome, TrialSpec, summarize};
use std::path::PathBuf;
use std::time::Instant;

/// Where a trial's training events go: given the trial and the fold (`None` for the holdout
/// split, else its 0-based index), a sink, or `None` to train without output.
pub type TrialEvents<'a> =
    dyn Fn(&TrialSpec, Option<usize>) -> Option<Box<dyn EventSink>> + Sync + 'a;

/// What every trial of one search shares.
pub struct TrialRunner<'a> {
    /// The model file.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// The user's own `--set` overrides (applied before the trial's values).
    pub base: Vec<Override>,
    /// The data already read while checking (shared by all trials).
    pub probe: &'a FileProbe,
    /// `validate kfold(k)`.
    pub kfold: Option<u64>,
    /// Replaces the file's training seed (`None`: the file's own).
    pub train_seed: Option<u64>,
    /// The memory a trial's model may need ([`CompileOptions::memory_limit`]).
    pub memory_limit: Option<u64>,
    /// Where each trial's training events go (`None`: nowhere).
    pub events: Option<&'a TrialEvents<'a>>,
}

impl TrialRunner<'_> {
    /// Runs the trial; never panics on a bad combination of values (that is a failed trial).
    pub fn run(&self, spec: &TrialSpec) -> TrialOutcome {
        let start = Instant::now();
        let mut outcome = match self.try_run(spec) {
            Ok(folds) => summarize(&folds, self.kfold.is_some()),
            Err(message) => TrialOutcome::failed(message),
        };
        outcome.seconds = start.elapsed().as_secs_f64();
        outcome
    }

    /// The trial's fold results: one for the holdout split, or one per fold.
    fn try_run(&self, spec: &TrialSpec) -> Result<Vec<FoldResult>, String> {
        let experiment = self.experiment(spec)?;
        let compiled = compile(
            &experiment,
            &CompileOptions {
                seed: self.train_seed,
                fold_index: None,
                cache: Some(self.probe),
                memory_limit: self.memory_limit,
            },
        )
        .map_err(|e| e.to_string())?;
        let metric = searched_metric(&experiment)?;
        let Some(k) = self.kfold else {
            return Ok(vec![train_fold_with(
                &experiment,
                &compiled.data,
                compiled.seed,
                metric,
                &mut *self.sink(spec, None),
            )?]);
        };
        let raw = validation_folds(&compiled.raw, &experiment, k)?;
        let folds = raw.folds.as_ref().map_or(0, Vec::len);
        (0..folds)
            .map(|f| {
                let prepared = raw
                    .prepare(&experiment.data, Some(f))
                    .map_err(|e| e.to_string())?;
                let mut sink = self.sink(spec, Some(f));
                train_fold_with(&experiment, &prepared, compiled.seed, metric, &mut *sink)
            })
            .collect()
    }

    /// The sink of the trial's training on `fold` ([`TrialRunner::events`]), or a silent one.
    fn sink(&self, spec: &TrialSpec, fold: Option<usize>) -> Box<dyn EventSink> {
        self.events
            .and_then(|events| events(spec, fold))
            .unwrap_or_else(|| Box::new(Silent))
    }

    /// The experiment with the trial's values and its epoch budget.
    fn experiment(&self, spec: &TrialSpec) -> Result<Experiment, String> {
        let mut overrides = self.base.clone();
        overrides.extend(trial_overrides(spec));
        let options = CheckOptions {
            overrides: &overrides,
            probe: self.probe,
            purpose: Purpose::Search,
        };
        let checked =
            crate::check_with(&self.text, &self.path, &options).map_err(|diagnostics| {
                let first = diagnostics.iter().find(|d| d.is_error()).map_or_else(
                    || "the file does not check".to_string(),
                    |d| d.message.clone(),
                );
                format!("these values do not make a valid model: {first}")
            })?;
        let mut experiment = checked.experiment;
        if let (Some(epochs), Some(train)) = (spec.budget_epochs, experiment.train.as_ref()) {
            experiment.train = Some(crate::lower::train::with_epochs(train, epochs));
        }
        Ok(experiment)
    }
}

/// The searched metric: which split, which kind.
fn searched_metric(experiment: &Experiment) -> Result<MetricRef, String> {
    experiment
        .search
        .as_ref()
        .map(|search| search.metric)
        .ok_or_else(|| "the file has no `search` section".to_string())
}
