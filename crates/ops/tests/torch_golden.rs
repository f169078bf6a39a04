//! nnc-ops against PyTorch golden values (f64): activations (forward and gradient), softmax
//! cross-entropy, SVM hinge and MSE (loss and gradient), batch norm (train forward, gradients of
//! a non-symmetric loss, running statistics after three steps, eval forward and gradient), and
//! a small dense → batchnorm → relu → dense model built with `Sequential`.
//!
//! The values are generated once by `tests/golden/ops_golden.py` (torch, CPU, float64) into
//! `tests/golden/torch_values.rs`. Tolerances are 1e-10 relative: far tighter than the 25 %
//! that separates an unbiased from a biased variance with n = 5.

#[path = "golden/torch_values.rs"]
mod golden;

use golden::*;
use nnc_ops::{
    Activation, BatchNormConfig, ForwardCtx, Init, LayerSpec, Loss, Sequential, batch_norm_eval,
    batch_norm_train, mean_squared_error, multiclass_hinge, softmax_cross_entropy,
};
use nnc_tape::{Tape, Tensor, Var, rng};

const RTOL: f64 = 1e-10;

#[track_caller]
fn assert_close(what: &str, got: &[f64], expected: &[f64]) {
    assert_eq!(got.len(), expected.len(), "{what}: length");
    for (i, (&g, &e)) in got.iter().zip(expected).enumerate() {
        let err = (g - e).abs() / e.abs().max(1e-3);
        assert!(
            err <= RTOL,
            "{what}[{i}]: got {g:e}, torch {e:e} (relative error {err:.2e})"
        );
    }
}

fn tensor(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), shape).unwrap()
}

/// `Σ w ⊙ y` with a constant `w`.
fn weighted(tape: &mut Tape<f64>, y: Var, w: &[f64]) -> Var {
    let shape = tape.shape(y).to_vec();
    let w = tape.constant(tensor(w, &shape));
    let p = tape.mul(y, w).unwrap();
    tape.sum(p).unwrap()
}

#[test]
fn activations_match_torch() {
    let cases: [(&str, Activation, &[f64], &[f64]); 11] = [
        (
            "elu(1)",
            Activation::Elu { alpha: 1.0 },
            &ELU_1_Y,
            &ELU_1_DX,
        ),
        (
            "elu(0.5)",
            Activation::Elu { alpha: 0.5 },
            &ELU_0_5_Y,
            &ELU_0_5_DX,
        ),
        (
            "leaky(0.01)",
            Activation::LeakyRelu { alpha: 0.01 },
            &LEAKY_0_01_Y,
            &LEAKY_0_01_DX,
        ),
        (
            "leaky(0.2)",
            Activation::LeakyRelu { alpha: 0.2 },
            &LEAKY_0_2_Y,
            &LEAKY_0_2_DX,
        ),
        ("gelu", Activation::Gelu, &GELU_Y, &GELU_DX),
        ("selu", Activation::Selu, &SELU_Y, &SELU_DX),
        ("softplus", Activation::Softplus, &SOFTPLUS_Y, &SOFTPLUS_DX),
        ("swish", Activation::Swish, &SWISH_Y, &SWISH_DX),
        ("sigmoid", Activation::Sigmoid, &SIGMOID_Y, &SIGMOID_DX),
        ("tanh", Activation::Tanh, &TANH_Y, &TANH_DX),
        ("relu", Activation::Relu, &RELU_Y, &RELU_DX),
    ];
    for (name, act, y, dx) in cases {
        let mut tape = Tape::<f64>::new();
        let x = tape.var(tensor(&ACT_X, &ACT_X_SHAPE));
        let out = act.apply(&mut tape, x).unwrap();
        assert_close(&format!("{name} forward"), tape.value(out).data(), y);
        let l = weighted(&mut tape, out, &ACT_W);
        let g = tape.backward(l).unwrap();
        assert_close(&format!("{name} gradient"), g.wrt(x).unwrap().data(), dx);
    }
}

#[test]
fn losses_match_torch() {
    type LossFn = fn(&mut Tape<f64>, Var) -> Var;
    let cases: [(&str, LossFn, f64, &[f64]); 3] = [
        (
            "softmax cross-entropy",
            |t, s| softmax_cross_entropy(t, s, &LOSS_LABELS).unwrap(),
            CE_LOSS,
            &CE_DSCORES,
        ),
        (
            "svm hinge (torch × C)",
            |t, s| multiclass_hinge(t, s, &LOSS_LABELS, 1.0).unwrap(),
            SVM_LOSS,
            &SVM_DSCORES,
        ),
        (
            "mse",
            |t, s| {
                let target = t.constant(tensor(&MSE_TARGET, &MSE_TARGET_SHAPE));
                mean_squared_error(t, s, target).unwrap()
            },
            MSE_LOSS,
            &MSE_DSCORES,
        ),
    ];
    for (name, f, loss, dscores) in cases {
        let mut tape = Tape::<f64>::new();
        let s = tape.var(tensor(&LOSS_SCORES, &LOSS_SCORES_SHAPE));
        let l = f(&mut tape, s);
        assert_close(name, &[tape.value(l).item().unwrap()], &[loss]);
        let g = tape.backward(l).unwrap();
        assert_close(
            &format!("{name} gradient"),
            g.wrt(s).unwrap().data(),
            dscores,
        );
    }
}

