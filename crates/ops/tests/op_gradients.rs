//! Every op and loss of nnc-ops, in f64:
//!
//! * a central-difference gradient check against its closed-form backward, relative error
//!   ≤ 1e-6 (inputs kept away from kinks and ties; the table of measured errors is printed with
//!   `cargo test -p nnc-ops --test op_gradients -- --nocapture`);
//! * an insta snapshot of its gradient report on a fixed seeded input, so any change to a
//!   forward or backward pass shows up as a reviewed diff.
//!
//! Non-scalar outputs are reduced with `Σ w ⊙ y` for a fixed random `w`, never a plain sum
//! (which has zero gradient through batch norm and softmax and would test nothing).

use nnc_ops::{
    Activation, BatchNormConfig, ForwardCtx, Init, LayerSpec, Loss, Penalty, Sequential,
    batch_norm_eval, batch_norm_train, dense, dense_activation, dropout, l1_penalty, l2_penalty,
    maxout, mean_squared_error, multiclass_hinge, softmax_cross_entropy,
};
use nnc_tape::{GradcheckOptions, GradientReport, Result, Tape, Tensor, Var, gradcheck, rng};

const TOLERANCE: f64 = 1e-6;

type OpFn = Box<dyn Fn(&mut Tape<f64>, &[Var]) -> Result<Var>>;

struct Case {
    name: &'static str,
    input_names: &'static [&'static str],
    inputs: Vec<Tensor<f64>>,
    f: OpFn,
}

fn randn(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::randn(shape, 1.0, &mut rng(seed))
}

/// Standard normal values at least 0.1 away from 0 (the kink of rectifiers and of |x|).
fn away_from_zero(shape: &[usize], seed: u64) -> Tensor<f64> {
    randn(shape, seed).map(|v| if v >= 0.0 { v + 0.1 } else { v - 0.1 })
}

/// `Σ w ⊙ y` for a fixed random `w`, or `y` itself if it is a scalar.
fn reduce(tape: &mut Tape<f64>, y: Var) -> Result<Var> {
    if tape.value(y).numel() == 1 {
        return Ok(y);
    }
    let shape = tape.shape(y).to_vec();
    let w = tape.constant(Tensor::randn(&shape, 1.0, &mut rng(99)));
    let p = tape.mul(y, w)?;
    tape.sum(p)
}

fn case(
    name: &'static str,
    input_names: &'static [&'static str],
    inputs: Vec<Tensor<f64>>,
    f: impl Fn(&mut Tape<f64>, &[Var]) -> nnc_ops::Result<Var> + 'static,
) -> Case {
    Case {
        name,
        input_names,
        inputs,
        f: Box::new(move |t, v| {
            let y = f(t, v)?;
            reduce(t, y)
        }),
    }
}

fn activation_case(name: &'static str, act: Activation) -> Case {
    // Moderate inputs: away from the kinks, and not so large that saturated derivatives fall
    // below the resolution of the finite differences.
    case(
        name,
        &["x"],
        vec![away_from_zero(&[4, 5], 10)],
        move |t, v| act.apply(t, v[0]),
    )
}

