//! Every primitive of the tape passes an f64 central-difference gradient check with relative
//! error ≤ 1e-6. Each loss is `Σ w ⊙ f(x)` with a fixed random `w`, so no gradient is
//! trivially symmetric; inputs are kept away from kinks and ties.

use nnc_tape::{Result, Tape, Tensor, Var, gradcheck, rng};

const TOLERANCE: f64 = 1e-6;

/// `Σ w ⊙ y` with a seeded random weight of `y`'s shape.
fn weighted_sum(tape: &mut Tape<f64>, y: Var) -> Result<Var> {
    let shape = tape.shape(y).to_vec();
    let w = tape.constant(Tensor::randn(&shape, 1.0, &mut rng(99)));
    let wy = tape.mul(y, w)?;
    tape.sum(wy)
}

fn randn(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::randn(shape, 1.0, &mut rng(seed))
}

/// Values in [lo, hi], for functions defined only there (log, sqrt) or away from zero (div).
fn positive(shape: &[usize], seed: u64, lo: f64, hi: f64) -> Tensor<f64> {
    Tensor::uniform(shape, lo, hi, &mut rng(seed)).unwrap()
}

fn check(
    name: &str,
    inputs: Vec<Tensor<f64>>,
    f: impl Fn(&mut Tape<f64>, &[Var]) -> Result<Var>,
) -> f64 {
    let report = gradcheck(&inputs, |tape, xs| {
        let y = f(tape, xs)?;
        if tape.value(y).numel() == 1 {
            Ok(y)
        } else {
            weighted_sum(tape, y)
        }
    })
    .unwrap();
    let err = report.max_relative_error();
    assert!(
        err <= TOLERANCE,
        "{name}: relative error {err:.3e} > {TOLERANCE:e}\n{report}"
    );
    for t in &report.tensors {
        assert!(t.checked > 0, "{name}: nothing checked");
        assert!(
            t.analytic != 0.0 || t.numeric == 0.0,
            "{name}: zero gradient where the function is not flat"
        );
    }
    err
}

#[test]
fn binary_ops_with_every_broadcast() {
    let a = randn(&[4, 3], 1);
    let shapes: [&[usize]; 5] = [&[4, 3], &[3], &[1, 3], &[4, 1], &[]];
    for (k, bs) in shapes.iter().enumerate() {
        let b = randn(bs, 10 + k as u64);
        let b_pos = positive(bs, 20 + k as u64, 0.5, 2.0);
        check(
            &format!("add {bs:?}"),
            vec![a.clone(), b.clone()],
            |t, x| t.add(x[0], x[1]),
        );
        check(
            &format!("sub {bs:?}"),
            vec![a.clone(), b.clone()],
            |t, x| t.sub(x[0], x[1]),
        );
        check(
            &format!("mul {bs:?}"),
            vec![a.clone(), b.clone()],
            |t, x| t.mul(x[0], x[1]),
        );
        check(&format!("div {bs:?}"), vec![a.clone(), b_pos], |t, x| {
            t.div(x[0], x[1])
        });
    }
}

#[test]
fn unary_and_scalar_ops() {
    let x = randn(&[3, 5], 2);
    let p = positive(&[3, 5], 3, 0.3, 3.0);
    check("neg", vec![x.clone()], |t, v| t.neg(v[0]));
    check("scale", vec![x.clone()], |t, v| t.scale(v[0], -2.5));
    check("add_scalar", vec![x.clone()], |t, v| {
        t.add_scalar(v[0], 0.75)
    });
    check("exp", vec![x.clone()], |t, v| t.exp(v[0]));
    check("log", vec![p.clone()], |t, v| t.log(v[0]));
    check("sqrt", vec![p.clone()], |t, v| t.sqrt(v[0]));
    check("powf 3", vec![x.clone()], |t, v| t.powf(v[0], 3.0));
    check("powf -1.5", vec![p], |t, v| t.powf(v[0], -1.5));
}

#[test]
fn matmul_transpose_reshape() {
    let a = randn(&[4, 3], 4);
    let b = randn(&[3, 5], 5);
    check("matmul", vec![a.clone(), b], |t, v| t.matmul(v[0], v[1]));
    check("transpose", vec![a.clone()], |t, v| t.transpose(v[0]));
    check("reshape", vec![a.clone()], |t, v| t.reshape(v[0], &[2, 6]));
    // Aᵀ·A uses the same input twice through different paths.
    check("AᵀA", vec![a], |t, v| {
        let at = t.transpose(v[0])?;
        t.matmul(at, v[0])
    });
}

