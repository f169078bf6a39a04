//! `nnc search`: the `search` section run as the textbook advises — random search in log space,
//! coarse-to-fine stages, k-fold validation — with trials in parallel, a live table, and a
//! search directory (see [`files`]) that an interrupted search resumes from.
//!
//! Each trial ([`nnc_dsl::search::TrialRunner`]) checks the model file again with its sampled
//! values as `--set` overrides, so structural params (widths, depth, pieces, activations)
//! work, trains a fresh model without output (single-threaded when several trials run at once)
//! and records the metric. Results are deterministic for a seed, whatever `--jobs`: a trial's
//! values depend only on the seed and its number, and training is bit-identical across thread
//! counts. This module parses the flags, prints, and writes the search directory; the engine
//! is [`nnc_train::search`].
//!
//! Ctrl-C lets the running trials finish and keeps every finished one in `trials.jsonl`;
//! `--resume` runs only the trials that are missing.
//!
//! Under `mpirun -np N nnc search` (cargo feature `mpi`; [`distributed`]) every rank loads
//! the file and the ranks compare what they loaded ([`cluster::agree`]); rank 0 then leads: it
//! alone makes (or, with `--resume`, reads) the search directory, prints and writes, and hands
//! the trials out one at a time to whichever rank is free — itself included — each rank running
//! one trial at a time on `--threads` threads (`--jobs` above 1 is refused). The records are
//! the single process's, in the same order, with the `rank` that ran each; the trials write no
//! TensorBoard event files. `SIGUSR1`, which `mpirun` forwards to every rank (on Ctrl-C it
//! kills the job instead), or SIGINT sent to rank 0 itself stops the handing out; the running
//! trials finish and are kept. The other ranks leave when the search is over; the refit, if
//! any, runs on rank 0 alone.

pub mod boards;
#[cfg(feature = "mpi")]
pub mod distributed;
pub mod files;
pub mod refit;
pub mod report;

use crate::cli::Common;
use crate::cluster::{self, Fingerprint};
use crate::exit::{BAD_MODEL, CommandResult, DIVERGED, Failure, INTERRUPTED, OK, USAGE};
use crate::load;
use crate::output::Output;
use crate::shared::files::{SEARCH_TRIALS, new_search_dir, resume_dir, write};
use crate::shared::interrupt::{INTERRUPT, install_ctrl_c};
use files::{SearchHeader, TrialsWriter};
use nnc_dsl::Purpose;
use nnc_dsl::border::best_values_on_border;
use nnc_dsl::lower::SearchSpace;
use nnc_dsl::search::{SearchedFile, TrialRunner, best_file};
use nnc_train::babysit::{CheckKind, Severity};
use nnc_train::search::{
    MetricFormat, SearchError, SearchPlan, SearchResult, Strategy, TrialRecord, leaderboard,
    run_search,
};
use report::RefitEnd;
use std::path::Path;

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

/// Runs `nnc search`: every rank loads the file and its search; rank 0 leads (and alone
/// writes the search directory), the other ranks run the trials it hands them.
pub fn search(args: &SearchArgs<'_>, common: &Common, out: &Output) -> CommandResult {
    install_ctrl_c(
        "interrupted: letting the running trials finish; finished trials are kept in trials.jsonl \
         (Ctrl-C again to quit now; --resume continues)",
    );
    let prepared = prepare(args, common, out);
    // Under mpirun: every rank loaded the same search, or none runs.
    cluster::agree(prepared.as_ref().map(|p| p.2))?;
    let (loaded, space, _) = prepared?;
    #[cfg(feature = "mpi")]
    if let Some(world) = cluster::mpi::world()
        && world.size() > 1
    {
        if world.rank() != 0 {
            return follow(world, &loaded, &space);
        }
        let mut workers = distributed::Workers::new(world);
        return lead(
            args,
            common,
            out,
            &loaded,
            &space,
            Trials::Ranks(&mut workers),
        );
    }
    let jobs = args.jobs.unwrap_or_else(rayon::current_num_threads).max(1);
    lead(args, common, out, &loaded, &space, Trials::Threads(jobs))
}

/// The flags checked, the file loaded and its search planned, with what every rank compares
/// ([`cluster::agree`]).
fn prepare(
    args: &SearchArgs<'_>,
    common: &Common,
    out: &Output,
) -> Result<(load::Loaded, SearchSpace, Fingerprint), Failure> {
    check_flags(args)?;
    let loaded = load::load(args.model, &common.set, Purpose::Search, true, out)?;
    let space = search_space(args, &loaded, out)?;
    let fingerprint = if cluster::ranks() > 1 {
        // The data as the file's defaults lower it (a failure here is the trials' to report:
        // the text, overrides and seed are compared all the same).
        let compiled = load::lower(&loaded, None, None).ok();
        Fingerprint::of_parts(
            &loaded.text,
            &loaded.overrides,
            compiled.as_ref(),
            common.seed,
        )
    } else {
        Fingerprint::default()
    };
    Ok((loaded, space, fingerprint))
}

