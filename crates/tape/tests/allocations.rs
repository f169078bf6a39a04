//! A steady-state training step on a reused tape allocates nothing of its own: values,
//! gradients and the gradient container all come from the tape's recycled buffers. f32 matrix
//! products allocate nothing either on CPUs with AVX-512 (nnc's own kernel, with thread-local
//! packing buffers); elsewhere `gemm` runs them and allocates a packing buffer for some operand
//! layouts (at most one allocation per matrix product).

use nnc_tape::alloc_counter::{CountingAllocator, thread_allocations as allocations};
use nnc_tape::{Parameters, Tape, Tensor, rng};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs `step` three times to warm up, then returns its mean allocations over ten steps.
fn allocations_per_step(mut step: impl FnMut()) -> f64 {
    for _ in 0..3 {
        step();
    }
    let before = allocations();
    for _ in 0..10 {
        step();
    }
    (allocations() - before) as f64 / 10.0
}

#[test]
fn a_repeated_elementwise_step_allocates_nothing() {
    let mut params = Parameters::<f32>::new();
    let w = params
        .add("scale", Tensor::randn(&[8, 16], 0.1, &mut rng(0)))
        .unwrap();
    let b = params.add("shift", Tensor::zeros(&[16])).unwrap();
    let x = Tensor::<f32>::randn(&[8, 16], 1.0, &mut rng(1));
    let mut tape = Tape::new();
    let per_step = allocations_per_step(|| {
        tape.reset();
        let xv = tape.constant_from_slice(x.data(), x.shape()).unwrap();
        let wv = tape.param(&params, w).unwrap();
        let bv = tape.param(&params, b).unwrap();
        let h = tape.mul(xv, wv).unwrap();
        let h = tape.add(h, bv).unwrap();
        let h = tape.exp(h).unwrap();
        let m = tape.max_axis(h, 1).unwrap();
        let s = tape.sum_axis(h, 0).unwrap();
        let s = tape.mean(s).unwrap();
        let loss = tape.mean(m).unwrap();
        let loss = tape.add(loss, s).unwrap();
        let grads = tape.backward(loss).unwrap();
        tape.recycle(grads);
        tape.reset();
        for id in [w, b] {
            for v in params.value_mut(id).unwrap().data_mut() {
                *v *= 0.999;
            }
        }
    });
    assert_eq!(
        per_step, 0.0,
        "steady-state steps allocate {per_step} times each"
    );
}

#[test]
fn a_step_with_matrix_products_allocates_at_most_gemm_packing_buffers() {
    let mut params = Parameters::<f32>::new();
    let w = params
        .add("fc.weight", Tensor::randn(&[2, 16], 0.1, &mut rng(0)))
        .unwrap();
    let b = params.add("fc.bias", Tensor::zeros(&[16])).unwrap();
    let x = Tensor::<f32>::randn(&[8, 2], 1.0, &mut rng(1));
    let mut tape = Tape::new();

    let step = |tape: &mut Tape<f32>, params: &mut Parameters<f32>| {
        tape.reset();
        let xv = tape.constant_from_slice(x.data(), x.shape()).unwrap();
        let wv = tape.param(params, w).unwrap();
        let bv = tape.param(params, b).unwrap();
        let h = tape.matmul(xv, wv).unwrap();
        let h = tape.add(h, bv).unwrap();
        let h = tape.exp(h).unwrap();
        let m = tape.max_axis(h, 1).unwrap();
        let loss = tape.mean(m).unwrap();
        let grads = tape.backward(loss).unwrap();
        tape.recycle(grads);
        tape.reset();
        // An SGD update in place.
        for id in [w, b] {
            for v in params.value_mut(id).unwrap().data_mut() {
                *v *= 0.999;
            }
        }
    };
    let per_step = allocations_per_step(|| step(&mut tape, &mut params));
    // Two products per step: x·W forward and xᵀ·g backward (x is a constant: no g·Wᵀ).
    let limit = if nnc_tape::kernels::matmul::native_f32_kernel() {
        0.0
    } else {
        2.0
    };
    assert!(
        per_step <= limit,
        "steady-state steps allocate {per_step} times each"
    );
}
