//! `nnc search` on several ranks (`mpirun -np N nnc search …`, cargo feature `mpi`): rank 0
//! owns the plan and the search directory; every rank, rank 0 included, runs trials.
//!
//! The engine's runner ([`nnc_train::search::run_search_with`]) runs on rank 0 as in a single
//! process — stages in order, records in id order, resuming, Ctrl-C — with [`RankExecutor`]
//! running each stage's trials: a free rank takes the next trial (trials differ in length),
//! rank 0's own on a thread of its own while its main thread serves the others. A stage is
//! handed out only once every record of the stage before is in (the runner's stage sync).
//!
//! The messages, one kind per MPI tag, carry JSON: a [`TrialSpec`] to run, a [`TrialRecord`]
//! back (the form of `trials.jsonl`). A worker rank ([`work`]) says it is ready, then runs
//! each trial it is given with the same trial function as a single process, one at a time on
//! `--threads` threads, and sends its record (which says it is ready again), until rank 0
//! tells it to stop: at the end of the search, after Ctrl-C (once the running trials are in),
//! or when rank 0 fails ([`Workers`] stops the ranks when it is dropped). Waiting is polling
//! with short naps, not a blocking receive, which would spin a core per idle rank that
//! trials need.

use crate::cluster::mpi::World;
use crate::exit::{Failure, failure};
use nnc_train::search::{
    SearchError, SearchPlan, SearchResult, TrialExecutor, TrialFn, TrialOutcome, TrialRecord,
    TrialSpec, run_search_with, run_trial,
};
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// Worker → rank 0: ready for a trial (no content).
const READY: i32 = 1;
/// Worker → rank 0: a finished trial's record (JSON); the worker is ready again.
const RECORD: i32 = 2;
/// Rank 0 → worker: a trial to run (its spec, JSON).
const TRIAL: i32 = 3;
/// Rank 0 → worker: no more trials; leave.
const STOP: i32 = 4;

/// The longest nap between two looks for a message.
const LONGEST_NAP: Duration = Duration::from_micros(500);

/// Waits with growing naps (from 50 µs up to [`LONGEST_NAP`]) until `poll` finds something.
fn wait_for<T>(mut poll: impl FnMut() -> Option<T>) -> T {
    let mut nap = Duration::from_micros(50);
    loop {
        if let Some(found) = poll() {
            return found;
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(LONGEST_NAP);
    }
}

/// Rank 0's view of the other ranks: which are free, which run what. Dropping it tells every
/// rank to stop (once each has said it is free), so a failing rank 0 does not leave the others
/// waiting.
pub struct Workers {
    world: &'static World,
    /// Free ranks, in the order they became free.
    idle: VecDeque<usize>,
    /// The trial each busy rank runs.
    running: BTreeMap<usize, TrialSpec>,
    stopped: bool,
}

impl Workers {
    /// The ranks 1.. of `world` as workers (rank 0 runs trials on a thread of its own).
    pub fn new(world: &'static World) -> Workers {
        Workers {
            world,
            idle: VecDeque::new(),
            running: BTreeMap::new(),
            stopped: false,
        }
    }

    /// The number of ranks, rank 0 included.
    pub fn ranks(&self) -> usize {
        self.world.size()
    }

    /// Handles a message from a worker: a free rank is queued, a record is returned with the
    /// rank that ran it (a record that cannot be read is a failed trial of the spec the rank
    /// was given).
    fn take(&mut self, from: usize, tag: i32, bytes: &[u8]) -> Option<TrialRecord> {
        match tag {
            READY => {
                self.idle.push_back(from);
                None
            }
            RECORD => {
                self.idle.push_back(from);
                let spec = self.running.remove(&from)?;
                let mut record = serde_json::from_slice::<TrialRecord>(bytes)
                    .ok()
                    .filter(|r| r.spec == spec)
                    .unwrap_or_else(|| TrialRecord {
                        spec,
                        outcome: TrialOutcome::failed(format!(
                            "rank {from} sent back a record that cannot be read"
                        )),
                        rank: None,
                    });
                record.rank = Some(from);
                Some(record)
            }
            _ => None,
        }
    }

    /// Sends `spec` to the first free rank; false when none is free.
    fn hand_out(&mut self, spec: &TrialSpec) -> bool {
        let Some(rank) = self.idle.pop_front() else {
            return false;
        };
        let bytes = serde_json::to_vec(spec).unwrap_or_default();
        self.world.send(rank, TRIAL, &bytes);
        self.running.insert(rank, spec.clone());
        true
    }

    /// Tells every rank to stop, once each has said it is free; from then on the job ends
    /// normally whatever rank 0's result ([`crate::cluster::settled`]).
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        let others = self.world.size() - 1;
        while self.idle.len() < others {
            let (from, tag, bytes) = wait_for(|| self.world.try_receive());
            // A record now is of a trial nobody waits for any more.
            let _ = self.take(from, tag, &bytes);
        }
        for &rank in &self.idle {
            self.world.send(rank, STOP, &[]);
        }
        self.stopped = true;
        crate::cluster::settled();
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Rank 0's own trial thread: specs in, records (rank 0's) out.
struct Local {
    to: mpsc::Sender<TrialSpec>,
    from: mpsc::Receiver<TrialRecord>,
    busy: bool,
}

/// The [`TrialExecutor`] of rank 0: hands a stage's trials to free ranks, rank 0's own trial
/// thread first, and collects their records.
pub struct RankExecutor<'w> {
    workers: &'w mut Workers,
    local: Local,
    /// Whether the stop was acknowledged on the terminal.
    told: bool,
}