/// Where the trials run.
enum Trials<'w> {
    /// On this many threads of this process.
    Threads(usize),
    /// On every rank of the job, rank 0 leading.
    #[cfg(feature = "mpi")]
    Ranks(&'w mut distributed::Workers),
    /// Without the `mpi` feature there are no ranks (this cannot be made).
    #[cfg(not(feature = "mpi"))]
    #[allow(dead_code)]
    Never(std::convert::Infallible, std::marker::PhantomData<&'w ()>),
}

/// A rank other than 0 of `mpirun … nnc search`: runs the trials rank 0 hands it (silently:
/// no TensorBoard files, nothing written) until rank 0 says the search is over.
#[cfg(feature = "mpi")]
fn follow(
    world: &'static cluster::mpi::World,
    loaded: &load::Loaded,
    space: &SearchSpace,
) -> CommandResult {
    let runner = trial_runner(loaded, space, None);
    distributed::work(world, &|spec| runner.run(spec))?;
    Ok(OK)
}

/// The trial function of the search: the file checked again with the trial's values, trained
/// without output (`events`: where each trial's TensorBoard events go).
fn trial_runner<'a>(
    loaded: &'a load::Loaded,
    space: &SearchSpace,
    events: Option<&'a nnc_dsl::search::TrialEvents<'a>>,
) -> TrialRunner<'a> {
    TrialRunner {
        path: loaded.path.clone(),
        text: loaded.text.clone(),
        base: loaded.overrides.clone(),
        probe: &loaded.probe,
        kfold: space.kfold,
        train_seed: None,
        memory_limit: load::available_memory(),
        events,
    }
}

/// The leading process: makes (or finds again) the search directory, runs the trials that
/// are missing on `trials`, then reports and writes the results.
fn lead(
    args: &SearchArgs<'_>,
    common: &Common,
    out: &Output,
    loaded: &load::Loaded,
    space: &SearchSpace,
    mut trials: Trials<'_>,
) -> CommandResult {
    let header = SearchHeader {
        model: args.model.display().to_string(),
        model_hash: files::content_hash(&loaded.text),
        overrides: common.set.clone(),
        seed: common.seed,
        plan: space.plan.clone(),
        kfold: space.kfold,
    };
    let name = &loaded.checked.experiment.name;
    let (dir, done) = if args.resume {
        let dir = resume_dir(common.out.as_deref(), name)?;
        files::check_header(&dir, &header)?;
        let done = files::read_trials(&dir)?;
        (dir, done)
    } else {
        let dir = new_search_dir(common.out.as_deref(), name)?;
        files::write_header(&dir, &header)?;
        (dir, Vec::new())
    };
    let parallel = match &trials {
        Trials::Threads(jobs) => report::Parallel::Jobs(*jobs),
        #[cfg(feature = "mpi")]
        Trials::Ranks(workers) => report::Parallel::Ranks {
            ranks: workers.ranks(),
            threads: rayon::current_num_threads(),
        },
        #[cfg(not(feature = "mpi"))]
        Trials::Never(never, _) => match *never {},
    };
    out.note(&report::announcement(name, space, parallel, &dir));
    if !done.is_empty() {
        let planned = report::planned_trials(&space.plan);
        out.note(&if done.len() as u64 >= planned {
            format!(
                "resuming: all {} trials finished before; nothing to run",
                done.len()
            )
        } else {
            format!(
                "resuming: {} of {planned} trials finished before; running the rest",
                done.len()
            )
        });
    }
    let result = run_trials(loaded, space, &mut trials, &dir, &done, out)?;
    // The other ranks are done: the refit runs on this one alone.
    #[cfg(feature = "mpi")]
    if let Trials::Ranks(workers) = &mut trials {
        workers.stop();
    }
    finish(loaded, space, &result, &dir, common, out)
}

