//! Lowering: from a checked [`Experiment`] to runnable library objects.
//!
//! * [`data`]: the sources loaded (relative paths were resolved against the model file by the
//!   checker), the split (holdout fractions, or k-fold after holding out the test share), and
//!   the preprocessing pipeline fitted on the training split only (on every row with
//!   `fit: all`).
//! * [`model`]: a [`ModelBuilder`] that turns the layer list into a fresh
//!   [`Sequential<f32>`](nnc_ops::Sequential) from a seed, under the canonical layer names, and
//!   the [`Loss`](nnc_ops::Loss).
//! * [`train`]: the [`nnc_train::TrainConfig`], with amounts of time converted
//!   between epochs and steps once the training split's size is known.
//! * [`search`]: the search space as an [`nnc_train::search::SearchPlan`], and the `--set`
//!   overrides a trial applies.
//! * [`file_probe`]: the [`DataProbe`](crate::DataProbe) that reads files for the checker.
//!
//! [`compile`] does all of it:
//!
//! ```
//! use nnc_dsl::lower::{CompileOptions, compile};
//! use nnc_dsl::{NoDataProbe, check};
//! use std::path::Path;
//!
//! let source = "data { source spiral(points: 50, classes: 3); split train: 80%, val: 20% }\n\
//!               model { dense 100 -> relu; dense data.classes; loss softmax }\n\
//!               train { optimizer sgd(lr: 1.0); batch full; epochs 5 }\n";
//! let checked = check(source, Path::new("spiral.nn"), &[], &NoDataProbe).expect("checks");
//! let compiled = compile(&checked.experiment, &CompileOptions::default())?;
//! assert_eq!(compiled.data.splits.train.len(), 120);
//! let mut model = compiled.model.build(compiled.seed)?;
//! assert_eq!(model.num_params(), 2 * 100 + 100 + 100 * 3 + 3);
//! let config = compiled.train.expect("a train section");
//! assert_eq!(config.duration, nnc_train::Duration::Epochs(5));
//! # let _ = &mut model;
//! # Ok::<(), nnc_dsl::lower::LowerError>(())
//! ```

pub mod data;
pub mod file_probe;
pub mod model;
pub mod search;
pub mod train;

pub use data::{Prepared, RawData};
pub use file_probe::FileProbe;
pub use model::ModelBuilder;
pub use search::SearchSpace;

use crate::ir::Experiment;
use nnc_data::DataError;
use nnc_ops::OpsError;
use nnc_train::TrainConfig;

/// Why an experiment could not be lowered. Checked files rarely fail here: what remains is
/// what only the data can tell (a malformed row past the header, a test set whose classes
/// differ, a width that depends on data that was not read).
#[derive(thiserror::Error)]
pub enum LowerError {
    /// Loading, splitting or preprocessing the data failed.
    #[error(transparent)]
    Data(Box<DataError>),
    /// Building the model failed.
    #[error(transparent)]
    Model(Box<OpsError>),
    /// The experiment asks for something the library cannot do with this data.
    #[error("{message}")]
    Invalid {
        /// What is wrong.
        message: String,
        /// What to do about it.
        hint: String,
    },
    /// The fold asked for (`--fold`) is not one the data has.
    #[error("{message}")]
    NoSuchFold {
        /// What is wrong.
        message: String,
        /// What to do about it.
        hint: String,
    },
}

