//! Stochastic gradient descent with momentum and Nesterov momentum.
//!
//! With gradient `g`, velocity `v`, momentum `μ`, dampening `d` and learning rate `η`
//! (PyTorch's formulation, identical to CS231n's `v = μv − ηg; w += v` at constant `η`):
//!
//! ```text
//! v ← g                      on the parameter's first update
//! v ← μ·v + (1 − d)·g        afterwards
//! u = g + μ·v  (Nesterov)    or   u = v
//! w ← w − η·u
//! ```
//!
//! With `μ = 0` this is plain SGD, `w ← w − η·g`. Sutskever et al. 2013, "On the importance of
//! initialization and momentum in deep learning".

use super::Optimizer;
use super::par::{chunked, chunked_pair};
use super::slots::Slots;
use nnc_tape::{Float, Gradients, Parameters, Result, Tensor};

/// SGD with optional (Nesterov) momentum.
#[derive(Debug, Clone)]
pub struct Sgd<T: Float> {
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    velocity: Slots<T>,
    steps: u64,
}

impl<T: Float> Sgd<T> {
    /// SGD with momentum `μ` (0 for none), dampening `d` and Nesterov's variant on or off.
    pub fn new(momentum: f64, dampening: f64, nesterov: bool) -> Self {
        Sgd {
            momentum,
            dampening,
            nesterov,
            velocity: Slots::new("momentum"),
            steps: 0,
        }
    }
}

/// `v ← g` (first step) or `μ·v + (1 − d)·g`, then `w ← w − η·u` with `u = v`, or
/// `u = g + μ·v` (Nesterov), over matching slices; the branches are resolved at compile time so
/// the loop vectorises.
fn momentum_update<T: Float, const FIRST: bool, const NESTEROV: bool>(
    w: &mut [T],
    v: &mut [T],
    g: &[T],
    mu: T,
    keep: T,
    eta: T,
) {
    for ((w, v), &g) in w.iter_mut().zip(v.iter_mut()).zip(g) {
        *v = if FIRST { g } else { mu * *v + keep * g };
        let u = if NESTEROV { g + mu * *v } else { *v };
        *w -= eta * u;
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    fn name(&self) -> &'static str {
        "sgd"
    }

    fn step(&mut self, params: &mut Parameters<T>, grads: &Gradients<T>, lr: f64) -> Result<()> {
        let eta = T::from_f64(lr);
        let mu = T::from_f64(self.momentum);
        let keep = T::from_f64(1.0 - self.dampening);
        let nesterov = self.nesterov;
        for id in params.ids() {
            let Some(g) = grads.param(id).filter(|_| params.is_trainable(id)) else {
                continue;
            };
            let w = params.value_mut(id)?;
            if self.momentum == 0.0 {
                chunked(w.data_mut(), g.data(), |w, g| {
                    for (w, &g) in w.iter_mut().zip(g) {
                        *w -= eta * g;
                    }
                });
                continue;
            }
            // As PyTorch: the velocity starts as the gradient on each parameter's first update
            // (not the optimiser's first step: a parameter may get its first gradient later).
            let (v, first) = self.velocity.get_new(id, g.shape());
            let update = match (first, nesterov) {
                (true, false) => momentum_update::<T, true, false>,
                (true, true) => momentum_update::<T, true, true>,
                (false, false) => momentum_update::<T, false, false>,
                (false, true) => momentum_update::<T, false, true>,
            };
            chunked_pair(w.data_mut(), v.data_mut(), g.data(), |w, v, g| {
                update(w, v, g, mu, keep, eta)
            });
        }
        self.steps += 1;
        Ok(())
    }

    fn state(&self, params: &Parameters<T>) -> (Vec<(String, Tensor<T>)>, u64) {
        let mut out = Vec::new();
        self.velocity.export(params, &mut out);
        (out, self.steps)
    }

    fn load_state(
        &mut self,
        params: &Parameters<T>,
        tensors: &[(String, Tensor<T>)],
        steps: u64,
    ) -> Result<()> {
        self.velocity.import(params, tensors)?;
        self.steps = steps;
        Ok(())
    }
}
