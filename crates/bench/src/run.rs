//! The harness: warm up, time repeated windows of training steps, and report.

use crate::floor::{ProductFloor, product_rate_gflops};
use crate::memory::{peak_rss_kib, release_free_heap, reset_peak_rss};
use crate::workload::Workload;
use crate::{allocations, counting_allocator_installed};
use nnc_data::{Batcher, Dataset};
use nnc_ops::{ForwardCtx, Loss, OpsError, Sequential};
use nnc_tape::collective::Collective;
use nnc_tape::{Float, Tape, TensorError};
use nnc_train::events::Event;
use nnc_train::trainer::step_rng;
use nnc_train::{Duration, Progress, TrainConfig, TrainData, TrainError};
use serde::Serialize;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

/// What can go wrong in a benchmark.
#[derive(thiserror::Error)]
pub enum BenchError {
    /// Bad arguments (unknown workload, zero repeats, ...).
    #[error("{0}")]
    Usage(String),
    /// The data could not be generated.
    #[error(transparent)]
    Data(#[from] nnc_data::DataError),
    /// The model could not be built or run.
    #[error(transparent)]
    Ops(#[from] OpsError),
    /// A tensor operation failed.
    #[error(transparent)]
    Tensor(#[from] TensorError),
    /// The trainer failed.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// The thread pool could not be built.
    #[error("thread pool: {0}")]
    Threads(String),
}

/// A model, its data and its training configuration, ready to benchmark. The step harness
/// trains the model itself (no spare copy of the weights inflates the peak memory); the trainer
/// harness trains a fresh copy per repeat, so repeats start from the same weights.
pub struct Prepared {
    /// Name shown in reports (`w1`, or a model file's name).
    pub name: String,
    /// The initial model.
    pub model: Sequential<f32>,
    /// The training data.
    pub data: Dataset,
    /// The data loss.
    pub loss: Loss,
    /// Optimiser, learning-rate schedule, penalty, batch size and seed (the duration is set by
    /// the harness).
    pub config: TrainConfig,
}

impl Clone for Prepared {
    /// A copy with the same weights, data and configuration.
    fn clone(&self) -> Self {
        Prepared {
            name: self.name.clone(),
            model: self.model.to_f32(),
            data: self.data.clone(),
            loss: self.loss,
            config: self.config.clone(),
        }
    }
}

/// Which loop is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Harness {
    /// The training step alone, as the trainer runs it (no babysitter): batch copy, forward,
    /// loss, penalty, backward, completeness check, reset, update, recycle. Compare this with
    /// other frameworks.
    Step,
    /// [`nnc_train::train`] itself with its live babysitter, timed between step events.
    Trainer,
}

impl Harness {
    /// `step` or `trainer`.
    pub fn name(self) -> &'static str {
        match self {
            Harness::Step => "step",
            Harness::Trainer => "trainer",
        }
    }
}

/// How to run a benchmark.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchOptions {
    /// Timed steps per repeat.
    pub steps: u64,
    /// Untimed steps before the first timed one (the tape's pool and the optimiser state fill
    /// up, caches warm).
    pub warmup: u64,
    /// Timed windows; the report gives their median, minimum and maximum.
    pub repeats: usize,
    /// Rayon threads (1 = everything on the calling thread).
    pub threads: usize,
    /// Which loop to time.
    pub harness: Harness,
    /// Also measure the 512³ product rate after the timed windows and report the step against
    /// its products' floor ([`ProductFloor`]).
    pub compare_floor: bool,
}

impl BenchOptions {
    /// `steps` timed steps per repeat on `threads` threads, 5 repeats, a warm-up of a tenth of
    /// the steps (at least 3), the [`Harness::Step`] loop, no floor.
    pub fn new(steps: u64, threads: usize) -> Self {
        BenchOptions {
            steps,
            warmup: (steps / 10).max(3),
            repeats: 5,
            threads,
            harness: Harness::Step,
            compare_floor: false,
        }
    }
}

