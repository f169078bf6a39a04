//! Why a model file could not be loaded or used.

use crate::Diagnostics;
use crate::lower::LowerError;
use std::path::PathBuf;

/// An error of [`super::ModelFile`]: every variant displays as the command line would say it
/// (a check failure as the rendered diagnostics), so `?` into `Box<dyn Error>` keeps the
/// message whole. `Debug` prints the same text, so a `main` returning this error (which
/// Rust reports with `Debug`) shows the located diagnostics, not a struct dump; match on
/// the variants for the data.
#[derive(thiserror::Error)]
pub enum ModelFileError {
    /// The file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("`{}` is not UTF-8 text (first bad byte at offset {offset})", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The file has errors.
    #[error("{rendered}")]
    Check {
        /// The errors (and any warnings).
        diagnostics: Diagnostics,
        /// Them rendered with the file's text, as `nnc check` prints them.
        rendered: String,
    },
    /// The data does not fit the file (a CSV that does not parse, a model too big, ...).
    #[error(transparent)]
    Lower(#[from] LowerError),
    /// Training needs a `train` section.
    #[error("the file has no `train` section")]
    NoTrainSection,
    /// The split to evaluate has no rows (a file without a test share, say).
    #[error("the `{}` split is empty: the file's `split` gives it no rows", .0.name())]
    EmptySplit(crate::ir::SplitName),
    /// A search needs a `search` section.
    #[error("the file has no `search` section")]
    NoSearchSection,
    /// The search could not run (a resumed trial that does not belong to the plan, too many
    /// trials).
    #[error(transparent)]
    Search(#[from] nnc_train::search::SearchError),
    /// A search's best trial cannot be written as a model file.
    #[error("cannot write the best trial as a model file: {0}")]
    BestFile(String),
    /// Training failed.
    #[error(transparent)]
    Train(#[from] nnc_train::TrainError),
    /// A tensor operation failed.
    #[error(transparent)]
    Ops(#[from] nnc_ops::OpsError),
    /// A tensor could not be made.
    #[error(transparent)]
    Tensor(#[from] nnc_tape::TensorError),
    /// The data could not be batched.
    #[error(transparent)]
    Data(#[from] nnc_data::DataError),
}

nnc_tape::debug_as_display!(ModelFileError);
