//! RMSProp: Adagrad with a leaky (exponentially decaying) squared-gradient average.
//!
//! ```text
//! c ← ρ·c + (1 − ρ)·g²
//! w ← w − η·g / (√c + ε)
//! ```
//!
//! The decay `ρ` (0.99 by default, as in CS231n and PyTorch) keeps the effective rate from
//! shrinking to zero. Tieleman & Hinton 2012, Coursera lecture 6.5.

use super::Optimizer;
use super::slots::Slots;
use nnc_tape::{Float, Gradients, Parameters, Result, Tensor};

/// RMSProp with decay `ρ` and offset `ε`.
#[derive(Debug, Clone)]
pub struct RmsProp<T: Float> {
    decay: f64,
    eps: f64,
    cache: Slots<T>,
    steps: u64,
}

impl<T: Float> RmsProp<T> {
    /// RMSProp with decay `ρ` and offset `ε`.
    pub fn new(decay: f64, eps: f64) -> Self {
        RmsProp {
            decay,
            eps,
            cache: Slots::new("square_avg"),
            steps: 0,
        }
    }
}

impl<T: Float> Optimizer<T> for RmsProp<T> {
    fn name(&self) -> &'static str {
        "rmsprop"
    }

    fn step(&mut self, params: &mut Parameters<T>, grads: &Gradients<T>, lr: f64) -> Result<()> {
        let eta = T::from_f64(lr);
        let rho = T::from_f64(self.decay);
        let one_minus_rho = T::from_f64(1.0 - self.decay);
        let eps = T::from_f64(self.eps);
        for id in params.ids() {
            let Some(g) = grads.param(id).filter(|_| params.is_trainable(id)) else {
                continue;
            };
            let w = params.value_mut(id)?;
            let c = self.cache.get(id, g.shape());
            for ((w, c), &g) in w.data_mut().iter_mut().zip(c.data_mut()).zip(g.data()) {
                *c = rho * *c + one_minus_rho * g * g;
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
