//! The resolved `data` section.

use crate::span::Span;
use serde::Serialize;
use std::path::PathBuf;

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
    pub preprocess: Vec<PreprocessStep>,
    /// Which rows preprocessing statistics are fitted on.
    pub fit: FitOn,
    /// Seed of data generation and shuffling.
    pub seed: Option<u64>,
}

/// A data source with its span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceSpec {
    /// What it is.
    pub kind: SourceKind,
    /// The source expression.
    pub span: Span,
}

/// Data sources and their arguments. File paths are resolved relative to the model file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SourceKind {
    /// The CS231n spiral.
    Spiral {
        /// Points per class.
        points: u64,
        /// Number of arms (classes).
        classes: u64,
        /// Angle noise standard deviation.
        noise: f64,
    },
    /// Two concentric circles (2 classes).
    Circles {
        /// Points per class.
        points: u64,
        /// Noise standard deviation.
        noise: f64,
        /// Inner radius relative to the outer one, in (0, 1).
        factor: f64,
    },
    /// Gaussian blobs.
    Blobs {
        /// Points per class.
        points: u64,
        /// Number of blobs.
        classes: u64,
        /// Dimensions.
        features: u64,
        /// Standard deviation of each blob.
        std: f64,
    },
    /// XOR of four clusters (2 classes).
    Xor {
        /// Points per class.
        points: u64,
        /// Noise standard deviation.
        noise: f64,
    },
    /// Pure noise.
    Random {
        /// Rows.
        rows: u64,
        /// Features.
        features: u64,
        /// Classes.
        classes: u64,
    },
    /// A CSV table.
    Csv {
        /// The file (resolved).
        path: PathBuf,
        /// The label column (`None`: the last column).
        label: Option<String>,
        /// Whether the first row is a header.
        header: bool,
        /// Feature columns (`None`: all but the label).
        columns: Option<Vec<String>>,
    },
    /// IDX image and label files (MNIST format).
    Idx {
        /// Images file (resolved).
        images: PathBuf,
        /// Labels file (resolved).
        labels: PathBuf,
    },
    /// CIFAR-10 binary batches.
    Cifar {
        /// Batch files (resolved).
        paths: Vec<PathBuf>,
    },
}

impl SourceKind {
    /// The source's name as written (`spiral`, `csv`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            SourceKind::Spiral { .. } => "spiral",
            SourceKind::Circles { .. } => "circles",
            SourceKind::Blobs { .. } => "blobs",
            SourceKind::Xor { .. } => "xor",
            SourceKind::Random { .. } => "random",
            SourceKind::Csv { .. } => "csv",
            SourceKind::Idx { .. } => "idx",
            SourceKind::Cifar { .. } => "cifar",
        }
    }

    /// Whether the rows are generated (no file to read).
    pub fn is_generated(&self) -> bool {
        !matches!(
            self,
            SourceKind::Csv { .. } | SourceKind::Idx { .. } | SourceKind::Cifar { .. }
        )
    }
}

/// How the source rows are divided.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SplitSpec {
    /// Fixed fractions (summing to 1).
    Holdout {
        /// Training fraction.
        train: f64,
        /// Validation fraction.
        val: f64,
        /// Test fraction.
        test: f64,
        /// Shuffle before splitting.
        shuffle: bool,
        /// Keep class proportions in every part.
        stratify: bool,
    },
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
            SplitSpec::Holdout { val, .. } => *val > 0.0,
            SplitSpec::KFold { .. } => true,
        }
    }

    /// Whether rows are shuffled before splitting.
    pub fn shuffled(&self) -> bool {
        match self {
            SplitSpec::Holdout { shuffle, .. } | SplitSpec::KFold { shuffle, .. } => *shuffle,
        }
    }

    /// The held-out test fraction.
    pub fn test_fraction(&self) -> f64 {
        match self {
            SplitSpec::Holdout { test, .. } | SplitSpec::KFold { test, .. } => *test,
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

/// One preprocessing step.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PreprocessStep {
    /// Multiply every feature by `c`.
    Scale {
        /// The factor.
        c: f64,
    },
    /// Subtract the per-feature mean.
    Center,
    /// Divide by the per-feature standard deviation.
    Normalize,
    /// Rescale each feature to `[lo, hi]`.
    MinMax {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// Project on the principal components.
    Pca {
        /// How many components.
        keep: PcaKeep,
    },
    /// PCA whitening: divide the projection by `sqrt(eigenvalue + eps)`.
    Whiten {
        /// Regulariser of the eigenvalues.
        eps: f64,
    },
    /// ZCA whitening: whitening rotated back to the input space.
    Zca {
        /// Regulariser of the eigenvalues.
        eps: f64,
    },
}

/// How many principal components `pca` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PcaKeep {
    /// Exactly this many.
    Components(u64),
    /// As many as needed to explain this fraction of the variance.
    Variance(f64),
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
