//! The tape's contract: accumulation, deep graphs, no-grad, parameters, errors, recycling.

use nnc_tape::{Parameters, Tape, Tensor, TensorError};

fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), shape).unwrap()
}

#[test]
fn a_node_with_two_consumers_accumulates_both_contributions() -> Result<(), TensorError> {
    // y = x ⊙ x + 3x  ⇒  dy/dx = 2x + 3
    let mut tape = Tape::new();
    let x = tape.var(t(&[1.0, -2.0, 0.5], &[3]));
    let xx = tape.mul(x, x)?;
    let x3 = tape.scale(x, 3.0)?;
    let y = tape.add(xx, x3)?;
    let loss = tape.sum(y)?;
    let g = tape.backward(loss)?;
    assert_eq!(g.wrt(x).unwrap().data(), &[5.0, -1.0, 4.0]);

    // The same node as both operands of an add: d(x + x)/dx = 2.
    let mut tape = Tape::new();
    let x = tape.var(t(&[1.0, 2.0], &[2]));
    let y = tape.add(x, x)?;
    let loss = tape.sum(y)?;
    let g = tape.backward(loss)?;
    assert_eq!(g.wrt(x).unwrap().data(), &[2.0, 2.0]);
    Ok(())
}

#[test]
fn backward_through_a_ten_thousand_node_chain() -> Result<(), TensorError> {
    // x ↦ 1.0001·x + 0, 10,000 times: d/dx = 1.0001^10000 ≈ e.
    let mut tape = Tape::new();
    let x = tape.var(t(&[1.0], &[1]));
    let mut y = x;
    for _ in 0..10_000 {
        y = tape.scale(y, 1.0001)?;
    }
    assert_eq!(tape.len(), 10_001);
    let loss = tape.sum(y)?;
    let g = tape.backward(loss)?;
    let want = 1.0001f64.powi(10_000);
    assert!((g.wrt(x).unwrap().data()[0] - want).abs() < 1e-9 * want);
    Ok(())
}

#[test]
fn only_inputs_that_need_a_gradient_get_one() -> Result<(), TensorError> {
    let mut tape = Tape::new();
    let c = tape.constant(t(&[2.0, 3.0], &[2]));
    let x = tape.var(t(&[1.0, 1.0], &[2]));
    let cc = tape.mul(c, c)?; // depends on constants only: no-grad node
    assert!(!tape.requires_grad(cc));
    assert_eq!(tape.op_name(cc), "mul");
    let y = tape.mul(cc, x)?;
    assert!(tape.requires_grad(y));
    let loss = tape.sum(y)?;
    let g = tape.backward(loss)?;
    assert_eq!(g.wrt(x).unwrap().data(), &[4.0, 9.0]);
    // After a reset the old handles are stale: named so, never a panic.
    tape.reset();
    assert_eq!(tape.op_name(cc), "stale");
    assert!(!tape.requires_grad(cc));
    assert!(g.wrt(c).is_none());
    assert!(g.wrt(cc).is_none());
    Ok(())
}

#[test]
fn grad_recording_can_be_switched_off() -> Result<(), TensorError> {
    let mut tape = Tape::new();
    tape.set_grad_enabled(false);
    let x = tape.var(t(&[1.0, 2.0], &[2]));
    let y = tape.exp(x)?;
    assert!(!tape.requires_grad(y));
    let loss = tape.sum(y)?;
    let g = tape.backward(loss)?;
    assert!(g.wrt(x).is_none());
    Ok(())
}

#[test]
fn gradients_are_keyed_by_parameter_and_missing_ones_are_errors() -> Result<(), TensorError> {
    let mut params = Parameters::<f64>::new();
    let w = params.add("fc.weight", t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]))?;
    let b = params.add("fc.bias", t(&[0.5, -0.5], &[2]))?;
    let unused = params.add("other.weight", t(&[1.0], &[1]))?;
    let frozen = params.add_with("frozen.scale", t(&[2.0], &[]), false)?;

    let mut tape = Tape::new();
    let x = tape.constant(t(&[1.0, 1.0], &[1, 2]));
    let wv = tape.param(&params, w)?;
    assert_eq!(
        tape.param(&params, w)?,
        wv,
        "a parameter is recorded once per step"
    );
    let bv = tape.param(&params, b)?;
    let sv = tape.param(&params, frozen)?;
    let xw = tape.matmul(x, wv)?;
    let y = tape.add(xw, bv)?;
    let y = tape.mul(y, sv)?;
    let loss = tape.sum(y)?;
    let grads = tape.backward(loss)?;
    // d/dW Σ s(xW + b) = s·xᵀ·1 = 2 everywhere; d/db = 2.
    assert_eq!(grads.param(w).unwrap().data(), &[2.0, 2.0, 2.0, 2.0]);
    assert_eq!(grads.param(b).unwrap().data(), &[2.0, 2.0]);
    assert!(
        grads.param(frozen).is_none(),
        "frozen parameters get no gradient"
    );
    assert_eq!(
        grads.check_complete(&params).unwrap_err(),
        TensorError::MissingGradient {
            name: "other.weight".into()
        }
    );
    assert!(grads.param(unused).is_none());

    // The tape holds the parameters until it is reset.
    assert!(matches!(
        params.value_mut(w),
        Err(TensorError::ParameterInUse { .. })
    ));
    tape.recycle(grads);
    tape.reset();
    params.value_mut(w)?.data_mut()[0] = 10.0;
    assert_eq!(params.value(w).data()[0], 10.0);
    Ok(())
}

