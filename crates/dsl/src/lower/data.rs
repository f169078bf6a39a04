//! The `data` section lowered: sources loaded, split, and preprocessed with statistics fitted
//! on the training rows only.
//!
//! Randomness comes from the section's `seed` (0 when absent), one ChaCha stream per use, so
//! adding a test source does not change the split: stream 0 generates the source, stream 1
//! a generated test source, stream 2 shuffles the split and stream 3 the folds.

use super::LowerError;
use super::file_probe::FileProbe;
use crate::ir::{DataSpec, FitOn, SplitSpec};
use nnc_data::{Dataset, FittedPipeline, Fold, LeakageReport, Pipeline, Source, Splits};
use nnc_tape::{Rng, rng};
use std::borrow::Cow;
use std::path::Path;

/// The generator of stream `stream` of the data seed.
fn data_rng(seed: u64, stream: u64) -> Rng {
    let mut r = rng(seed);
    r.set_stream(stream);
    r
}

/// The source to load: `kind` with, for a CSV file, its class list fixed to `classes` (a test
/// file is read with the training file's classes).
pub fn source(kind: &Source, classes: Option<Vec<String>>) -> Source {
    let mut source = kind.clone();
    if let Source::Csv { options, .. } = &mut source {
        options.classes = classes;
    }
    source
}

/// A CSV test source read like the training source: without a `label:` of its own it takes
/// the training data's label column by name (not its own last column), and without
/// `columns:` the training source's feature columns.
fn test_source(test: &Source, train: &Source, train_data: &Dataset) -> Source {
    let mut test = test.clone();
    if let Source::Csv { options, .. } = &mut test {
        if options.label.is_none() {
            options.label = Some(train_data.label_name().to_string());
        }
        if let (None, Source::Csv { options: t, .. }) = (&options.columns, train) {
            options.columns.clone_from(&t.columns);
        }
    }
    test
}

/// The preprocessing pipeline of the section (unfitted).
pub fn pipeline(spec: &DataSpec) -> Result<Pipeline, LowerError> {
    Ok(Pipeline::new(spec.preprocess.clone())?)
}

/// Loads `kind` (generated sources draw from `rng`), reusing a dataset the probe already read.
fn load_source(
    kind: &Source,
    classes: Option<Vec<String>>,
    cache: Option<&FileProbe>,
    rng: &mut Rng,
) -> Result<Dataset, LowerError> {
    let source = source(kind, classes);
    if !kind.is_generated()
        && let Some(cache) = cache
    {
        return Ok(cache.load(&source)?);
    }
    // The checker resolved file paths against the model file's directory already.
    Ok(source.load(Path::new(""), rng)?)
}

/// The data as loaded and split, before preprocessing.
#[derive(Debug, Clone)]
pub struct RawData {
    /// Training, validation and test rows. With a k-fold split, `train` holds every row that
    /// is not held out for testing (the rows the folds index) and `val` is empty.
    pub splits: Splits,
    /// The folds of a k-fold split (indices into `splits.train`).
    pub folds: Option<Vec<Fold>>,
}

impl RawData {
    /// Loads the source (and the test source) and splits it as `spec` says.
    pub fn load(spec: &DataSpec, cache: Option<&FileProbe>) -> Result<RawData, LowerError> {
        let seed = spec.seed.unwrap_or(0);
        let dataset = load_source(&spec.source.kind, None, cache, &mut data_rng(seed, 0))?;
        let test = match &spec.test {
            Some(t) => {
                // A CSV test file is read with the training file's class list, so class `c`
                // means the same in both.
                let classes =
                    matches!(t.kind, Source::Csv { .. }).then(|| dataset.class_names().to_vec());
                Some(load_source(
                    &test_source(&t.kind, &spec.source.kind, &dataset),
                    classes,
                    cache,
                    &mut data_rng(seed, 1),
                )?)
            }
            None => None,
        };
        let mut split_rng = data_rng(seed, 2);
        let (splits, folds) = match spec.split {
            SplitSpec::Holdout(s) => (dataset.split(&s, &mut split_rng)?, None),
            SplitSpec::KFold {
                k,
                test,
                shuffle,
                stratify,
            } => {
                let s = nnc_data::SplitSpec {
                    train: 1.0 - test,
                    val: 0.0,
                    test,
                    shuffle,
                    stratify,
                };
                let splits = dataset.split(&s, &mut split_rng)?;
                let k = usize::try_from(k).unwrap_or(usize::MAX);
                let folds = splits.train.kfold(k, stratify, &mut data_rng(seed, 3))?;
                (splits, Some(folds))
            }
        };
        let splits = match test {
            Some(t) => splits.with_test_source(t)?,
            None => splits,
        };
        Ok(RawData { splits, folds })
    }

