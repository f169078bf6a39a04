use super::*;
use crate::activation::Activation;
use crate::init::Init;
use crate::mode::Mode;
use nnc_tape::rng;

fn mlp(fusion: bool) -> Sequential<f64> {
    let specs = [
        LayerSpec::Dense {
            units: 6,
            init: Init::He,
            bias: None,
        },
        LayerSpec::batchnorm(),
        LayerSpec::Activation(Activation::Tanh),
        LayerSpec::maxout(5, 3, Init::Xavier),
        LayerSpec::dropout(0.3),
        LayerSpec::dense(4, Init::Xavier),
        LayerSpec::Activation(Activation::Elu { alpha: 1.0 }),
        LayerSpec::dense(3, Init::Small { std: 0.1 }),
    ];
    let mut m = Sequential::from_specs(4, &specs, &mut rng(0)).unwrap();
    m.set_fusion(fusion);
    m
}

fn inputs() -> (Tensor<f64>, Vec<usize>) {
    (
        Tensor::randn(&[7, 4], 1.0, &mut rng(1)),
        vec![0, 2, 1, 1, 0, 2, 2],
    )
}

#[test]
fn canonical_names_widths_and_counts() {
    let m = mlp(true);
    let names: Vec<&str> = m.params().ids().map(|id| m.params().name(id)).collect();
    assert_eq!(
        names,
        [
            "dense1.weight",
            "batchnorm1.gamma",
            "batchnorm1.beta",
            "maxout1.weight",
            "maxout1.bias",
            "dense2.weight",
            "dense2.bias",
            "dense3.weight",
            "dense3.bias",
        ]
    );
    let layer_names: Vec<&str> = m.layers().map(|l| l.name()).collect();
    assert_eq!(
        layer_names,
        [
            "dense1",
            "batchnorm1",
            "tanh1",
            "maxout1",
            "dropout1",
            "dense2",
            "elu1",
            "dense3"
        ]
    );
    let buffers: Vec<&str> = m.buffers().map(|b| b.name.as_str()).collect();
    assert_eq!(
        buffers,
        ["batchnorm1.running_mean", "batchnorm1.running_var"]
    );
    assert_eq!((m.input_width(), m.output_width()), (4, 3));
    assert_eq!(
        m.num_params(),
        24 + 12 + 3 * (6 * 5 + 5) + 5 * 4 + 4 + 4 * 3 + 3
    );
    let weights: Vec<&str> = m
        .weight_ids()
        .iter()
        .map(|&id| m.params().name(id))
        .collect();
    assert_eq!(
        weights,
        [
            "dense1.weight",
            "maxout1.weight",
            "dense2.weight",
            "dense3.weight"
        ]
    );
}

#[test]
fn spec_param_counts_match_the_built_layers() {
    let specs = [
        LayerSpec::dense(6, Init::He),
        LayerSpec::maxout(5, 3, Init::Xavier),
        LayerSpec::batchnorm(),
        LayerSpec::dropout(0.5),
    ];
    let m = Sequential::<f32>::from_specs(4, &specs, &mut rng(0)).unwrap();
    assert_eq!(
        m.num_params() as u64,
        LayerSpec::total_param_count(4, &specs)
    );
    assert_eq!(
        LayerSpec::total_param_count(4, &specs),
        (4 * 6 + 6) + 3 * (6 * 5 + 5) + 2 * 5
    );
}

#[test]
fn fused_and_unfused_forward_and_backward_agree() {
    let (x, labels) = inputs();
    let run = |fusion: bool| {
        let mut m = mlp(fusion);
        let mut tape = Tape::new();
        let xv = tape.constant(x.clone());
        let mut r = rng(5);
        let s = m
            .forward(&mut tape, xv, &mut ForwardCtx::train(&mut r))
            .unwrap();
        let l = Loss::SoftmaxCrossEntropy
            .apply(&mut tape, s, &labels)
            .unwrap();
        let loss = tape.value(l).item().unwrap();
        let g = tape.backward(l).unwrap();
        g.check_complete(m.params()).unwrap();
        let grads: Vec<Tensor<f64>> = m
            .params()
            .ids()
            .map(|id| g.param(id).unwrap().clone())
            .collect();
        (loss, grads, tape.len())
    };
    let (fused, unfused) = (run(true), run(false));
    assert_eq!(fused.0, unfused.0);
    assert_eq!(fused.1, unfused.1);
    assert_eq!(
        fused.2 + 2,
        unfused.2,
        "dense2 + elu1 and batchnorm1 + tanh1 (train mode) each fused into one node"
    );
}