/// Refuses counts of zero, and `--jobs` above 1 on several ranks.
fn check_flags(args: &SearchArgs<'_>) -> Result<(), Failure> {
    if args.jobs == Some(0) {
        return Err(Failure::new(USAGE, "--jobs must be at least 1"));
    }
    if args.trials == Some(0) {
        return Err(Failure::new(USAGE, "--trials must be at least 1"));
    }
    let ranks = cluster::ranks();
    if ranks > 1
        && let Some(jobs) = args.jobs.filter(|&j| j > 1)
    {
        return Err(Failure::new(
            USAGE,
            format!(
                "--jobs {jobs} sets the trials one process runs at once; under mpirun each of \
                 the {ranks} ranks runs one trial at a time, on --threads threads"
            ),
        )
        .hint("drop --jobs, and start more ranks (mpirun -np N) to run more trials at once"));
    }
    Ok(())
}

/// The file's search with the flags applied (`--seed` for the sampler, `--trials` for every
/// stage), within the limits; warns when it is judged on the test split.
fn search_space(
    args: &SearchArgs<'_>,
    loaded: &load::Loaded,
    out: &Output,
) -> Result<SearchSpace, Failure> {
    let experiment = &loaded.checked.experiment;
    let Some(mut space) = nnc_dsl::search::search_space(experiment) else {
        return Err(Failure::new(
            USAGE,
            format!("`{}` has no `search` section", args.model.display()),
        )
        .hint("add one (docs/language.md §8), or train once with `nnc run`"));
    };
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
    if let Some(seed) = args.sampler_seed {
        space.plan.set_sampler_seed(seed);
    }
    if let Some(n) = args.trials {
        space.plan.set_trials(n);
    }
    space.plan.check_limits().map_err(|e| {
        let failure = |code| Failure::new(code, e.to_string());
        match e {
            SearchError::TooManyTrials { .. } => failure(if args.trials.is_some() {
                USAGE
            } else {
                BAD_MODEL
            })
            .hint("lower --trials or the `trials` of the search section's stages"),
            _ => failure(USAGE)
                .hint("narrow the integer ranges, or use `search random` with a trial count"),
        }
    })?;
    if experiment
        .search
        .as_ref()
        .is_some_and(|s| s.metric.split == nnc_dsl::ir::SplitName::Test)
    {
        out.warn(
            "warning: the search is judged on the test split: hyperparameters chosen on it make \
             the test result optimistic; judge on `val` (or `validate kfold(k)`) and keep the test \
             split for the end",
        );
    }
    Ok(space)
}

/// Runs the trials that are not `done` on `trials`, appending each to `trials.jsonl` and
/// printing its row of the live table as it finishes (in trial order).
fn run_trials(
    loaded: &load::Loaded,
    space: &SearchSpace,
    trials: &mut Trials<'_>,
    dir: &Path,
    done: &[TrialRecord],
    out: &Output,
) -> Result<SearchResult, Failure> {
    let boards = boards::TrialBoards::new(dir);
    let events = |spec: &nnc_train::search::TrialSpec, fold: Option<usize>| boards.sink(spec, fold);
    let threads = matches!(trials, Trials::Threads(_));
    // On several ranks no trial writes event files: the other ranks write nothing.
    let runner = trial_runner(loaded, space, threads.then_some(&events));
    let mut writer = TrialsWriter::open(dir)?;
    let mut table = report::LiveTable::new(&space.plan);
    out.note(&table.header());
    let mut write_error: Option<String> = None;
    let mut on_record = |record: &TrialRecord, fresh: bool| {
        if fresh && let Err(e) = writer.append(record) {
            write_error.get_or_insert(e);
        }
        out.note(&table.row(record));
        out.record("trial", record);
    };
    let trial = |spec: &nnc_train::search::TrialSpec| runner.run(spec);
    let plan = &space.plan;
    let result = match trials {
        Trials::Threads(jobs) => {
            run_search(plan, *jobs, done, &trial, Some(&INTERRUPT), &mut on_record)
        }
        #[cfg(feature = "mpi")]
        Trials::Ranks(workers) => {
            distributed::lead(workers, plan, &trial, done, Some(&INTERRUPT), &mut on_record)
        }
        #[cfg(not(feature = "mpi"))]
        Trials::Never(never, _) => match *never {},
    }
    .map_err(|e| {
        Failure::new(USAGE, format!("{}: {e}", dir.join(SEARCH_TRIALS).display())).hint(
            "resume a search only with the model file and flags it was started with, or start a new one without --resume",
        )
    })?;
    if let Some(e) = write_error {
        out.warn(&format!("warning: {e}: trials.jsonl is incomplete"));
    }
    if let Some(e) = boards.error() {
        out.warn(&format!(
            "warning: the trials' TensorBoard event files are incomplete: {e}"
        ));
    }
    Ok(result)
}