#[test]
fn loss_enum_matches_torch_cross_entropy() {
    let mut tape = Tape::<f64>::new();
    let s = tape.var(tensor(&LOSS_SCORES, &LOSS_SCORES_SHAPE));
    let l = Loss::SoftmaxCrossEntropy
        .apply(&mut tape, s, &LOSS_LABELS)
        .unwrap();
    assert_close(
        "Loss::SoftmaxCrossEntropy",
        &[tape.value(l).item().unwrap()],
        &[CE_LOSS],
    );
}

#[test]
fn batch_norm_train_forward_gradients_and_running_statistics_match_torch() {
    let cfg = BatchNormConfig::default();
    let (mut rm, mut rv) = (Tensor::<f64>::zeros(&[3]), Tensor::<f64>::ones(&[3]));
    for (k, xb) in [&BN_X1, &BN_X2, &BN_X3].into_iter().enumerate() {
        let mut tape = Tape::<f64>::new();
        let x = tape.var(tensor(xb, &BN_X1_SHAPE));
        let gamma = tape.var(tensor(&BN_GAMMA, &[3]));
        let beta = tape.var(tensor(&BN_BETA, &[3]));
        let y = batch_norm_train(
            &mut tape,
            x,
            Some((gamma, beta)),
            cfg,
            Some((&mut rm, &mut rv)),
        )
        .unwrap();
        if k == 0 {
            assert_close("train forward", tape.value(y).data(), &BN_Y1);
            // Σ w ⊙ y with a fixed random w: a plain sum would have zero input gradient.
            let l = weighted(&mut tape, y, &BN_LOSS_W);
            let g = tape.backward(l).unwrap();
            assert_close("dx", g.wrt(x).unwrap().data(), &BN_DX1);
            assert_close("dgamma", g.wrt(gamma).unwrap().data(), &BN_DGAMMA1);
            assert_close("dbeta", g.wrt(beta).unwrap().data(), &BN_DBETA1);
        }
    }
    assert_close("running mean after 3 steps", rm.data(), &BN_RUNNING_MEAN3);
    assert_close("running var after 3 steps", rv.data(), &BN_RUNNING_VAR3);

    // Eval mode normalises with those running statistics.
    let mut tape = Tape::<f64>::new();
    let x = tape.var(tensor(&BN_X_EVAL, &BN_X_EVAL_SHAPE));
    let gamma = tape.constant(tensor(&BN_GAMMA, &[3]));
    let beta = tape.constant(tensor(&BN_BETA, &[3]));
    let y = batch_norm_eval(&mut tape, x, Some((gamma, beta)), cfg.eps, &rm, &rv).unwrap();
    assert_close("eval forward", tape.value(y).data(), &BN_Y_EVAL);
    let l = weighted(&mut tape, y, &BN_LOSS_W[..12]);
    let g = tape.backward(l).unwrap();
    assert_close("eval dx", g.wrt(x).unwrap().data(), &BN_DX_EVAL);
}

#[test]
fn biased_running_variance_would_fail_this_tolerance() {
    // The tolerance tells n from n − 1: with n = 5 the unbiased update is 25 % larger.
    let naive = BN_RUNNING_VAR3.map(|v| v * 0.8);
    let err = (naive[0] - BN_RUNNING_VAR3[0]).abs() / BN_RUNNING_VAR3[0];
    assert!(err > 1e4 * RTOL);
}

#[test]
fn sequential_model_matches_torch() {
    let specs = [
        LayerSpec::Dense {
            units: 5,
            init: Init::He,
            bias: None,
        },
        LayerSpec::batchnorm(),
        LayerSpec::Activation(Activation::Relu),
        LayerSpec::dense(3, Init::Xavier),
    ];
    let mut model = Sequential::<f64>::from_specs(4, &specs, &mut rng(0)).unwrap();
    let values: [(&str, &[f64]); 5] = [
        ("dense1.weight", &MLP_W1),
        ("batchnorm1.gamma", &MLP_GAMMA),
        ("batchnorm1.beta", &MLP_BETA),
        ("dense2.weight", &MLP_W2),
        ("dense2.bias", &MLP_B2),
    ];
    for (name, v) in values {
        let id = model.params().find(name).unwrap();
        let shape = model.params().value(id).shape().to_vec();
        model.params_mut().set(id, tensor(v, &shape)).unwrap();
    }
    let mut tape = Tape::new();
    let x = tape.constant(tensor(&MLP_X, &MLP_X_SHAPE));
    let scores = model
        .forward(&mut tape, x, &mut ForwardCtx::train_without_rng())
        .unwrap();
    let loss = Loss::SoftmaxCrossEntropy
        .apply(&mut tape, scores, &MLP_LABELS)
        .unwrap();
    assert_close(
        "model loss",
        &[tape.value(loss).item().unwrap()],
        &[MLP_LOSS],
    );
    let g = tape.backward(loss).unwrap();
    g.check_complete(model.params()).unwrap();
    let grads: [(&str, &[f64]); 5] = [
        ("dense1.weight", &MLP_DW1),
        ("batchnorm1.gamma", &MLP_DGAMMA),
        ("batchnorm1.beta", &MLP_DBETA),
        ("dense2.weight", &MLP_DW2),
        ("dense2.bias", &MLP_DB2),
    ];
    for (name, expected) in grads {
        let id = model.params().find(name).unwrap();
        assert_close(name, g.param(id).unwrap().data(), expected);
    }
    let buffers: Vec<&[f64]> = model.buffers().map(|b| b.value.data()).collect();
    assert_close("running mean", buffers[0], &MLP_RUNNING_MEAN);
    assert_close("running var", buffers[1], &MLP_RUNNING_VAR);
}
