//! `nnc search`: the `search` section run as the textbook advises — random search in log space,
//! coarse-to-fine stages, k-fold validation — with trials in parallel, a live table, and a
//! search directory (see [`files`]) that an interrupted search resumes from.
//!
//! Each trial checks the model file again with its sampled values as `--set` overrides, so
//! structural params (widths, depth, pieces, activations) work, trains a fresh model without
//! output (single-threaded when several trials run at once) and records the metric. Results
//! are deterministic for a seed, whatever `--jobs`: a trial's values depend only on the seed
//! and its number, and training is bit-identical across thread counts.
//!
//! Ctrl-C lets the running trials finish and keeps every finished one in `trials.jsonl`;
//! `--resume` runs only the trials that are missing.

pub mod files;
pub mod report;
pub mod trial;

use crate::cli::Common;
use crate::exit::{BAD_MODEL, CommandResult, DIVERGED, Failure, INTERRUPTED, OK, USAGE};
use crate::load;
use crate::output::Output;
use crate::run::files::write;
use crate::run::sink::finding_text;
use crate::run::{INTERRUPT, install_ctrl_c};
use files::{SearchHeader, TrialsWriter};
use nnc_dsl::{CheckOptions, Override, Purpose};
use nnc_train::babysit::{CheckKind, Severity};
use nnc_train::search::{SearchResult, Strategy, TrialRecord, leaderboard, run_search};
use std::path::Path;

/// Trials the leaderboard prints (the file has them all).
pub const LEADERBOARD_ROWS: usize = 10;

/// The flags of `nnc search`.
#[derive(Debug, Clone, Copy)]
pub struct SearchArgs<'a> {
    /// The model file.
    pub model: &'a Path,
    /// Replaces every stage's trial count.
    pub trials: Option<u64>,
    /// Trials run at once (default: the worker threads).
    pub jobs: Option<usize>,
    /// Continue the search in `--out` (or the latest of the model).
    pub resume: bool,
    /// Replaces the random search's sampler seed.
    pub sampler_seed: Option<u64>,
}