impl LowerError {
    /// An [`LowerError::Invalid`].
    pub fn invalid(message: impl Into<String>, hint: impl Into<String>) -> Self {
        LowerError::Invalid {
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// Advice to print under the message, if any.
    pub fn hint(&self) -> Option<&str> {
        match self {
            LowerError::Invalid { hint, .. } | LowerError::NoSuchFold { hint, .. }
                if !hint.is_empty() =>
            {
                Some(hint)
            }
            _ => None,
        }
    }
}

impl From<DataError> for LowerError {
    fn from(e: DataError) -> Self {
        LowerError::Data(Box::new(e))
    }
}

impl From<OpsError> for LowerError {
    fn from(e: OpsError) -> Self {
        LowerError::Model(Box::new(e))
    }
}

/// Choices of the command that lowers the experiment.
#[derive(Debug, Clone, Copy, Default)]
pub struct CompileOptions<'a> {
    /// Replaces the `train` section's seed (initialisation, dropout, batch order). The data
    /// keeps its own seed, so runs with different seeds see the same split.
    pub seed: Option<u64>,
    /// With a k-fold split: the index of the fold to train on and validate with, counted
    /// from 0 like every Rust index (default 0). People count folds from 1: the command
    /// line's `--fold N` and the messages' "fold N of k" are index `N − 1`.
    pub fold_index: Option<usize>,
    /// Reuses the datasets a [`FileProbe`] already read while checking.
    pub cache: Option<&'a FileProbe>,
    /// The memory, in bytes, the model may need to train: a model whose
    /// [`ModelBuilder::training_bytes`] (a lower bound, with the file's batch) is larger is
    /// refused before anything is allocated, rather than aborting when an allocation fails.
    /// `None`: no limit.
    pub memory_limit: Option<u64>,
}

/// An experiment lowered into library objects.
#[derive(Debug)]
pub struct Compiled {
    /// The data as loaded and split, before preprocessing.
    pub raw: RawData,
    /// The data the model sees: preprocessed splits and the fitted pipeline.
    pub data: Prepared,
    /// Builds fresh models.
    pub model: ModelBuilder,
    /// The training configuration (`None` without a `train` section).
    pub train: Option<TrainConfig>,
    /// The search space (`None` without a `search` section).
    pub search: Option<SearchSpace>,
    /// The seed of initialisation, dropout and batch order.
    pub seed: u64,
}

/// Lowers a checked experiment: loads and prepares the data, and describes the model, the
/// training and the search.
pub fn compile(
    experiment: &Experiment,
    options: &CompileOptions<'_>,
) -> Result<Compiled, LowerError> {
    let raw = RawData::load(&experiment.data, options.cache)?;
    let fold = match (&raw.folds, options.fold_index) {
        (Some(folds), Some(f)) if f >= folds.len() => {
            return Err(LowerError::NoSuchFold {
                message: format!("there is no fold {} of {}", f + 1, folds.len()),
                hint: format!("choose a fold from 1 to {}", folds.len()),
            });
        }
        (None, Some(_)) => {
            return Err(LowerError::NoSuchFold {
                message: "the data has no k-fold split, so there is no fold to choose".into(),
                hint: "leave --fold out, or write `split kfold(k)` in the data section".into(),
            });
        }
        (Some(_), f) => Some(f.unwrap_or(0)),
        (None, None) => None,
    };
    let data = raw.prepare(&experiment.data, fold)?;
    let model = ModelBuilder::new(
        &experiment.model,
        data.splits.train.features(),
        data.splits.train.classes(),
    )?;
    let seed = options
        .seed
        .or_else(|| experiment.train.as_ref().and_then(|t| t.seed))
        .unwrap_or(0);
    let train = match &experiment.train {
        Some(spec) => {
            let mut config =
                train::config(spec, data.splits.train.len(), !data.splits.val.is_empty())?;
            config.seed = seed;
            Some(config)
        }
        None => None,
    };
    if let Some(limit) = options.memory_limit {
        let rows = data.splits.train.len().max(1);
        let batch = match train.as_ref().map(|t| t.batch) {
            Some(nnc_data::BatchSize::Rows(b)) => b.min(rows),
            Some(nnc_data::BatchSize::Full) => rows,
            None => 1,
        };
        check_memory(&model, batch, limit)?;
    }
    let search = experiment.search.as_ref().map(search::space);
    Ok(Compiled {
        raw,
        data,
        model,
        train,
        search,
        seed,
    })
}

/// Refuses a model whose training would need more than `limit` bytes
/// ([`ModelBuilder::training_bytes`]).
fn check_memory(model: &ModelBuilder, batch: usize, limit: u64) -> Result<(), LowerError> {
    let needed = model.training_bytes(batch);
    if needed <= u128::from(limit) {
        return Ok(());
    }
    Err(LowerError::invalid(
        format!(
            "the model has {} parameters and needs at least {} to train with batches of \
             {batch}, more than the {} of memory available",
            model.param_count(),
            human_bytes(needed),
            human_bytes(u128::from(limit)),
        ),
        "make the layers narrower or fewer, or the batch smaller: `nnc check --shapes` shows \
         the parameters of each layer",
    ))
}

/// `bytes` in B, KiB, MiB, GiB or TiB with three significant digits (`1.5 GiB`).
fn human_bytes(bytes: u128) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.3} {}", UNITS[unit]).replace(".000 ", " ")
    }
}

nnc_tape::debug_as_display!(LowerError);
