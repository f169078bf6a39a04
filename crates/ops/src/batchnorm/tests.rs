use super::*;
use crate::testutil::{check_gradient, randn, weighted_sum};

fn column_stats(t: &Tensor<f64>, d: usize) -> Vec<(f64, f64)> {
    let n = t.numel() / d;
    (0..d)
        .map(|j| {
            let col: Vec<f64> = (0..n).map(|i| t.data()[i * d + j]).collect();
            let mean = col.iter().sum::<f64>() / n as f64;
            let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
            (mean, var)
        })
        .collect()
}

fn batch(seed: u64) -> Tensor<f64> {
    randn(&[6, 4], seed).map(|v| 2.0 * v + 1.0)
}

#[test]
fn train_mode_normalises_each_feature_with_the_biased_variance() {
    let x = batch(1);
    let mut tape = Tape::<f64>::new();
    let xv = tape.constant(x.clone());
    let y = batch_norm_train(&mut tape, xv, None, BatchNormConfig::default(), None).unwrap();
    let eps = 1e-5;
    for ((m, v), (xm, xvar)) in column_stats(tape.value(y), 4)
        .into_iter()
        .zip(column_stats(&x, 4))
    {
        assert!(m.abs() < 1e-15);
        // Biased variance of x̂ is σ²/(σ² + ε).
        assert!((v - xvar / (xvar + eps)).abs() < 1e-12, "{v}");
        let _ = xm;
    }
}

#[test]
fn gamma_and_beta_scale_and_shift() {
    let x = batch(2);
    let mut tape = Tape::<f64>::new();
    let xv = tape.constant(x);
    let g = tape.constant(Tensor::from_vec(vec![2.0, 0.5, -1.0, 3.0], &[4]).unwrap());
    let b = tape.constant(Tensor::from_vec(vec![1.0, -1.0, 0.0, 0.25], &[4]).unwrap());
    let plain = batch_norm_train(&mut tape, xv, None, BatchNormConfig::default(), None).unwrap();
    let y = batch_norm_train(
        &mut tape,
        xv,
        Some((g, b)),
        BatchNormConfig::default(),
        None,
    )
    .unwrap();
    let (p, yv) = (tape.value(plain).data(), tape.value(y).data());
    let (gv, bv) = (tape.value(g).data(), tape.value(b).data());
    for i in 0..6 {
        for j in 0..4 {
            assert!((yv[i * 4 + j] - (gv[j] * p[i * 4 + j] + bv[j])).abs() < 1e-14);
        }
    }
}

#[test]
fn running_statistics_use_momentum_and_the_unbiased_variance() {
    let x = batch(3);
    let (mut rm, mut rv) = (Tensor::<f64>::zeros(&[4]), Tensor::<f64>::ones(&[4]));
    let mut tape = Tape::<f64>::new();
    let xv = tape.constant(x.clone());
    batch_norm_train(
        &mut tape,
        xv,
        None,
        BatchNormConfig::default(),
        Some((&mut rm, &mut rv)),
    )
    .unwrap();
    for (j, (m, v)) in column_stats(&x, 4).into_iter().enumerate() {
        assert!((rm.data()[j] - 0.1 * m).abs() < 1e-15);
        let unbiased = v * 6.0 / 5.0;
        assert!((rv.data()[j] - (0.9 + 0.1 * unbiased)).abs() < 1e-14);
    }
}

#[test]
fn one_example_in_train_mode_is_a_clear_error() {
    let mut tape = Tape::<f32>::new();
    let x = tape.constant(Tensor::ones(&[1, 3]));
    let e = batch_norm_train(&mut tape, x, None, BatchNormConfig::default(), None).unwrap_err();
    assert_eq!(
        e,
        OpsError::BatchTooSmall {
            op: "batchnorm",
            examples: 1
        }
    );
    assert!(e.to_string().contains("at least 2 examples"), "{e}");
    // Eval mode works with one example.
    let (rm, rv) = (Tensor::zeros(&[3]), Tensor::ones(&[3]));
    let y = batch_norm_eval(&mut tape, x, None, 1e-5, &rm, &rv).unwrap();
    assert!((tape.value(y).data()[0] - 1.0 / (1.0f32 + 1e-5).sqrt()).abs() < 1e-7);
}

#[test]
fn a_plain_sum_through_batch_norm_has_zero_input_gradient() {
    // Why the gradient checks below use Σ w ⊙ y: Σ_i x̂_ij = 0 whatever x is.
    let mut tape = Tape::<f64>::new();
    let x = tape.var(batch(4));
    let y = batch_norm_train(&mut tape, x, None, BatchNormConfig::default(), None).unwrap();
    let s = tape.sum(y).unwrap();
    let g = tape.backward(s).unwrap();
    assert!(g.wrt(x).unwrap().data().iter().all(|v| v.abs() < 1e-12));
}