    /// The raw training and validation rows of `fold` (with a k-fold split), or the holdout
    /// splits (borrowed: no copy of the table).
    pub fn fold_splits(&self, fold: Option<usize>) -> Result<Cow<'_, Splits>, LowerError> {
        match (&self.folds, fold) {
            (Some(folds), Some(i)) => {
                let f = folds.get(i).ok_or_else(|| {
                    LowerError::invalid(
                        format!("there is no fold {} of {}", i + 1, folds.len()),
                        "",
                    )
                })?;
                let (train, val) = f.datasets(&self.splits.train)?;
                Ok(Cow::Owned(Splits {
                    train,
                    val,
                    test: self.splits.test.clone(),
                }))
            }
            _ => Ok(Cow::Borrowed(&self.splits)),
        }
    }

    /// Fits the section's preprocessing on the training rows (of `fold`) — on every row with
    /// `fit: all` — and applies it to every split.
    pub fn prepare(&self, spec: &DataSpec, fold: Option<usize>) -> Result<Prepared, LowerError> {
        let raw = self.fold_splits(fold)?;
        let leakage = raw.leakage();
        let pipeline = pipeline(spec)?;
        let fitted = match spec.fit {
            FitOn::Train => pipeline.fit(&raw.train)?,
            FitOn::All => {
                let mut all = raw.train.clone();
                for part in [&raw.val, &raw.test] {
                    if !part.is_empty() {
                        all = all.concat(part)?;
                    }
                }
                pipeline.fit(&all)?
            }
        };
        let splits = fitted.transform_splits(&raw)?;
        Ok(Prepared {
            splits,
            pipeline: fitted,
            leakage,
            fold: fold.zip(self.folds.as_ref().map(Vec::len)),
        })
    }

    /// Applies an already fitted pipeline (saved with a model's weights) to the splits of
    /// `fold`, so a saved model sees exactly the inputs it was trained on.
    pub fn apply(
        &self,
        pipeline: &FittedPipeline,
        fold: Option<usize>,
    ) -> Result<Prepared, LowerError> {
        let raw = self.fold_splits(fold)?;
        if pipeline.input_features() != raw.train.features() {
            return Err(LowerError::invalid(
                format!(
                    "the saved preprocessing takes {} features but the data has {}",
                    pipeline.input_features(),
                    raw.train.features()
                ),
                "the weights were saved for another data set",
            ));
        }
        Ok(Prepared {
            splits: pipeline.transform_splits(&raw)?,
            pipeline: pipeline.clone(),
            leakage: raw.leakage(),
            fold: fold.zip(self.folds.as_ref().map(Vec::len)),
        })
    }
}

impl Prepared {
    /// What the babysitter's data checks should know beyond the training and validation rows:
    /// the test split, whether rows were shuffled, the preprocessing written, leakage.
    /// `raw` is the data before preprocessing, for figures in the file's units.
    pub fn context<'a>(
        &'a self,
        spec: &DataSpec,
        raw: &'a RawData,
    ) -> nnc_train::babysit::DataContext<'a> {
        nnc_train::babysit::DataContext {
            test: (!self.splits.test.is_empty()).then_some(&self.splits.test),
            shuffled: Some(spec.split.shuffled()),
            separate_test: spec.test.is_some(),
            preprocess: Some(self.pipeline.steps()),
            raw_train: Some(&raw.splits.train),
            leakage: Some(self.leakage),
        }
    }

    /// The training and validation rows of the run, with their [`context`](Self::context).
    pub fn train_data<'a>(&'a self, spec: &DataSpec, raw: &'a RawData) -> nnc_train::TrainData<'a> {
        nnc_train::TrainData {
            train: &self.splits.train,
            val: (!self.splits.val.is_empty()).then_some(&self.splits.val),
            context: self.context(spec, raw),
        }
    }
}

/// The data the model sees.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Preprocessed training, validation and test rows.
    pub splits: Splits,
    /// The pipeline, fitted on the training rows (save it with the weights).
    pub pipeline: FittedPipeline,
    /// Identical rows across the splits (counted before preprocessing).
    pub leakage: LeakageReport,
    /// With a k-fold split: the fold used and the number of folds.
    pub fold: Option<(usize, usize)>,
}
