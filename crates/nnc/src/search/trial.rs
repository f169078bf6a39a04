//! One trial of a search: the model file checked again with the trial's values as `--set`
//! overrides (so structural params such as widths and depth work), its training cut to the
//! stage's epoch budget, lowered, trained without output, and measured on the search's metric
//! — on every fold with `validate kfold(k)`, whose metric is the mean over folds.

use nnc_dsl::ir::{Experiment, MetricKind, SplitName};
use nnc_dsl::lower::search::trial_overrides;
use nnc_dsl::lower::{CompileOptions, FileProbe, ModelBuilder, Prepared, RawData, compile};
use nnc_dsl::{CheckOptions, Override, Purpose};
use nnc_tape::Tape;
use nnc_train::TrainData;
use nnc_train::events::{Silent, StopReason};
use nnc_train::search::{TrialOutcome, TrialSpec, TrialStatus, fold_mean_and_spread};
use nnc_train::trainer::evaluate;
use std::path::PathBuf;
use std::time::Instant;

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
}

/// One fold's (or the holdout's) result.
struct FoldResult {
    diverged: bool,
    metric: f64,
    train_accuracy: f64,
    val_accuracy: Option<f64>,
    val_loss: Option<f64>,
    initial_loss: Option<f64>,
    final_loss: f64,
    epochs: f64,
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

    fn try_run(&self, spec: &TrialSpec) -> Result<Vec<FoldResult>, String> {
        let experiment = self.experiment(spec)?;
        let compiled = compile(
            &experiment,
            &CompileOptions {
                seed: self.train_seed,
                fold: None,
                cache: Some(self.probe),
                memory_limit: crate::load::available_memory(),
            },
        )
        .map_err(|e| e.to_string())?;
        let metric = Metric::of(&experiment)?;
        match self.kfold {
            None => Ok(vec![train_fold(
                &experiment,
                &compiled.data,
                compiled.seed,
                metric,
            )?]),
            Some(k) => {
                let raw = validation_folds(&compiled.raw, &experiment, k)?;
                let folds = raw.folds.as_ref().map_or(0, Vec::len);
                (0..folds)
                    .map(|f| {
                        let prepared = raw
                            .prepare(&experiment.data, Some(f))
                            .map_err(|e| e.to_string())?;
                        train_fold(&experiment, &prepared, compiled.seed, metric)
                    })
                    .collect()
            }
        }
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
            nnc_dsl::check_with(&self.text, &self.path, &options).map_err(|diagnostics| {
                let first = diagnostics.iter().find(|d| d.is_error()).map_or_else(
                    || "the file does not check".to_string(),
                    |d| d.message.clone(),
                );
                format!("these values do not make a valid model: {first}")
            })?;
        let mut experiment = checked.experiment;
        if let (Some(epochs), Some(train)) = (spec.budget_epochs, experiment.train.as_ref()) {
            experiment.train = Some(nnc_dsl::lower::train::with_epochs(train, epochs));
        }
        Ok(experiment)
    }
}

/// The cross-validation folds: the data's own folds when its `split kfold(k)` has `k` of them;
/// otherwise the training and validation rows pooled and dealt into `k` stratified folds
/// (seeded by the data seed, so every trial sees the same folds). Test rows stay out.
pub fn validation_folds(raw: &RawData, experiment: &Experiment, k: u64) -> Result<RawData, String> {
    if raw.folds.as_ref().is_some_and(|f| f.len() as u64 == k) {
        return Ok(raw.clone());
    }
    let pool = if raw.splits.val.is_empty() {
        raw.splits.train.clone()
    } else {
        raw.splits
            .train
            .concat(&raw.splits.val)
            .map_err(|e| e.to_string())?
    };
    let mut rng = nnc_tape::rng(experiment.data.seed.unwrap_or(0));
    rng.set_stream(VALIDATION_FOLD_STREAM);
    let k = usize::try_from(k).unwrap_or(usize::MAX);
    let folds = pool.kfold(k, true, &mut rng).map_err(|e| e.to_string())?;
    // With folds, `train` holds every row the folds index; the folds make train and val.
    let mut splits = raw.splits.clone();
    splits.train = pool;
    Ok(RawData {
        splits,
        folds: Some(folds),
    })
}

/// The random stream of `validate kfold(k)` folds (the data's own streams are 0..=3).
const VALIDATION_FOLD_STREAM: u64 = 16;

/// The searched metric: which split, which kind.
#[derive(Debug, Clone, Copy)]
struct Metric {
    split: SplitName,
    kind: MetricKind,
}

