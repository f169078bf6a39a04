//! Cross-validation for a search: the folds every trial trains on, and the training and
//! measuring of one fold (or of the holdout split).

use crate::ir::{Experiment, MetricKind, MetricRef, SplitName};
use crate::lower::{ModelBuilder, Prepared, RawData};
use nnc_tape::Tape;
use nnc_train::TrainData;
use nnc_train::events::{EventSink, Silent, StopReason};
use nnc_train::search::FoldResult;
use nnc_train::trainer::evaluate;

/// The random stream of `validate kfold(k)` folds (the data's own streams are 0..=3).
const VALIDATION_FOLD_STREAM: u64 = 16;

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

/// Trains a fresh model (initialised from `seed`) on one fold (or the holdout split) of
/// `data` as the experiment's `train` section says, and measures `metric` on its split.
pub fn train_fold(
    experiment: &Experiment,
    data: &Prepared,
    seed: u64,
    metric: MetricRef,
) -> Result<FoldResult, String> {
    train_fold_with(experiment, data, seed, metric, &mut Silent)
}

/// [`train_fold`], reporting the training's events to `sink`.
pub fn train_fold_with(
    experiment: &Experiment,
    data: &Prepared,
    seed: u64,
    metric: MetricRef,
    sink: &mut dyn EventSink,
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
    let mut config = crate::lower::train::config(spec, splits.train.len(), !splits.val.is_empty())
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
        sink,
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
        kept_epoch: summary.kept.epoch,
    })
}
