//! What else a model file is used for: evaluating a model on a split, the babysitting
//! protocol of `nnc doctor`, and the search of `nnc search`.

use super::{ModelFile, ModelFileError};
use crate::ir::SplitName;
use crate::lower::SearchSpace;
use crate::search::{TrialRunner, search_space};
use nnc_data::Dataset;
use nnc_ops::Sequential;
use nnc_tape::{Tape, Tensor};
use nnc_train::doctor::{self, DoctorOptions, DoctorReport};
use nnc_train::metrics::{ConfusionMatrix, Metrics};
use nnc_train::search::{SearchResult, TrialRecord, run_search};
use nnc_train::trainer::{evaluate_confusion, predict};
use std::sync::atomic::AtomicBool;

impl ModelFile {
    /// The rows of a split, preprocessed as the model sees them (empty when the file has no
    /// such split).
    pub fn split(&self, split: SplitName) -> &Dataset {
        let splits = &self.parts.compiled.data.splits;
        match split {
            SplitName::Train => &splits.train,
            SplitName::Val => &splits.val,
            SplitName::Test => &splits.test,
        }
    }

    /// `model`'s loss and accuracy on a split (in eval mode) and its confusion matrix, as
    /// `nnc eval` and the end of `nnc run` compute them; an error for a split the file does
    /// not have (no metric is better than a 0 that looks measured).
    pub fn evaluate(
        &self,
        model: &mut Sequential<f32>,
        split: SplitName,
    ) -> Result<(Metrics, ConfusionMatrix), ModelFileError> {
        if self.split(split).is_empty() {
            return Err(ModelFileError::EmptySplit(split));
        }
        let loss = self.parts.compiled.model.loss;
        Ok(evaluate_confusion(
            model,
            loss,
            self.split(split),
            &mut Tape::new(),
        )?)
    }

    /// What `model` outputs for new, raw rows `rows` (`[n, features]`, the source's feature
    /// columns in its order): the file's preprocessing (fitted on its training split) is
    /// applied, then the model runs in eval mode — `predict_proba` of other libraries:
    /// class probabilities for `loss softmax`, class scores for `svm` and `mse`. Row `i`'s
    /// class is the argmax of row `i` (`nnc_train::metrics::argmax_rows`).
    pub fn predict(
        &self,
        model: &mut Sequential<f32>,
        rows: &Tensor<f32>,
    ) -> Result<Tensor<f32>, ModelFileError> {
        let compiled = &self.parts.compiled;
        let inputs = compiled.data.pipeline.transform_inputs(rows)?;
        Ok(predict(
            model,
            compiled.model.loss,
            inputs,
            &mut Tape::new(),
        )?)
    }

    /// The babysitting protocol of `nnc doctor` (initial loss, regularisation, overfitting a
    /// tiny subset, learning-rate range, gradient check, activations) with the file's
    /// optimiser, settings and seed.
    pub fn doctor(&self) -> Result<DoctorReport, ModelFileError> {
        self.doctor_with(&DoctorOptions {
            seed: self.parts.compiled.seed,
            ..DoctorOptions::default()
        })
    }

    /// [`ModelFile::doctor`] with explicit options.
    pub fn doctor_with(&self, options: &DoctorOptions) -> Result<DoctorReport, ModelFileError> {
        let config = self.train_config()?;
        let build = || {
            self.build()
                .map_err(|e| nnc_train::TrainError::Config(e.to_string()))
        };
        let data = self.train_data();
        Ok(doctor::run(
            &build,
            self.parts.compiled.model.loss,
            data,
            config,
            options,
        )?)
    }

    /// The file's `search` section as a plan (`None` without one).
    pub fn search_space(&self) -> Option<SearchSpace> {
        search_space(&self.parts.checked.experiment)
    }

    /// Runs the file's search on `jobs` threads as `nnc search` does (without its files),
    /// calling `on_trial` with each finished trial.
    pub fn search(
        &self,
        jobs: usize,
        on_trial: &mut dyn FnMut(&TrialRecord),
    ) -> Result<SearchResult, ModelFileError> {
        let space = self.search_space().ok_or(ModelFileError::NoSearchSection)?;
        self.run_search(&space, jobs, &[], None, &mut |record, _| on_trial(record))
    }

    /// `best` (a trial of this file's search) as a model file for the directory `dest`, as
    /// `nnc search` writes `best.nn`: the file with the trial's values and training length
    /// (training it reproduces the trial), or with `refit` the refit's file (every training
    /// row, the test split once). `note` goes under the header comment.
    pub fn best_file(
        &self,
        best: &TrialRecord,
        refit: bool,
        note: &str,
        dest: &std::path::Path,
    ) -> Result<String, ModelFileError> {
        crate::search::best_file(
            crate::search::SearchedFile {
                path: &self.parts.path,
                text: &self.parts.text,
                base: &self.parts.overrides,
                probe: &self.parts.probe,
            },
            best,
            refit,
            note,
            dest,
        )
        .map_err(ModelFileError::BestFile)
    }

    /// Runs `space` (the file's search, possibly changed: trial counts, sampler seed) on
    /// `jobs` threads, skipping the trials `done` already holds; `on_record` gets every
    /// trial with whether it is new; `interrupt` stops starting trials.
    pub fn run_search(
        &self,
        space: &SearchSpace,
        jobs: usize,
        done: &[TrialRecord],
        interrupt: Option<&AtomicBool>,
        on_record: &mut dyn FnMut(&TrialRecord, bool),
    ) -> Result<SearchResult, ModelFileError> {
        let runner = TrialRunner {
            path: self.parts.path.clone(),
            text: self.parts.text.clone(),
            base: self.parts.overrides.clone(),
            probe: &self.parts.probe,
            kfold: space.kfold,
            train_seed: None,
            memory_limit: self.parts.memory_limit,
            events: None,
        };
        Ok(run_search(
            &space.plan,
            jobs,
            done,
            &|spec| runner.run(spec),
            interrupt,
            on_record,
        )?)
    }
}
