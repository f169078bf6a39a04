//! The resolved `data` section.

use crate::span::Span;
pub use nnc_data::{PcaKeep, Source, Step};
use serde::Serialize;

/// The `data` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSpec {
    /// Where the examples come from.
    pub source: SourceSpec,
    /// A separate test set.
    pub test: Option<SourceSpec>,
    /// How the source is divided.
    pub split: SplitSpec,
    /// Preprocessing steps, applied in order.
    pub preprocess: Vec<Step>,
    /// Which rows preprocessing statistics are fitted on.
    pub fit: FitOn,
    /// Seed of data generation and shuffling.
    pub seed: Option<u64>,
}

/// A data source with its span. File paths are resolved relative to the model file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceSpec {
    /// What it is.
    pub kind: Source,
    /// The source expression.
    pub span: Span,
}

/// How the source rows are divided.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SplitSpec {
    /// Fixed fractions (summing to 1): the library's holdout split.
    Holdout(nnc_data::SplitSpec),
    /// k-fold cross-validation on what remains after holding out `test`.
    KFold {
        /// Number of folds.
        k: u64,
        /// Held-out test fraction.
        test: f64,
        /// Shuffle before splitting.
        shuffle: bool,
        /// Keep class proportions in every fold.
        stratify: bool,
    },
}

impl SplitSpec {
    /// Whether a validation set exists (a `val` fraction, or folds).
    pub fn has_val(&self) -> bool {
        match self {
            SplitSpec::Holdout(h) => h.val > 0.0,
            SplitSpec::KFold { .. } => true,
        }
    }

    /// Whether rows are shuffled before splitting.
    pub fn shuffled(&self) -> bool {
        match self {
            SplitSpec::Holdout(h) => h.shuffle,
            SplitSpec::KFold { shuffle, .. } => *shuffle,
        }
    }

    /// The held-out test fraction.
    pub fn test_fraction(&self) -> f64 {
        match self {
            SplitSpec::Holdout(h) => h.test,
            SplitSpec::KFold { test, .. } => *test,
        }
    }
}

/// Rows that preprocessing statistics are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FitOn {
    /// The training split only (the default, and the right thing).
    Train,
    /// Every row (leaks validation/test statistics: W409).
    All,
}

/// What the probe reported about the data (`None` when not known without reading it).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct DataShapeInfo {
    /// Features of each raw example.
    pub features: Option<u64>,
    /// Features the model receives (after preprocessing).
    pub model_features: Option<u64>,
    /// Number of classes.
    pub classes: Option<u64>,
    /// Rows of the source.
    pub rows: Option<u64>,
}