#[test]
fn train_gradcheck_with_a_non_symmetric_loss() {
    let inputs = [batch(5), randn(&[4], 6), randn(&[4], 7)];
    let cfg = BatchNormConfig::default();
    check_gradient("batchnorm_train", &inputs, 1e-6, |t, v| {
        let y = batch_norm_train(t, v[0], Some((v[1], v[2])), cfg, None)?;
        weighted_sum(t, y)
    });
    check_gradient("batchnorm_train (no affine)", &inputs[..1], 1e-6, |t, v| {
        let y = batch_norm_train(t, v[0], None, cfg, None)?;
        weighted_sum(t, y)
    });
}

#[test]
fn eval_gradcheck() {
    let inputs = [batch(8), randn(&[4], 9), randn(&[4], 10)];
    let rm = Tensor::from_vec(vec![0.5, -0.2, 1.0, 0.0], &[4]).unwrap();
    let rv = Tensor::from_vec(vec![2.0, 0.5, 1.5, 3.0], &[4]).unwrap();
    check_gradient("batchnorm_eval", &inputs, 1e-6, |t, v| {
        let y = batch_norm_eval(t, v[0], Some((v[1], v[2])), 1e-5, &rm, &rv)?;
        weighted_sum(t, y)
    });
}

#[test]
fn mode_dispatch_and_frozen_buffers() {
    let x = batch(11);
    let (mut rm, mut rv) = (Tensor::<f64>::zeros(&[4]), Tensor::<f64>::ones(&[4]));
    let mut tape = Tape::<f64>::new();
    let xv = tape.constant(x);
    let cfg = BatchNormConfig::default();
    let frozen = ForwardCtx::train_without_rng().frozen_buffers();
    batch_norm(&mut tape, xv, None, cfg, &mut rm, &mut rv, &frozen).unwrap();
    assert_eq!((rm.data(), rv.data()), (&[0.0; 4][..], &[1.0; 4][..]));
    batch_norm(
        &mut tape,
        xv,
        None,
        cfg,
        &mut rm,
        &mut rv,
        &ForwardCtx::train_without_rng(),
    )
    .unwrap();
    assert!(rm.data().iter().all(|&m| m != 0.0));
    let (rm0, rv0) = (rm.clone(), rv.clone());
    let y = batch_norm(
        &mut tape,
        xv,
        None,
        cfg,
        &mut rm,
        &mut rv,
        &ForwardCtx::eval(),
    )
    .unwrap();
    assert_eq!((&rm, &rv), (&rm0, &rv0));
    let expected = (tape.value(xv).data()[0] - rm.data()[0]) / (rv.data()[0] + 1e-5).sqrt();
    assert!((tape.value(y).data()[0] - expected).abs() < 1e-14);
}

#[test]
fn invalid_settings_and_shapes_are_errors() {
    let mut tape = Tape::<f64>::new();
    let x = tape.constant(batch(12));
    let bad = BatchNormConfig {
        momentum: 1.5,
        eps: 1e-5,
    };
    assert!(batch_norm_train(&mut tape, x, None, bad, None).is_err());
    let g = tape.constant(Tensor::ones(&[3]));
    let e = batch_norm_train(&mut tape, x, Some((g, g)), BatchNormConfig::default(), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("gamma and beta must be [4]"), "{e}");
}

#[test]
fn fused_activation_equals_batch_norm_then_activation_bitwise() {
    // Values, input gradients, γ/β gradients and running statistics, with and without affine,
    // for every activation (including those whose derivative reads the pre-activation).
    let x = batch(11);
    let (gamma, beta) = (randn(&[4], 12), randn(&[4], 13));
    for act in crate::Activation::ALL {
        for affine in [true, false] {
            let run = |fused: bool| {
                let mut tape = Tape::<f64>::new();
                let xv = tape.var(x.clone());
                let gb = affine.then(|| (tape.var(gamma.clone()), tape.var(beta.clone())));
                let (mut rm, mut rv) = (Tensor::zeros(&[4]), Tensor::ones(&[4]));
                let cfg = BatchNormConfig::default();
                let running = Some((&mut rm, &mut rv));
                let y = if fused {
                    batch_norm_train_activation(&mut tape, xv, gb, cfg, running, act).unwrap()
                } else {
                    let z = batch_norm_train(&mut tape, xv, gb, cfg, running).unwrap();
                    act.apply(&mut tape, z).unwrap()
                };
                let out = tape.value(y).clone();
                let loss = weighted_sum(&mut tape, y).unwrap();
                let g = tape.backward(loss).unwrap();
                let mut grads = vec![g.wrt(xv).unwrap().clone()];
                if let Some((gv, bv)) = gb {
                    grads.push(g.wrt(gv).unwrap().clone());
                    grads.push(g.wrt(bv).unwrap().clone());
                }
                (out, grads, rm, rv)
            };
            assert_eq!(run(true), run(false), "{act}, affine {affine}");
        }
    }
}

