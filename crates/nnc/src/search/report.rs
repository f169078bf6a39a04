//! What a search shows: the live table of finished trials, and at the end the leaderboard,
//! the scatter plots of the metric against each hyperparameter, and the summary.

use crate::plots::{ScatterChart, Series, scatter_chart};
use nnc_dsl::lower::SearchSpace;
use nnc_train::search::{
    Dist, Goal, SearchPlan, SearchResult, TrialRecord, TrialStatus, Value, fit_width, leaderboard,
};
use std::path::Path;

/// The number of trials the plan runs ([`SearchPlan::planned_trials`]; a search checks it
/// within the limits before it starts).
pub fn planned_trials(plan: &SearchPlan) -> u64 {
    plan.planned_trials().unwrap_or(u64::MAX)
}

/// The line that opens a search: how many trials of which model, stage by stage, how many at
/// a time, the metric and its goal, the folds, and the directory.
pub fn announcement(name: &str, space: &SearchSpace, jobs: usize, dir: &Path) -> String {
    let plan = &space.plan;
    format!(
        "search: {} trials of `{name}` ({}), {jobs} at a time{}, judged on {} ({}){}; directory {}",
        planned_trials(plan),
        plan.stages
            .iter()
            .map(|s| format!(
                "{} {}{}",
                s.name,
                s.trials.map_or("all".into(), |t| t.to_string()),
                s.epochs.map_or(String::new(), |e| format!(" × {e} epochs"))
            ))
            .collect::<Vec<_>>()
            .join(", "),
        if jobs > 1 { " (one thread each)" } else { "" },
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

/// The live table of finished trials: a header, then a row per trial as it finishes.
pub struct LiveTable<'a> {
    plan: &'a SearchPlan,
    total: u64,
    best: f64,
}

const PARAM_WIDTH: usize = 11;

impl<'a> LiveTable<'a> {
    /// A table for `plan`.
    pub fn new(plan: &'a SearchPlan) -> Self {
        LiveTable {
            plan,
            total: planned_trials(plan),
            best: f64::NAN,
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
        let metric = match (&o.status, o.spread) {
            (TrialStatus::Ok, Some(spread)) if o.metric.is_finite() => {
                format!("{:.4} ± {spread:.4}", o.metric)
            }
            (TrialStatus::Ok, _) if o.metric.is_finite() => format!("{:.4}", o.metric),
            (TrialStatus::Ok, _) => "-".into(),
            (TrialStatus::Diverged, _) => "diverged".into(),
            (TrialStatus::Failed(_), _) => "failed".into(),
        };
        let train = o
            .train_accuracy
            .map_or("-".to_string(), |a| format!("{a:.4}"));
        s.push_str(&format!(
            "  {metric:>18}  {train:>6}  {:>6.1}  {:>6.2}s",
            o.epochs_run, o.seconds
        ));
        if o.status == TrialStatus::Ok
            && o.metric.is_finite()
            && (self.best.is_nan() || self.plan.goal.better(o.metric, self.best))
        {
            self.best = o.metric;
            s.push_str("  * best so far");
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
                highlight: best.and_then(|b| Some((x_of(b)?, b.outcome.metric))),
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

/// What a finished search prints: the leaderboard's top [`LEADERBOARD_ROWS`], the best trial
/// with the commands that train it, and the directory.
pub fn result_text(model: &Path, plan: &SearchPlan, result: &SearchResult, dir: &Path) -> String {
    let shown = leaderboard(plan, &result.records, LEADERBOARD_ROWS);
    let mut text = format!(
        "\nleaderboard ({} of {} trials{}):\n{shown}",
        result.records.len().min(LEADERBOARD_ROWS),
        result.records.len(),
        if result.interrupted {
            ", interrupted"
        } else {
            ""
        }
    );
    if let Some(best) = result.best_record() {
        text.push_str(&format!(
            "\nbest: trial {} with {} = {:.4}{}\n  train it: nnc run {}\n        or: nnc run {} {}\n",
            best.spec.number(),
            plan.metric,
            best.outcome.metric,
            best.outcome
                .spread
                .map_or(String::new(), |s| format!(" ± {s:.4}")),
            dir.join("best.nn").display(),
            model.display(),
            best_sets(best)
                .iter()
                .map(|s| format!("--set {s}"))
                .collect::<Vec<_>>()
                .join(" "),
        ));
    }
    text.push_str(&format!("search directory: {}", dir.display()));
    text
}

/// The best trial's values as `name=value` texts, as `--set` takes them.
pub fn best_sets(best: &TrialRecord) -> Vec<String> {
    nnc_dsl::lower::search::trial_overrides(&best.spec)
        .into_iter()
        .map(|o| o.text)
        .collect()
}

/// `summary.json`: counts, the best trial and the warnings.
pub fn summary_json(plan: &SearchPlan, result: &SearchResult, dir: &Path) -> serde_json::Value {
    let counts = result.counts();
    let best = result.best_record();
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
        "best": best,
        "best_set": best.map(best_sets),
        "warnings": result.warnings,
    })
}
