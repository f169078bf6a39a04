//! Helpers shared by the unit tests: gradient checks with a non-symmetric loss and inputs kept
//! away from kinks.

use nnc_tape::{Result, Tape, Tensor, Var, gradcheck, rng};

/// `Σ w ⊙ y` with a fixed random `w` of `y`'s shape: no gradient is trivially symmetric (a plain
/// sum through batch norm or softmax has gradient zero and would test nothing).
pub(crate) fn weighted_sum(tape: &mut Tape<f64>, y: Var) -> Result<Var> {
    let shape = tape.shape(y).to_vec();
    let w = tape.constant(Tensor::randn(&shape, 1.0, &mut rng(99)));
    let wy = tape.mul(y, w)?;
    tape.sum(wy)
}

/// Standard normal samples.
pub(crate) fn randn(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::randn(shape, 1.0, &mut rng(seed))
}

/// Standard normal samples pushed at least 0.1 away from zero (the kink of ReLU-like functions),
/// so a central difference with ε = 1e-6 never straddles it.
pub(crate) fn randn_away_from_zero(shape: &[usize], seed: u64) -> Tensor<f64> {
    randn(shape, seed).map(|v| if v >= 0.0 { v + 0.1 } else { v - 0.1 })
}

/// Gradient-checks `f` (made scalar with [`weighted_sum`] when it is not) with respect to every
/// input, asserts the worst relative error is at most `tol` and that no gradient is zero where
/// the function is not flat, and returns the worst error.
pub(crate) fn check_gradient(
    name: &str,
    inputs: &[Tensor<f64>],
    tol: f64,
    f: impl Fn(&mut Tape<f64>, &[Var]) -> Result<Var>,
) -> f64 {
    let report = gradcheck(inputs, |tape, xs| {
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
        err <= tol,
        "{name}: relative error {err:.3e} > {tol:e}\n{report}"
    );
    for t in &report.tensors {
        assert!(t.checked > 0, "{name}: nothing checked");
        assert!(
            t.analytic != 0.0 || t.numeric == 0.0,
            "{name}: zero gradient where the function is not flat\n{report}"
        );
    }
    err
}