/// Runs `nnc search`.
pub fn search(args: &SearchArgs<'_>, common: &Common, out: &Output) -> CommandResult {
    if args.jobs == Some(0) {
        return Err(Failure::new(USAGE, "--jobs must be at least 1"));
    }
    if args.trials == Some(0) {
        return Err(Failure::new(USAGE, "--trials must be at least 1"));
    }
    install_ctrl_c(
        "interrupted: letting the running trials finish; finished trials are kept in trials.jsonl \
         (Ctrl-C again to quit now; --resume continues)",
    );
    let loaded = load::load(args.model, &common.set, Purpose::Search, true, out)?;
    let experiment = &loaded.checked.experiment;
    let Some(spec) = &experiment.search else {
        return Err(Failure::new(
            USAGE,
            format!("`{}` has no `search` section", args.model.display()),
        )
        .hint("add one (docs/language.md §8), or train once with `nnc run`"));
    };
    let mut space = nnc_dsl::lower::search::space(spec);
    if let Some(searched) = loaded
        .overrides
        .iter()
        .find(|o| space.plan.space.iter().any(|d| d.name == o.name))
    {
        return Err(Failure::new(
            USAGE,
            format!("`--set {}` fixes a searched param", searched.text),
        )
        .hint(format!(
            "the search samples `{}`; drop the --set, or remove `{} ~ …` from the search section",
            searched.name, searched.name
        )));
    }
    let grid = space.plan.strategy == Strategy::Grid;
    if grid && (args.sampler_seed.is_some() || args.trials.is_some()) {
        return Err(Failure::new(
            USAGE,
            "--seed and --trials set a random search's sampler and trial count; a grid runs every combination",
        )
        .hint("drop them, or write `search random(seed: …)` to sample instead"));
    }
    if let Some(seed) = args.sampler_seed
        && let Strategy::Random { seed: s } = &mut space.plan.strategy
    {
        *s = seed;
    }
    if let Some(n) = args.trials {
        for stage in &mut space.plan.stages {
            stage.trials = Some(n);
        }
    }
    if grid
        && let Err(e) = nnc_train::search::grid_size(&space.plan.space)
            .filter(|&n| n <= nnc_train::search::MAX_GRID)
            .ok_or(nnc_train::search::SearchError::GridTooLarge {
                size: nnc_train::search::grid_size(&space.plan.space),
            })
    {
        return Err(Failure::new(USAGE, e.to_string())
            .hint("narrow the integer ranges, or use `search random` with a trial count"));
    }
    // A random search plans every trial up front: refuse an absurd count (`--trials
    // 18446744073709551615`, a file's `trials: 1e15`) here, before it overflows or aborts for
    // memory. The limit is the grid's.
    if !grid {
        let total = space.plan.stages.iter().try_fold(0u64, |sum, s| {
            sum.checked_add(s.trials.unwrap_or(nnc_train::search::DEFAULT_TRIALS))
        });
        if total.is_none_or(|n| n > nnc_train::search::MAX_GRID) {
            let code = if args.trials.is_some() {
                USAGE
            } else {
                BAD_MODEL
            };
            let planned = total.map_or("more than 2^64".into(), |n| n.to_string());
            return Err(Failure::new(
                code,
                format!(
                    "the search plans {planned} trials; nnc runs at most {} in one search",
                    nnc_train::search::MAX_GRID
                ),
            )
            .hint("lower --trials or the `trials` of the search section's stages"));
        }
    }
    // Cross-validation: `validate kfold(k)`, or the data's own `split kfold(k)`.
    space.kfold = space.kfold.or(match experiment.data.split {
        nnc_dsl::ir::SplitSpec::KFold { k, .. } => Some(k),
        _ => None,
    });
    if spec.metric.split == nnc_dsl::ir::SplitName::Test {
        out.warn(
            "warning: the search is judged on the test split: hyperparameters chosen on it make \
             the test result optimistic; judge on `val` (or `validate kfold(k)`) and keep the test \
             split for the end",
        );
    }
    let jobs = args.jobs.unwrap_or_else(rayon::current_num_threads).max(1);
    let header = SearchHeader {
        model: args.model.display().to_string(),
        model_hash: files::content_hash(&loaded.text),
        overrides: common.set.clone(),
        seed: common.seed,
        plan: space.plan.clone(),
        kfold: space.kfold,
    };
    let (dir, done) = if args.resume {
        let dir = files::resume_dir(common.out.as_deref(), &experiment.name)?;
        files::check_header(&dir, &header)?;
        let done = files::read_trials(&dir)?;
        (dir, done)
    } else {
        let dir = files::new_search_dir(common.out.as_deref(), &experiment.name)?;
        files::write_header(&dir, &header)?;
        (dir, Vec::new())
    };
    let planned = report::planned_trials(&space.plan);
    out.note(&format!(
        "search: {planned} trials of `{}` ({}), {} at a time{}, judged on {} ({}){}; directory {}",
        experiment.name,
        space
            .plan
            .stages
            .iter()
            .map(|s| format!(
                "{} {}{}",
                s.name,
                s.trials.map_or("all".into(), |t| t.to_string()),
                s.epochs.map_or(String::new(), |e| format!(" × {e} epochs"))
            ))
            .collect::<Vec<_>>()
            .join(", "),
        jobs,
        if jobs > 1 { " (one thread each)" } else { "" },
        space.plan.metric,
        match space.plan.goal {
            nnc_train::search::Goal::Max => "higher is better",
            nnc_train::search::Goal::Min => "lower is better",
        },
        space
            .kfold
            .map_or(String::new(), |k| format!(", mean over {k} folds")),
        dir.display()
    ));
    if !done.is_empty() {
        out.note(&format!(
            "resuming: {} of {planned} trials finished before; running the rest",
            done.len()
        ));
    }

    let runner = trial::TrialRunner {
        path: loaded.path.clone(),
        text: loaded.text.clone(),
        base: loaded.overrides.clone(),
        probe: &loaded.probe,
        kfold: space.kfold,
        train_seed: None,
    };
    let mut writer = TrialsWriter::open(&dir)?;
    let mut table = report::LiveTable::new(&space.plan);
    out.note(&table.header());
    let mut write_error: Option<String> = None;
    let result = run_search(
        &space.plan,
        jobs,
        &done,
        &|spec| runner.run(spec),
        Some(&INTERRUPT),
        &mut |record, fresh| {
            if fresh && let Err(e) = writer.append(record) {
                write_error.get_or_insert(e);
            }
            out.note(&table.row(record));
            out.record("trial", record);
        },
    )
    .map_err(|e| {
        Failure::new(USAGE, format!("{}: {e}", dir.join(files::TRIALS).display())).hint(
            "resume a search only with the model file and flags it was started with, or start a new one without --resume",
        )
    })?;
    if let Some(e) = write_error {
        out.warn(&format!("warning: {e}: trials.jsonl is incomplete"));
    }
    finish(&loaded, &space.plan, &result, &dir, out)
}

