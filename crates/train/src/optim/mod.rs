//! Optimisers: update rules that turn gradients into parameter changes.
//!
//! Every optimiser implements [`Optimizer`]: `step(params, grads, lr)` applies one update with
//! the learning rate of the current step (schedules live outside, in
//! [`schedule`](crate::schedule)). Per-parameter state (velocities, squared-gradient caches) is
//! kept by parameter id and can be saved and restored for bit-identical resumption.

mod adagrad;
mod adam;
mod par;
mod rmsprop;
mod sgd;
mod slots;

pub use adagrad::Adagrad;
pub use adam::Adam;
pub use rmsprop::RmsProp;
pub use sgd::Sgd;

use nnc_tape::{Float, Gradients, Parameters, Result, Tensor};

/// Adam's first-moment decay β1 when none is given (PyTorch's).
pub const ADAM_BETA1: f64 = 0.9;
/// Adam's second-moment decay β2 when none is given (PyTorch's).
pub const ADAM_BETA2: f64 = 0.999;
/// Adam's and RMSProp's ε when none is given (PyTorch's Adam).
pub const ADAM_EPS: f64 = 1e-8;
/// Adagrad's ε when none is given (PyTorch's).
pub const ADAGRAD_EPS: f64 = 1e-10;
/// RMSProp's decay of the squared-gradient average when none is given (PyTorch's `alpha`).
pub const RMSPROP_DECAY: f64 = 0.99;
/// AdamW's decoupled weight decay when none is given (PyTorch's).
pub const ADAMW_WEIGHT_DECAY: f64 = 0.01;
use serde::{Deserialize, Serialize};

/// An update rule.
pub trait Optimizer<T: Float>: Send {
    /// The optimiser's name (`sgd`, `adam`, ...).
    fn name(&self) -> &'static str;

    /// Applies one update with learning rate `lr` to every trainable parameter that has a
    /// gradient. Parameters must not be held by a tape (reset it first).
    fn step(&mut self, params: &mut Parameters<T>, grads: &Gradients<T>, lr: f64) -> Result<()>;

    /// The optimiser's state as named tensors (`<param>.<slot>`) plus its step counter, for
    /// checkpoints.
    fn state(&self, params: &Parameters<T>) -> (Vec<(String, Tensor<T>)>, u64);

    /// Restores state saved by [`Optimizer::state`].
    fn load_state(
        &mut self,
        params: &Parameters<T>,
        tensors: &[(String, Tensor<T>)],
        steps: u64,
    ) -> Result<()>;
}

/// The configuration of an optimiser, as written in a `.nn` file's `optimizer` line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OptimizerConfig {
    /// Stochastic gradient descent with optional (Nesterov) momentum.
    Sgd {
        /// Momentum μ (0 = plain SGD).
        momentum: f64,
        /// Dampening of the gradient in the velocity update.
        dampening: f64,
        /// Use Nesterov's look-ahead form.
        nesterov: bool,
    },
    /// Adagrad (Duchi et al. 2011).
    Adagrad {
        /// Added to the root of the cache.
        eps: f64,
    },
    /// RMSProp (Tieleman & Hinton 2012).
    RmsProp {
        /// Decay rate of the squared-gradient average.
        decay: f64,
        /// Added to the root of the average.
        eps: f64,
    },
    /// Adam (Kingma & Ba 2015), or AdamW (decoupled weight decay) when `weight_decay` > 0.
    Adam {
        /// First-moment decay β1.
        beta1: f64,
        /// Second-moment decay β2.
        beta2: f64,
        /// Added to the root of the second moment.
        eps: f64,
        /// Decoupled weight decay (AdamW, Loshchilov & Hutter 2019); 0 for Adam.
        weight_decay: f64,
    },
}

impl OptimizerConfig {
    /// Plain SGD.
    pub fn sgd() -> Self {
        OptimizerConfig::Sgd {
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
        }
    }

    /// Adam with PyTorch's defaults ([`ADAM_BETA1`] 0.9, [`ADAM_BETA2`] 0.999, [`ADAM_EPS`]
    /// 1e-8).
    pub fn adam() -> Self {
        OptimizerConfig::Adam {
            beta1: ADAM_BETA1,
            beta2: ADAM_BETA2,
            eps: ADAM_EPS,
            weight_decay: 0.0,
        }
    }

    /// Builds the optimiser.
    pub fn build<T: Float>(&self) -> Box<dyn Optimizer<T>> {
        match *self {
            OptimizerConfig::Sgd {
                momentum,
                dampening,
                nesterov,
            } => Box::new(Sgd::new(momentum, dampening, nesterov)),
            OptimizerConfig::Adagrad { eps } => Box::new(Adagrad::new(eps)),
            OptimizerConfig::RmsProp { decay, eps } => Box::new(RmsProp::new(decay, eps)),
            OptimizerConfig::Adam {
                beta1,
                beta2,
                eps,
                weight_decay,
            } => Box::new(Adam::new(beta1, beta2, eps, weight_decay)),
        }
    }
}
