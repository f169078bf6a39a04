//! `nnc bench`: times the training step of a model file (nnc-bench's harness after the usual
//! check and lowering) and reports the median, minimum and maximum milliseconds per step over
//! several repeats, steps per second, peak resident memory and allocations per step.

use super::prepare;
use crate::cli::Common;
use crate::cluster::{self, Fingerprint};
use crate::exit::failure;
use crate::exit::{CommandResult, Failure, OK, USAGE};
use crate::output::Output;
use clap::{Args, ValueEnum};
use nnc_bench::{BenchError, BenchOptions, BenchResult, Harness, Prepared, run_bench_on};
use nnc_dsl::Purpose;
use nnc_train::StepPlan;
use std::path::{Path, PathBuf};

/// The arguments of `nnc bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// The model file.
    pub model: PathBuf,
    /// Timed steps per repeat (default: the file's training length in steps).
    #[arg(long, value_name = "N")]
    pub steps: Option<u64>,
    /// Timed repeats; the report gives their median, minimum and maximum.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub repeats: usize,
    /// Untimed steps before the first timed one (default: a tenth of the steps, at least 3).
    #[arg(long, value_name = "N")]
    pub warmup: Option<u64>,
    /// Which loop to time: `step` (the training step alone) or `trainer` (the trainer with
    /// its live babysitter).
    #[arg(long, value_enum, default_value_t = HarnessArg::Step)]
    pub harness: HarnessArg,
    /// Also time nnc's 512³ matrix product on the same threads and report the step against
    /// its products' floor: the step's product work at that rate.
    #[arg(long)]
    pub compare_floor: bool,
}

/// The loops `nnc bench` can time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HarnessArg {
    /// The training step alone, as the trainer runs it (compare with other frameworks).
    Step,
    /// The trainer itself, babysitter on.
    Trainer,
}

impl From<HarnessArg> for Harness {
    fn from(h: HarnessArg) -> Self {
        match h {
            HarnessArg::Step => Harness::Step,
            HarnessArg::Trainer => Harness::Trainer,
        }
    }
}

/// The benchmark options from the arguments, the file's step count and the thread count;
/// zero steps or repeats are usage errors.
fn options(args: &BenchArgs, file_steps: u64, threads: usize) -> Result<BenchOptions, Failure> {
    let steps = args.steps.unwrap_or(file_steps);
    if steps == 0 {
        return Err(Failure::new(USAGE, "--steps must be at least 1")
            .hint("give the timed steps per repeat, e.g. `--steps 200`"));
    }
    if args.repeats == 0 {
        return Err(Failure::new(USAGE, "--repeats must be at least 1")
            .hint("the median needs repeats; 5 is the default"));
    }
    let mut opts = BenchOptions::new(steps, threads);
    opts.repeats = args.repeats;
    opts.harness = args.harness.into();
    opts.compare_floor = args.compare_floor;
    if let Some(w) = args.warmup {
        if w == 0 && opts.harness == Harness::Trainer {
            return Err(
                Failure::new(USAGE, "the trainer harness needs at least one warm-up step")
                    .hint("timing starts at a step event; use `--warmup 1` or more"),
            );
        }
        opts.warmup = w;
    }
    // The timed windows are allocated up front and the step count must fit a u64: absurd
    // values would abort for memory or overflow (a panic) instead of running.
    if opts.repeats > MAX_REPEATS {
        return Err(Failure::new(
            USAGE,
            format!("--repeats {} is more than {MAX_REPEATS}", opts.repeats),
        )
        .hint("the median of a few repeats is enough; 5 is the default"));
    }
    if (opts.repeats as u64)
        .checked_mul(opts.steps)
        .and_then(|timed| timed.checked_add(opts.warmup))
        .is_none()
    {
        return Err(Failure::new(
            USAGE,
            format!(
                "{} warm-up steps and {} × {} timed steps are more than 2^64 steps",
                opts.warmup, opts.repeats, opts.steps
            ),
        )
        .hint("give --steps and --warmup a number of steps that can run, e.g. `--steps 200`"));
    }
    Ok(opts)
}

/// The most `--repeats` a benchmark takes.
const MAX_REPEATS: usize = 1_000_000;

fn bench_failure(e: BenchError) -> Failure {
    match e {
        BenchError::Usage(m) => Failure::new(USAGE, m),
        other => failure(other),
    }
}

