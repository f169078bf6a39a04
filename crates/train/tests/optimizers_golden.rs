//! Three steps of every optimiser against PyTorch, in f64.
//!
//! The golden values come from `tests/golden/optimizers.py` (torch 2.15, CPU, float64):
//! `w` starts at `W0` and receives the gradients `GRADS` in order. Here the gradient `g` is
//! produced by the tape from the linear loss `Σ g ⊙ w`, whose gradient is exactly `g`.

use nnc_tape::{Parameters, Tape, Tensor};
use nnc_train::OptimizerConfig;

const W0: [f64; 6] = [0.5, -1.0, 2.0, 0.25, -0.3, 1.5];
const GRADS: [[f64; 6]; 3] = [
    [0.1, -0.2, 0.3, -0.4, 0.5, -0.6],
    [-0.05, 0.15, 0.25, -0.35, 0.45, 0.05],
    [0.2, 0.1, -0.3, 0.0, -0.1, 0.4],
];

#[rustfmt::skip]
const GOLDEN: [(&str, [f64; 6]); 8] = [
("sgd", [0.475, -1.005, 1.975, 0.32499999999999996, -0.38499999999999995, 1.5150000000000001]),
("sgd_momentum", [0.4624, -0.9843, 1.9012, 0.4249, -0.511, 1.6131]),
("sgd_nesterov", [0.44116, -0.9908699999999999, 1.88608, 0.48241, -0.5749000000000001, 1.61679]),
("sgd_dampening", [0.46345, -0.98045, 1.90295, 0.41825, -0.50345, 1.6180500000000002]),
("adagrad", [0.35743420355369404, -0.9971390676476173, 1.8969023299789247, 0.4158504607494624, -0.45219218069258627, 1.5363582948977081]),
("rmsprop", [0.3574274567414971, -0.997596311204877, 1.8970183800754903, 0.4160376983891149, -0.4522651640767907, 1.5359320794839455]),
("adam", [0.4807555154351381, -0.9908398962023106, 1.9779078290207757, 0.2776292715059238, -0.3266330900517379, 1.5164217241322115]),
("adamw", [0.4792796683031988, -0.9878637784513346, 1.9719437287484962, 0.2768500880849721, -0.3257040409751142, 1.5119001734977058]),
];

fn config(name: &str) -> (OptimizerConfig, f64) {
    let sgd = |momentum, dampening, nesterov| OptimizerConfig::Sgd {
        momentum,
        dampening,
        nesterov,
    };
    let adam = |weight_decay| OptimizerConfig::Adam {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay,
    };
    match name {
        "sgd" => (sgd(0.0, 0.0, false), 0.1),
        "sgd_momentum" => (sgd(0.9, 0.0, false), 0.1),
        "sgd_nesterov" => (sgd(0.9, 0.0, true), 0.1),
        "sgd_dampening" => (sgd(0.9, 0.1, false), 0.1),
        "adagrad" => (OptimizerConfig::Adagrad { eps: 1e-10 }, 0.1),
        "rmsprop" => (
            OptimizerConfig::RmsProp {
                decay: 0.99,
                eps: 1e-8,
            },
            0.01,
        ),
        "adam" => (adam(0.0), 0.01),
        "adamw" => (adam(0.1), 0.01),
        _ => unreachable!(),
    }
}

#[test]
fn three_steps_match_pytorch() {
    for (name, want) in GOLDEN {
        let (cfg, lr) = config(name);
        let mut opt = cfg.build::<f64>();
        let mut params = Parameters::<f64>::new();
        let w = params
            .add("w", Tensor::from_vec(W0.to_vec(), &[6]).unwrap())
            .unwrap();
        let mut tape = Tape::new();
        for g in GRADS {
            tape.reset();
            let wv = tape.param(&params, w).unwrap();
            let gv = tape.constant(Tensor::from_vec(g.to_vec(), &[6]).unwrap());
            let gw = tape.mul(wv, gv).unwrap();
            let loss = tape.sum(gw).unwrap();
            let grads = tape.backward(loss).unwrap();
            tape.reset();
            opt.step(&mut params, &grads, lr).unwrap();
        }
        for (i, (&got, &want)) in params.value(w).data().iter().zip(&want).enumerate() {
            assert!(
                (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                "{name}[{i}]: {got} vs PyTorch {want}"
            );
        }
    }
}

#[test]
fn state_round_trips_and_resumes_identically() {
    let (cfg, lr) = config("adam");
    let run = |split: Option<usize>| {
        let mut opt = cfg.build::<f64>();
        let mut params = Parameters::<f64>::new();
        let w = params
            .add("w", Tensor::from_vec(W0.to_vec(), &[6]).unwrap())
            .unwrap();
        let mut tape = Tape::new();
        for (k, g) in GRADS.iter().enumerate() {
            if Some(k) == split {
                // Save and restore the state into a fresh optimiser mid-run.
                let (state, steps) = opt.state(&params);
                assert_eq!(state.len(), 2);
                opt = cfg.build::<f64>();
                opt.load_state(&params, &state, steps).unwrap();
            }
            tape.reset();
            let wv = tape.param(&params, w).unwrap();
            let gv = tape.constant(Tensor::from_vec(g.to_vec(), &[6]).unwrap());
            let gw = tape.mul(wv, gv).unwrap();
            let loss = tape.sum(gw).unwrap();
            let grads = tape.backward(loss).unwrap();
            tape.reset();
            opt.step(&mut params, &grads, lr).unwrap();
        }
        params.value(w).clone()
    };
    assert_eq!(run(None), run(Some(2)));
}

#[test]
fn momentum_starts_at_each_parameters_first_gradient() {
    // `a` has a gradient from step 1, `b` only from step 2. With dampening 0.5, PyTorch sets
    // b's velocity to its gradient on b's first update (no dampening), as for `a` on step 1.
    let cfg = OptimizerConfig::Sgd {
        momentum: 0.9,
        dampening: 0.5,
        nesterov: false,
    };
    let mut opt = cfg.build::<f64>();
    let mut params = Parameters::<f64>::new();
    let a = params
        .add("a", Tensor::from_vec(vec![1.0], &[1]).unwrap())
        .unwrap();
    let b = params
        .add("b", Tensor::from_vec(vec![1.0], &[1]).unwrap())
        .unwrap();
    let mut tape = Tape::new();
    for step in 0..2 {
        tape.reset();
        let av = tape.param(&params, a).unwrap();
        let mut loss = tape.sum(av).unwrap(); // ∂/∂a = 1
        if step == 1 {
            let bv = tape.param(&params, b).unwrap();
            let sb = tape.sum(bv).unwrap(); // ∂/∂b = 1
            loss = tape.add(loss, sb).unwrap();
        }
        let grads = tape.backward(loss).unwrap();
        tape.reset();
        opt.step(&mut params, &grads, 0.1).unwrap();
    }
    // a: v = 1, then 0.9 + 0.5 = 1.4: w = 1 − 0.1 − 0.14. b: v = 1 on its first update.
    assert!((params.value(a).data()[0] - 0.76).abs() < 1e-15);
    assert!((params.value(b).data()[0] - 0.9).abs() < 1e-15);
}
