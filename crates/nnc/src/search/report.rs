//! What a search shows: the live table of finished trials, and at the end the leaderboard,
//! the scatter plots of the metric against each hyperparameter, and the summary.

use crate::plots::{ScatterChart, Series, scatter_chart};
use nnc_dsl::lower::SearchSpace;
use nnc_train::search::{
    Dist, Goal, MetricFormat, SearchPlan, SearchResult, Strategy, TrialRecord, TrialStatus, Value,
    budget_groups, fit_width, group_table,
};
use std::path::Path;

/// The number of trials the plan runs ([`SearchPlan::planned_trials`]; a search checks it
/// within the limits before it starts).
pub fn planned_trials(plan: &SearchPlan) -> u64 {
    plan.planned_trials().unwrap_or(u64::MAX)
}

/// How many trials run at once, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parallel {
    /// `--jobs`: this many threads of one process (one thread per trial when several).
    Jobs(usize),
    /// Under `mpirun`: one trial per rank, each on `threads` threads.
    Ranks {
        /// The ranks, rank 0 included.
        ranks: usize,
        /// Each rank's `--threads`.
        threads: usize,
    },
}

impl Parallel {
    /// `2 at a time (one thread each)`, `3 at a time (one per rank, 1 thread each)`.
    fn text(self) -> String {
        let threads = |n: usize| match n {
            1 => "1 thread".to_string(),
            n => format!("{n} threads"),
        };
        match self {
            Parallel::Jobs(1) => "1 at a time".into(),
            Parallel::Jobs(jobs) => format!("{jobs} at a time (one thread each)"),
            Parallel::Ranks { ranks, threads: t } => {
                format!("{ranks} at a time (one per rank, {} each)", threads(t))
            }
        }
    }
}