/// The figures of one benchmark.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchResult {
    /// Workload or model name.
    pub workload: String,
    /// Which loop was timed.
    pub harness: Harness,
    /// Rayon threads.
    pub threads: usize,
    /// Timed steps per repeat.
    pub steps: u64,
    /// Untimed warm-up steps.
    pub warmup: u64,
    /// Timed repeats.
    pub repeats: usize,
    /// Median milliseconds per step over the repeats.
    pub median_ms: f64,
    /// Fastest repeat, milliseconds per step.
    pub min_ms: f64,
    /// Slowest repeat, milliseconds per step.
    pub max_ms: f64,
    /// Steps per second at the median.
    pub steps_per_s: f64,
    /// Median CPU time of the whole process per step, milliseconds (all threads, including
    /// time rayon workers spend spinning for work). On a busy machine this is steadier than the
    /// wall-clock figures for one thread, as it leaves out time spent waiting for a core.
    pub cpu_ms: Option<f64>,
    /// Peak resident set of the process while benchmarking, KiB (VmHWM).
    pub peak_rss_kib: Option<u64>,
    /// Allocations per timed step (all threads), if the counting allocator is installed.
    pub allocs_per_step: Option<f64>,
    /// Loss (data + penalty) of the last step.
    pub final_loss: f64,
    /// FNV-1a hash of the bits of every parameter and buffer after the run, in hex: equal
    /// hashes mean bit-identical weights (across thread counts, or before and after an
    /// optimisation).
    pub checksum: String,
    /// Data-parallel ranks that shared each step (1: one process).
    pub ranks: usize,
    /// Data-parallel: milliseconds per step this rank spent exchanging with the others
    /// (gradients, losses, batch-norm sums), when measured.
    pub exchange_ms: Option<f64>,
    /// The matrix products of a timed step, GFLOP (`2·Σ m·k·n`, averaged over the timed
    /// steps; this rank's share when data-parallel).
    pub product_gflop_per_step: f64,
    /// The step against its products' floor, when asked for ([`BenchOptions::compare_floor`]).
    pub floor: Option<ProductFloor>,
}

impl BenchResult {
    /// One JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data serialises")
    }

    /// The header matching [`fmt::Display`]'s columns.
    pub fn header() -> &'static str {
        "workload harness thr   median ms      min      max    steps/s   cpu ms  peak RSS MiB  allocs/step  checksum"
    }
}

impl fmt::Display for BenchResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rss = self
            .peak_rss_kib
            .map_or("-".to_string(), |k| format!("{:.1}", k as f64 / 1024.0));
        let allocs = self
            .allocs_per_step
            .map_or("-".to_string(), |a| format!("{a:.2}"));
        let cpu = self.cpu_ms.map_or("-".to_string(), |c| format!("{c:.4}"));
        write!(
            f,
            "{:<8} {:<7} {:>3} {:>11.4} {:>8.4} {:>8.4} {:>10.1} {:>8} {:>13} {:>12}  {}",
            self.workload,
            self.harness.name(),
            self.threads,
            self.median_ms,
            self.min_ms,
            self.max_ms,
            self.steps_per_s,
            cpu,
            rss,
            allocs,
            self.checksum
        )
    }
}