#[test]
fn errors_name_the_op_and_the_shapes() {
    let mut tape = Tape::<f32>::new();
    let a = tape.constant(Tensor::zeros(&[2, 3]));
    let b = tape.constant(Tensor::zeros(&[3, 2]));
    let e = tape.add(a, b).unwrap_err();
    assert!(matches!(e, TensorError::ShapeMismatch { op: "add", .. }));
    assert!(
        e.to_string()
            .starts_with("add: shapes [2, 3] and [3, 2] do not match")
    );

    let e = tape.matmul(a, a).unwrap_err();
    assert_eq!(
        e.to_string(),
        "matmul: shapes [2, 3] and [2, 3] do not match: the left has 3 columns but the right has 2 rows"
    );

    let v = tape.var(Tensor::zeros(&[2, 2]));
    let e = tape.backward(v).unwrap_err();
    assert_eq!(
        e,
        TensorError::NonScalarLoss {
            shape: nnc_tape::shape(&[2, 2])
        }
    );
    assert!(e.to_string().contains("reduce it with sum or mean"));

    let e = Tensor::<f32>::from_vec(vec![0.0; 5], &[2, 3]).unwrap_err();
    assert!(matches!(
        e,
        TensorError::ElementCount {
            expected: 6,
            got: 5,
            ..
        }
    ));

    let e = tape.sum_axis(a, 2).unwrap_err();
    assert_eq!(
        e.to_string(),
        "sum_axis: axis 2 is out of range for shape [2, 3]"
    );

    // A handle from before a reset is refused, never silently reused.
    tape.reset();
    let _fresh = tape.constant(Tensor::zeros(&[1]));
    let e = tape.exp(a).unwrap_err();
    assert!(matches!(e, TensorError::UnknownVar { op: "exp", .. }));
}

#[test]
fn the_first_non_finite_value_is_traced_to_its_op() {
    let mut tape = Tape::<f32>::new();
    let x = tape.var(Tensor::from_vec(vec![1.0, -1.0], &[2]).unwrap());
    let e = tape.exp(x).unwrap();
    let l = tape.log(x).unwrap(); // ln(−1) = NaN
    let _ = tape.add(e, l).unwrap();
    let (v, name) = tape.first_non_finite().unwrap();
    assert_eq!(v, l);
    assert_eq!(name, "log");
}

#[test]
fn repeated_steps_reuse_memory_and_give_identical_results() {
    let mut params = Parameters::<f32>::new();
    let w = params
        .add("w", Tensor::randn(&[8, 4], 0.5, &mut nnc_tape::rng(1)))
        .unwrap();
    let x = Tensor::<f32>::randn(&[16, 8], 1.0, &mut nnc_tape::rng(2));
    let mut tape = Tape::new();
    let mut first = None;
    let mut pooled = 0;
    for step in 0..5 {
        tape.reset();
        let xv = tape.constant_from_slice(x.data(), x.shape()).unwrap();
        let wv = tape.param(&params, w).unwrap();
        let y = tape.matmul(xv, wv).unwrap();
        let y = tape.exp(y).unwrap();
        let loss = tape.mean(y).unwrap();
        let grads = tape.backward(loss).unwrap();
        let g = grads.param(w).unwrap().clone();
        match &first {
            None => first = Some(g),
            Some(f) => assert_eq!(f, &g, "step {step} differs"),
        }
        tape.recycle(grads);
        tape.reset();
        if step == 1 {
            pooled = tape.pooled_elements();
        } else if step > 1 {
            assert_eq!(tape.pooled_elements(), pooled, "the pool keeps growing");
        }
    }
}
