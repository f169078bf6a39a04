//! Errors of the neural-network operations. Messages name the operation (or the layer) and the
//! offending values, so a user can find what is wrong without a debugger.

use nnc_tape::TensorError;
use thiserror::Error;

/// An error from an op, a layer, an initialiser or a model.
#[derive(Clone, PartialEq, Error)]
pub enum OpsError {
    /// An error of the underlying tensor operation or tape (shapes, stale handles).
    #[error(transparent)]
    Tensor(#[from] TensorError),
    /// A class label that is not in `0..classes`.
    #[error(
        "{op}: label {label} of example {example} is out of range for {classes} classes \
         (labels must be 0..={})",
        classes.saturating_sub(1)
    )]
    LabelOutOfRange {
        /// The loss that failed.
        op: &'static str,
        /// Row of the offending example.
        example: usize,
        /// The label found.
        label: usize,
        /// Number of classes (columns of the scores).
        classes: usize,
    },
    /// Batch statistics asked of a batch too small to have them.
    #[error(
        "{op}: Train mode needs at least 2 examples per feature to compute batch statistics, \
         got {examples}; use a larger batch, or Mode::Eval to normalise with the running \
         statistics"
    )]
    BatchTooSmall {
        /// The op that failed.
        op: &'static str,
        /// Examples in the batch.
        examples: usize,
    },
    /// An invalid setting of an op, layer or initialiser (a rate outside `[0, 1)`, a zero
    /// width, zeros as a weight initialiser, ...).
    #[error("{op}: {message}")]
    Config {
        /// The op, layer kind or initialiser concerned.
        op: &'static str,
        /// What was wrong and what to do instead.
        message: String,
    },
    /// An error raised inside a named layer of a model.
    #[error("layer `{layer}`: {source}")]
    InLayer {
        /// The layer's canonical name.
        layer: String,
        /// The underlying error.
        #[source]
        source: Box<OpsError>,
    },
}

impl OpsError {
    /// An invalid-setting error.
    pub fn config(op: &'static str, message: impl Into<String>) -> Self {
        OpsError::Config {
            op,
            message: message.into(),
        }
    }

    /// Wraps the error with the name of the layer it happened in.
    pub fn in_layer(self, layer: &str) -> Self {
        OpsError::InLayer {
            layer: layer.to_string(),
            source: Box::new(self),
        }
    }
}

/// Lets ops be used inside closures that return the tape's result type (gradient checks): the
/// tape's own errors come back unchanged, the others as [`TensorError::Invalid`] with the full
/// message.
impl From<OpsError> for TensorError {
    fn from(e: OpsError) -> Self {
        match e {
            OpsError::Tensor(t) => t,
            OpsError::LabelOutOfRange { op, .. }
            | OpsError::BatchTooSmall { op, .. }
            | OpsError::Config { op, .. } => TensorError::invalid(op, strip_op(op, &e.to_string())),
            OpsError::InLayer { .. } => TensorError::invalid("layer", e.to_string()),
        }
    }
}

/// Removes a leading `op: ` from a message (the tape's error adds it back).
fn strip_op(op: &str, message: &str) -> String {
    message
        .strip_prefix(op)
        .and_then(|m| m.strip_prefix(": "))
        .unwrap_or(message)
        .to_string()
}

/// Result of an operation of this crate.
pub type Result<T, E = OpsError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_message_names_label_and_classes() {
        let e = OpsError::LabelOutOfRange {
            op: "softmax_cross_entropy",
            example: 4,
            label: 7,
            classes: 3,
        };
        assert_eq!(
            e.to_string(),
            "softmax_cross_entropy: label 7 of example 4 is out of range for 3 classes \
             (labels must be 0..=2)"
        );
        let t: TensorError = e.into();
        assert_eq!(
            t.to_string(),
            "softmax_cross_entropy: label 7 of example 4 is out of range for 3 classes \
             (labels must be 0..=2)"
        );
    }

    #[test]
    fn layer_errors_carry_the_layer_name() {
        let e = OpsError::config("dropout", "rate must be in [0, 1), got 1.5").in_layer("dropout1");
        assert_eq!(
            e.to_string(),
            "layer `dropout1`: dropout: rate must be in [0, 1), got 1.5"
        );
    }
}

nnc_tape::debug_as_display!(OpsError);
