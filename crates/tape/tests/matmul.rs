//! gemm-backed matmul against the naive oracle, in f32 and f64, and its thread determinism.

use nnc_tape::Float;
use nnc_tape::kernels::matmul::{MatRef, matmul_into, matmul_naive_into, set_parallel_threshold};
use nnc_tape::{Tensor, rng};

const SHAPES: [(usize, usize, usize); 5] = [
    (1, 1, 1),
    (7, 13, 5),
    (3, 1, 9),
    (33, 65, 17),
    (128, 784, 512),
];

fn compare<T: Float>(tol: f64) {
    for (seed, &(m, k, n)) in SHAPES.iter().enumerate() {
        let a = Tensor::<T>::randn(&[m, k], 1.0, &mut rng(seed as u64));
        let b = Tensor::<T>::randn(&[k, n], 1.0, &mut rng(100 + seed as u64));
        // Every transpose combination, reading the transposed storage without a copy.
        let at = a.transpose().unwrap();
        let bt = b.transpose().unwrap();
        let cases = [
            (MatRef::new(a.data(), m, k), MatRef::new(b.data(), k, n)),
            (
                MatRef::new(at.data(), k, m).t(),
                MatRef::new(b.data(), k, n),
            ),
            (
                MatRef::new(a.data(), m, k),
                MatRef::new(bt.data(), n, k).t(),
            ),
            (
                MatRef::new(at.data(), k, m).t(),
                MatRef::new(bt.data(), n, k).t(),
            ),
        ];
        for (case, (ma, mb)) in cases.into_iter().enumerate() {
            let mut want = vec![T::ZERO; m * n];
            matmul_naive_into(&mut want, ma, mb, false);
            for accumulate in [false, true] {
                let init = T::from_f64(0.25);
                let mut got = vec![if accumulate { init } else { T::from_f64(9.0) }; m * n];
                matmul_into(&mut got, ma, mb, accumulate);
                for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                    let w = if accumulate { w + init } else { w };
                    let err = (g.to_f64() - w.to_f64()).abs();
                    let scale = (k as f64).sqrt().max(1.0);
                    assert!(
                        err <= tol * scale,
                        "{} {m}x{k}x{n} case {case} acc {accumulate} element {i}: {g} vs {w}",
                        T::DTYPE
                    );
                }
            }
        }
    }
}

#[test]
fn gemm_matches_the_naive_oracle_in_f32() {
    compare::<f32>(1e-4);
}

#[test]
fn gemm_matches_the_naive_oracle_in_f64() {
    compare::<f64>(1e-12);
}

fn product_with_threads(threads: usize, m: usize, k: usize, n: usize) -> Vec<f32> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let a = Tensor::<f32>::randn(&[m, k], 1.0, &mut rng(1));
    let b = Tensor::<f32>::randn(&[k, n], 1.0, &mut rng(2));
    pool.install(|| {
        let mut out = vec![0.0; m * n];
        matmul_into(
            &mut out,
            MatRef::new(a.data(), m, k),
            MatRef::new(b.data(), k, n),
            false,
        );
        // The transposed-operand paths used by backward: A·Aᵀ and Aᵀ·G.
        let mut aat = vec![0.0; m * m];
        matmul_into(
            &mut aat,
            MatRef::new(a.data(), m, k),
            MatRef::new(a.data(), m, k).t(),
            false,
        );
        out.extend(aat);
        let mut gw = vec![0.0; k * n];
        let g = Tensor::<f32>::randn(&[m, n], 1.0, &mut rng(3));
        matmul_into(
            &mut gw,
            MatRef::new(a.data(), m, k).t(),
            MatRef::new(g.data(), m, n),
            true,
        );
        out.extend(gw);
        out
    })
}

#[test]
fn one_and_two_threads_give_bit_identical_products() {
    // Force the threaded path even for the small shapes.
    set_parallel_threshold(1);
    for &(m, k, n) in &[
        (128, 784, 512),
        (64, 128, 128),
        (300, 2, 100),
        (513, 257, 129),
    ] {
        let one = product_with_threads(1, m, k, n);
        let two = product_with_threads(2, m, k, n);
        assert!(
            one.iter()
                .zip(&two)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{m}x{k}x{n}: results differ between 1 and 2 threads"
        );
    }
    set_parallel_threshold(nnc_tape::kernels::matmul::DEFAULT_PARALLEL_THRESHOLD);
}