/// FNV-1a over the bits of every parameter, then every buffer, of `model`.
pub fn param_checksum<T: Float>(model: &Sequential<T>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |x: f64| {
        for b in x.to_bits().to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for id in model.params().ids() {
        model
            .params()
            .value(id)
            .data()
            .iter()
            .for_each(|&v| eat(v.to_f64()));
    }
    for b in model.buffers() {
        b.value.data().iter().for_each(|&v| eat(v.to_f64()));
    }
    h
}

/// Runs workload `w` with `steps` timed steps per repeat on `threads` threads and the default
/// options ([`BenchOptions::new`]).
pub fn run_workload(w: Workload, steps: u64, threads: usize) -> Result<BenchResult, BenchError> {
    run_workload_with(w, BenchOptions::new(steps, threads))
}

/// Runs workload `w` with the given options.
pub fn run_workload_with(w: Workload, opts: BenchOptions) -> Result<BenchResult, BenchError> {
    run_bench(w.prepare()?, opts)
}

/// Benchmarks training `prepared` as `opts` say. The peak-RSS figure covers the process from
/// the call on (the peak is reset first where the platform allows); run one benchmark per
/// process for a clean figure.
pub fn run_bench(prepared: Prepared, opts: BenchOptions) -> Result<BenchResult, BenchError> {
    run_bench_on(prepared, opts, None)
}

/// [`run_bench`], data-parallel with the ranks of `parallel` when given (every rank makes the
/// call): the trainer harness runs [`nnc_train::train_data_parallel`] (the step harness has no
/// data-parallel form and is refused).
pub fn run_bench_on(
    prepared: Prepared,
    opts: BenchOptions,
    parallel: Option<Arc<dyn Collective>>,
) -> Result<BenchResult, BenchError> {
    if parallel.is_some() && opts.harness == Harness::Step {
        return Err(BenchError::Usage(
            "several ranks time the trainer: use `--harness trainer`".into(),
        ));
    }
    if opts.repeats == 0 || opts.steps == 0 || opts.threads == 0 {
        return Err(BenchError::Usage(
            "steps, repeats and threads must be at least 1".into(),
        ));
    }
    if opts.harness == Harness::Trainer && opts.warmup == 0 {
        return Err(BenchError::Usage(
            "the trainer harness needs at least one warm-up step (timing starts at a step event)"
                .into(),
        ));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| BenchError::Threads(e.to_string()))?;
    let counting = counting_allocator_installed();
    release_free_heap();
    reset_peak_rss();
    let name = prepared.name.clone();
    let ranks = parallel.as_ref().map_or(1, |c| c.size());
    let run = pool.install(move || match opts.harness {
        Harness::Step => time_steps(prepared, opts),
        Harness::Trainer => time_trainer(&prepared, opts, parallel),
    })?;
    // Read before the floor's product adds its own memory.
    let peak = peak_rss_kib();
    let timed_steps = opts.steps as f64 * opts.repeats as f64;
    let mut per_step: Vec<f64> = run
        .windows
        .iter()
        .map(|w| w.seconds * 1e3 / opts.steps as f64)
        .collect();
    per_step.sort_by(f64::total_cmp);
    let median = per_step[per_step.len() / 2];
    let allocs: usize = run.windows.iter().map(|w| w.allocations).sum();
    let mut cpu: Vec<f64> = run
        .windows
        .iter()
        .filter_map(|w| w.cpu_seconds)
        .map(|s| s * 1e3 / opts.steps as f64)
        .collect();
    cpu.sort_by(f64::total_cmp);
    let cpu_ms = (cpu.len() == run.windows.len()).then(|| cpu[cpu.len() / 2]);
    let madds: u64 = run.windows.iter().map(|w| w.multiply_adds).sum();
    let product_gflop_per_step = 2.0 * madds as f64 / timed_steps / 1e9;
    let floor = opts.compare_floor.then(|| {
        let rate = pool.install(product_rate_gflops);
        ProductFloor::new(product_gflop_per_step, rate, median)
    });
    Ok(BenchResult {
        workload: name,
        harness: opts.harness,
        threads: opts.threads,
        steps: opts.steps,
        warmup: opts.warmup,
        repeats: opts.repeats,
        median_ms: median,
        min_ms: per_step[0],
        max_ms: per_step[per_step.len() - 1],
        steps_per_s: 1e3 / median,
        cpu_ms,
        peak_rss_kib: peak,
        allocs_per_step: counting.then(|| allocs as f64 / timed_steps),
        final_loss: run.final_loss,
        checksum: format!("{:016x}", run.checksum),
        ranks,
        exchange_ms: None,
        product_gflop_per_step,
        floor,
    })
}

/// One timed window.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    seconds: f64,
    cpu_seconds: Option<f64>,
    allocations: usize,
    multiply_adds: u64,
}

