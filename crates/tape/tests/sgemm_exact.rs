//! The f32 matmul kernel of nnc-tape computes exactly what the `gemm` crate computes: bit for
//! bit, for every transpose combination, with and without accumulation, on 1 and 2 threads, over
//! the shapes the benchmark workloads use, edge cases of its tiling and random shapes.
//!
//! (This is what keeps training results bit-identical to the gemm-backed version.)

use nnc_tape::kernels::matmul::{
    MatRef, matmul_accumulate_into, matmul_into, matmul_into_then, set_parallel_threshold,
};

/// `gemm`'s own answer, called exactly as nnc-tape called it before it had its own kernel.
#[allow(clippy::too_many_arguments)]
fn reference(
    dst: &mut [f32],
    (m, k, n): (usize, usize, usize),
    a: &[f32],
    (a_rs, a_cs): (isize, isize),
    b: &[f32],
    (b_rs, b_cs): (isize, isize),
    accumulate: bool,
) {
    // SAFETY: the strides describe `a` (m×k) and `b` (k×n) inside their slices, and `dst` is
    // m×n row-major, as in `matmul_into`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.as_ptr(),
            a_cs,
            a_rs,
            b.as_ptr(),
            b_cs,
            b_rs,
            1.0f32,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// A small xorshift generator of values in [-1, 1).
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32
    }

    fn below(&mut self, n: usize) -> usize {
        ((self.next() + 1.0) * 0.5 * n as f32) as usize % n
    }
}

fn shapes(r: &mut Xorshift) -> Vec<(usize, usize, usize)> {
    let mut s = vec![
        // W1, W2, W3 forward and backward products.
        (300, 2, 100),
        (300, 100, 3),
        (300, 3, 100),
        (100, 300, 3),
        (2, 300, 100),
        (128, 784, 512),
        (128, 512, 512),
        (128, 512, 10),
        (128, 10, 512),
        (784, 128, 512),
        (512, 128, 512),
        (512, 128, 10),
        (64, 32, 128),
        (32, 64, 128),
        (64, 128, 128),
        (128, 64, 128),
        (64, 128, 10),
        (128, 64, 10),
        // Several k chunks (k > 512) and chunk splits of gemm's cache model.
        (65, 1100, 70),
        (100, 1030, 100),
        (17, 600, 33),
        // Tiling edges: single tiles, partial vectors, tiny outputs gemm treats specially.
        (1, 5, 7),
        (5, 7, 1),
        (2, 2, 2),
        (3, 1, 9),
        (7, 13, 5),
        (15, 40, 15),
        (16, 16, 16),
        (20, 3, 20),
        (33, 65, 17),
    ];
    for _ in 0..40 {
        s.push((1 + r.below(150), 1 + r.below(400), 1 + r.below(150)));
    }
    s
}

#[test]
fn f32_products_are_bit_identical_to_the_gemm_crate() {
    let mut r = Xorshift(0x9e37_79b9_7f4a_7c15);
    let shapes = shapes(&mut r);
    let mut failures = Vec::new();
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        // With 2 threads, split every product (the default threshold leaves small ones alone).
        set_parallel_threshold(if threads > 1 { 1 } else { usize::MAX });
        pool.install(|| {
            for (case, &(m, k, n)) in shapes.iter().enumerate() {
                // Every third shape gets tiny values whose products underflow to ±0, so that
                // signed zeros are exercised.
                let scale = if case % 3 == 2 { 1e-25 } else { 1.0 };
                let a: Vec<f32> = (0..m * k).map(|_| r.next() * scale).collect();
                let b: Vec<f32> = (0..k * n).map(|_| r.next() * scale).collect();
                let c0: Vec<f32> = (0..m * n).map(|_| r.next()).collect();
                for (ta, tb, accumulate) in (0..8).map(|c| (c & 1 != 0, c & 2 != 0, c & 4 != 0)) {
                    let (ma, a_strides) = if ta {
                        (MatRef::new(&a, k, m).t(), (1, m as isize))
                    } else {
                        (MatRef::new(&a, m, k), (k as isize, 1))
                    };
                    let (mb, b_strides) = if tb {
                        (MatRef::new(&b, n, k).t(), (1, k as isize))
                    } else {
                        (MatRef::new(&b, k, n), (n as isize, 1))
                    };
                    let mut got = c0.clone();
                    matmul_into(&mut got, ma, mb, accumulate);
                    let mut want = c0.clone();
                    reference(
                        &mut want,
                        (m, k, n),
                        &a,
                        a_strides,
                        &b,
                        b_strides,
                        accumulate,
                    );
                    let differ = got
                        .iter()
                        .zip(&want)
                        .filter(|(x, y)| x.to_bits() != y.to_bits())
                        .count();
                    if differ > 0 {
                        failures.push(format!(
                            "{m}x{k}x{n} transposed a {ta} b {tb} accumulate {accumulate} \
                             threads {threads}: {differ} of {} elements differ",
                            m * n
                        ));
                    }
                    if !accumulate {
                        // The fused epilogue (a dense layer's bias and activation) sees every
                        // element once, after its sum is final, at the right row and column.
                        let f =
                            |i: usize, j: usize, x: f32| (x + (i * 7 + j) as f32 * 0.25).max(0.0);
                        let mut fused = c0.clone();
                        let seen = std::sync::atomic::AtomicUsize::new(0);
                        let epilogue = |i: usize, j0: usize, part: &mut [f32]| {
                            seen.fetch_add(part.len(), std::sync::atomic::Ordering::Relaxed);
                            for (j, x) in part.iter_mut().enumerate() {
                                *x = f(i, j0 + j, *x);
                            }
                        };
                        matmul_into_then(&mut fused, ma, mb, &epilogue);
                        let expected: Vec<f32> = want
                            .iter()
                            .enumerate()
                            .map(|(e, &x)| f(e / n, e % n, x))
                            .collect();
                        let seen = seen.into_inner();
                        if seen != m * n
                            || fused
                                .iter()
                                .zip(&expected)
                                .any(|(x, y)| x.to_bits() != y.to_bits())
                        {
                            failures.push(format!(
                                "{m}x{k}x{n} transposed a {ta} b {tb} threads {threads}: the \
                                 epilogue saw {seen} of {} elements or gave other values",
                                m * n
                            ));
                        }
                    }
                    if accumulate {
                        // A fresh gradient buffer: whatever it holds, the result must be what
                        // zero-filling and accumulating gives.
                        let mut fresh = c0.clone();
                        matmul_accumulate_into(&mut fresh, ma, mb, true);
                        let mut zeroed = vec![0.0f32; m * n];
                        matmul_into(&mut zeroed, ma, mb, true);
                        if fresh
                            .iter()
                            .zip(&zeroed)
                            .any(|(x, y)| x.to_bits() != y.to_bits())
                        {
                            failures.push(format!(
                                "{m}x{k}x{n} transposed a {ta} b {tb} threads {threads}: a fresh \
                                 buffer differs from a zero-filled one"
                            ));
                        }
                    }
                }
            }
        });
    }
    set_parallel_threshold(nnc_tape::kernels::matmul::DEFAULT_PARALLEL_THRESHOLD);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
