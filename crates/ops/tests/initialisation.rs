//! Initialisers: sample statistics on a 1000×1000 matrix within 1 % of each formula, and the
//! classic experiment of CS231n's "Training Neural Networks I" — activation statistics through a
//! 10-layer network — asserted numerically:
//!
//! * tanh, `small(0.01)`: the activations collapse (last-layer std < 1e-6);
//! * tanh, Xavier: they stay alive (last-layer std in [0.1, 1]);
//! * ReLU, He: the std is kept through depth; ReLU, Xavier: it halves in variance at every layer.

use nnc_ops::init::Distribution;
use nnc_ops::{Activation, ForwardCtx, Init, LayerOutput, LayerSpec, Sequential};
use nnc_tape::{Tape, Tensor, rng};

/// Sample mean and (population) standard deviation.
fn stats(t: &[f64]) -> (f64, f64) {
    let n = t.len() as f64;
    let mean = t.iter().sum::<f64>() / n;
    let var = t.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

#[track_caller]
fn check_sample(init: Init, fan_in: usize, fan_out: usize, seed: u64) {
    let dist = init.distribution(fan_in, fan_out).unwrap();
    let expected = dist.std();
    let w: Tensor<f64> = init
        .sample(&[1000, 1000], fan_in, fan_out, &mut rng(seed))
        .unwrap();
    let (mean, std) = stats(w.data());
    let rel = (std - expected).abs() / expected;
    assert!(
        rel <= 0.01,
        "{init} (fans {fan_in}/{fan_out}): std {std:.6e} vs formula {expected:.6e} ({:.3} %)",
        100.0 * rel
    );
    assert!(
        mean.abs() <= 0.01 * expected,
        "{init}: mean {mean:e} not near 0 (std {expected:e})"
    );
    if let Distribution::Uniform { a } = dist {
        let max = w.data().iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(
            max <= a && max > 0.99 * a,
            "{init}: max |w| {max} vs bound {a}"
        );
    }
}

#[test]
fn every_random_initialiser_matches_its_formula_within_one_percent() {
    let inits = [
        Init::Small { std: 0.01 },
        Init::Xavier,
        Init::GlorotNormal { gain: 1.0 },
        Init::GlorotNormal {
            gain: Activation::Tanh.gain(),
        },
        Init::GlorotUniform { gain: 1.0 },
        Init::He,
        Init::HeUniform,
        Init::KaimingNormal {
            gain: Activation::LeakyRelu { alpha: 0.2 }.gain(),
        },
        Init::KaimingUniform {
            gain: Activation::Relu.gain(),
        },
        Init::Uniform { a: 0.05 },
    ];
    for (k, init) in inits.into_iter().enumerate() {
        // Square (the weight() shape) and with unequal fans, so fan_in and fan_avg differ.
        check_sample(init, 1000, 1000, k as u64);
        check_sample(init, 500, 2000, 100 + k as u64);
    }
}

#[test]
fn weight_uses_the_shape_as_fans() {
    let w: Tensor<f64> = Init::He.weight(1000, 1000, &mut rng(7)).unwrap();
    assert_eq!(w.shape(), &[1000, 1000]);
    let (_, std) = stats(w.data());
    assert!((std - (2.0f64 / 1000.0).sqrt()).abs() / (2.0f64 / 1000.0).sqrt() <= 0.01);
}

#[test]
fn zeros_and_constants_are_exact() {
    let z: Tensor<f64> = Init::Zeros.bias(1000, 10, &mut rng(0)).unwrap();
    assert!(z.data().iter().all(|&v| v == 0.0));
    let c: Tensor<f64> = Init::Constant { value: 0.01 }
        .bias(1000, 10, &mut rng(0))
        .unwrap();
    assert!(c.data().iter().all(|&v| v == 0.01));
}

/// Std of each activation layer's output through a 10-layer stack of width 500 on 1000 unit
/// Gaussian examples (Eval mode, fusion off so every layer is traced).
fn activation_stds(act: Activation, init: Init) -> Vec<f64> {
    let mut specs = Vec::new();
    for _ in 0..10 {
        specs.push(LayerSpec::dense(500, init));
        specs.push(LayerSpec::Activation(act));
    }
    let mut model = Sequential::<f32>::from_specs(500, &specs, &mut rng(1)).unwrap();
    model.set_fusion(false);
    let mut tape = Tape::new();
    tape.set_grad_enabled(false);
    let x = tape.constant(Tensor::randn(&[1000, 500], 1.0, &mut rng(2)));
    let mut trace: Vec<LayerOutput> = Vec::new();
    model
        .forward_traced(&mut tape, x, &mut ForwardCtx::eval(), &mut trace)
        .unwrap();
    let stds: Vec<f64> = trace
        .iter()
        .filter(|o| o.kind.activation().is_some())
        .map(|o| {
            let v: Vec<f64> = tape
                .value(o.output)
                .data()
                .iter()
                .map(|&v| v as f64)
                .collect();
            stats(&v).1
        })
        .collect();
    println!(
        "{act} with {init}: {}",
        stds.iter()
            .map(|s| format!("{s:.3e}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert_eq!(stds.len(), 10);
    stds
}

#[test]
fn tanh_activations_collapse_with_small_init_and_survive_with_xavier() {
    let small = activation_stds(Activation::Tanh, Init::Small { std: 0.01 });
    assert!(small[9] < 1e-6, "last-layer std {:e}", small[9]);
    // Each layer shrinks the std by about 0.01·√500 ≈ 0.22.
    for w in small.windows(2) {
        assert!(w[1] / w[0] < 0.3);
    }
    let xavier = activation_stds(Activation::Tanh, Init::Xavier);
    assert!(
        (0.1..=1.0).contains(&xavier[9]),
        "last-layer std {}",
        xavier[9]
    );
}

#[test]
fn relu_keeps_its_std_with_he_and_loses_it_with_xavier() {
    let he = activation_stds(Activation::Relu, Init::He);
    let ratio = he[9] / he[0];
    assert!(
        (0.5..=2.0).contains(&ratio),
        "He: last/first std ratio {ratio}"
    );
    let xavier = activation_stds(Activation::Relu, Init::Xavier);
    // Variance halves per layer: std ratio ≈ 2^(−9/2) ≈ 0.044 over nine layers.
    let ratio = xavier[9] / xavier[0];
    assert!(ratio < 0.1, "Xavier: last/first std ratio {ratio}");
    assert!(
        ratio > 0.02,
        "Xavier: last/first std ratio {ratio} (expected about 0.044)"
    );
}