#[test]
fn traced_forward_reports_layer_outputs() {
    let (x, _) = inputs();
    let mut trace = Vec::new();
    for (fusion, expected) in [
        (
            false,
            vec![
                "dense1",
                "batchnorm1",
                "tanh1",
                "maxout1",
                "dropout1",
                "dense2",
                "elu1",
                "dense3",
            ],
        ),
        (
            true,
            vec![
                "dense1",
                "batchnorm1",
                "tanh1",
                "maxout1",
                "dropout1",
                "elu1",
                "dense3",
            ],
        ),
    ] {
        let mut m = mlp(fusion);
        let mut tape = Tape::new();
        let xv = tape.constant(x.clone());
        let y = m
            .forward_traced(&mut tape, xv, &mut ForwardCtx::eval(), &mut trace)
            .unwrap();
        let names: Vec<&str> = trace.iter().map(|o| &*o.name).collect();
        assert_eq!(names, expected);
        assert_eq!(trace.last().unwrap().output, y);
        let tanh = &trace[2];
        assert_eq!(tanh.kind, LayerKind::Activation(Activation::Tanh));
        assert!(tape.value(tanh.output).data().iter().all(|v| v.abs() < 1.0));
        let elu = trace.iter().find(|o| &*o.name == "elu1").unwrap();
        assert_eq!(tape.value(elu.output).shape(), &[7, 4]);
    }
}

#[test]
fn train_mode_updates_running_statistics_and_eval_mode_does_not() {
    let (x, _) = inputs();
    let mut m = mlp(true);
    let before: Vec<Tensor<f64>> = m.buffers().map(|b| b.value.clone()).collect();
    let mut tape = Tape::new();
    let xv = tape.constant(x);
    m.forward(&mut tape, xv, &mut ForwardCtx::eval()).unwrap();
    let same: Vec<Tensor<f64>> = m.buffers().map(|b| b.value.clone()).collect();
    assert_eq!(before, same);
    let mut r = rng(0);
    m.forward(
        &mut tape,
        xv,
        &mut ForwardCtx::train(&mut r).frozen_buffers(),
    )
    .unwrap();
    assert_eq!(
        before,
        m.buffers().map(|b| b.value.clone()).collect::<Vec<_>>()
    );
    m.forward(&mut tape, xv, &mut ForwardCtx::train(&mut r))
        .unwrap();
    let after: Vec<Tensor<f64>> = m.buffers().map(|b| b.value.clone()).collect();
    assert_ne!(before, after);
}

#[test]
fn buffers_can_be_loaded_and_models_cast_with_them() {
    let mut m = Sequential::<f32>::from_specs(3, &[LayerSpec::batchnorm()], &mut rng(0)).unwrap();
    let rv = Tensor::from_vec(vec![2.0, 3.0, 4.0], &[3]).unwrap();
    m.set_buffer("batchnorm1.running_var", rv.clone()).unwrap();
    assert!(
        m.set_buffer("batchnorm1.running_var", Tensor::zeros(&[2]))
            .is_err()
    );
    assert!(m.set_buffer("nope", Tensor::zeros(&[3])).is_err());
    let m64 = m.to_f64();
    let b: Vec<&Buffer<f64>> = m64.buffers().collect();
    assert_eq!(b[1].value, rv.cast::<f64>());
    assert_eq!(
        m64.params()
            .name(ParamId::clone(&m64.params().ids().next().unwrap())),
        "batchnorm1.gamma"
    );
    let back = m64.to_f32();
    assert_eq!(back.buffers().nth(1).unwrap().value, rv);
}

#[test]
fn errors_name_the_layer() {
    let mut m = Sequential::<f64>::from_specs(4, &[LayerSpec::batchnorm()], &mut rng(0)).unwrap();
    let mut tape = Tape::new();
    let x = tape.constant(Tensor::zeros(&[1, 4]));
    let e = m
        .forward(&mut tape, x, &mut ForwardCtx::train_without_rng())
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("layer `batchnorm1`: batchnorm: Train mode needs at least 2"),
        "{e}"
    );
    let x = tape.constant(Tensor::zeros(&[2, 5]));
    let e = m
        .forward(&mut tape, x, &mut ForwardCtx::eval())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "model: expects inputs [n, 4] (one example per row), got [2, 5]"
    );
    let e = m
        .push_named("batchnorm1", LayerSpec::batchnorm(), &mut rng(0))
        .unwrap_err();
    assert!(
        e.to_string().contains("defined twice") || e.to_string().contains("unique"),
        "{e}"
    );
    let e = m
        .push(
            LayerSpec::Dense {
                units: 3,
                init: Init::Zeros,
                bias: None,
            },
            &mut rng(0),
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("`zeros` cannot initialise weights"),
        "{e}"
    );
}

