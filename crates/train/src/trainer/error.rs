//! Errors of a training run.

use crate::checkpoint::CheckpointError;
use nnc_data::DataError;
use nnc_ops::OpsError;
use nnc_tape::TensorError;
use thiserror::Error;

/// Why a run could not proceed (a diverged loss is not an error: it ends the run with
/// [`StopReason::Diverged`](crate::events::StopReason::Diverged)).
#[derive(Debug, Error)]
pub enum TrainError {
    /// A model operation failed.
    #[error(transparent)]
    Ops(#[from] OpsError),
    /// A tensor operation failed.
    #[error(transparent)]
    Tensor(#[from] TensorError),
    /// The data could not be batched.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A checkpoint could not be read or written.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The configuration does not fit the model or data.
    #[error("{0}")]
    Config(String),
}
