//! Adagrad: per-parameter learning rates from the sum of squared gradients.
//!
//! ```text
//! c ← c + g²
//! w ← w − η·g / (√c + ε)
//! ```
//!
//! Large-gradient directions slow down, rare directions keep a large step; the effective rate
//! only ever shrinks, which can stop learning too early in deep nets. Duchi, Hazan & Singer
//! 2011, "Adaptive subgradient methods for online learning and stochastic optimization".

use super::Optimizer;
use super::slots::Slots;
use nnc_tape::{Float, Gradients, Parameters, Result, Tensor};

/// Adagrad with denominator offset `ε` (PyTorch's default 1e-10).
#[derive(Debug, Clone)]
pub struct Adagrad<T: Float> {
    eps: f64,
    cache: Slots<T>,
    steps: u64,
}

impl<T: Float> Adagrad<T> {
    /// Adagrad with offset `eps`.
    pub fn new(eps: f64) -> Self {
        Adagrad {
            eps,
            cache: Slots::new("sum_sq"),
            steps: 0,
        }
    }
}

impl<T: Float> Optimizer<T> for Adagrad<T> {
    fn name(&self) -> &'static str {
        "adagrad"
    }

    fn step(&mut self, params: &mut Parameters<T>, grads: &Gradients<T>, lr: f64) -> Result<()> {
        let eta = T::from_f64(lr);
        let eps = T::from_f64(self.eps);
        for id in params.ids() {
            let Some(g) = grads.param(id).filter(|_| params.is_trainable(id)) else {
                continue;
            };
            let w = params.value_mut(id)?;
            let c = self.cache.get(id, g.shape());
            for ((w, c), &g) in w.data_mut().iter_mut().zip(c.data_mut()).zip(g.data()) {
                *c += g * g;
                *w -= eta * g / (c.sqrt() + eps);
            }
        }
        self.steps += 1;
        Ok(())
    }

    fn state(&self, params: &Parameters<T>) -> (Vec<(String, Tensor<T>)>, u64) {
        let mut out = Vec::new();
        self.cache.export(params, &mut out);
        (out, self.steps)
    }

    fn load_state(
        &mut self,
        params: &Parameters<T>,
        tensors: &[(String, Tensor<T>)],
        steps: u64,
    ) -> Result<()> {
        self.cache.import(params, tensors)?;
        self.steps = steps;
        Ok(())
    }
}
