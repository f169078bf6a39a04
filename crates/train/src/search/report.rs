//! The leaderboard and the textbook's warnings about a search: a best value at the edge of
//! its range, one trial far better than the rest, overfitting in the best trials, and ranges
//! where nothing trains.

use super::{Dist, Goal, SearchPlan, TrialRecord, TrialStatus, Value};
use crate::babysit::{CheckKind, Finding, Severity};

/// Fraction of a range at each end that counts as its edge.
pub const EDGE_FRACTION: f64 = 0.1;
/// Robust standard deviations from the median beyond which a trial is an outlier.
pub const OUTLIER_SIGMAS: f64 = 3.0;
/// Train/validation accuracy gap of the best trials that counts as overfitting.
pub const GAP: f64 = 0.1;

/// The finished trials ranked best first, as a text table (top `n`). Trials are numbered
/// from 1 (`id + 1`) in everything people read.
pub fn leaderboard(plan: &SearchPlan, records: &[TrialRecord], n: usize) -> String {
    let mut ranked: Vec<&TrialRecord> = records.iter().collect();
    ranked.sort_by(|a, b| super::rank(plan.goal, a, b));
    let mut out = format!("{:>4}  {:>6}  {:<8}  ", "rank", "trial", "stage");
    for d in &plan.space {
        out.push_str(&format!("{:>10}  ", truncate(&d.name, 10)));
    }
    out.push_str(&format!(
        "{:>18}  {:>6}  {:>7}  status\n",
        plan.metric, "epochs", "time"
    ));
    for (rank, r) in ranked.iter().take(n).enumerate() {
        out.push_str(&format!(
            "{:>4}  {:>6}  {:<8}  ",
            rank + 1,
            r.spec.id + 1,
            truncate(&r.spec.stage, 8)
        ));
        for d in &plan.space {
            let v = r
                .spec
                .params
                .iter()
                .find(|(n, _)| *n == d.name)
                .map_or(String::from("-"), |(_, v)| v.to_string());
            out.push_str(&format!("{:>10}  ", truncate(&v, 10)));
        }
        let metric = match (r.outcome.metric.is_finite(), r.outcome.spread) {
            (false, _) => "-".to_string(),
            (true, Some(s)) => format!("{:.4} ± {:.4}", r.outcome.metric, s),
            (true, None) => format!("{:.4}", r.outcome.metric),
        };
        let status = match &r.outcome.status {
            TrialStatus::Ok => "ok".to_string(),
            TrialStatus::Diverged => "diverged".to_string(),
            TrialStatus::Failed(m) => format!("failed: {m}"),
        };
        out.push_str(&format!(
            "{metric:>18}  {:>6.1}  {:>6.2}s  {status}\n",
            r.outcome.epochs_run, r.outcome.seconds
        ));
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).chain(std::iter::once('…')).collect()
    }
}

/// `dist` widened past one end (the lower one if `lower`): by the range's width on a linear
/// scale, two decades on a log scale (one for integers, never below 1), and for `log1m` halfway
/// to 0 below or one more nine above.
pub fn widened(dist: &Dist, lower: bool) -> Dist {
    match *dist {
        Dist::Uniform { lo, hi } if lower => Dist::Uniform {
            lo: lo - (hi - lo),
            hi,
        },
        Dist::Uniform { lo, hi } => Dist::Uniform {
            lo,
            hi: hi + (hi - lo),
        },
        Dist::LogUniform { lo, hi } if lower => Dist::LogUniform { lo: lo / 100.0, hi },
        Dist::LogUniform { lo, hi } => Dist::LogUniform { lo, hi: hi * 100.0 },
        Dist::Int { lo, hi } if lower => Dist::Int {
            lo: lo - (hi - lo),
            hi,
        },
        Dist::Int { lo, hi } => Dist::Int {
            lo,
            hi: hi + (hi - lo),
        },
        Dist::LogInt { lo, hi } if lower => Dist::LogInt {
            lo: (lo / 10).max(1),
            hi,
        },
        Dist::LogInt { lo, hi } => Dist::LogInt {
            lo,
            hi: hi.saturating_mul(10),
        },
        Dist::Log1m { lo, hi } if lower => Dist::Log1m { lo: lo / 2.0, hi },
        Dist::Log1m { lo, hi } => Dist::Log1m {
            lo,
            hi: 1.0 - (1.0 - hi) / 10.0,
        },
        Dist::Choice(ref c) => Dist::Choice(c.clone()),
    }
}