fn cases() -> Vec<Case> {
    let cfg = BatchNormConfig::default();
    // (Seed 30 gave one x-gradient element of 1e-5 by cancellation: its relative error then
    // measures finite-difference noise, ~1e-10 absolute, rather than the backward pass.)
    let bn_x = || randn(&[6, 4], 33).map(|v| 2.0 * v + 1.0);
    let labels = [0usize, 3, 1, 2];
    vec![
        case(
            "dense",
            &["x", "weight", "bias"],
            vec![randn(&[4, 3], 1), randn(&[3, 5], 2), randn(&[5], 3)],
            |t, v| dense(t, v[0], v[1], Some(v[2])),
        ),
        case(
            "dense_no_bias",
            &["x", "weight"],
            vec![randn(&[4, 3], 1), randn(&[3, 5], 2)],
            |t, v| dense(t, v[0], v[1], None),
        ),
        case(
            "dense_relu_fused",
            &["x", "weight", "bias"],
            vec![randn(&[4, 3], 4), randn(&[3, 5], 5), randn(&[5], 6)],
            |t, v| dense_activation(t, v[0], v[1], Some(v[2]), Activation::Relu),
        ),
        case(
            "dense_gelu_fused",
            &["x", "weight", "bias"],
            vec![randn(&[4, 3], 4), randn(&[3, 5], 5), randn(&[5], 6)],
            |t, v| dense_activation(t, v[0], v[1], Some(v[2]), Activation::Gelu),
        ),
        activation_case("sigmoid", Activation::Sigmoid),
        activation_case("tanh", Activation::Tanh),
        activation_case("relu", Activation::Relu),
        activation_case("leaky_relu", Activation::LeakyRelu { alpha: 0.01 }),
        activation_case("elu", Activation::Elu { alpha: 1.0 }),
        activation_case("gelu", Activation::Gelu),
        activation_case("selu", Activation::Selu),
        activation_case("softplus", Activation::Softplus),
        activation_case("swish", Activation::Swish),
        case(
            "maxout",
            &["x", "weight", "bias"],
            vec![randn(&[4, 3], 20), randn(&[3, 6], 21), randn(&[6], 22)],
            |t, v| maxout(t, v[0], v[1], Some(v[2]), 3),
        ),
        case(
            "batchnorm_train",
            &["x", "gamma", "beta"],
            vec![bn_x(), randn(&[4], 31), randn(&[4], 32)],
            move |t, v| batch_norm_train(t, v[0], Some((v[1], v[2])), cfg, None),
        ),
        case(
            "batchnorm_train_no_affine",
            &["x"],
            vec![bn_x()],
            move |t, v| batch_norm_train(t, v[0], None, cfg, None),
        ),
        case(
            "batchnorm_eval",
            &["x", "gamma", "beta"],
            vec![bn_x(), randn(&[4], 31), randn(&[4], 32)],
            |t, v| {
                let rm = Tensor::from_vec(vec![0.5, -0.2, 1.0, 0.0], &[4])?;
                let rv = Tensor::from_vec(vec![2.0, 0.5, 1.5, 3.0], &[4])?;
                batch_norm_eval(t, v[0], Some((v[1], v[2])), 1e-5, &rm, &rv)
            },
        ),
        case("dropout", &["x"], vec![randn(&[4, 5], 40)], |t, v| {
            let mut r = rng(41);
            dropout(t, v[0], 0.5, &mut ForwardCtx::train(&mut r))
        }),
        case(
            "softmax_cross_entropy",
            &["scores"],
            vec![randn(&[4, 5], 50)],
            move |t, v| softmax_cross_entropy(t, v[0], &labels),
        ),
        case(
            "multiclass_hinge",
            &["scores"],
            vec![randn(&[4, 5], 51).map(|x| 3.0 * x)],
            move |t, v| multiclass_hinge(t, v[0], &labels, 1.0),
        ),
        case(
            "mean_squared_error",
            &["pred", "target"],
            vec![randn(&[4, 5], 52), randn(&[4, 5], 53)],
            |t, v| mean_squared_error(t, v[0], v[1]),
        ),
        case(
            "l2_penalty",
            &["w1", "w2"],
            vec![randn(&[3, 4], 60), randn(&[4, 2], 61)],
            |t, v| l2_penalty(t, v, 0.3),
        ),
        case(
            "l1_penalty",
            &["w1", "w2"],
            vec![away_from_zero(&[3, 4], 62), away_from_zero(&[4, 2], 63)],
            |t, v| l1_penalty(t, v, 0.3),
        ),
    ]
}

