//! Running a search: stage by stage, each stage's trials run by a [`TrialExecutor`] (by
//! default [`ThreadExecutor`]: `jobs` worker threads, each trial single-threaded when several
//! run), records delivered in trial order.

use super::limits::{MAX_GRID, stage_trial_count};
use super::narrow::narrow;
use super::warnings::search_warnings;
use super::{Dim, Goal, SearchPlan, Strategy, TrialOutcome, TrialRecord, TrialSpec, TrialStatus};
use crate::babysit::Finding;
use nnc_tape::rng;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// The outcome of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    /// Every trial, in id order.
    pub records: Vec<TrialRecord>,
    /// Index into `records` of the best trial.
    pub best: Option<usize>,
    /// Warnings about the ranges, outliers, overfitting and failures.
    pub warnings: Vec<Finding>,
    /// Whether the search was interrupted before the end.
    pub interrupted: bool,
}

impl SearchResult {
    /// The best trial's record.
    pub fn best_record(&self) -> Option<&TrialRecord> {
        self.best.map(|b| &self.records[b])
    }

    /// How many trials ended each way.
    pub fn counts(&self) -> TrialCounts {
        let count = |f: &dyn Fn(&TrialStatus) -> bool| {
            self.records.iter().filter(|r| f(&r.outcome.status)).count()
        };
        TrialCounts {
            ok: count(&|s| *s == TrialStatus::Ok),
            diverged: count(&|s| *s == TrialStatus::Diverged),
            failed: count(&|s| matches!(s, TrialStatus::Failed(_))),
        }
    }
}

/// How many trials of a search ended each way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrialCounts {
    /// Trained to the end (or early-stopped).
    pub ok: usize,
    /// Diverged.
    pub diverged: usize,
    /// Could not run.
    pub failed: usize,
}

/// The trials of one stage: sampled (random, and the first rung of successive halving) or
/// enumerated (grid), with ids from `first_id`.
fn stage_trials(plan: &SearchPlan, space: &[Dim], stage: usize, first_id: usize) -> Vec<TrialSpec> {
    let s = &plan.stages[stage];
    let count = stage_trial_count(plan.strategy, space, s) as usize;
    let assignments: Vec<Vec<(String, super::Value)>> = match plan.strategy {
        Strategy::Random { seed } | Strategy::Halving { seed, .. } => (0..count)
            .map(|i| {
                // Each trial's values depend only on the seed and its id.
                let mut r = rng(seed);
                r.set_stream((first_id + i) as u64);
                space
                    .iter()
                    .map(|d| (d.name.clone(), d.dist.sample(&mut r)))
                    .collect()
            })
            .collect(),
        Strategy::Grid => {
            // Mixed-radix enumeration (the last dimension fastest), only as far as needed.
            let values: Vec<Vec<super::Value>> = space
                .iter()
                .map(|d| d.dist.grid_values().unwrap_or_default())
                .collect();
            (0..count)
                .map(|mut i| {
                    let mut combo = vec![(String::new(), super::Value::Number(0.0)); space.len()];
                    for (k, d) in space.iter().enumerate().rev() {
                        let v = &values[k];
                        combo[k] = (d.name.clone(), v[i % v.len()].clone());
                        i /= v.len();
                    }
                    combo
                })
                .collect()
        }
    };
    assignments
        .into_iter()
        .enumerate()
        .map(|(i, params)| TrialSpec {
            id: first_id + i,
            stage: s.name.clone(),
            params,
            budget_epochs: s.epochs,
            promoted_from: None,
        })
        .collect()
}

/// The trials of a later rung of successive halving: the best of the rung before (`done`,
/// finished trials only, ranked by [`super::rank`]), as many as the rung runs, trained again
/// with the same values for the rung's epochs; ids from `first_id`.
fn promotions(
    stage: &super::Stage,
    done: &[TrialRecord],
    goal: Goal,
    first_id: usize,
) -> Vec<TrialSpec> {
    let mut ranked: Vec<&TrialRecord> = done.iter().filter(|r| usable(r)).collect();
    ranked.sort_by(|a, b| super::rank(goal, a, b));
    ranked
        .into_iter()
        .take(stage.trials.unwrap_or(1) as usize)
        .enumerate()
        .map(|(i, r)| TrialSpec {
            id: first_id + i,
            stage: stage.name.clone(),
            params: r.spec.params.clone(),
            budget_epochs: stage.epochs,
            promoted_from: Some(r.spec.id),
        })
        .collect()
}

/// Whether a trial finished with a metric: the trials that are ranked, narrowed around and
/// promoted.
pub(crate) fn usable(r: &TrialRecord) -> bool {
    r.outcome.status == TrialStatus::Ok && r.outcome.metric.is_finite()
}