/// The warnings of a finished search (`best` indexes `records`).
pub fn search_warnings(
    plan: &SearchPlan,
    records: &[TrialRecord],
    best: Option<usize>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let finished: Vec<&TrialRecord> = records
        .iter()
        .filter(|r| r.outcome.status == TrialStatus::Ok && r.outcome.metric.is_finite())
        .collect();
    let failed: Vec<&TrialRecord> = records
        .iter()
        .filter(|r| matches!(r.outcome.status, TrialStatus::Failed(_)))
        .collect();
    let first_failure = failed.first().map(|r| match &r.outcome.status {
        TrialStatus::Failed(m) => format!("trial {}: {m}", r.spec.id + 1),
        _ => String::new(),
    });
    if !records.is_empty() && finished.is_empty() {
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
                    first_failure.clone().unwrap_or_default()
                ),
                "values that make no valid model fail their trial: narrow the ranges to valid values (`nnc check --set name=value` shows what is wrong with one)".to_string(),
            )
        };
        out.push(
            Finding::new(CheckKind::Divergence, Severity::Error, message)
                .measure("trials", records.len() as f64)
                .measure("failed", failed.len() as f64)
                .threshold("at least one trial finishes")
                .advice(advice),
        );
        return out;
    }
    if failed.len() * 2 > records.len() {
        out.push(
            Finding::new(
                CheckKind::Divergence,
                Severity::Warning,
                format!(
                    "{} of {} trials failed to run (first: {})",
                    failed.len(),
                    records.len(),
                    first_failure.clone().unwrap_or_default()
                ),
            )
            .measure("failed", failed.len() as f64)
            .threshold("at most half the trials fail")
            .advice("part of the search space makes no valid model: narrow it to valid values"),
        );
    }
    let Some(best) = best.map(|b| &records[b]) else {
        return out;
    };

    // A best value on the edge of its range: the optimum may lie outside.
    for d in &plan.space {
        let Some(x) = best
            .spec
            .params
            .iter()
            .find(|(n, _)| *n == d.name)
            .and_then(|(_, v)| v.as_f64())
        else {
            continue;
        };
        let Some(pos) = d.dist.position(x) else {
            continue;
        };
        let edge = if pos <= EDGE_FRACTION {
            "lower"
        } else if pos >= 1.0 - EDGE_FRACTION {
            "upper"
        } else {
            continue;
        };
        out.push(
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
            .measure("position", pos)
            .threshold(format!(
                "best value inside the middle {:.0} % of the range",
                (1.0 - 2.0 * EDGE_FRACTION) * 100.0
            ))
            .advice(format!(
                "widen the range past its {edge} end, e.g. {}",
                widened(&d.dist, edge == "lower")
            )),
        );
    }

    // One trial far better than the rest (not among trials that all learnt nothing: their
    // differences are noise, and the flat-loss warning below says what is wrong).
    let all_flat = finished.iter().all(|r| r.outcome.flat());
    if finished.len() >= 5 && !all_flat {
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
        if robust_std > 0.0 && distance > OUTLIER_SIGMAS && (b - runner_up).abs() > 3.0 * robust_std
        {
            out.push(
                Finding::new(
                    CheckKind::OutlierTrial,
                    Severity::Warning,
                    format!(
                        "trial {} ({} = {b:.4}) is far better than the rest: {distance:.1} robust standard deviations from the median {median:.4}, runner-up {runner_up:.4}",
                        best.spec.id + 1, plan.metric
                    ),
                )
                .measure("best", b)
                .measure("median", median)
                .measure("robust_std", robust_std)
                .threshold(format!("best within {OUTLIER_SIGMAS} robust standard deviations of the median"))
                .advice("a result that good and that lonely is suspicious: check the data (leakage between splits, duplicated rows) and rerun that trial with another seed"),
            );
        }
    }

    // Overfitting in the best trials.
    let mut ranked = finished.clone();
    ranked.sort_by(|a, b| super::rank(plan.goal, a, b));
    let gaps: Vec<(usize, f64)> = ranked
        .iter()
        .take(3)
        .filter_map(
            |r| match (r.outcome.train_accuracy, r.outcome.val_accuracy) {
                // A trial that learnt nothing does not overfit: its gap is noise.
                (Some(t), Some(v)) if t - v > GAP && !r.outcome.flat() => {
                    Some((r.spec.id + 1, t - v))
                }
                _ => None,
            },
        )
        .collect();
    if !gaps.is_empty() {
        let worst = gaps.iter().map(|g| g.1).fold(0.0, f64::max);
        out.push(
            Finding::new(
                CheckKind::Overfitting,
                Severity::Warning,
                format!(
                    "{} of the best 3 trials overfit: train/validation accuracy gap up to {:.1} points (trials {})",
                    gaps.len(),
                    worst * 100.0,
                    gaps.iter().map(|g| g.0.to_string()).collect::<Vec<_>>().join(", ")
                ),
            )
            .measure("gap", worst)
            .threshold(format!("gap at most {GAP}"))
            .advice("search the regularisation strength (l2, dropout) too, or get more data"),
        );
    }

    // Every trial flat: the ranges (the learning rate's, usually) are far too low.
    let flat = finished.iter().filter(|r| r.outcome.flat()).count();
    if finished.len() >= 2 && flat == finished.len() {
        out.push(
            Finding::new(
                CheckKind::FlatLoss,
                Severity::Warning,
                format!(
                    "the loss barely moved in any of the {flat} finished trials: each ended within {:.0} % of its initial loss",
                    super::FLAT_FRACTION * 100.0
                ),
            )
            .measure("flat_trials", flat as f64)
            .threshold(format!(
                "the training loss falls by at least {:.0} %",
                super::FLAT_FRACTION * 100.0
            ))
            .advice("the learning-rate range is far too low (or training far too short): search higher, e.g. around the range `nnc doctor` suggests"),
        );
    }

    // Most trials diverged.
    let diverged = records
        .iter()
        .filter(|r| r.outcome.status == TrialStatus::Diverged)
        .count();
    if diverged * 2 > records.len() {
        out.push(
            Finding::new(
                CheckKind::Divergence,
                Severity::Warning,
                format!("{diverged} of {} trials diverged", records.len()),
            )
            .measure("diverged", diverged as f64)
            .threshold("at most half the trials diverge")
            .advice("the learning-rate range reaches too high: lower its upper end"),
        );
    }
    out
}