#[test]
fn every_op_passes_gradcheck() {
    let mut table = String::from("op                          max relative error\n");
    let mut failures = Vec::new();
    for c in cases() {
        let report = gradcheck(&c.inputs, &c.f).unwrap();
        let err = report.max_relative_error();
        table.push_str(&format!("{:<28}{err:.2e}\n", c.name));
        if err > TOLERANCE {
            failures.push(format!("{}: {err:.3e}\n{report}", c.name));
        }
        for t in &report.tensors {
            assert!(t.checked > 0, "{}: nothing checked", c.name);
            assert!(
                t.analytic != 0.0 || t.numeric == 0.0,
                "{}: zero gradient where the function is not flat\n{report}",
                c.name
            );
        }
    }
    println!("{table}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn gradient_report_snapshots() {
    for c in cases() {
        let mut tape = Tape::<f64>::new();
        let vars: Vec<Var> = c.inputs.iter().map(|t| tape.var(t.clone())).collect();
        let loss = (c.f)(&mut tape, &vars).unwrap();
        let value = tape.value(loss).item().unwrap();
        let grads = tape.backward(loss).unwrap();
        let mut report =
            GradientReport::new().title(format!("{} (f64, fixed seeded input)", c.name));
        report.scalar("loss", value);
        for (name, &v) in c.input_names.iter().zip(&vars) {
            report.push(*name, grads.wrt(v).unwrap());
        }
        insta::assert_snapshot!(c.name, report.to_string());
    }
}

fn model() -> Sequential<f64> {
    let specs = [
        LayerSpec::Dense {
            units: 6,
            init: Init::He,
            bias: None,
        },
        LayerSpec::batchnorm(),
        LayerSpec::Activation(Activation::Relu),
        LayerSpec::maxout(4, 2, Init::Xavier),
        LayerSpec::dropout(0.25),
        // Xavier, not small(0.01), at the top: small scores make every gradient below tiny, and
        // relative errors of tiny gradients measure finite-difference noise, not the backward.
        LayerSpec::dense(3, Init::Xavier),
    ];
    Sequential::from_specs(5, &specs, &mut rng(70)).unwrap()
}

#[test]
fn sequential_model_gradcheck_and_snapshot() {
    let x = randn(&[8, 5], 71);
    let labels = [0, 1, 2, 2, 1, 0, 0, 1];
    let mut m = model();
    let report = m
        .gradcheck(
            &x,
            &labels,
            Loss::SoftmaxCrossEntropy,
            Some(Penalty::L2(0.1)),
            // ε = 1e-5 rather than 1e-6 for the composed model: a maxout piece that never wins
            // gets only the penalty's gradient (~1e-4), where the 1/ε finite-difference noise of
            // a loss near 1 reaches 1.3e-6 relative at ε = 1e-6 (4.9e-8 at 1e-5, 3.3e-9 at 1e-4:
            // the numeric estimate converges to the analytic one as the noise shrinks).
            GradcheckOptions {
                eps: 1e-5,
                ..GradcheckOptions::default()
            },
            72,
        )
        .unwrap();
    println!("{report}");
    assert!(report.max_relative_error() <= TOLERANCE, "{report}");

    let mut tape = Tape::new();
    let xv = tape.constant(x);
    let mut r = rng(72);
    let s = m
        .forward(
            &mut tape,
            xv,
            &mut ForwardCtx::train(&mut r).frozen_buffers(),
        )
        .unwrap();
    let data = Loss::SoftmaxCrossEntropy
        .apply(&mut tape, s, &labels)
        .unwrap();
    let reg = Penalty::L2(0.1)
        .apply(&mut tape, m.params(), &m.weight_ids())
        .unwrap();
    let loss = tape.add(data, reg).unwrap();
    let value = tape.value(loss).item().unwrap();
    let grads = tape.backward(loss).unwrap();
    grads.check_complete(m.params()).unwrap();
    let mut report = GradientReport::from_gradients(m.params(), &grads)
        .title("dense → batchnorm → relu → maxout(2) → dropout → dense, softmax + l2(0.1)");
    report.scalar("loss", value);
    insta::assert_snapshot!("sequential_model", report.to_string());
}
