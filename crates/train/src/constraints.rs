//! Gradient clipping and the max-norm weight constraint.

use nnc_tape::{Float, Gradients, Parameters, Result};

/// Global L2 norm of all parameter gradients, `√(Σ_p ‖g_p‖²)`.
pub fn gradient_norm<T: Float>(grads: &Gradients<T>) -> f64 {
    grads
        .iter_params()
        .flat_map(|(_, g)| g.data().iter())
        .map(|&x| {
            let x = x.to_f64();
            x * x
        })
        .sum::<f64>()
        .sqrt()
}

/// Scales all gradients by `max_norm / ‖g‖` when their global norm exceeds `max_norm`
/// (Pascanu et al. 2013). Returns the norm before clipping.
pub fn clip_gradient_norm<T: Float>(
    params: &Parameters<T>,
    grads: &mut Gradients<T>,
    max_norm: f64,
) -> f64 {
    let norm = gradient_norm(grads);
    if norm > max_norm && norm.is_finite() {
        let scale = T::from_f64(max_norm / norm);
        for id in params.ids() {
            if let Some(g) = grads.param_mut(id) {
                g.data_mut().iter_mut().for_each(|x| *x *= scale);
            }
        }
    }
    norm
}

/// The max-norm constraint (Srivastava et al. 2014): after each update, every unit's incoming
/// weight vector — each column of a `[in, out]` weight matrix — is rescaled to norm `c` if it
/// is longer. Applies to trainable rank-2 parameters whose name ends in `.weight`.
pub fn apply_max_norm<T: Float>(params: &mut Parameters<T>, c: f64) -> Result<()> {
    for id in params.ids() {
        if !(params.is_trainable(id)
            && params.name(id).ends_with(".weight")
            && params.value(id).rank() == 2)
        {
            continue;
        }
        let w = params.value_mut(id)?;
        let (rows, cols) = (w.shape()[0], w.shape()[1]);
        let data = w.data_mut();
        for j in 0..cols {
            let norm = (0..rows)
                .map(|i| data[i * cols + j].to_f64().powi(2))
                .sum::<f64>()
                .sqrt();
            if norm > c {
                let s = T::from_f64(c / norm);
                for i in 0..rows {
                    data[i * cols + j] *= s;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnc_tape::{Tape, Tensor};

    #[test]
    fn clipping_and_max_norm() {
        let mut params = Parameters::<f64>::new();
        let w = params
            .add(
                "fc.weight",
                Tensor::from_vec(vec![3.0, 0.1, 4.0, 0.1], &[2, 2]).unwrap(),
            )
            .unwrap();
        let mut tape = Tape::new();
        let wv = tape.param(&params, w).unwrap();
        let s = tape.scale(wv, 1.0).unwrap();
        let sq = tape.mul(s, s).unwrap();
        let loss = tape.sum(sq).unwrap(); // gradient 2w
        let mut grads = tape.backward(loss).unwrap();
        let before = clip_gradient_norm(&params, &mut grads, 1.0);
        assert!((before - 2.0 * (9.0f64 + 0.01 + 16.0 + 0.01).sqrt()).abs() < 1e-12);
        assert!((gradient_norm(&grads) - 1.0).abs() < 1e-12);
        drop(grads);
        tape.reset();
        apply_max_norm(&mut params, 1.0).unwrap();
        let d = params.value(w).data();
        // Column 0 (3, 4) has norm 5 → scaled to (0.6, 0.8); column 1 is short and unchanged.
        assert!((d[0] - 0.6).abs() < 1e-12 && (d[2] - 0.8).abs() < 1e-12);
        assert_eq!((d[1], d[3]), (0.1, 0.1));
        // Frozen parameters are left alone.
        let f = params
            .add_with(
                "frozen.weight",
                Tensor::from_vec(vec![3.0, 4.0], &[2, 1]).unwrap(),
                false,
            )
            .unwrap();
        apply_max_norm(&mut params, 1.0).unwrap();
        assert_eq!(params.value(f).data(), &[3.0, 4.0]);
    }
}