/// The leaderboard, the warnings, `best.nn`, the refit, plots and the summary; the exit code.
fn finish(
    loaded: &load::Loaded,
    space: &SearchSpace,
    result: &SearchResult,
    dir: &Path,
    common: &Common,
    out: &Output,
) -> CommandResult {
    let plan = &space.plan;
    let board = leaderboard(plan, &result.records, result.records.len());
    write(&dir.join("leaderboard.txt"), &board)?;
    let best = result.best_record();
    // An interrupted search has no final best to refit.
    let refit_wanted = space.refit && !result.interrupted;
    let mut refit_file = false;
    if let Some(best) = best {
        let (text, refit) = best_model(loaded, best, plan, dir, refit_wanted, out)?;
        refit_file = refit;
        write(&dir.join("best.nn"), &text)?;
    }
    let plot_error = report::scatter_plots(dir, plan, &result.records, best).err();
    out.result(&report::result_text(
        &loaded.path,
        plan,
        result,
        dir,
        refit_file,
    ));
    print_warnings(loaded, result, out);
    let write_summary = |refit: Option<&RefitEnd>| {
        let summary = report::summary_json(plan, result, dir, refit);
        write(
            &dir.join("summary.json"),
            &serde_json::to_string_pretty(&summary).unwrap_or_default(),
        )
        .map(|()| summary)
    };
    // The search's summary is kept even if the refit fails.
    write_summary(None)?;
    let refit = match best {
        Some(best) if refit_file => {
            Some(refit::refit(&dir.join("best.nn"), dir, best, common, out))
        }
        _ => None,
    };
    let (refit, refit_failure) = match refit {
        Some(Ok(r)) => (Some(r), None),
        Some(Err(failure)) => (None, Some(failure)),
        None => (None, None),
    };
    let summary = write_summary(refit.as_ref())?;
    out.result(&report::closing_text(plan, result, refit.as_ref(), dir));
    out.record("summary", &summary);
    if let Some(e) = plot_error {
        out.warn(&format!("warning: the plots could not be drawn: {e}"));
    }
    if let Some(failure) = refit_failure {
        return Err(failure);
    }
    Ok(if result.interrupted {
        INTERRUPTED
    } else if best.is_none() {
        DIVERGED
    } else {
        refit.map_or(OK, |r| r.code)
    })
}

/// The search's warnings: a best value on the border of its range as W506, pointing at the
/// range in the file; the others as findings.
fn print_warnings(loaded: &load::Loaded, result: &SearchResult, out: &Output) {
    let border = match (result.best_record(), &loaded.checked.experiment.search) {
        (Some(best), Some(search)) => best_values_on_border(search, best, &result.warnings),
        _ => nnc_dsl::Diagnostics::new(),
    };
    load::print_diagnostics(&border, &loaded.sources(), out);
    for f in &result.warnings {
        out.record("finding", f);
        let shown_as_w506 = f.check == CheckKind::RangeEdge && !border.is_empty();
        if !shown_as_w506 && (f.severity >= Severity::Warning || !out.quiet) {
            out.warn(&f.to_string());
        }
    }
}

/// `best.nn`: the model file with the best trial's values written into its `param`s and its
/// training length, so `nnc run best.nn` reproduces the trial; with `refit`, the refit's file
/// instead (every training row, the test split once). Returns the text and whether it is the
/// refit (a refit that cannot be written is a warning, and best.nn the trial's file).
fn best_model(
    loaded: &load::Loaded,
    best: &TrialRecord,
    plan: &SearchPlan,
    dir: &Path,
    refit: bool,
    out: &Output,
) -> Result<(String, bool), Failure> {
    let file = SearchedFile {
        path: &loaded.path,
        text: &loaded.text,
        base: &loaded.overrides,
        probe: &loaded.probe,
    };
    let metric = MetricFormat::telling_apart([best.outcome.metric]);
    let trial_note = format!(
        "# Best of the search: trial {} ({}), {} = {}{}.\n",
        best.spec.number(),
        report::trial_budget(best),
        plan.metric,
        metric.with_spread(best.outcome.metric, best.outcome.spread),
        best.outcome
            .spread
            .map_or(String::new(), |_| " over folds".into()),
    );
    if refit {
        let note = format!(
            "{trial_note}# Refit: trained on every training row (validation rows and folds included), evaluated once on the test split.\n"
        );
        match best_file(file, best, true, &note, dir) {
            Ok(text) => return Ok((text, true)),
            Err(why) => out.warn(&format!(
                "warning: no refit: {why}; best.nn trains the best trial as it was searched"
            )),
        }
    }
    best_file(file, best, false, &trial_note, dir)
        .map(|text| (text, false))
        .map_err(|why| crate::exit::failure(format!("cannot write best.nn: {why}")))
}