/// CPU time consumed by the whole process so far, in seconds (Linux and other Unix systems).
fn process_cpu_seconds() -> Option<f64> {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `clock_gettime` writes one `timespec` into the valid, exclusive `ts`.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
        (rc == 0).then_some(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

struct Run {
    windows: Vec<Window>,
    final_loss: f64,
    checksum: u64,
}

/// A point in time with the process CPU time, the allocation count and the product
/// multiply-adds then (none of the readings allocates).
#[derive(Clone, Copy)]
struct Mark {
    at: Instant,
    cpu: Option<f64>,
    allocations: usize,
    multiply_adds: u64,
}

impl Mark {
    fn now() -> Self {
        Mark {
            multiply_adds: nnc_tape::kernels::matmul::multiply_adds(),
            allocations: allocations(),
            cpu: process_cpu_seconds(),
            at: Instant::now(),
        }
    }

    fn window_to(self, end: Mark) -> Window {
        Window {
            seconds: (end.at - self.at).as_secs_f64(),
            cpu_seconds: self.cpu.zip(end.cpu).map(|(a, b)| b - a),
            allocations: end.allocations - self.allocations,
            multiply_adds: end.multiply_adds - self.multiply_adds,
        }
    }
}

/// The training step exactly as `nnc_train`'s trainer runs it (`crates/train/src/trainer`),
/// without the babysitter, metrics and events: one model trained for
/// `warmup + repeats · steps` steps, timed in windows of `steps`.
fn time_steps(p: Prepared, opts: BenchOptions) -> Result<Run, BenchError> {
    let config = &p.config;
    let mut model = p.model;
    let mut optimizer = config.optimizer.build::<f32>();
    let mut batcher = Batcher::new(p.data.len(), config.batch, true, config.seed)?;
    let steps_per_epoch = batcher.batches_per_epoch() as u64;
    let weight_ids = model.weight_ids();
    let features = p.data.features();
    let mut tape = Tape::<f32>::new();
    let (mut xbuf, mut ybuf) = (Vec::new(), Vec::new());
    let total = opts.warmup + opts.steps * opts.repeats as u64;
    let mut marks: Vec<Mark> = Vec::with_capacity(opts.repeats + 1);
    let mut step = 0u64;
    let mut loss_value = f64::NAN;
    // As the trainer does: the other workers wait for the next product spinning.
    let _awake = nnc_tape::workers::KeepAwake::new();
    'epochs: for epoch in 0.. {
        for indices in batcher.epoch(epoch) {
            if step >= opts.warmup && (step - opts.warmup).is_multiple_of(opts.steps) {
                marks.push(Mark::now());
            }
            if step >= total {
                break 'epochs;
            }
            p.data.fill_batch(indices, &mut xbuf, &mut ybuf)?;
            let lr = config.schedule.lr(Progress {
                step,
                epoch: step as f64 / steps_per_epoch as f64,
            });
            tape.reset();
            let x = tape.constant_from_slice(&xbuf, &[ybuf.len(), features])?;
            let mut r = step_rng(config.seed, step);
            let mut ctx = ForwardCtx::train(&mut r);
            let scores = model.forward(&mut tape, x, &mut ctx)?;
            let data_loss = p.loss.apply(&mut tape, scores, &ybuf)?;
            let total_loss = match config.penalty {
                Some(pen) => {
                    let r = pen.apply(&mut tape, model.params(), &weight_ids)?;
                    tape.add(data_loss, r)?
                }
                None => data_loss,
            };
            loss_value = tape.value(total_loss).item()? as f64;
            let grads = tape.backward(total_loss)?;
            grads.check_complete(model.params())?;
            tape.reset();
            optimizer.step(model.params_mut(), &grads, lr)?;
            tape.recycle(grads);
            step += 1;
        }
    }
    Ok(Run {
        windows: marks.windows(2).map(|m| m[0].window_to(m[1])).collect(),
        final_loss: loss_value,
        checksum: param_checksum(&model),
    })
}

/// [`nnc_train::train`] with the babysitter on, timed between the step events that close the
/// warm-up and the timed window; one fresh run per repeat.
fn time_trainer(
    p: &Prepared,
    opts: BenchOptions,
    parallel: Option<Arc<dyn Collective>>,
) -> Result<Run, BenchError> {
    let mut config = p.config.clone();
    config.duration = Duration::Steps(opts.warmup + opts.steps);
    config.log_every_steps = 1;
    config.checkpoint_dir = None;
    config.resume_from = None;
    config.babysit = true;
    let mut windows = Vec::with_capacity(opts.repeats);
    let (mut final_loss, mut checksum) = (f64::NAN, None);
    for _ in 0..opts.repeats {
        let mut model = p.model.to_f32();
        let (mut start, mut end, mut last_loss) = (None, None, f64::NAN);
        let mut sink = |e: &Event| {
            if let Event::Step {
                step,
                loss,
                penalty,
                ..
            } = *e
            {
                if step == opts.warmup {
                    start = Some(Mark::now());
                } else if step == opts.warmup + opts.steps {
                    end = Some(Mark::now());
                }
                // The objective the step harness reports: data loss + penalty.
                last_loss = loss + penalty;
            }
        };
        let data = TrainData::new(&p.data, None);
        match &parallel {
            Some(c) => nnc_train::train_data_parallel(
                &mut model,
                p.loss,
                data,
                &config,
                &mut sink,
                None,
                Arc::clone(c),
            )?,
            None => nnc_train::train(&mut model, p.loss, data, &config, &mut sink, None)?,
        };
        let (Some(s), Some(e)) = (start, end) else {
            return Err(BenchError::Usage(
                "the run stopped before the timed window ended (diverged?)".into(),
            ));
        };
        windows.push(s.window_to(e));
        final_loss = last_loss;
        let sum = param_checksum(&model);
        if checksum.is_some_and(|c| c != sum) {
            return Err(BenchError::Usage(
                "two runs from the same seed ended with different weights".into(),
            ));
        }
        checksum = Some(sum);
    }
    Ok(Run {
        windows,
        final_loss,
        checksum: checksum.unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_harnesses_train_the_same_weights() {
        // The step harness mirrors the trainer: the same number of steps from the same seed
        // must give bit-identical weights.
        let p = Workload::W1.prepare().unwrap();
        let opts = |harness| BenchOptions {
            steps: 4,
            warmup: 2,
            repeats: 1,
            threads: 1,
            harness,
            compare_floor: false,
        };
        let a = run_bench(p.clone(), opts(Harness::Step)).unwrap();
        let b = run_bench(p, opts(Harness::Trainer)).unwrap();
        assert_eq!(a.checksum, b.checksum);
        assert_eq!(a.final_loss, b.final_loss);
        // 300 rows, 2 → 100 → 3: forward X·W1 and H·W2, backward Hᵀ·dS, dS·W2ᵀ and Xᵀ·dZ
        // (no gradient for the input).
        let (n, d, h, c) = (300.0, 2.0, 100.0, 3.0);
        let madds = n * d * h + 3.0 * n * h * c + n * d * h;
        assert_eq!(a.product_gflop_per_step, 2.0 * madds / 1e9);
        assert_eq!(a.floor, None);
        assert!(a.median_ms > 0.0 && a.min_ms <= a.median_ms && a.median_ms <= a.max_ms);
        // No counting allocator in unit tests.
        assert_eq!(a.allocs_per_step, None);
        assert!(a.to_json().contains(r#""harness":"step""#));
    }

    #[test]
    fn thread_counts_give_bit_identical_weights() {
        let p = Workload::W3.prepare().unwrap();
        let run = |threads| {
            let opts = BenchOptions {
                steps: 2,
                warmup: 1,
                repeats: 1,
                threads,
                harness: Harness::Step,
                compare_floor: false,
            };
            run_bench(p.clone(), opts).unwrap().checksum
        };
        assert_eq!(run(1), run(2));
    }
}

nnc_tape::debug_as_display!(BenchError);
