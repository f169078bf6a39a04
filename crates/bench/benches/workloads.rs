//! The workload benchmarks W1–W3 (run with `cargo bench -p nnc-bench --bench workloads`).
//!
//! ```text
//! cargo bench -p nnc-bench --bench workloads -- [--workload w1,w2,w3] [--threads 1,2]
//!     [--harness step,trainer] [--steps N] [--warmup N] [--repeats R] [--compare-floor]
//!     [--json]
//! ```
//!
//! `--compare-floor` also times the 512³ product in each benchmark's process and reports the
//! step against its products' floor (`nnc_bench::ProductFloor`).
//!
//! Every (workload, threads, harness) combination runs in its own process, so each peak-RSS
//! figure is that benchmark's alone. Prints a table, or one JSON object per line with `--json`.

use nnc_bench::{BenchOptions, BenchResult, Harness, Workload, run_workload_with};
use std::process::{Command, ExitCode};

#[global_allocator]
static GLOBAL: nnc_bench::CountingAllocator = nnc_bench::CountingAllocator;

struct Args {
    workloads: Vec<Workload>,
    threads: Vec<usize>,
    harnesses: Vec<Harness>,
    steps: Option<u64>,
    warmup: Option<u64>,
    repeats: usize,
    json: bool,
    single: bool,
    compare_floor: bool,
}

fn list<T>(v: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    v.split(',').map(|s| parse(s.trim())).collect()
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        workloads: Workload::ALL.to_vec(),
        threads: vec![1, 2],
        harnesses: vec![Harness::Step, Harness::Trainer],
        steps: None,
        warmup: None,
        repeats: 5,
        json: false,
        single: false,
        compare_floor: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--workload" => {
                a.workloads = list(&value()?, |s| s.parse().map_err(|e| format!("{e}")))?
            }
            "--threads" => a.threads = list(&value()?, |s| s.parse().map_err(|_| s.to_string()))?,
            "--harness" => {
                a.harnesses = list(&value()?, |s| match s {
                    "step" => Ok(Harness::Step),
                    "trainer" => Ok(Harness::Trainer),
                    _ => Err(format!("unknown harness `{s}` (step or trainer)")),
                })?
            }
            "--steps" => a.steps = Some(value()?.parse().map_err(|e| format!("--steps: {e}"))?),
            "--warmup" => a.warmup = Some(value()?.parse().map_err(|e| format!("--warmup: {e}"))?),
            "--repeats" => a.repeats = value()?.parse().map_err(|e| format!("--repeats: {e}"))?,
            "--json" => a.json = true,
            "--compare-floor" => a.compare_floor = true,
            "--single" => a.single = true,
            "--bench" => {} // passed by `cargo bench`
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(a)
}

fn run_one(a: &Args, w: Workload, threads: usize, harness: Harness) -> Result<BenchResult, String> {
    let steps = a.steps.unwrap_or(w.default_steps());
    let mut opts = BenchOptions::new(steps, threads);
    opts.repeats = a.repeats;
    opts.harness = harness;
    opts.compare_floor = a.compare_floor;
    if let Some(warmup) = a.warmup {
        opts.warmup = warmup;
    }
    run_workload_with(w, opts).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("workloads: {e}");
            return ExitCode::from(2);
        }
    };
    if a.single {
        // Child mode: exactly one benchmark, printed as JSON or a table row.
        let (w, t, h) = (a.workloads[0], a.threads[0], a.harnesses[0]);
        return match run_one(&a, w, t, h) {
            Ok(r) if a.json => {
                println!("{}", r.to_json());
                ExitCode::SUCCESS
            }
            Ok(r) => {
                println!("{r}");
                if let Some(f) = r.floor {
                    println!(
                        "    products {:.4} GFLOP/step, 512³ rate {:.0} GFLOP/s, floor {:.4} ms, \
                         step/floor {:.2}",
                        r.product_gflop_per_step, f.product_gflops, f.floor_ms, f.ratio
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("workloads: {w} on {t} threads: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if !a.json {
        println!("{}", BenchResult::header());
    }
    let exe = std::env::current_exe().expect("the benchmark knows its own path");
    let mut ok = true;
    for &w in &a.workloads {
        for &h in &a.harnesses {
            for &t in &a.threads {
                let mut cmd = Command::new(&exe);
                cmd.args([
                    "--single",
                    "--workload",
                    w.name(),
                    "--threads",
                    &t.to_string(),
                ])
                .args([
                    "--harness",
                    h.name(),
                    "--repeats",
                    &a.repeats.to_string(),
                ]);
                if let Some(s) = a.steps {
                    cmd.args(["--steps", &s.to_string()]);
                }
                if let Some(s) = a.warmup {
                    cmd.args(["--warmup", &s.to_string()]);
                }
                if a.json {
                    cmd.arg("--json");
                }
                if a.compare_floor {
                    cmd.arg("--compare-floor");
                }
                let out = cmd.output().expect("the benchmark can run itself");
                print!("{}", String::from_utf8_lossy(&out.stdout));
                eprint!("{}", String::from_utf8_lossy(&out.stderr));
                ok &= out.status.success();
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
