//! # nnc-ops: the neural-network vocabulary on top of the tape
//!
//! Every op is a first-class tape node with a closed-form backward (a fused op, see
//! [`nnc_tape::FusedOp`]), in its own module with its formula, its paper, forward, backward and
//! tests side by side.
//!
//! * Layers: [`dense()`] (fused matmul + bias), [`maxout()`], [`batch_norm_train`] /
//!   [`batch_norm_eval`], [`dropout()`]; activations in [`activation`].
//! * Losses ([`loss`]): [`softmax_cross_entropy`], [`multiclass_hinge`],
//!   [`mean_squared_error`]; penalties ([`regularize`]): [`l2_penalty`], [`l1_penalty`].
//! * Initialisers ([`init`]): [`Init`] — small random, Xavier as taught, Glorot, He/Kaiming,
//!   uniform, zeros — with per-activation gains.
//! * Models: the [`Layer`] trait, [`LayerSpec`] (an architecture) and [`Sequential`] (an
//!   instance: layers plus their [`Parameters`](nnc_tape::Parameters) and buffers), run in an
//!   explicit [`Mode`] through a [`ForwardCtx`].
//!
//! Conventions (each documented where it applies): ReLU'(0) = 0; maxout sends the gradient to
//! the first maximum; batch norm normalises with the biased batch variance, updates the running
//! variance with the unbiased one, `running = (1 − m)·running + m·batch` with m = 0.1, eps = 1e-5
//! inside the square root (PyTorch's convention); L2 is `½·λ·‖W‖²` on weights only.
//!
//! ```
//! use nnc_ops::{Activation, ForwardCtx, Init, LayerSpec, Loss, Sequential};
//! use nnc_tape::{Tape, Tensor, rng};
//!
//! let mut init_rng = rng(0);
//! let mut model = Sequential::<f32>::from_specs(
//!     2,
//!     &[
//!         LayerSpec::dense(16, Init::He),
//!         LayerSpec::Activation(Activation::Relu),
//!         LayerSpec::dense(3, Init::Small { std: 0.01 }),
//!     ],
//!     &mut init_rng,
//! )?;
//! assert_eq!(model.params().name(model.params().ids().next().unwrap()), "dense1.weight");
//!
//! let mut tape = Tape::new();
//! let x = tape.constant(Tensor::randn(&[8, 2], 1.0, &mut rng(1)));
//! let mut step_rng = rng(2);
//! let scores = model.forward(&mut tape, x, &mut ForwardCtx::train(&mut step_rng))?;
//! let loss = Loss::SoftmaxCrossEntropy.apply(&mut tape, scores, &[0, 1, 2, 0, 1, 2, 0, 1])?;
//! // Initial loss of small random scores: about ln(3).
//! assert!((tape.value(loss).item()? - 3f32.ln()).abs() < 0.05);
//! let grads = tape.backward(loss)?;
//! grads.check_complete(model.params())?;
//! # Ok::<(), nnc_ops::OpsError>(())
//! ```

pub mod activation;
pub mod batchnorm;
pub mod dense;
pub mod dropout;
pub mod error;
pub mod init;
pub mod layer;
pub mod loss;
pub mod maxout;
pub mod mode;
pub mod regularize;
pub mod sequential;

#[cfg(test)]
mod testutil;

pub use activation::{
    Activation, elu, gelu, leaky_relu, relu, selu, sigmoid, softplus, swish, tanh,
};
pub use batchnorm::{
    BatchNormConfig, batch_norm, batch_norm_eval, batch_norm_train, batch_norm_train_activation,
};
pub use dense::{dense, dense_activation};
pub use dropout::dropout;
pub use error::{OpsError, Result};
pub use init::Init;
pub use layer::{
    ActivationLayer, BatchNorm, Buffer, Dense, Dropout, Layer, LayerKind, LayerSpec, Maxout,
};
pub use loss::{Loss, mean_squared_error, multiclass_hinge, softmax_cross_entropy};
pub use maxout::maxout;
pub use mode::{ForwardCtx, Mode, RowShard};
pub use regularize::{Penalty, l1_penalty, l2_penalty};
pub use sequential::{LayerOutput, Sequential};