#[test]
fn fused_activation_passes_a_gradient_check() {
    let inputs = [batch(14), randn(&[4], 15), randn(&[4], 16)];
    check_gradient("batchnorm+tanh", &inputs, 1e-6, |t, v| {
        Ok(batch_norm_train_activation(
            t,
            v[0],
            Some((v[1], v[2])),
            BatchNormConfig::default(),
            None,
            crate::Activation::Tanh,
        )?)
    });
}

/// One Train-mode batch-norm step on rows `rows` of `x` (`[n, d]`): the output rows, the
/// gradients of `L = Σ y ⊙ w / n` (n: the global batch) for `x`'s rows, γ and β, and the
/// running statistics after the update.
fn step_on_rows(x: &Tensor<f64>, w: &Tensor<f64>, rows: std::ops::Range<usize>) -> Vec<Vec<f64>> {
    let (n, d) = (x.shape()[0], x.shape()[1]);
    let part = |t: &Tensor<f64>| {
        Tensor::from_vec(
            t.data()[rows.start * d..rows.end * d].to_vec(),
            &[rows.len(), d],
        )
        .unwrap()
    };
    let mut params = nnc_tape::Parameters::<f64>::new();
    let xid = params.add("x", part(x)).unwrap();
    let gid = params
        .add(
            "gamma",
            Tensor::from_vec(vec![1.5, 0.5, -1.0, 2.0], &[4]).unwrap(),
        )
        .unwrap();
    let bid = params
        .add(
            "beta",
            Tensor::from_vec(vec![0.1, -0.2, 0.3, 0.0], &[4]).unwrap(),
        )
        .unwrap();
    let (mut rm, mut rv) = (Tensor::zeros(&[d]), Tensor::ones(&[d]));
    let mut tape = Tape::<f64>::new();
    let (xv, g, b) = (
        tape.param(&params, xid).unwrap(),
        tape.param(&params, gid).unwrap(),
        tape.param(&params, bid).unwrap(),
    );
    let cfg = BatchNormConfig::default();
    let y = batch_norm_train(&mut tape, xv, Some((g, b)), cfg, Some((&mut rm, &mut rv))).unwrap();
    let wv = tape.constant(part(w));
    let yw = tape.mul(y, wv).unwrap();
    let s = tape.sum(yw).unwrap();
    let loss = tape.scale(s, 1.0 / n as f64).unwrap();
    let out = tape.value(y).data().to_vec();
    let grads = tape.backward(loss).unwrap();
    let grad = |id| grads.param(id).unwrap().data().to_vec();
    vec![
        out,
        grad(xid),
        grad(gid),
        grad(bid),
        rm.data().to_vec(),
        rv.data().to_vec(),
    ]
}

#[test]
fn data_parallel_shards_compute_the_global_batch_statistics_and_gradients() {
    use nnc_tape::collective::{ThreadGroup, scoped, shard};
    let (n, ranks) = (10, 3);
    let x = randn(&[n, 4], 7).map(|v| 2.0 * v + 1.0);
    let w = randn(&[n, 4], 8);
    let whole = step_on_rows(&x, &w, 0..n);
    let parts: Vec<Vec<Vec<f64>>> = std::thread::scope(|s| {
        let handles: Vec<_> = ThreadGroup::ranks(ranks)
            .into_iter()
            .map(|c| {
                let (x, w) = (&x, &w);
                s.spawn(move || scoped(&c, || step_on_rows(x, w, shard(n, c.rank(), ranks))))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let close = |a: &[f64], b: &[f64]| {
        assert_eq!(a.len(), b.len());
        for (u, v) in a.iter().zip(b) {
            assert!((u - v).abs() <= 1e-12 * v.abs().max(1e-3), "{u} vs {v}");
        }
    };
    // Outputs and x̄ are the whole batch's rows; γ̄, β̄ are each shard's part of the sum;
    // the running statistics are the global batch's on every rank.
    let concat = |k: usize| {
        parts
            .iter()
            .flat_map(|p| p[k].clone())
            .collect::<Vec<f64>>()
    };
    close(&concat(0), &whole[0]);
    close(&concat(1), &whole[1]);
    for k in [2, 3] {
        let summed: Vec<f64> = (0..4)
            .map(|j| parts.iter().map(|p| p[k][j]).sum())
            .collect();
        close(&summed, &whole[k]);
    }
    for p in &parts {
        close(&p[4], &whole[4]);
        close(&p[5], &whole[5]);
    }
}
