//! Train and eval mode, passed explicitly to every layer, and the forward context that carries
//! it together with the seeded random generator dropout draws its masks from.
//!
//! Mode and gradient recording are separate switches: `Mode::Eval` changes what layers compute
//! (dropout becomes the identity, batch norm uses its running statistics), while
//! [`Tape::set_grad_enabled`](nnc_tape::Tape::set_grad_enabled) decides whether anything is
//! recorded for backward.

use nnc_tape::Rng;

/// What a layer computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Training: dropout drops units, batch norm normalises with batch statistics and updates
    /// its running statistics.
    Train,
    /// Evaluation: dropout is the identity, batch norm uses its running statistics.
    Eval,
}

/// The context of one forward pass: the mode, a seeded generator for dropout masks, and whether
/// Train mode may update buffers (batch-norm running statistics).
///
/// ```
/// use nnc_ops::{ForwardCtx, Mode};
///
/// let mut rng = nnc_tape::rng(0);
/// let train = ForwardCtx::train(&mut rng);
/// assert_eq!(train.mode, Mode::Train);
/// assert_eq!(ForwardCtx::eval().mode, Mode::Eval);
/// ```
pub struct ForwardCtx<'a> {
    /// Train or eval.
    pub mode: Mode,
    /// Where dropout draws its masks from. Train mode with dropout and no generator is an error;
    /// nothing ever reads an unseeded generator.
    pub rng: Option<&'a mut Rng>,
    /// Whether Train mode updates running statistics (on by default; off for gradient checks and
    /// statistics probes that must not change the model).
    pub update_buffers: bool,
    /// In data-parallel training, which rows of the global batch this forward pass computes:
    /// dropout then draws the masks these rows get in the whole batch's pass, so `N` ranks
    /// drop exactly the units one process would. `None`: the batch is the whole batch.
    pub shard: Option<RowShard>,
}

/// The rows `[start, start + rows)` of a global batch of `global_rows` rows that a
/// data-parallel rank computes ([`ForwardCtx::shard`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowShard {
    /// The first row of the shard in the global batch.
    pub start: usize,
    /// The number of rows in the global batch.
    pub global_rows: usize,
}

impl<'a> ForwardCtx<'a> {
    /// Train mode drawing dropout masks from `rng`, updating buffers.
    pub fn train(rng: &'a mut Rng) -> Self {
        ForwardCtx {
            mode: Mode::Train,
            rng: Some(rng),
            update_buffers: true,
            shard: None,
        }
    }

    /// Eval mode (no randomness needed).
    pub fn eval() -> Self {
        ForwardCtx {
            mode: Mode::Eval,
            rng: None,
            update_buffers: false,
            shard: None,
        }
    }

    /// Train mode without a generator: for models without dropout (dropout in Train mode then
    /// fails with a clear error).
    pub fn train_without_rng() -> Self {
        ForwardCtx {
            mode: Mode::Train,
            rng: None,
            update_buffers: true,
            shard: None,
        }
    }

    /// The same context with buffer updates switched off: Train-mode statistics are still used,
    /// but running statistics are left as they are.
    pub fn frozen_buffers(mut self) -> Self {
        self.update_buffers = false;
        self
    }

    /// The same context computing rows `shard` of a data-parallel global batch.
    pub fn sharded(mut self, shard: RowShard) -> Self {
        self.shard = Some(shard);
        self
    }

    /// True in Train mode.
    pub fn is_train(&self) -> bool {
        self.mode == Mode::Train
    }
}