/// The space of the stage after `done`: each dimension narrowed around the best `keep`
/// trials of `done`.
fn next_space(
    space: &[Dim],
    done: &[TrialRecord],
    keep: usize,
    shrink: f64,
    goal: Goal,
) -> Vec<Dim> {
    let mut ranked: Vec<&TrialRecord> = done.iter().filter(|r| usable(r)).collect();
    ranked.sort_by(|a, b| super::rank(goal, a, b));
    ranked.truncate(keep.max(1));
    if ranked.is_empty() {
        return space.to_vec();
    }
    space
        .iter()
        .map(|d| {
            let best: Vec<super::Value> = ranked
                .iter()
                .filter_map(|r| r.spec.params.iter().find(|(n, _)| *n == d.name))
                .map(|(_, v)| v.clone())
                .collect();
            narrow(d, &best, shrink)
        })
        .collect()
}

/// A trial as the engine calls it: the sampled values in, what the training measured out.
pub type TrialFn<'a> = dyn Fn(&TrialSpec) -> TrialOutcome + Sync + 'a;

/// Where and how a stage's trials run: threads of this process ([`ThreadExecutor`], the
/// default), or other processes (`nnc search` under `mpirun`). The runner keeps the rest: the
/// stages and their order, delivering records in id order, resuming and Ctrl-C.
pub trait TrialExecutor {
    /// Runs the trials `todo` (in any order, as many at once as the executor likes) and hands
    /// each record to `finished` as soon as it is in, in whatever order they finish, on the
    /// calling thread. Once `interrupt` is set no trial is started; the call returns when
    /// every started trial's record was handed over.
    fn run_trials(
        &mut self,
        todo: &[TrialSpec],
        interrupt: Option<&AtomicBool>,
        finished: &mut dyn FnMut(TrialRecord),
    );
}

/// The default executor: `jobs` worker threads of this process, each running one trial at a
/// time (single-threaded when several run; with one job, on as many threads as the global
/// pool has, so `--threads` holds).
pub struct ThreadExecutor<'a> {
    /// Trials run at once (at least 1).
    pub jobs: usize,
    /// The trial.
    pub trial: &'a TrialFn<'a>,
}

impl TrialExecutor for ThreadExecutor<'_> {
    fn run_trials(
        &mut self,
        todo: &[TrialSpec],
        interrupt: Option<&AtomicBool>,
        finished: &mut dyn FnMut(TrialRecord),
    ) {
        let next = AtomicUsize::new(0);
        let (tx, rx) = mpsc::channel::<TrialRecord>();
        let workers = self.jobs.clamp(1, todo.len().max(1));
        let trial = self.trial;
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let tx = tx.clone();
                let next = &next;
                scope.spawn(move || {
                    // Several trials at once: each on one thread. One at a time: all the
                    // worker threads (the global pool's count, so `--threads` holds).
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(if workers > 1 {
                            1
                        } else {
                            rayon::current_num_threads()
                        })
                        .build()
                        .expect("a thread pool");
                    loop {
                        if interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(spec) = todo.get(i) else { break };
                        let record = pool.install(|| run_trial(trial, spec));
                        if tx.send(record).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            for record in rx {
                finished(record);
            }
        });
    }
}

/// Runs one trial on the calling thread: its record, without a rank. A trial that panics is a
/// failed trial, not the end of the search.
pub fn run_trial(trial: &TrialFn<'_>, spec: &TrialSpec) -> TrialRecord {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| trial(spec)))
        .unwrap_or_else(|panic| TrialOutcome::failed(panic_message(&*panic)));
    TrialRecord {
        spec: spec.clone(),
        outcome,
        rank: None,
    }
}

/// Runs `specs` on `executor` and hands records to `deliver` in id order. Trials already in
/// `done` (from a resumed search) are not run again.
fn run_stage(
    specs: &[TrialSpec],
    executor: &mut dyn TrialExecutor,
    done: &BTreeMap<usize, TrialRecord>,
    interrupt: Option<&AtomicBool>,
    deliver: &mut dyn FnMut(TrialRecord, bool),
) -> Result<(), SearchError> {
    // A record to resume from must be of this very trial: same stage, values and budget.
    if let Some(s) = specs
        .iter()
        .find(|s| done.get(&s.id).is_some_and(|r| r.spec != **s))
    {
        return Err(SearchError::ResumeMismatch { id: s.id });
    }
    let todo: Vec<TrialSpec> = specs
        .iter()
        .filter(|s| !done.contains_key(&s.id))
        .cloned()
        .collect();
    // Deliver in id order: hold back records until every earlier one has arrived.
    let mut pending: BTreeMap<usize, TrialRecord> = BTreeMap::new();
    let mut order = specs.iter().map(|s| s.id).peekable();
    let mut flush = |pending: &mut BTreeMap<usize, TrialRecord>| {
        while let Some(&id) = order.peek() {
            if let Some(r) = done.get(&id) {
                deliver(r.clone(), false);
            } else if let Some(r) = pending.remove(&id) {
                deliver(r, true);
            } else {
                break;
            }
            order.next();
        }
    };
    flush(&mut pending);
    if todo.is_empty() {
        return Ok(());
    }
    // A record of a trial the stage did not ask for (or of one delivered already) is dropped.
    let mut wanted: BTreeSet<usize> = todo.iter().map(|s| s.id).collect();
    executor.run_trials(&todo, interrupt, &mut |record| {
        if wanted.remove(&record.spec.id) {
            pending.insert(record.spec.id, record);
            flush(&mut pending);
        }
    });
    Ok(())
}