/// The line that opens a search: how many trials of which model, stage by stage, how many at
/// a time (and where), the metric and its goal, the folds, and the directory.
pub fn announcement(name: &str, space: &SearchSpace, parallel: Parallel, dir: &Path) -> String {
    let plan = &space.plan;
    let strategy = match plan.strategy {
        Strategy::Halving { eta, .. } => format!("successive halving, η = {eta}: "),
        _ => String::new(),
    };
    let planned = planned_trials(plan);
    // One stage needs no list, unless it has a budget of its own.
    let stages = match plan.stages.as_slice() {
        [only] => only
            .epochs
            .map_or(String::new(), |e| format!(" ({} each)", epochs_text(e))),
        stages => format!(
            " ({strategy}{})",
            stages
                .iter()
                .map(|s| format!(
                    "{} {}{}",
                    s.name,
                    s.trials.map_or("all".into(), |t| t.to_string()),
                    s.epochs
                        .map_or(String::new(), |e| format!(" × {}", epochs_text(e)))
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!(
        "search: {}{planned} trial{} of `{name}`{stages}, {}, judged on {} ({}){}; directory {}",
        if matches!(plan.strategy, Strategy::Halving { .. }) {
            "at most "
        } else {
            ""
        },
        if planned == 1 { "" } else { "s" },
        parallel.text(),
        plan.metric,
        match plan.goal {
            Goal::Max => "higher is better",
            Goal::Min => "lower is better",
        },
        space
            .kfold
            .map_or(String::new(), |k| format!(", mean over {k} folds")),
        dir.display()
    )
}

/// `1 epoch`, `3 epochs`.
pub fn epochs_text(epochs: u64) -> String {
    if epochs == 1 {
        "1 epoch".into()
    } else {
        format!("{epochs} epochs")
    }
}

/// The live table of finished trials: a header, then a row per trial as it finishes, the best
/// so far marked among the trials of the same epoch budget (trials of other lengths are not
/// compared).
pub struct LiveTable<'a> {
    plan: &'a SearchPlan,
    total: u64,
    /// The best metric so far of each epoch budget.
    best: Vec<(Option<u64>, f64)>,
}

const PARAM_WIDTH: usize = 11;

impl<'a> LiveTable<'a> {
    /// A table for `plan`.
    pub fn new(plan: &'a SearchPlan) -> Self {
        LiveTable {
            plan,
            total: planned_trials(plan),
            best: Vec::new(),
        }
    }

    /// The header row.
    pub fn header(&self) -> String {
        let mut s = format!("{:>9}  {:<8}", "trial", "stage");
        for d in &self.plan.space {
            s.push_str(&format!(
                " {:>PARAM_WIDTH$}",
                fit_width(&d.name, PARAM_WIDTH)
            ));
        }
        s.push_str(&format!(
            "  {:>18}  {:>6}  {:>6}  {:>7}",
            self.plan.metric, "train", "epochs", "time"
        ));
        s
    }

    /// The row of a finished trial; marks a new best.
    pub fn row(&mut self, r: &TrialRecord) -> String {
        let mut s = format!(
            "{:>9}  {:<8}",
            format!("{}/{}", r.spec.number(), self.total),
            fit_width(&r.spec.stage, 8)
        );
        for d in &self.plan.space {
            let v = r
                .spec
                .params
                .iter()
                .find(|(n, _)| *n == d.name)
                .map_or("-".to_string(), |(_, v)| v.to_string());
            s.push_str(&format!(" {:>PARAM_WIDTH$}", fit_width(&v, PARAM_WIDTH)));
        }
        let o = &r.outcome;
        let metric = match &o.status {
            TrialStatus::Ok => MetricFormat::default_digits().with_spread(o.metric, o.spread),
            TrialStatus::Diverged => "diverged".into(),
            TrialStatus::Failed(_) => "failed".into(),
        };
        let train = o
            .train_accuracy
            .map_or("-".to_string(), |a| format!("{a:.4}"));
        s.push_str(&format!(
            "  {metric:>18}  {train:>6}  {:>6.1}  {:>6.2}s",
            o.epochs_run, o.seconds
        ));
        if o.status == TrialStatus::Ok && o.metric.is_finite() {
            let budget = r.spec.budget_epochs;
            let best = match self.best.iter_mut().find(|(b, _)| *b == budget) {
                Some((_, best)) => best,
                None => {
                    self.best.push((budget, f64::NAN));
                    &mut self.best.last_mut().expect("just pushed").1
                }
            };
            if best.is_nan() || self.plan.goal.better(o.metric, *best) {
                *best = o.metric;
                s.push_str(&match budget {
                    Some(e) if self.plan.stages.len() > 1 => {
                        format!("  * best of {} so far", epochs_text(e))
                    }
                    _ => "  * best so far".into(),
                });
            }
        }
        if let TrialStatus::Failed(m) = &o.status {
            s.push_str(&format!("  {m}"));
        }
        s
    }
}

/// Whether a dimension is sampled in log space (its plot gets a log axis).
fn log_space(dist: &Dist) -> bool {
    matches!(dist.bounds(), Some((_, _, true)))
}

/// Draws `plots/<param>.svg` for every dimension: the metric of every finished trial against
/// the value, one colour per stage, the best trial ringed, diverged and failed trials as crosses
/// along the bottom. Log spaces get a log axis (`log1m`
/// spaces an axis of `1 − value`, where they are even); choices of names (activations) are
/// categories. Returns the files written.
pub fn scatter_plots(
    dir: &Path,
    plan: &SearchPlan,
    records: &[TrialRecord],
    best: Option<&TrialRecord>,
) -> Result<Vec<std::path::PathBuf>, String> {
    let plots = dir.join("plots");
    std::fs::create_dir_all(&plots).map_err(|e| format!("{}: {e}", plots.display()))?;
    let mut written = Vec::new();
    for d in &plan.space {
        let value = |r: &TrialRecord| {
            r.spec
                .params
                .iter()
                .find(|(n, _)| *n == d.name)
                .map(|(_, v)| v.clone())
        };
        // Names (activations) become categories at 0, 1, 2, … in order of appearance.
        let mut categories: Vec<String> = Vec::new();
        for r in records {
            if let Some(Value::Name(n)) = value(r)
                && !categories.contains(&n)
            {
                categories.push(n);
            }
        }
        let log1m = matches!(d.dist, Dist::Log1m { .. });
        let x_of = |r: &TrialRecord| match value(r)? {
            Value::Number(x) if log1m => Some(1.0 - x),
            Value::Number(x) if categories.is_empty() => Some(x),
            Value::Number(_) => None,
            Value::Name(n) => categories.iter().position(|c| *c == n).map(|i| i as f64),
        };
        let mut series: Vec<Series> = Vec::new();
        for stage in &plan.stages {
            let points: Vec<(f64, f64)> = records
                .iter()
                .filter(|r| r.spec.stage == stage.name && r.outcome.status == TrialStatus::Ok)
                .filter_map(|r| Some((x_of(r)?, r.outcome.metric)))
                .collect();
            if !points.is_empty() {
                series.push(Series::new(stage.name.clone(), points));
            }
        }
        let failed: Vec<f64> = records
            .iter()
            .filter(|r| r.outcome.status != TrialStatus::Ok || !r.outcome.metric.is_finite())
            .filter_map(x_of)
            .collect();
        let log_x = categories.is_empty() && log_space(&d.dist);
        let title = format!("{} vs {}", plan.metric, d.name);
        let x_label = match (log1m, log_x) {
            (true, _) => format!("1 − {} (log scale)", d.name),
            (false, true) => format!("{} (log scale)", d.name),
            _ => d.name.clone(),
        };
        let path = plots.join(format!("{}.svg", crate::shared::files::sanitize(&d.name)));
        scatter_chart(
            &path,
            &ScatterChart {
                title: &title,
                x_label: &x_label,
                y_label: &plan.metric,
                log_x,
                series: &series,
                highlight: best.and_then(|b| {
                    Some((
                        (x_of(b)?, b.outcome.metric),
                        format!("best: trial {}", b.spec.number()),
                    ))
                }),
                categories: &categories,
                failed: &failed,
            },
        )?;
        written.push(path);
    }
    Ok(written)
}

/// Trials the printed leaderboard shows (the file has them all).
pub const LEADERBOARD_ROWS: usize = 10;

/// What a search's refit measured ([`super::refit`]).
#[derive(Debug, Clone)]
pub struct RefitEnd {
    /// Its run directory.
    pub dir: std::path::PathBuf,
    /// The rows it trained on (train + val, or all folds).
    pub train_rows: usize,
    /// The test split's loss and accuracy, evaluated once (`None` without test rows).
    pub test: Option<nnc_train::metrics::Metrics>,
    /// The run's exit code.
    pub code: i32,
}

/// What a finished search prints: the final budget group's top [`LEADERBOARD_ROWS`] (the
/// others are in `leaderboard.txt`) and the best trial with the command that trains it (or,
/// when `refit_file`, a pointer to the refit's file, run next).
pub fn result_text(
    model: &Path,
    plan: &SearchPlan,
    result: &SearchResult,
    dir: &Path,
    refit_file: bool,
) -> String {
    let groups = budget_groups(plan, &result.records);
    let mut text = String::new();
    if let Some(last) = groups.first() {
        let title = if plan.stages.len() == 1 {
            String::new()
        } else {
            format!(", {}", last.title())
        };
        text.push_str(&format!(
            "\nleaderboard{title} ({} of {}{}):\n{}",
            last.ranked.len().min(LEADERBOARD_ROWS),
            trials_text(last.ranked.len()),
            if result.interrupted {
                ", interrupted"
            } else {
                ""
            },
            group_table(plan, &result.records, last, LEADERBOARD_ROWS)
        ));
    }
    let others: Vec<String> = groups
        .iter()
        .skip(1)
        .map(|g| format!("  {}: {}\n", g.title(), trials_text(g.ranked.len())))
        .collect();
    if !others.is_empty() {
        text.push_str("other budgets, each ranked apart in leaderboard.txt:\n");
        text.push_str(&others.concat());
    }
    if let Some(best) = result.best_record() {
        let format = MetricFormat::telling_apart(
            groups
                .first()
                .into_iter()
                .flat_map(|g| g.ranked.iter().take(LEADERBOARD_ROWS))
                .map(|&i| result.records[i].outcome.metric),
        );
        let budget = if plan.stages.len() == 1 && best.spec.budget_epochs.is_none() {
            String::new()
        } else {
            format!(" ({})", trial_budget(best))
        };
        text.push_str(&format!(
            "\nbest: trial {}{budget} with {} = {}\n",
            best.spec.number(),
            plan.metric,
            format.with_spread(best.outcome.metric, best.outcome.spread),
        ));
        let best_nn = dir.join("best.nn");
        if refit_file {
            text.push_str(&format!(
                "  refit below; its model file: {}\n",
                best_nn.display()
            ));
        } else if !best.outcome.fold_metrics.is_empty() {
            text.push_str(&format!(
                "  train it once on the file's split: nnc run {} (the metric above is a mean over {} folds)\n",
                best_nn.display(),
                best.outcome.fold_metrics.len()
            ));
        } else {
            text.push_str(&format!("  train it: nnc run {}\n", best_nn.display()));
            if best.spec.budget_epochs.is_none() {
                text.push_str(&format!(
                    "        or: nnc run {} {}\n",
                    model.display(),
                    best_sets(best)
                        .iter()
                        .map(|s| format!("--set {s}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
            }
        }
    }
    text
}

/// The last lines of a search: the refit's test metrics beside the search's metric, and the
/// directory.
pub fn closing_text(
    plan: &SearchPlan,
    result: &SearchResult,
    refit: Option<&RefitEnd>,
    dir: &Path,
) -> String {
    let mut text = String::new();
    if let (Some(best), Some(refit)) = (result.best_record(), refit) {
        let format = MetricFormat::telling_apart([best.outcome.metric]);
        text.push_str(&refit_line(plan, best, refit, format));
    }
    text.push_str(&format!("search directory: {}", dir.display()));
    text
}

/// `1 trial`, `9 trials`.
fn trials_text(n: usize) -> String {
    if n == 1 {
        "1 trial".into()
    } else {
        format!("{n} trials")
    }
}

/// A stage as a phrase: `stage fine`, or `rung 2` (successive halving's stages).
pub fn stage_text(name: &str) -> String {
    if name.starts_with("rung ") {
        name.to_string()
    } else {
        format!("stage {name}")
    }
}

/// `stage fine, 15 epochs` (`rung 2, 3 epochs`) for a trial.
pub fn trial_budget(r: &TrialRecord) -> String {
    format!(
        "{}, {}",
        stage_text(&r.spec.stage),
        r.spec
            .budget_epochs
            .map_or("the file's training length".into(), epochs_text)
    )
}

/// The refit's lines: its test metrics beside the search's (cross-validated) metric.
fn refit_line(
    plan: &SearchPlan,
    best: &TrialRecord,
    refit: &RefitEnd,
    format: MetricFormat,
) -> String {
    let measured = refit.test.map_or_else(
        || "no test split to evaluate".to_string(),
        |m| {
            format!(
                "test.accuracy = {}, test.loss = {}",
                format.format(m.accuracy),
                format.format(m.loss)
            )
        },
    );
    let folds = if best.outcome.fold_metrics.is_empty() {
        String::new()
    } else {
        format!(
            " (cross-validated over {} folds)",
            best.outcome.fold_metrics.len()
        )
    };
    format!(
        "refit: trial {} on all {} training rows: {measured}\n  the search's {} = {}{folds}\n",
        best.spec.number(),
        refit.train_rows,
        plan.metric,
        format.with_spread(best.outcome.metric, best.outcome.spread),
    )
}

/// The best trial's values as `name=value` texts, as `--set` takes them.
pub fn best_sets(best: &TrialRecord) -> Vec<String> {
    nnc_dsl::lower::search::trial_overrides(&best.spec)
        .into_iter()
        .map(|o| o.text)
        .collect()
}

/// `summary.json`: counts, the best trial (ranked within its budget group, named
/// `ranked_among`), the refit and the warnings. Trials are named by their numbers, as in the
/// table.
pub fn summary_json(
    plan: &SearchPlan,
    result: &SearchResult,
    dir: &Path,
    refit: Option<&RefitEnd>,
) -> serde_json::Value {
    let counts = result.counts();
    let best = result.best_record();
    let groups = budget_groups(plan, &result.records);
    serde_json::json!({
        "directory": dir.display().to_string(),
        "metric": plan.metric,
        "goal": plan.goal,
        "trials": result.records.len(),
        "planned": planned_trials(plan),
        "ok": counts.ok,
        "diverged": counts.diverged,
        "failed": counts.failed,
        "interrupted": result.interrupted,
        "ranked_among": groups.first().map(|g| g.title()),
        "best": best,
        "best_set": best.map(best_sets),
        "refit": refit.map(|r| serde_json::json!({
            "directory": r.dir.display().to_string(),
            "train_rows": r.train_rows,
            "test": r.test.map(|m| serde_json::json!({"loss": m.loss, "accuracy": m.accuracy})),
        })),
        "warnings": result.warnings,
    })
}
