//! What the checker needs to know about the data, and how it asks.
//!
//! Generated sources (`spiral`, `blobs`, ...) have shapes that follow from their arguments;
//! the checker computes those itself. For files (`csv`, `idx`, `cifar`) it asks a
//! [`DataProbe`], which the driver implements with the data crate (reading a CSV header, IDX
//! magic numbers and dimensions). [`NoDataProbe`] reads nothing (`nnc check --no-data`): the
//! shapes of file sources stay symbolic.

use crate::ir::{Source, SourceSpec};
use std::path::{Path, PathBuf};

/// The facts about a data source the checker uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataShape {
    /// Features per example.
    pub features: u64,
    /// Number of classes.
    pub classes: u64,
    /// Number of rows, when known.
    pub rows: Option<u64>,
}

/// Why a probe could not describe a source. Each becomes a diagnostic (E406–E408, E110).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The probe does not read files (symbolic mode): shapes stay unknown. Not an error.
    #[error("data not probed")]
    Skipped,
    /// A file is missing or unreadable (E406).
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The resolved path.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// An IDX file has a bad magic number or images and labels disagree (E407).
    #[error("{path}: {reason}")]
    Idx {
        /// The offending file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A CSV file is malformed (E408).
    #[error("{path}:{line}: {reason}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line (the header is line 1).
        line: u64,
        /// The column involved, if one.
        column: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// A CSV column named in the model file does not exist (E110).
    #[error("{path}: no column `{column}`")]
    ColumnNotFound {
        /// The file.
        path: PathBuf,
        /// The missing name.
        column: String,
        /// The columns the header has.
        available: Vec<String>,
    },
}

/// Describes file-backed data sources for the checker.
pub trait DataProbe {
    /// The shape of `source`; relative paths were already resolved against `base_dir` (the
    /// model file's directory), which is passed for context.
    fn probe(&self, source: &SourceSpec, base_dir: &Path) -> Result<DataShape, ProbeError>;
}

/// A probe that reads nothing: file-backed shapes stay symbolic.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDataProbe;

impl DataProbe for NoDataProbe {
    fn probe(&self, _source: &SourceSpec, _base_dir: &Path) -> Result<DataShape, ProbeError> {
        Err(ProbeError::Skipped)
    }
}

/// The shape of a generated source (from its arguments alone), `None` for file sources.
pub fn generated_shape(kind: &Source) -> Option<DataShape> {
    let shape = |features: usize, classes: usize, rows: usize| DataShape {
        features: features as u64,
        classes: classes as u64,
        rows: Some(rows as u64),
    };
    Some(match *kind {
        Source::Spiral {
            points, classes, ..
        } => shape(2, classes, points.saturating_mul(classes)),
        Source::Circles { points, .. } | Source::Xor { points, .. } => {
            shape(2, 2, points.saturating_mul(2))
        }
        Source::Blobs {
            points,
            classes,
            features,
            ..
        } => shape(features, classes, points.saturating_mul(classes)),
        Source::Random {
            rows,
            features,
            classes,
        } => shape(features, classes, rows),
        Source::Csv { .. } | Source::Idx { .. } | Source::Cifar { .. } => {
            return None;
        }
    })
}

nnc_tape::debug_as_display!(ProbeError);
