//! Adam and AdamW: momentum plus RMSProp, with bias correction.
//!
//! At step `t` (from 1), with decays `β1`, `β2`:
//!
//! ```text
//! w ← w − η·λ·w                          (AdamW only: decoupled weight decay λ)
//! m ← β1·m + (1 − β1)·g
//! v ← β2·v + (1 − β2)·g²
//! w ← w − (η / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
//! ```
//!
//! The bias correction undoes the zero initialisation of `m` and `v` in the first steps.
//! As with the L2 penalty, the decay applies to weights, not to biases or batch norm's γ/β
//! (parameters named `*.bias`, `*.gamma`, `*.beta`): shrinking a bias toward zero is not
//! regularisation. (PyTorch's `AdamW` decays every parameter it is given.)
//! Kingma & Ba 2015, "Adam: a method for stochastic optimization"; Loshchilov & Hutter 2019,
//! "Decoupled weight decay regularization".

use super::Optimizer;
use super::slots::Slots;
use nnc_tape::{Float, Gradients, Parameters, Result, Tensor};

/// Adam (with `weight_decay = 0`) or AdamW.
#[derive(Debug, Clone)]
pub struct Adam<T: Float> {
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    m: Slots<T>,
    v: Slots<T>,
    steps: u64,
}

impl<T: Float> Adam<T> {
    /// Adam with decays `β1`, `β2`, offset `ε`, and decoupled weight decay `λ` (0 = Adam).
    pub fn new(beta1: f64, beta2: f64, eps: f64, weight_decay: f64) -> Self {
        Adam {
            beta1,
            beta2,
            eps,
            weight_decay,
            m: Slots::new("exp_avg"),
            v: Slots::new("exp_avg_sq"),
            steps: 0,
        }
    }
}

/// Whether decoupled weight decay applies to the parameter called `name`.
fn is_decayed(name: &str) -> bool {
    !(name.ends_with(".bias") || name.ends_with(".gamma") || name.ends_with(".beta"))
}

impl<T: Float> Optimizer<T> for Adam<T> {
    fn name(&self) -> &'static str {
        if self.weight_decay > 0.0 {
            "adamw"
        } else {
            "adam"
        }
    }

    fn step(&mut self, params: &mut Parameters<T>, grads: &Gradients<T>, lr: f64) -> Result<()> {
        let t = (self.steps + 1) as i32;
        let bc1 = 1.0 - self.beta1.powi(t);
        let bc2 = 1.0 - self.beta2.powi(t);
        let step_size = T::from_f64(lr / bc1);
        let sqrt_bc2 = T::from_f64(bc2.sqrt());
        let (b1, b2) = (T::from_f64(self.beta1), T::from_f64(self.beta2));
        let (ob1, ob2) = (T::from_f64(1.0 - self.beta1), T::from_f64(1.0 - self.beta2));
        let eps = T::from_f64(self.eps);
        let decay = T::from_f64(1.0 - lr * self.weight_decay);
        for id in params.ids() {
            let Some(g) = grads.param(id).filter(|_| params.is_trainable(id)) else {
                continue;
            };
            let decays = self.weight_decay > 0.0 && is_decayed(params.name(id));
            let w = params.value_mut(id)?;
            let m = self.m.get(id, g.shape());
            let v = self.v.get(id, g.shape());
            for (((w, m), v), &g) in w
                .data_mut()
                .iter_mut()
                .zip(m.data_mut())
                .zip(v.data_mut())
                .zip(g.data())
            {
                if decays {
                    *w *= decay;
                }
                *m = b1 * *m + ob1 * g;
                *v = b2 * *v + ob2 * g * g;
                *w -= step_size * *m / (v.sqrt() / sqrt_bc2 + eps);
            }
        }
        self.steps += 1;
        Ok(())
    }

    fn state(&self, params: &Parameters<T>) -> (Vec<(String, Tensor<T>)>, u64) {
        let mut out = Vec::new();
        self.m.export(params, &mut out);
        self.v.export(params, &mut out);
        (out, self.steps)
    }

    fn load_state(
        &mut self,
        params: &Parameters<T>,
        tensors: &[(String, Tensor<T>)],
        steps: u64,
    ) -> Result<()> {
        self.m.import(params, tensors)?;
        self.v.import(params, tensors)?;
        self.steps = steps;
        Ok(())
    }
}
