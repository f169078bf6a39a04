//! A trial's outcome from its folds: with `validate kfold(k)` a trial trains one model per
//! fold, and its metric is the mean over the folds, its spread their standard deviation.

use super::{TrialOutcome, TrialStatus};

/// One fold's (or the holdout's) result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FoldResult {
    /// Whether training diverged.
    pub diverged: bool,
    /// The searched metric (NaN if diverged or unavailable).
    pub metric: f64,
    /// Training accuracy at the end.
    pub train_accuracy: f64,
    /// Validation accuracy at the end, when there is a validation split.
    pub val_accuracy: Option<f64>,
    /// Validation loss at the end, when there is a validation split.
    pub val_loss: Option<f64>,
    /// The training loss before the first step.
    pub initial_loss: Option<f64>,
    /// The training data loss at the end.
    pub final_loss: f64,
    /// Epochs run.
    pub epochs: f64,
    /// Epochs completed when the weights the metric was measured on were current (earlier
    /// than `epochs` when the best validation evaluation's weights were kept).
    pub kept_epoch: f64,
}

/// Mean and (population) standard deviation of per-fold metrics; `(NaN, 0)` for none:
/// `m = Σ xᵢ / n`, `s = √(Σ (xᵢ − m)² / n)`.
pub fn fold_mean_and_spread(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// The mean of the values when every fold has one (`None` if any lacks it, or for no folds).
fn mean_of_all(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values
        .collect::<Option<Vec<f64>>>()
        .filter(|v| !v.is_empty())
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
}

/// The trial's outcome from its folds (`kfold`: they are cross-validation folds; else the one
/// holdout result): diverged if any fold diverged, else the metric's fold mean and spread
/// ([`fold_mean_and_spread`]); the accuracies and losses are fold means. A diverged trial's
/// accuracies and final losses describe a broken model and are left out. `seconds` is 0, for
/// the caller to fill in.
pub fn summarize(folds: &[FoldResult], kfold: bool) -> TrialOutcome {
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
    TrialOutcome {
        status: if diverged {
            TrialStatus::Diverged
        } else {
            TrialStatus::Ok
        },
        metric,
        spread,
        fold_metrics,
        train_accuracy: Some(mean(&|f| f.train_accuracy)).filter(|a| !diverged && a.is_finite()),
        val_accuracy: mean_of_all(folds.iter().map(|f| f.val_accuracy))
            .filter(|a| !diverged && a.is_finite()),
        initial_loss: mean_of_all(folds.iter().map(|f| f.initial_loss)),
        final_loss: Some(mean(&|f| f.final_loss)).filter(|l| !diverged && l.is_finite()),
        val_loss: mean_of_all(folds.iter().map(|f| f.val_loss)).filter(|_| !diverged),
        epochs_run: mean(&|f| f.epochs),
        kept_epoch: Some(mean(&|f| f.kept_epoch)).filter(|_| !diverged && !folds.is_empty()),
        seconds: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(metric: f64, diverged: bool) -> FoldResult {
        FoldResult {
            diverged,
            metric,
            train_accuracy: 0.9,
            val_accuracy: Some(metric),
            val_loss: Some(0.5),
            initial_loss: Some(1.0),
            final_loss: 0.4,
            epochs: 3.0,
            kept_epoch: 2.0,
        }
    }

    #[test]
    fn the_metric_is_the_fold_mean_and_the_spread_their_deviation() {
        let folds = [fold(0.6, false), fold(0.8, false), fold(0.7, false)];
        let o = summarize(&folds, true);
        assert_eq!(o.status, TrialStatus::Ok);
        assert!((o.metric - 0.7).abs() < 1e-12);
        let spread = ((0.01 + 0.01 + 0.0) / 3.0f64).sqrt();
        assert!((o.spread.unwrap() - spread).abs() < 1e-12);
        assert_eq!(o.fold_metrics, vec![0.6, 0.8, 0.7]);
        assert!((o.val_accuracy.unwrap() - 0.7).abs() < 1e-12);
        assert_eq!(o.epochs_run, 3.0);
    }

    #[test]
    fn one_diverged_fold_makes_a_diverged_trial() {
        let o = summarize(&[fold(0.6, false), fold(f64::NAN, true)], true);
        assert_eq!(o.status, TrialStatus::Diverged);
        assert!(o.metric.is_nan() && o.spread.is_none() && o.fold_metrics.is_empty());
        assert!(o.train_accuracy.is_none() && o.val_loss.is_none() && o.final_loss.is_none());
    }

    #[test]
    fn a_holdout_trial_has_no_spread() {
        let o = summarize(&[fold(0.75, false)], false);
        assert_eq!((o.metric, o.spread), (0.75, None));
        assert!(o.fold_metrics.is_empty());
        assert_eq!(fold_mean_and_spread(&[]).1, 0.0);
        assert!(fold_mean_and_spread(&[]).0.is_nan());
    }
}
