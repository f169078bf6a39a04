//! The gradient report of a small two-layer expression, snapshotted with insta: a change in
//! any gradient beyond six significant digits fails CI.

use nnc_tape::{GradientReport, Parameters, Tape, Tensor, TensorError, rng};

#[test]
fn gradient_report_of_a_small_mlp_expression() -> Result<(), TensorError> {
    let mut r = rng(42);
    let mut params = Parameters::<f64>::new();
    let w1 = params.add("fc1.weight", Tensor::randn(&[3, 4], 0.5, &mut r))?;
    let b1 = params.add("fc1.bias", Tensor::randn(&[4], 0.1, &mut r))?;
    let w2 = params.add("fc2.weight", Tensor::randn(&[4, 2], 0.5, &mut r))?;
    let x = Tensor::<f64>::randn(&[5, 3], 1.0, &mut r);

    // loss = mean((softplus(x·W1 + b1)·W2)²), softplus(h) = ln(1 + eʰ).
    let mut tape = Tape::new();
    let xv = tape.constant(x);
    let (w1v, b1v, w2v) = (
        tape.param(&params, w1)?,
        tape.param(&params, b1)?,
        tape.param(&params, w2)?,
    );
    let h = tape.matmul(xv, w1v)?;
    let h = tape.add(h, b1v)?;
    let e = tape.exp(h)?;
    let e1 = tape.add_scalar(e, 1.0)?;
    let a = tape.log(e1)?;
    let s = tape.matmul(a, w2v)?;
    let s2 = tape.powf(s, 2.0)?;
    let loss = tape.mean(s2)?;
    let loss_value = tape.value(loss).item()?;
    let grads = tape.backward(loss)?;
    grads.check_complete(&params)?;

    let mut report = GradientReport::from_gradients(&params, &grads).title("small MLP, f64");
    report.scalar("loss", loss_value);
    insta::assert_snapshot!(report.to_string());
    Ok(())
}
