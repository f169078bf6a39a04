//! # nnc-bench: the benchmark workloads of nnc and the harness that times them
//!
//! The three workloads of DESIGN.md §8 / issue 9, built directly with the library crates
//! (the `.nn` versions lower to the same layers):
//!
//! * **W1 spiral**: 3 classes × 100 points, 2 → 100 ReLU → 3, softmax cross-entropy + L2 1e-3,
//!   full batch (300), SGD lr 1.0, 1000 steps.
//! * **W2 mnist-mlp**: random inputs of 784 features, 10 classes, 784 → 512 ReLU → 512 ReLU → 10,
//!   batch 128, SGD momentum 0.9, 200 steps.
//! * **W3 deep-bn**: 32 random features, 20 × (dense 128 → batch norm (train) → ReLU) → 10,
//!   batch 64, SGD, 300 steps.
//!
//! [`run_workload`] (or [`run_bench`] for any model, data set and configuration — what
//! `nnc bench model.nn` calls after lowering) trains after a warm-up and reports the median,
//! minimum and maximum milliseconds per step over several repeats, steps per second, the peak
//! resident set (VmHWM) and the allocations per steady-state step, as text or JSON
//! ([`BenchResult`]).
//!
//! Two harnesses time the same training step:
//!
//! * [`Harness::Step`] runs exactly what a step of the trainer runs — batch copy, forward, loss,
//!   penalty, backward, gradient completeness check, tape reset, optimiser update, gradient
//!   recycling — calling the same library functions in the same order, and nothing else. This is
//!   the figure to compare with other frameworks' training loops.
//! * [`Harness::Trainer`] runs [`nnc_train::train`] itself (babysitter on) and times the
//!   steps between its step events, so the cost of the live monitors shows.
//!
//! Allocations are counted only if the binary installs [`CountingAllocator`] as its global
//! allocator:
//!
//! ```no_run
//! #[global_allocator]
//! static GLOBAL: nnc_bench::CountingAllocator = nnc_bench::CountingAllocator;
//!
//! let result = nnc_bench::run_workload(nnc_bench::Workload::W1, 1000, 1)?;
//! println!("{result}");
//! # Ok::<(), nnc_bench::BenchError>(())
//! ```

mod floor;
mod memory;
mod run;
mod workload;

pub use floor::{FLOOR_PRODUCT_SIDE, ProductFloor, product_rate_gflops};
pub use memory::{peak_rss_kib, release_free_heap, reset_peak_rss};
pub use nnc_tape::alloc_counter::{CountingAllocator, allocations, counting_allocator_installed};
pub use run::{
    BenchError, BenchOptions, BenchResult, Harness, Prepared, param_checksum, run_bench,
    run_bench_on, run_workload, run_workload_with,
};
pub use workload::{Workload, WorkloadSpec};
