//! Micro benchmarks of the tape (run with `cargo bench -p nnc-tape`):
//!
//! * per-op overhead: a 1×1 `add` recorded and differentiated, on a reused tape;
//! * `matmul` throughput: 512×512×512 in f32 on one thread and on all threads, in GFLOP/s;
//! * the core's f32 fused multiply-add peak (12 independent AVX-512 accumulators, no memory
//!   traffic), the ceiling the product's rate is a fraction of;
//! * allocations per steady-state step of a small dense step.
//!
//! Prints a table and, with `--json`, one JSON line per figure.

use nnc_tape::alloc_counter::{CountingAllocator, allocations};
use nnc_tape::kernels::matmul::{MatRef, matmul_into};
use nnc_tape::{Parameters, Tape, Tensor, rng};
use std::hint::black_box;
use std::time::Instant;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Median, min and max of `repeats` timings of `iters` calls of `f`, in seconds per call.
fn time_per_call(repeats: usize, iters: usize, mut f: impl FnMut()) -> (f64, f64, f64) {
    for _ in 0..iters.min(1000) {
        f();
    }
    let mut samples: Vec<f64> = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_secs_f64() / iters as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    (samples[repeats / 2], samples[0], samples[repeats - 1])
}

fn add_overhead() -> (f64, f64, f64) {
    let mut tape = Tape::<f32>::new();
    let mut params = Parameters::<f32>::new();
    let a = params.add("a", Tensor::full(&[1, 1], 1.5)).unwrap();
    let b = params.add("b", Tensor::full(&[1, 1], 2.5)).unwrap();
    time_per_call(11, 200_000, || {
        tape.reset();
        let av = tape.param(&params, a).unwrap();
        let bv = tape.param(&params, b).unwrap();
        let y = tape.add(av, bv).unwrap();
        let grads = tape.backward(y).unwrap();
        black_box(grads.param(a));
        tape.recycle(grads);
    })
}

fn matmul_gflops(threads: usize) -> (f64, f64, f64) {
    let n = 512;
    let a = Tensor::<f32>::randn(&[n, n], 1.0, &mut rng(1));
    let b = Tensor::<f32>::randn(&[n, n], 1.0, &mut rng(2));
    let mut c = vec![0.0f32; n * n];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let flops = 2.0 * (n * n * n) as f64;
    pool.install(|| {
        let (med, min, max) = time_per_call(11, 20, || {
            matmul_into(
                &mut c,
                MatRef::new(a.data(), n, n),
                MatRef::new(b.data(), n, n),
                false,
            );
            black_box(&c);
        });
        // Report GFLOP/s: the fastest time gives the highest rate.
        (flops / med / 1e9, flops / max / 1e9, flops / min / 1e9)
    })
}

/// GFLOP/s (median, min, max) of a loop of 12 independent 16-lane f32 fused multiply-adds on
/// one thread: the most the core's FMA units can do, with no loads or stores. `None` without
/// AVX-512.
fn fma_peak_gflops() -> Option<(f64, f64, f64)> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return None;
        }
        const ITERS: usize = 20_000_000;
        // Enough independent chains to cover the latency of both FMA units (4 cycles × 2).
        const ACCUMULATORS: usize = 12;
        #[target_feature(enable = "avx512f")]
        fn run() -> f32 {
            let mut acc = [_mm512_setzero_ps(); ACCUMULATORS];
            for (i, a) in acc.iter_mut().enumerate() {
                *a = _mm512_set1_ps(i as f32 * 1e-3);
            }
            let (b, c) = (_mm512_set1_ps(0.9999), _mm512_set1_ps(1e-4));
            let (b, c, iters) = black_box((b, c, ITERS));
            for _ in 0..iters {
                for a in acc.iter_mut() {
                    *a = _mm512_fmadd_ps(*a, b, c);
                }
            }
            acc.iter().map(|&a| _mm512_reduce_add_ps(a)).sum()
        }
        // SAFETY: AVX-512F was detected above.
        let (med, min, max) = time_per_call(7, 1, || {
            black_box(unsafe { run() });
        });
        let flops = (ITERS * ACCUMULATORS * 16 * 2) as f64;
        Some((flops / med / 1e9, flops / max / 1e9, flops / min / 1e9))
    }
    #[cfg(not(target_arch = "x86_64"))]
    None
}

