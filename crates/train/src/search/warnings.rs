//! The textbook's warnings about a finished search, one function per check: nothing trained,
//! most trials failed, a best value at the edge of its range, one trial far better than the
//! rest, overfitting in the best trials, every trial flat, most trials diverged. The outlier
//! and overfitting checks compare the best only with trials of its epoch budget.

use super::edge::{EDGE_FRACTION, range_edge, widened};
use super::{FLAT_FRACTION, Goal, SearchPlan, TrialRecord, TrialStatus, Value};
use crate::babysit::{CheckKind, Finding, Severity};

/// Robust standard deviations from the median beyond which a trial is an outlier.
pub const OUTLIER_SIGMAS: f64 = 3.0;
/// Train/validation accuracy gap of the best trials that counts as overfitting.
pub const GAP: f64 = 0.1;
/// Trials finished before the outlier check judges one of them far better than the rest.
const OUTLIER_MIN_TRIALS: usize = 5;
/// The best trials the overfitting check looks at.
const OVERFIT_TOP: usize = 3;

/// The trials of a search sorted by how they ended.
struct Ended<'a> {
    /// Every trial.
    all: &'a [TrialRecord],
    /// Trained to the end with a finite metric.
    finished: Vec<&'a TrialRecord>,
    /// Could not run.
    failed: Vec<&'a TrialRecord>,
}

impl<'a> Ended<'a> {
    fn of(records: &'a [TrialRecord]) -> Self {
        Ended {
            all: records,
            finished: records
                .iter()
                .filter(|r| r.outcome.status == TrialStatus::Ok && r.outcome.metric.is_finite())
                .collect(),
            failed: records
                .iter()
                .filter(|r| matches!(r.outcome.status, TrialStatus::Failed(_)))
                .collect(),
        }
    }

    /// `trial <n>: <why>` of the first failed trial (empty if none failed).
    fn first_failure(&self) -> String {
        self.failed
            .first()
            .map(|r| match &r.outcome.status {
                TrialStatus::Failed(m) => format!("trial {}: {m}", r.spec.number()),
                _ => String::new(),
            })
            .unwrap_or_default()
    }
}

/// The warnings of a finished search (`best` indexes `records`).
pub fn search_warnings(
    plan: &SearchPlan,
    records: &[TrialRecord],
    best: Option<usize>,
) -> Vec<Finding> {
    let ended = Ended::of(records);
    if let Some(nothing) = nothing_trained(&ended) {
        return vec![nothing];
    }
    let mut out: Vec<Finding> = most_failed(&ended).into_iter().collect();
    let Some(best) = best.map(|b| &records[b]) else {
        return out;
    };
    // A trial is only compared with trials trained for as long as the best.
    let comparable: Vec<&TrialRecord> = ended
        .finished
        .iter()
        .copied()
        .filter(|r| r.spec.budget_epochs == best.spec.budget_epochs)
        .collect();
    out.extend(range_edges(plan, best));
    out.extend(outlier_trial(plan, &comparable, best));
    out.extend(overfitting(plan, &comparable));
    out.extend(all_flat(&ended.finished));
    out.extend(most_diverged(records));
    out
}

/// No trial finished: every one diverged or failed (an error).
fn nothing_trained(ended: &Ended<'_>) -> Option<Finding> {
    let (records, failed) = (ended.all, &ended.failed);
    if records.is_empty() || !ended.finished.is_empty() {
        return None;
    }
    let diverged = records.len() - failed.len();
    let (message, advice) = if failed.is_empty() {
        (
            format!("none of the {} trials trained: every one diverged", records.len()),
            "the ranges are wrong (a learning rate range far too high?): run `nnc doctor` for a learning-rate range test and search around it".to_string(),
        )
    } else {
        (
            format!(
                "none of the {} trials trained: {diverged} diverged, {} failed (first: {})",
                records.len(),
                failed.len(),
                ended.first_failure()
            ),
            "values that make no valid model fail their trial: narrow the ranges to valid values (`nnc check --set name=value` shows what is wrong with one)".to_string(),
        )
    };
    Some(
        Finding::new(CheckKind::Divergence, Severity::Error, message)
            .measure("trials", records.len() as f64)
            .measure("failed", failed.len() as f64)
            .threshold("at least one trial finishes")
            .advice(advice),
    )
}

/// More than half the trials could not run.
fn most_failed(ended: &Ended<'_>) -> Option<Finding> {
    let (records, failed) = (ended.all, &ended.failed);
    (failed.len() * 2 > records.len()).then(|| {
        Finding::new(
            CheckKind::Divergence,
            Severity::Warning,
            format!(
                "{} of {} trials failed to run (first: {})",
                failed.len(),
                records.len(),
                ended.first_failure()
            ),
        )
        .measure("failed", failed.len() as f64)
        .threshold("at most half the trials fail")
        .advice("part of the search space makes no valid model: narrow it to valid values")
    })
}

/// A best value on the edge of its range ([`range_edge`]): the optimum may lie outside.
fn range_edges(plan: &SearchPlan, best: &TrialRecord) -> Vec<Finding> {
    plan.space
        .iter()
        .filter_map(|d| {
            let x = best
                .spec
                .params
                .iter()
                .find(|(n, _)| *n == d.name)
                .and_then(|(_, v)| v.as_f64())?;
            let (edge, position) = range_edge(&d.dist, x)?;
            Some(
                Finding::new(
                    CheckKind::RangeEdge,
                    Severity::Warning,
                    format!(
                        "the best `{}` = {} lies at the {edge} edge of its range {}: the optimum may lie outside",
                        d.name,
                        Value::Number(x),
                        d.dist
                    ),
                )
                .subject(d.name.clone())
                .measure("best", x)
                .measure("position", position)
                .threshold(format!(
                    "best value inside the middle {:.0} % of the range",
                    (1.0 - 2.0 * EDGE_FRACTION) * 100.0
                ))
                .advice(format!(
                    "widen the range past its {edge} end, e.g. {}",
                    widened(&d.dist, edge)
                )),
            )
        })
        .collect()
}