/// The leaderboard, the warnings, `best.nn`, plots and the summary; the exit code.
fn finish(
    loaded: &load::Loaded,
    plan: &nnc_train::search::SearchPlan,
    result: &SearchResult,
    dir: &Path,
    out: &Output,
) -> CommandResult {
    let board = leaderboard(plan, &result.records, result.records.len());
    write(&dir.join("leaderboard.txt"), &board)?;
    let best = result.best.map(|b| &result.records[b]);
    if let Some(best) = best {
        write(&dir.join("best.nn"), &best_model(loaded, best, plan, dir)?)?;
    }
    let plot_error = report::scatter_plots(dir, plan, &result.records, best).err();
    let summary = report::summary_json(plan, result, dir);
    write(
        &dir.join("summary.json"),
        &serde_json::to_string_pretty(&summary).unwrap_or_default(),
    )?;

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
    if let Some(best) = best {
        text.push_str(&format!(
            "\nbest: trial {} with {} = {:.4}{}\n  train it: nnc run {}\n        or: nnc run {} {}\n",
            best.spec.id + 1,
            plan.metric,
            best.outcome.metric,
            best.outcome
                .spread
                .map_or(String::new(), |s| format!(" ± {s:.4}")),
            dir.join("best.nn").display(),
            loaded.path.display(),
            report::best_sets(best)
                .iter()
                .map(|s| format!("--set {s}"))
                .collect::<Vec<_>>()
                .join(" "),
        ));
    }
    text.push_str(&format!("search directory: {}", dir.display()));
    out.result(&text);
    // A best value on the border of its range is W506, pointing at the range in the file;
    // the other warnings are findings.
    let border = border_diagnostics(loaded, best, &result.warnings);
    load::print_diagnostics(&border, &loaded.sources(), out);
    for f in &result.warnings {
        out.record("finding", f);
        let shown_as_w506 = f.check == CheckKind::RangeEdge && !border.is_empty();
        if !shown_as_w506 && (f.severity >= Severity::Warning || !out.quiet) {
            out.warn(&finding_text(f));
        }
    }
    out.record("summary", &summary);
    if let Some(e) = plot_error {
        out.warn(&format!("warning: the plots could not be drawn: {e}"));
    }
    Ok(if result.interrupted {
        INTERRUPTED
    } else if best.is_none() {
        DIVERGED
    } else {
        OK
    })
}

/// W506 for every searched param whose best value lies within the outer 10 % of its range,
/// with the engine's suggested wider range as a help line.
fn border_diagnostics(
    loaded: &load::Loaded,
    best: Option<&TrialRecord>,
    warnings: &[nnc_train::babysit::Finding],
) -> nnc_dsl::Diagnostics {
    let mut out = nnc_dsl::Diagnostics::new();
    let (Some(best), Some(search)) = (best, &loaded.checked.experiment.search) else {
        return out;
    };
    for dim in &search.space {
        let Some(value) = best
            .spec
            .params
            .iter()
            .find(|(n, _)| *n == dim.param)
            .and_then(|(_, v)| v.as_f64())
        else {
            continue;
        };
        if let Some(mut d) = nnc_dsl::border::best_value_on_border(dim, value) {
            // The engine's advice names a wider range to try: it replaces the generic help.
            if let Some(f) = warnings.iter().find(|f| {
                f.check == CheckKind::RangeEdge && f.subject.as_deref() == Some(&dim.param)
            }) {
                d.help = vec![f.advice.clone()];
            }
            out.push(d);
        }
    }
    out
}

/// The model file with the best trial's values written into its `param`s.
fn best_model(
    loaded: &load::Loaded,
    best: &TrialRecord,
    plan: &nnc_train::search::SearchPlan,
    dir: &Path,
) -> Result<String, Failure> {
    let mut overrides = loaded.overrides.clone();
    overrides.extend(report::best_sets(best).into_iter().map(Override::parse));
    let options = CheckOptions {
        overrides: &overrides,
        probe: &loaded.probe,
        purpose: Purpose::Search,
    };
    let checked = nnc_dsl::check_with(&loaded.text, &loaded.path, &options).map_err(|_| {
        crate::commands::failure("the best trial's values no longer check (the file changed?)")
    })?;
    let text = nnc_dsl::resolve::resolved_text(
        &loaded.path,
        &loaded.text,
        &overrides,
        &checked.experiment,
        None,
        "nnc search",
        dir,
    );
    let note = format!(
        "# Best of the search: trial {} (stage {}{}), {} = {:.4}{}.\n",
        best.spec.id + 1,
        best.spec.stage,
        best.spec
            .budget_epochs
            .map_or(String::new(), |e| format!(", trained {e} epochs")),
        plan.metric,
        best.outcome.metric,
        best.outcome
            .spread
            .map_or(String::new(), |s| format!(" ± {s:.4} over folds")),
    );
    // After the `nn` version line and the resolver's header.
    Ok(match text.split_once('\n') {
        Some((first, rest)) if first.trim_start().starts_with("nn ") => {
            format!("{first}\n{note}{rest}")
        }
        _ => format!("{note}{text}"),
    })
}