/// `nnc bench model.nn`: checks and lowers the file, then times its training step on the
/// training split (`--threads` rayon threads, default all cores) and prints one result line
/// (text) or a `bench` record (JSON).
pub fn bench(args: &BenchArgs, common: &Common, out: &Output) -> CommandResult {
    // Only the training split, the model and the configuration leave this block: the raw data,
    // the other splits and the file's probe cache are freed before the peak memory is reset.
    let (name, rows, model, train, seed) = {
        let file = prepare(&args.model, Purpose::Run, None, common, out);
        cluster::agree(file.as_ref().map(|f| Fingerprint::of(f, common.seed)))?;
        let file = file?;
        let name = file.experiment().name.clone();
        let compiled = file.into_compiled();
        (
            name,
            compiled.data.splits.train,
            compiled.model,
            compiled.train,
            compiled.seed,
        )
    };
    let Some(config) = train else {
        return Err(Failure::new(USAGE, "the model file has no `train` section")
            .hint("add `train { optimizer sgd(lr: 0.1) … }`: the benchmark times training steps"));
    };
    let mut opts = options(
        args,
        StepPlan::of(&config, rows.len()).total,
        common.threads.unwrap_or_else(rayon::current_num_threads),
    )?;
    let parallel = cluster::collective();
    if let Some(c) = &parallel {
        // Several ranks share the trainer's steps (the step harness has no data-parallel form).
        opts.harness = Harness::Trainer;
        nnc_train::check_data_parallel(&config, rows.len(), c.size())
            .map_err(|e| cluster::agreed(Failure::new(USAGE, e.to_string())))?;
    }
    let prepared = Prepared {
        name,
        model: model.build(seed).map_err(failure)?,
        data: rows,
        loss: model.loss,
        config,
    };
    out.note(&format!(
        "benchmarking {} ({}): {} warm-up steps, then {} × {} timed steps, {} thread{}",
        prepared.name,
        display(&args.model),
        opts.warmup,
        opts.repeats,
        opts.steps,
        opts.threads,
        if opts.threads == 1 { "" } else { "s" }
    ));
    let exchanged = cluster::exchange_seconds();
    let mut result = run_bench_on(prepared, opts, parallel).map_err(bench_failure)?;
    if result.ranks > 1 {
        let steps = (opts.warmup + opts.steps) * opts.repeats as u64;
        result.exchange_ms = Some((cluster::exchange_seconds() - exchanged) * 1e3 / steps as f64);
    }
    report(&result, out);
    Ok(OK)
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

/// Prints the result: the harness's table row under its header (text), or a `bench` record.
fn report(result: &BenchResult, out: &Output) {
    out.record("bench", result);
    let mut text = format!("{}\n{result}", BenchResult::header());
    if let Some(f) = result.floor {
        text.push_str(&format!(
            "\nproducts: {:.4} GFLOP a step; nnc's 512³ product runs at {:.0} GFLOP/s on {} \
             thread{} here, so the products alone take {:.4} ms: the step is {:.2}× that floor",
            result.product_gflop_per_step,
            f.product_gflops,
            result.threads,
            if result.threads == 1 { "" } else { "s" },
            f.floor_ms,
            f.ratio
        ));
    }
    out.result(&text);
    if let Some(ms) = result.exchange_ms {
        out.note(&format!(
            "{} data-parallel ranks, each a shard of every batch ({} thread{} each); rank 0 \
             spent {ms:.4} ms per step exchanging with the others ({:.0}% of the median step)",
            result.ranks,
            result.threads,
            if result.threads == 1 { "" } else { "s" },
            100.0 * ms / result.median_ms
        ));
    }
    if result.allocs_per_step.is_none() {
        out.note("allocations were not counted (the counting allocator is not installed)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(steps: Option<u64>, repeats: usize, warmup: Option<u64>) -> BenchArgs {
        BenchArgs {
            model: "m.nn".into(),
            steps,
            repeats,
            warmup,
            harness: HarnessArg::Trainer,
            compare_floor: false,
        }
    }

    #[test]
    fn options_default_to_the_file_and_refuse_zeros() {
        let o = options(&args(None, 5, None), 1000, 2).unwrap();
        assert_eq!((o.steps, o.warmup, o.repeats, o.threads), (1000, 100, 5, 2));
        assert_eq!(o.harness, Harness::Trainer);
        let o = options(&args(Some(20), 2, Some(0)), 1000, 1);
        assert_eq!(o.unwrap_err().code, USAGE);
        assert_eq!(
            options(&args(Some(0), 5, None), 10, 1).unwrap_err().code,
            USAGE
        );
        assert_eq!(
            options(&args(None, 0, None), 10, 1).unwrap_err().code,
            USAGE
        );
    }

    /// Counts that cannot run are usage errors, not an overflow panic or an allocation abort.
    #[test]
    fn options_refuse_counts_that_overflow_or_exhaust_memory() {
        let max = u64::MAX;
        for (steps, repeats, warmup) in [
            (Some(max), 1, None),
            (Some(1), 1, Some(max)),
            (Some(max / 2), 3, Some(1)),
            (Some(1), 1_000_000_000_000, Some(1)),
        ] {
            let e = options(&args(steps, repeats, warmup), 10, 1).unwrap_err();
            assert_eq!(e.code, USAGE, "{e}");
        }
        let o = options(&args(Some(1), MAX_REPEATS, Some(1)), 10, 1).unwrap();
        assert_eq!(o.repeats, MAX_REPEATS);
    }
}
