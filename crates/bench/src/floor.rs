//! The products' floor: how long a step's matrix products alone would take at the rate nnc's
//! own product reaches on this machine, measured in the same process as the step.
//!
//! A step's product work `F` (floating-point operations, `2·Σ m·k·n` over its products) is
//! counted by the tape ([`nnc_tape::kernels::matmul::multiply_adds`]); the rate `R` (GFLOP/s)
//! is that of a 512³ f32 product on the benchmark's threads. The floor is `F / R`, and
//! `step / floor` says how much of the step is spent around the products: 1.0 would be a step
//! that is all product at the large-product rate. The ratio is comparable across machines
//! where absolute times are not.

use nnc_tape::kernels::matmul::{MatRef, matmul_into};
use nnc_tape::workers::KeepAwake;
use serde::Serialize;
use std::hint::black_box;
use std::time::Instant;

/// The side of the square product whose rate defines the floor.
pub const FLOOR_PRODUCT_SIDE: usize = 512;

/// A step's products against the machine's product rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProductFloor {
    /// nnc's 512³ f32 product rate on the benchmark's threads, GFLOP/s (median of repeats).
    pub product_gflops: f64,
    /// The step's products alone at that rate, milliseconds: `gflop_per_step / product_gflops`.
    pub floor_ms: f64,
    /// The median step over the floor.
    pub ratio: f64,
}

impl ProductFloor {
    /// The floor of a step of `gflop_per_step` product work taking `median_ms`, at
    /// `product_gflops`.
    pub fn new(gflop_per_step: f64, product_gflops: f64, median_ms: f64) -> Self {
        let floor_ms = gflop_per_step / product_gflops * 1e3;
        ProductFloor {
            product_gflops,
            floor_ms,
            ratio: median_ms / floor_ms,
        }
    }
}

/// The rate of a 512³ f32 product (`C = A·B`, row-major, random operands) on the current rayon
/// pool, in GFLOP/s: the median of 9 repeats of 8 products each, after 4 untimed ones. The
/// other workers are kept awake as in the step harness. About 0.2 s on two cores.
pub fn product_rate_gflops() -> f64 {
    let n = FLOOR_PRODUCT_SIDE;
    // A fixed, cheap pseudo-random fill: the rate does not depend on the values.
    let fill = |seed: u32| -> Vec<f32> {
        let mut s = seed;
        (0..n * n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    };
    let (a, b) = (fill(1), fill(2));
    let mut c = vec![0.0f32; n * n];
    let _awake = KeepAwake::new();
    let mut product = || {
        matmul_into(&mut c, MatRef::new(&a, n, n), MatRef::new(&b, n, n), false);
        black_box(&c);
    };
    for _ in 0..4 {
        product();
    }
    const PER_REPEAT: usize = 8;
    let mut seconds: Vec<f64> = (0..9)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..PER_REPEAT {
                product();
            }
            start.elapsed().as_secs_f64() / PER_REPEAT as f64
        })
        .collect();
    seconds.sort_by(f64::total_cmp);
    2.0 * (n * n * n) as f64 / seconds[seconds.len() / 2] / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_is_the_work_over_the_rate() {
        let f = ProductFloor::new(0.4, 200.0, 3.0);
        assert!((f.floor_ms - 2.0).abs() < 1e-12);
        assert!((f.ratio - 1.5).abs() < 1e-12);
    }

    #[test]
    fn a_product_rate_is_measured_and_counted() {
        let before = nnc_tape::kernels::matmul::multiply_adds();
        let rate = product_rate_gflops();
        assert!(rate.is_finite() && rate > 0.0, "{rate}");
        let n = FLOOR_PRODUCT_SIDE as u64;
        // 4 + 9·8 products, each n³ multiply-adds (other tests may add theirs meanwhile).
        assert!(nnc_tape::kernels::matmul::multiply_adds() - before >= 76 * n * n * n);
    }
}