impl Metric {
    fn of(experiment: &Experiment) -> Result<Metric, String> {
        let search = experiment
            .search
            .as_ref()
            .ok_or("the file has no `search` section")?;
        Ok(Metric {
            split: search.metric.split,
            kind: search.metric.kind,
        })
    }
}

/// Trains a fresh model on one fold (or the holdout split) and measures it.
fn train_fold(
    experiment: &Experiment,
    data: &Prepared,
    seed: u64,
    metric: Metric,
) -> Result<FoldResult, String> {
    let splits = &data.splits;
    let spec = experiment
        .train
        .as_ref()
        .ok_or("the file has no `train` section")?;
    let builder = ModelBuilder::new(
        &experiment.model,
        splits.train.features(),
        splits.train.classes(),
    )
    .map_err(|e| e.to_string())?;
    let mut config =
        nnc_dsl::lower::train::config(spec, splits.train.len(), !splits.val.is_empty())
            .map_err(|e| e.to_string())?;
    config.seed = seed;
    let mut model = builder.build(seed).map_err(|e| e.to_string())?;
    let summary = nnc_train::train(
        &mut model,
        builder.loss,
        TrainData::new(
            &splits.train,
            (!splits.val.is_empty()).then_some(&splits.val),
        ),
        &config,
        &mut Silent,
        None,
    )
    .map_err(|e| e.to_string())?;
    let diverged = matches!(summary.stop, StopReason::Diverged { .. });
    let measured = match metric.split {
        SplitName::Train => Some(summary.train),
        SplitName::Val => summary.val,
        SplitName::Test if splits.test.is_empty() => None,
        SplitName::Test if diverged => None,
        SplitName::Test => Some(
            evaluate(&mut model, builder.loss, &splits.test, &mut Tape::new())
                .map_err(|e| e.to_string())?,
        ),
    };
    let value = measured.map_or(f64::NAN, |m| match metric.kind {
        MetricKind::Loss => m.loss,
        MetricKind::Accuracy => m.accuracy,
    });
    Ok(FoldResult {
        diverged,
        metric: if diverged { f64::NAN } else { value },
        train_accuracy: summary.train.accuracy,
        val_accuracy: summary.val.map(|m| m.accuracy),
        val_loss: summary.val.map(|m| m.loss),
        initial_loss: summary.initial_loss,
        final_loss: summary.train.loss,
        epochs: summary.epochs,
    })
}

/// The trial's outcome from its folds: diverged if any fold diverged, else the fold mean and
/// spread.
fn summarize(folds: &[FoldResult], kfold: bool) -> TrialOutcome {
    let mean = |f: &dyn Fn(&FoldResult) -> f64| {
        folds.iter().map(f).sum::<f64>() / folds.len().max(1) as f64
    };
    let diverged = folds.iter().any(|f| f.diverged);
    let fold_metrics: Vec<f64> = if kfold && !diverged {
        folds.iter().map(|f| f.metric).collect()
    } else {
        Vec::new()
    };
    let (metric, spread) = if diverged {
        (f64::NAN, None)
    } else if kfold {
        let (m, s) = fold_mean_and_spread(&fold_metrics);
        (m, Some(s))
    } else {
        (folds.first().map_or(f64::NAN, |f| f.metric), None)
    };
    let val = folds
        .iter()
        .map(|f| f.val_accuracy)
        .collect::<Option<Vec<f64>>>()
        .filter(|v| !v.is_empty())
        .map(|v| v.iter().sum::<f64>() / v.len() as f64);
    TrialOutcome {
        status: if diverged {
            TrialStatus::Diverged
        } else {
            TrialStatus::Ok
        },
        metric,
        spread,
        fold_metrics,
        // A diverged trial's accuracies describe a broken model: left out.
        train_accuracy: Some(mean(&|f| f.train_accuracy)).filter(|a| !diverged && a.is_finite()),
        val_accuracy: val.filter(|a| !diverged && a.is_finite()),
        initial_loss: folds
            .iter()
            .map(|f| f.initial_loss)
            .collect::<Option<Vec<f64>>>()
            .filter(|v| !v.is_empty())
            .map(|v| v.iter().sum::<f64>() / v.len() as f64),
        final_loss: Some(mean(&|f| f.final_loss)).filter(|l| !diverged && l.is_finite()),
        val_loss: folds
            .iter()
            .map(|f| f.val_loss)
            .collect::<Option<Vec<f64>>>()
            .filter(|v| !v.is_empty() && !diverged)
            .map(|v| v.iter().sum::<f64>() / v.len() as f64),
        epochs_run: mean(&|f| f.epochs),
        seconds: 0.0,
    }
}