#[test]
fn model_gradcheck_with_every_layer_kind() {
    let (x, labels) = inputs();
    let mut m = mlp(true);
    let report = m
        .gradcheck(
            &x,
            &labels,
            Loss::SoftmaxCrossEntropy,
            Some(Penalty::L2(0.1)),
            GradcheckOptions::default(),
            3,
        )
        .unwrap();
    assert!(report.max_relative_error() <= 1e-6, "{report}");
    assert_eq!(report.tensors.len(), m.params().len());
}

#[test]
fn eval_mode_ignores_dropout_and_uses_running_statistics() {
    let (x, _) = inputs();
    let mut m = mlp(true);
    let mut tape = Tape::new();
    let xv = tape.constant(x);
    let a = m.forward(&mut tape, xv, &mut ForwardCtx::eval()).unwrap();
    let b = m
        .forward(
            &mut tape,
            xv,
            &mut ForwardCtx {
                mode: Mode::Eval,
                rng: None,
                update_buffers: true,
                shard: None,
            },
        )
        .unwrap();
    assert_eq!(tape.value(a), tape.value(b));
}

#[test]
fn display_lists_layers_and_parameter_counts() {
    let m = Sequential::<f32>::from_specs(
        2,
        &[
            LayerSpec::dense(100, Init::Small { std: 0.01 }),
            LayerSpec::Activation(Activation::Relu),
            LayerSpec::dense(3, Init::Small { std: 0.01 }),
        ],
        &mut rng(0),
    )
    .unwrap();
    let text = m.to_string();
    assert!(text.contains("dense1"), "{text}");
    assert!(text.ends_with("total parameters: 603"), "{text}");
}

#[test]
fn same_seeds_give_bit_identical_parameters_losses_and_gradients() {
    let (x, labels) = inputs();
    let run = || {
        let mut m = mlp(true);
        let mut tape = Tape::new();
        let xv = tape.constant(x.clone());
        let mut r = rng(9);
        let s = m
            .forward(&mut tape, xv, &mut ForwardCtx::train(&mut r))
            .unwrap();
        let l = Loss::SoftmaxCrossEntropy
            .apply(&mut tape, s, &labels)
            .unwrap();
        let loss = tape.value(l).item().unwrap().to_bits();
        let g = tape.backward(l).unwrap();
        let params: Vec<Tensor<f64>> = m
            .params()
            .ids()
            .map(|id| m.params().value(id).clone())
            .collect();
        let grads: Vec<Tensor<f64>> = m
            .params()
            .ids()
            .map(|id| g.param(id).unwrap().clone())
            .collect();
        let buffers: Vec<Tensor<f64>> = m.buffers().map(|b| b.value.clone()).collect();
        (loss, params, grads, buffers)
    };
    assert!(run() == run());
}

#[test]
fn f32_and_f64_models_agree() {
    let (x, labels) = inputs();
    let mut m64 = mlp(true);
    let mut m32 = m64.to_f32();
    let mut t64 = Tape::new();
    let x64 = t64.constant(x.clone());
    let s64 = m64.forward(&mut t64, x64, &mut ForwardCtx::eval()).unwrap();
    let l64 = Loss::SoftmaxCrossEntropy
        .apply(&mut t64, s64, &labels)
        .unwrap();
    let mut t32 = Tape::new();
    let x32 = t32.constant(x.cast::<f32>());
    let s32 = m32.forward(&mut t32, x32, &mut ForwardCtx::eval()).unwrap();
    let l32 = Loss::SoftmaxCrossEntropy
        .apply(&mut t32, s32, &labels)
        .unwrap();
    let a = t64.value(l64).item().unwrap();
    let b = t32.value(l32).item().unwrap() as f64;
    assert!((a - b).abs() < 1e-5 * a.abs(), "{a} vs {b}");
    for (p, q) in t64.value(s64).data().iter().zip(t32.value(s32).data()) {
        assert!((p - *q as f64).abs() < 1e-5);
    }
}
