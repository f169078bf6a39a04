//! Errors of a training run.

use crate::checkpoint::CheckpointError;
use nnc_data::DataError;
use nnc_ops::OpsError;
use nnc_tape::TensorError;
use thiserror::Error;

/// Why a run could not proceed (a diverged loss is not an error: it ends the run with
/// [`StopReason::Diverged`](crate::events::StopReason::Diverged)). The wrapped errors are boxed
/// to keep `Result`s small.
#[derive(Error)]
pub enum TrainError {
    /// A model operation failed.
    #[error(transparent)]
    Ops(Box<OpsError>),
    /// A tensor operation failed.
    #[error(transparent)]
    Tensor(Box<TensorError>),
    /// The data could not be batched.
    #[error(transparent)]
    Data(Box<DataError>),
    /// A checkpoint could not be read or written.
    #[error(transparent)]
    Checkpoint(Box<CheckpointError>),
    /// The configuration does not fit the model or data.
    #[error("{0}")]
    Config(String),
}

macro_rules! boxed_from {
    ($variant:ident, $ty:ty) => {
        impl From<$ty> for TrainError {
            fn from(e: $ty) -> Self {
                TrainError::$variant(Box::new(e))
            }
        }
    };
}

boxed_from!(Ops, OpsError);
boxed_from!(Tensor, TensorError);
boxed_from!(Data, DataError);
boxed_from!(Checkpoint, CheckpointError);

nnc_tape::debug_as_display!(TrainError);