impl RankExecutor<'_> {
    /// Says once that the search stops, unless Ctrl-C's handler said it (`SIGUSR1` sets the
    /// flag silently).
    fn tell_stop(&mut self) {
        if !self.told && !crate::shared::interrupt::pressed() {
            crate::output::line_err(
                "\ninterrupted (SIGUSR1): letting the running trials finish; finished trials are \
                 kept in trials.jsonl (--resume continues)",
            );
        }
        self.told = true;
    }
}

impl TrialExecutor for RankExecutor<'_> {
    fn run_trials(
        &mut self,
        todo: &[TrialSpec],
        interrupt: Option<&AtomicBool>,
        finished: &mut dyn FnMut(TrialRecord),
    ) {
        let mut next = 0;
        let mut running = 0usize;
        loop {
            let stopping = interrupt.is_some_and(|f| f.load(Ordering::Relaxed));
            if stopping {
                self.tell_stop();
            }
            while !stopping && next < todo.len() {
                if !self.local.busy && self.local.to.send(todo[next].clone()).is_ok() {
                    self.local.busy = true;
                } else if !self.workers.hand_out(&todo[next]) {
                    break;
                }
                next += 1;
                running += 1;
            }
            if running == 0 && (stopping || next == todo.len()) {
                return;
            }
            let record = wait_for(|| {
                if let Ok(record) = self.local.from.try_recv() {
                    self.local.busy = false;
                    return Some(Some(record));
                }
                let (from, tag, bytes) = self.workers.world.try_receive()?;
                // A rank that says it is free is news too: it may take a trial.
                Some(self.workers.take(from, tag, &bytes))
            });
            if let Some(record) = record {
                running -= 1;
                finished(record);
            }
        }
    }
}

/// Runs `plan` with rank 0 leading (see the module doc): its own trials on a thread of
/// `--threads` threads, the others' on `workers`; `resume`, `interrupt` and `on_record` as
/// for [`run_search_with`]. The workers are not stopped here (the caller's [`Workers`] does).
pub fn lead(
    workers: &mut Workers,
    plan: &SearchPlan,
    trial: &TrialFn<'_>,
    resume: &[TrialRecord],
    interrupt: Option<&AtomicBool>,
    on_record: &mut dyn FnMut(&TrialRecord, bool),
) -> Result<SearchResult, SearchError> {
    let threads = rayon::current_num_threads();
    std::thread::scope(|scope| {
        let (to, specs) = mpsc::channel::<TrialSpec>();
        let (records, from) = mpsc::channel::<TrialRecord>();
        scope.spawn(move || {
            let Some(pool) = trial_pool(threads) else {
                return;
            };
            for spec in specs {
                let mut record = pool.install(|| run_trial(trial, &spec));
                record.rank = Some(0);
                if records.send(record).is_err() {
                    break;
                }
            }
        });
        let mut executor = RankExecutor {
            workers,
            local: Local {
                to,
                from,
                busy: false,
            },
            told: false,
        };
        // Dropping the executor closes the trial thread's channel: the thread ends.
        run_search_with(plan, &mut executor, resume, interrupt, on_record)
    })
}

/// A pool of `threads` threads for one trial at a time.
fn trial_pool(threads: usize) -> Option<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .ok()
}

/// A rank other than 0: runs the trials rank 0 hands it, one at a time on `--threads`
/// threads, with `trial` (the same trial function as a single process), until told to stop.
pub fn work(world: &'static World, trial: &TrialFn<'_>) -> Result<(), Failure> {
    let pool = trial_pool(rayon::current_num_threads())
        .ok_or_else(|| failure("cannot start the trial's threads"))?;
    world.send(0, READY, &[]);
    loop {
        let (_, tag, bytes) = wait_for(|| world.try_receive());
        match tag {
            STOP => return Ok(()),
            TRIAL => {
                let spec: TrialSpec = serde_json::from_slice(&bytes).map_err(|e| {
                    failure(format!("rank 0 sent a trial that cannot be read: {e}"))
                })?;
                let record = pool.install(|| run_trial(trial, &spec));
                world.send(0, RECORD, &serde_json::to_vec(&record).unwrap_or_default());
            }
            other => {
                return Err(failure(format!(
                    "rank 0 sent a message of unknown kind {other}"
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use nnc_train::search::{TrialOutcome, TrialRecord, TrialSpec, TrialStatus, Value};

    /// Specs and records cross between ranks as JSON, bit for bit.
    #[test]
    fn specs_and_records_round_trip_through_json_exactly() {
        let spec = TrialSpec {
            id: 41,
            stage: "fine".into(),
            params: vec![
                ("lr".into(), Value::Number(0.012_345_678_901_234_567)),
                ("reg".into(), Value::Number(1.000_000_000_000_000_2e-5)),
                ("act".into(), Value::Name("relu".into())),
            ],
            budget_epochs: Some(15),
            promoted_from: Some(3),
        };
        let back: TrialSpec = serde_json::from_slice(&serde_json::to_vec(&spec).unwrap()).unwrap();
        assert_eq!(back, spec);
        let record = TrialRecord {
            spec,
            outcome: TrialOutcome {
                status: TrialStatus::Ok,
                metric: 0.973_333_333_333_333_3,
                val_loss: Some(0.101_010_101_010_101_01),
                epochs_run: 15.0,
                seconds: 1.5,
                ..TrialOutcome::failed("")
            },
            rank: Some(2),
        };
        let back: TrialRecord =
            serde_json::from_slice(&serde_json::to_vec(&record).unwrap()).unwrap();
        assert_eq!(back, record);
    }
}