/// Runs `plan`: for each stage, its trials (narrowing the space around the previous stage's
/// best), `jobs` at a time. `resume` holds records of an interrupted run (their trials are not
/// run again); `on_record(record, fresh)` receives every record in id order, `fresh` when it
/// was just run (append it to `trials.jsonl`). Deterministic for any `jobs`.
pub fn run_search(
    plan: &SearchPlan,
    jobs: usize,
    resume: &[TrialRecord],
    trial: &TrialFn<'_>,
    interrupt: Option<&AtomicBool>,
    on_record: &mut dyn FnMut(&TrialRecord, bool),
) -> Result<SearchResult, SearchError> {
    let mut executor = ThreadExecutor { jobs, trial };
    run_search_with(plan, &mut executor, resume, interrupt, on_record)
}

/// [`run_search`] with the trials run by `executor` (e.g. on other processes): the same
/// stages, records in the same order, the same result for any executor that runs each trial
/// with the same trial function.
pub fn run_search_with(
    plan: &SearchPlan,
    executor: &mut dyn TrialExecutor,
    resume: &[TrialRecord],
    interrupt: Option<&AtomicBool>,
    on_record: &mut dyn FnMut(&TrialRecord, bool),
) -> Result<SearchResult, SearchError> {
    plan.check_limits()?;
    let done: BTreeMap<usize, TrialRecord> =
        resume.iter().map(|r| (r.spec.id, r.clone())).collect();
    let mut space = plan.space.clone();
    let mut records: Vec<TrialRecord> = Vec::new();
    let mut first_id = 0;
    let halving = matches!(plan.strategy, Strategy::Halving { .. });
    for (k, stage) in plan.stages.iter().enumerate() {
        let prev: Vec<TrialRecord> = match k {
            0 => Vec::new(),
            _ => records
                .iter()
                .filter(|r| r.spec.stage == plan.stages[k - 1].name)
                .cloned()
                .collect(),
        };
        let specs = if k > 0 && halving {
            promotions(stage, &prev, plan.goal, first_id)
        } else {
            if k > 0 {
                space = next_space(&space, &prev, stage.keep, stage.shrink, plan.goal);
            }
            stage_trials(plan, &space, k, first_id)
        };
        first_id += specs.len();
        let before = records.len();
        run_stage(&specs, executor, &done, interrupt, &mut |r, fresh| {
            on_record(&r, fresh);
            records.push(r);
        })?;
        if records.len() - before < specs.len() {
            break; // interrupted
        }
    }
    let expected: usize = first_id;
    let interrupted =
        interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) || records.len() < expected;
    // Records of trials this plan does not have (another search's) are refused too.
    if !interrupted && let Some(id) = done.keys().find(|&&id| id >= expected) {
        return Err(SearchError::ResumeMismatch { id: *id });
    }
    let best = super::best_index(plan, &records);
    let warnings = search_warnings(plan, &records, best);
    Ok(SearchResult {
        records,
        best,
        warnings,
        interrupted,
    })
}

/// Why a search cannot run.
#[derive(Clone, PartialEq, thiserror::Error)]
pub enum SearchError {
    /// A grid with more than [`MAX_GRID`] combinations (or a continuous dimension).
    #[error("the grid has {} combinations; at most {MAX_GRID} are run", size.map_or("endless (a continuous or enormous space)".to_string(), |n| n.to_string()))]
    GridTooLarge {
        /// The number of combinations, if it fits in a `u64`.
        size: Option<u64>,
    },
    /// A random search of more than [`MAX_GRID`] trials in all.
    #[error("the search plans {} trials; nnc runs at most {MAX_GRID} in one search", planned.map_or("more than 2^64".to_string(), |n| n.to_string()))]
    TooManyTrials {
        /// The planned trials, if their count fits in a `u64`.
        planned: Option<u64>,
    },
    /// A record to resume from does not belong to this search.
    #[error("the record of trial {} to resume from does not match this search's plan (its stage, values or budget differ, or the plan has no such trial): the records come from another search", id + 1)]
    ResumeMismatch {
        /// The trial.
        id: usize,
    },
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("the trial panicked: {text}")
}

nnc_tape::debug_as_display!(SearchError);