fn allocations_per_dense_step() -> f64 {
    let mut params = Parameters::<f32>::new();
    let w = params
        .add("fc.weight", Tensor::randn(&[64, 32], 0.1, &mut rng(0)))
        .unwrap();
    let bias = params.add("fc.bias", Tensor::zeros(&[32])).unwrap();
    let x = Tensor::<f32>::randn(&[16, 64], 1.0, &mut rng(1));
    let mut tape = Tape::new();
    let mut step = || {
        tape.reset();
        let xv = tape.constant_from_slice(x.data(), x.shape()).unwrap();
        let wv = tape.param(&params, w).unwrap();
        let bv = tape.param(&params, bias).unwrap();
        let h = tape.matmul(xv, wv).unwrap();
        let h = tape.add(h, bv).unwrap();
        let h = tape.exp(h).unwrap();
        let loss = tape.mean(h).unwrap();
        let grads = tape.backward(loss).unwrap();
        tape.recycle(grads);
    };
    for _ in 0..5 {
        step();
    }
    let before = allocations();
    for _ in 0..100 {
        step();
    }
    (allocations() - before) as f64 / 100.0
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let (add_med, add_min, add_max) = one.install(add_overhead);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (g1, g1_lo, g1_hi) = matmul_gflops(1);
    let (gn, gn_lo, gn_hi) = matmul_gflops(threads);
    let peak = fma_peak_gflops();
    let allocs = allocations_per_dense_step();
    if json {
        println!(
            r#"{{"bench":"add_1x1_fwd_bwd","median_us":{:.4},"min_us":{:.4},"max_us":{:.4}}}"#,
            add_med * 1e6,
            add_min * 1e6,
            add_max * 1e6
        );
        println!(
            r#"{{"bench":"matmul_512_f32","threads":1,"gflops":{g1:.1},"gflops_min":{g1_lo:.1},"gflops_max":{g1_hi:.1}}}"#
        );
        println!(
            r#"{{"bench":"matmul_512_f32","threads":{threads},"gflops":{gn:.1},"gflops_min":{gn_lo:.1},"gflops_max":{gn_hi:.1}}}"#
        );
        if let Some((p, p_lo, p_hi)) = peak {
            println!(
                r#"{{"bench":"fma_peak_f32","threads":1,"gflops":{p:.1},"gflops_min":{p_lo:.1},"gflops_max":{p_hi:.1},"matmul_fraction":{:.3}}}"#,
                g1 / p
            );
        }
        println!(r#"{{"bench":"dense_step_allocations","per_step":{allocs}}}"#);
    } else {
        println!("benchmark                              median        min        max");
        println!(
            "1x1 add, forward + backward (µs)    {:>9.3}  {:>9.3}  {:>9.3}",
            add_med * 1e6,
            add_min * 1e6,
            add_max * 1e6
        );
        println!("matmul 512³ f32, 1 thread (GFLOP/s)  {g1:>9.1}  {g1_lo:>9.1}  {g1_hi:>9.1}");
        println!(
            "matmul 512³ f32, {threads} threads (GFLOP/s) {gn:>9.1}  {gn_lo:>9.1}  {gn_hi:>9.1}"
        );
        if let Some((p, p_lo, p_hi)) = peak {
            println!("f32 FMA peak, 1 thread (GFLOP/s)     {p:>9.1}  {p_lo:>9.1}  {p_hi:>9.1}");
            println!("matmul 1 thread / FMA peak           {:>9.3}", g1 / p);
        }
        println!("allocations per steady dense step    {allocs:>9.1}");
    }
}
