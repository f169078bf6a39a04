//! A steady-state training step through a `Sequential` model allocates (almost) nothing: op
//! outputs, saved tensors, scratch buffers and gradients all come from the tape's pool.
//!
//! * Without matrix products (activations, batch norm, dropout, losses, penalties) a step
//!   allocates nothing at all.
//! * With them, nothing either where f32 products run on nnc-tape's own AVX-512 kernel; on
//!   other CPUs the only allocations are the `gemm` crate's packing buffers, one or two per
//!   product — the same count as the tape's own `matmul` primitive shows for the same products.

use nnc_ops::{
    Activation, BatchNormConfig, ForwardCtx, Init, LayerOutput, LayerSpec, Loss, Penalty,
    Sequential, batch_norm_train, dropout, l1_penalty, multiclass_hinge,
};
use nnc_tape::alloc_counter::{CountingAllocator, thread_allocations as allocations};
use nnc_tape::{Parameters, Tape, Tensor, rng};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Mean allocations of `step` over ten calls after three warm-up calls.
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
fn a_training_step_allocates_almost_nothing() {
    let specs = [
        LayerSpec::Dense {
            units: 32,
            init: Init::He,
            bias: None,
        },
        LayerSpec::batchnorm(),
        LayerSpec::Activation(Activation::Relu),
        LayerSpec::maxout(16, 2, Init::Xavier),
        LayerSpec::dropout(0.2),
        LayerSpec::dense(16, Init::He),
        LayerSpec::Activation(Activation::Tanh), // fused with the dense layer above
        LayerSpec::dense(4, Init::Small { std: 0.01 }),
    ];
    let mut model = Sequential::<f32>::from_specs(8, &specs, &mut rng(0)).unwrap();
    let weights = model.weight_ids();
    let x = Tensor::<f32>::randn(&[64, 8], 1.0, &mut rng(1));
    let labels: Vec<usize> = (0..64).map(|i| i % 4).collect();
    let mut tape = Tape::new();
    let mut step_rng = rng(2);
    let mut trace: Vec<LayerOutput> = Vec::new();
    let per_step = allocations_per_step(|| {
        tape.reset();
        let xv = tape.constant_from_slice(x.data(), x.shape()).unwrap();
        let mut ctx = ForwardCtx::train(&mut step_rng);
        let scores = model
            .forward_traced(&mut tape, xv, &mut ctx, &mut trace)
            .unwrap();
        let data = Loss::SoftmaxCrossEntropy
            .apply(&mut tape, scores, &labels)
            .unwrap();
        let reg = Penalty::L2(1e-3)
            .apply(&mut tape, model.params(), &weights)
            .unwrap();
        let loss = tape.add(data, reg).unwrap();
        let grads = tape.backward(loss).unwrap();
        tape.reset();
        let params = model.params_mut();
        for (id, g) in grads.iter_params() {
            let w = params.value_mut(id).unwrap();
            for (w, &g) in w.data_mut().iter_mut().zip(g.data()) {
                *w -= 0.1 * g;
            }
        }
        tape.recycle(grads);
    });
    // Matrix products: 4 forward; backward dW for all four layers and dx for the three whose
    // input needs a gradient (the first layer's input is data).
    let products = 4.0 + 4.0 + 3.0;
    println!("allocations per step: {per_step} for {products} matrix products");
    let limit = if nnc_tape::kernels::matmul::native_f32_kernel() {
        0.0
    } else {
        2.0 * products
    };
    assert!(per_step <= limit, "{per_step} allocations per step");
}

#[test]
fn ops_without_matrix_products_allocate_nothing_per_step() {
    let mut params = Parameters::<f32>::new();
    let x = params
        .add("x", Tensor::randn(&[64, 16], 1.0, &mut rng(3)))
        .unwrap();
    let gamma = params.add("gamma", Tensor::ones(&[16])).unwrap();
    let beta = params.add("beta", Tensor::zeros(&[16])).unwrap();
    let (mut rm, mut rv) = (Tensor::<f32>::zeros(&[16]), Tensor::<f32>::ones(&[16]));
    let labels: Vec<usize> = (0..64).map(|i| i % 16).collect();
    let mut tape = Tape::new();
    let mut r = rng(4);
    let per_step = allocations_per_step(|| {
        tape.reset();
        let mut h = tape.param(&params, x).unwrap();
        let g = tape.param(&params, gamma).unwrap();
        let b = tape.param(&params, beta).unwrap();
        for act in Activation::ALL {
            h = act.apply(&mut tape, h).unwrap();
        }
        let cfg = BatchNormConfig::default();
        let y =
            batch_norm_train(&mut tape, h, Some((g, b)), cfg, Some((&mut rm, &mut rv))).unwrap();
        let y = dropout(&mut tape, y, 0.5, &mut ForwardCtx::train(&mut r)).unwrap();
        let ce = Loss::SoftmaxCrossEntropy
            .apply(&mut tape, y, &labels)
            .unwrap();
        let svm = multiclass_hinge(&mut tape, y, &labels, 1.0).unwrap();
        let l1 = l1_penalty(&mut tape, &[y], 1e-3).unwrap();
        let s = tape.add(ce, svm).unwrap();
        let loss = tape.add(s, l1).unwrap();
        let grads = tape.backward(loss).unwrap();
        assert!(grads.param(x).is_some() && grads.param(gamma).is_some());
        tape.recycle(grads);
    });
    assert_eq!(per_step, 0.0);
}

#[test]
fn a_penalty_over_many_weight_tensors_allocates_nothing_per_step() {
    // Twelve weight tensors: a fused node with that many inputs keeps them in the tape's
    // input arena, not in a list of its own.
    let mut params = Parameters::<f64>::new();
    let ids: Vec<_> = (0..12)
        .map(|i| {
            params
                .add(format!("w{i}"), Tensor::randn(&[3, 4], 1.0, &mut rng(i)))
                .unwrap()
        })
        .collect();
    let mut tape = Tape::new();
    let per_step = allocations_per_step(|| {
        tape.reset();
        let loss = Penalty::Elastic { l1: 1e-3, l2: 1e-2 }
            .apply(&mut tape, &params, &ids)
            .unwrap();
        let grads = tape.backward(loss).unwrap();
        assert_eq!(grads.iter_params().count(), 12);
        tape.reset();
        tape.recycle(grads);
    });
    assert_eq!(per_step, 0.0, "{per_step} allocations per step");
}