/// One trial far better than the rest: more than [`OUTLIER_SIGMAS`] robust standard deviations
/// (1.4826 × the median absolute deviation) from the median, and as far from the runner-up.
/// Not among trials that all learnt nothing: their differences are noise, and the flat-loss
/// warning says what is wrong.
fn outlier_trial(
    plan: &SearchPlan,
    finished: &[&TrialRecord],
    best: &TrialRecord,
) -> Option<Finding> {
    let all_flat = finished.iter().all(|r| r.outcome.flat());
    if finished.len() < OUTLIER_MIN_TRIALS || all_flat {
        return None;
    }
    let mut m: Vec<f64> = finished.iter().map(|r| r.outcome.metric).collect();
    m.sort_by(f64::total_cmp);
    let median = m[m.len() / 2];
    let mut dev: Vec<f64> = m.iter().map(|x| (x - median).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let robust_std = 1.4826 * dev[dev.len() / 2];
    let b = best.outcome.metric;
    let distance = (b - median).abs() / robust_std.max(1e-12);
    let mut rest: Vec<f64> = m.clone();
    let pos = rest.iter().position(|&x| x == b).unwrap_or(0);
    rest.remove(pos);
    let runner_up = match plan.goal {
        Goal::Max => rest.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Goal::Min => rest.iter().copied().fold(f64::INFINITY, f64::min),
    };
    let lonely = robust_std > 0.0
        && distance > OUTLIER_SIGMAS
        && (b - runner_up).abs() > OUTLIER_SIGMAS * robust_std;
    lonely.then(|| {
        Finding::new(
            CheckKind::OutlierTrial,
            Severity::Warning,
            format!(
                "trial {} ({} = {b:.4}) is far better than the rest: {distance:.1} robust standard deviations from the median {median:.4}, runner-up {runner_up:.4}",
                best.spec.number(), plan.metric
            ),
        )
        .measure("best", b)
        .measure("median", median)
        .measure("robust_std", robust_std)
        .threshold(format!("best within {OUTLIER_SIGMAS} robust standard deviations of the median"))
        .advice("a result that good and that lonely is suspicious: check the data (leakage between splits, duplicated rows) and rerun that trial with another seed")
    })
}

/// Overfitting in the best [`OVERFIT_TOP`] trials: a train/validation accuracy gap over
/// [`GAP`] (a trial that learnt nothing does not overfit: its gap is noise).
fn overfitting(plan: &SearchPlan, finished: &[&TrialRecord]) -> Option<Finding> {
    let mut ranked = finished.to_vec();
    ranked.sort_by(|a, b| super::rank(plan.goal, a, b));
    let gaps: Vec<(usize, f64)> = ranked
        .iter()
        .take(OVERFIT_TOP)
        .filter_map(
            |r| match (r.outcome.train_accuracy, r.outcome.val_accuracy) {
                (Some(t), Some(v)) if t - v > GAP && !r.outcome.flat() => {
                    Some((r.spec.number(), t - v))
                }
                _ => None,
            },
        )
        .collect();
    if gaps.is_empty() {
        return None;
    }
    let worst = gaps.iter().map(|g| g.1).fold(0.0, f64::max);
    Some(
        Finding::new(
            CheckKind::Overfitting,
            Severity::Warning,
            format!(
                "{} of the best {OVERFIT_TOP} trials overfit: train/validation accuracy gap up to {:.1} points (trials {})",
                gaps.len(),
                worst * 100.0,
                gaps.iter().map(|g| g.0.to_string()).collect::<Vec<_>>().join(", ")
            ),
        )
        .measure("gap", worst)
        .threshold(format!("gap at most {GAP}"))
        .advice("search the regularisation strength (l2, dropout) too, or get more data"),
    )
}

/// Every finished trial flat (at least two): the ranges (the learning rate's, usually) are far
/// too low.
fn all_flat(finished: &[&TrialRecord]) -> Option<Finding> {
    let flat = finished.iter().filter(|r| r.outcome.flat()).count();
    (finished.len() >= 2 && flat == finished.len()).then(|| {
        Finding::new(
            CheckKind::FlatLoss,
            Severity::Warning,
            format!(
                "the loss barely moved in any of the {flat} finished trials: each ended within {:.0} % of its initial loss",
                FLAT_FRACTION * 100.0
            ),
        )
        .measure("flat_trials", flat as f64)
        .threshold(format!(
            "the training loss falls by at least {:.0} %",
            FLAT_FRACTION * 100.0
        ))
        .advice("the learning-rate range is far too low (or training far too short): search higher, e.g. around the range `nnc doctor` suggests")
    })
}

/// More than half the trials diverged.
fn most_diverged(records: &[TrialRecord]) -> Option<Finding> {
    let diverged = records
        .iter()
        .filter(|r| r.outcome.status == TrialStatus::Diverged)
        .count();
    (diverged * 2 > records.len()).then(|| {
        Finding::new(
            CheckKind::Divergence,
            Severity::Warning,
            format!("{diverged} of {} trials diverged", records.len()),
        )
        .measure("diverged", diverged as f64)
        .threshold("at most half the trials diverge")
        .advice("the learning-rate range reaches too high: lower its upper end")
    })
}