#[test]
fn reductions() {
    let x = randn(&[3, 4, 2], 6);
    check("sum", vec![x.clone()], |t, v| t.sum(v[0]));
    check("mean", vec![x.clone()], |t, v| t.mean(v[0]));
    for axis in 0..3 {
        check(&format!("sum_axis {axis}"), vec![x.clone()], |t, v| {
            t.sum_axis(v[0], axis)
        });
        check(&format!("mean_axis {axis}"), vec![x.clone()], |t, v| {
            t.mean_axis(v[0], axis)
        });
        // Random normal values have no ties; the gap to the runner-up is far above eps.
        check(&format!("max_axis {axis}"), vec![x.clone()], |t, v| {
            t.max_axis(v[0], axis)
        });
    }
}

#[test]
fn a_composite_expression() {
    // A softmax cross-entropy written with primitives: −mean(log(softmax(XW + b))[y]).
    let x = randn(&[5, 3], 7);
    let w = randn(&[3, 4], 8);
    let b = randn(&[4], 9);
    let onehot = {
        let mut t = Tensor::<f64>::zeros(&[5, 4]);
        for (i, c) in [0usize, 3, 1, 2, 3].iter().enumerate() {
            t.data_mut()[i * 4 + c] = 1.0;
        }
        t
    };
    check("softmax-ce", vec![x, w, b], |t, v| {
        let xw = t.matmul(v[0], v[1])?;
        let s = t.add(xw, v[2])?;
        let m = t.max_axis(s, 1)?;
        let m = t.reshape(m, &[5, 1])?;
        let z = t.sub(s, m)?;
        let e = t.exp(z)?;
        let se = t.sum_axis(e, 1)?;
        let se = t.reshape(se, &[5, 1])?;
        let p = t.div(e, se)?;
        let lp = t.log(p)?;
        let y = t.constant(onehot.clone());
        let picked = t.mul(lp, y)?;
        let total = t.sum(picked)?;
        t.scale(total, -1.0 / 5.0)
    });
}

/// A fused op whose backward is off by a factor of 2 (`d/dx x³` taken as `6x²`).
struct WrongCube;

impl nnc_tape::FusedOp<f64> for WrongCube {
    const NAME: &'static str = "wrong_cube";

    fn backward(grad: &mut nnc_tape::FusedGrad<'_, f64>) -> Result<()> {
        let view = grad.view();
        grad.accumulate(0, |dx| {
            for ((d, &g), &x) in dx
                .iter_mut()
                .zip(view.grad_output().data())
                .zip(view.input(0).data())
            {
                *d += g * 6.0 * x * x;
            }
        });
        Ok(())
    }
}

#[test]
fn a_wrong_backward_is_caught_even_for_small_gradients() {
    for scale in [1.0, 1e-2] {
        let x = Tensor::randn(&[6], scale, &mut rng(5));
        let report = gradcheck(&[x], |t, v| {
            let shape = t.shape(v[0]).to_vec();
            let mut out = t.alloc_zeros(&shape);
            for (o, &x) in out.data_mut().iter_mut().zip(t.value(v[0]).data()) {
                *o = x * x * x;
            }
            let y = t.record_fused::<WrongCube>(&[v[0]], out, [], &[])?;
            t.sum(y)
        })
        .unwrap();
        assert_eq!(
            report.verdict(),
            nnc_tape::Verdict::Wrong,
            "scale {scale}:\n{report}"
        );
    }
}

#[test]
fn a_kink_crossing_is_recognised_not_reported_as_wrong() {
    // relu(x) = max(x, 0), built as a max over the row [x, 0] = x·[1, 0]; at x = 1e-9 the
    // ±1e-6 perturbation crosses the kink, at 0.7 and -0.4 it does not.
    let x = Tensor::from_vec(vec![1e-9, 0.7, -0.4], &[3, 1]).unwrap();
    let report = gradcheck(&[x], |t, v| {
        let e1 = t.constant(Tensor::from_vec(vec![1.0, 0.0], &[1, 2]).unwrap());
        let pairs = t.matmul(v[0], e1)?;
        let relu = t.max_axis(pairs, 1)?;
        t.sum(relu)
    })
    .unwrap();
    let c = &report.tensors[0];
    assert_eq!(c.kinks, 1, "{report}");
    assert!(c.relative_error < 1e-7, "{report}");
}
