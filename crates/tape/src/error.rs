//! Errors of tensor operations and of the tape. Every message names the operation and the
//! shapes involved, so a user can find the line of their model that is wrong.

use crate::shape::{Shape, ShowShape};
use thiserror::Error;

/// An error from a tensor operation, the tape or a gradient check.
#[derive(Clone, PartialEq, Error)]
pub enum TensorError {
    /// Two operands whose shapes do not fit together.
    #[error(
        "{op}: shapes {} and {} do not match{hint}",
        ShowShape(lhs),
        ShowShape(rhs)
    )]
    ShapeMismatch {
        /// The operation that failed.
        op: &'static str,
        /// Shape of the left operand.
        lhs: Shape,
        /// Shape of the right operand.
        rhs: Shape,
        /// Extra explanation (empty or starting with `: `).
        hint: String,
    },
    /// A data buffer whose length does not fit the requested shape.
    #[error(
        "{op}: shape {} needs {expected} elements, got {got}",
        ShowShape(shape)
    )]
    ElementCount {
        /// The operation that failed.
        op: &'static str,
        /// The requested shape.
        shape: Shape,
        /// Elements the shape needs.
        expected: usize,
        /// Elements provided.
        got: usize,
    },
    /// A tensor of the wrong rank.
    #[error(
        "{op}: expected a tensor of rank {expected}, got shape {}",
        ShowShape(shape)
    )]
    Rank {
        /// The operation that failed.
        op: &'static str,
        /// The rank the operation needs.
        expected: usize,
        /// The shape it got.
        shape: Shape,
    },
    /// An axis outside the tensor's rank.
    #[error("{op}: axis {axis} is out of range for shape {}", ShowShape(shape))]
    Axis {
        /// The operation that failed.
        op: &'static str,
        /// The axis asked for.
        axis: usize,
        /// The tensor's shape.
        shape: Shape,
    },
    /// `backward` called on a tensor that is not a single number.
    #[error(
        "backward: the loss must be a scalar (one element), got shape {}; reduce it with sum or mean first",
        ShowShape(shape)
    )]
    NonScalarLoss {
        /// Shape of the tensor passed as loss.
        shape: Shape,
    },
    /// A variable handle that does not belong to the tape's current recording.
    #[error("{op}: variable #{index} is not on the tape (it has {len} nodes); was the tape reset?")]
    UnknownVar {
        /// The operation that failed.
        op: &'static str,
        /// The handle's index.
        index: usize,
        /// Nodes on the tape.
        len: usize,
    },
    /// A parameter that cannot be changed because a tape still holds it.
    #[error(
        "parameter `{name}` is still held by a tape; reset the tape before updating parameters"
    )]
    ParameterInUse {
        /// The parameter's name.
        name: String,
    },
    /// Two parameters with the same name.
    #[error("parameter `{name}` is defined twice")]
    DuplicateParameter {
        /// The duplicated name.
        name: String,
    },
    /// A trainable parameter that got no gradient from `backward`.
    #[error(
        "parameter `{name}` is trainable but received no gradient: it does not influence the loss"
    )]
    MissingGradient {
        /// The parameter's name.
        name: String,
    },
    /// Any other invalid argument, with a sentence saying what was wrong.
    #[error("{op}: {message}")]
    Invalid {
        /// The operation that failed.
        op: &'static str,
        /// What was wrong.
        message: String,
    },
}

impl TensorError {
    /// A shape mismatch with no extra hint.
    pub fn mismatch(op: &'static str, lhs: &[usize], rhs: &[usize]) -> Self {
        TensorError::ShapeMismatch {
            op,
            lhs: Shape::from_slice(lhs),
            rhs: Shape::from_slice(rhs),
            hint: String::new(),
        }
    }

    /// An invalid-argument error.
    pub fn invalid(op: &'static str, message: impl Into<String>) -> Self {
        TensorError::Invalid {
            op,
            message: message.into(),
        }
    }
}

/// Result of a tensor operation.
pub type Result<T, E = TensorError> = std::result::Result<T, E>;

/// Implements `Debug` as the type's `Display`: an error returned from `main` (which Rust
/// prints with `Debug`) then reads as its message, not as a struct dump. Every public error
/// type of the nnc crates uses it; match on the variants for their data.
#[macro_export]
macro_rules! debug_as_display {
    ($($t:ty),+ $(,)?) => {$(
        impl ::std::fmt::Debug for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(self, f)
            }
        }
    )+};
}

debug_as_display!(TensorError);
