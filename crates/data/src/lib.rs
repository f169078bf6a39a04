//! # nnc-data: data in, tensors out
//!
//! Sources, splits, batches and preprocessing for nnc, with the textbook traps handled:
//!
//! * **Sources** ([`sources`]): generated, seeded sets ([`generated::spiral`] — the CS231n
//!   spiral —, [`generated::circles`], [`generated::blobs`], [`generated::xor`],
//!   [`generated::random`]); CSV tables ([`load_csv`]); IDX files, MNIST's format
//!   ([`load_idx`]); CIFAR-10 binary batches ([`load_cifar10`]). Each gives a [`Dataset`]:
//!   f32 features `[n, d]`, a class index per row, class and feature names.
//! * **Splits** ([`split`]): train/val/test fractions, shuffled from a seeded generator,
//!   optionally stratified ([`SplitSpec`], [`Splits`]); k-fold cross-validation
//!   ([`kfold`]); a separate test source ([`Splits::with_test_source`]).
//! * **Batches** ([`batch`]): a [`Batcher`] whose epoch order depends only on the seed and
//!   the epoch; [`Dataset::fill_batch`] fills caller-owned buffers so a training step need
//!   not allocate.
//! * **Leakage** ([`leakage()`]): identical rows across train/val/test, counted.
//! * **Preprocessing** ([`preprocess`]): `scale`, `center`, `normalize`, `minmax`, `pca`,
//!   `whiten`, `zca`, fitted on the training split only ([`Pipeline::fit_splits`]), saved
//!   with serde and applied at predict time ([`FittedPipeline`]).
//! * **Errors** ([`DataError`]) name the file and the line and column, or the byte offset,
//!   and give a hint. Bad input never panics.
//!
//! All randomness comes from an explicit [`nnc_tape::Rng`]: the same seed gives bit-identical
//! data, splits and batches.
//!
//! ```
//! use nnc_data::{generated, SplitSpec};
//! use nnc_tape::rng;
//!
//! let data = generated::spiral(100, 3, 0.2, &mut rng(0))?;
//! assert_eq!((data.len(), data.features(), data.classes()), (300, 2, 3));
//! let splits = data.split(&SplitSpec::new(0.8, 0.1, 0.1).stratified(), &mut rng(1))?;
//! assert_eq!(splits.train.class_counts(), vec![80, 80, 80]);
//! assert!(splits.leakage().is_clean());
//! # Ok::<(), nnc_data::DataError>(())
//! ```

pub mod batch;
pub mod dataset;
pub mod error;
pub mod leakage;
pub mod preprocess;
pub mod sources;
pub mod split;

pub use batch::{
    Batch, BatchSize, Batcher, EpochBatches, EpochRows, batch_ranges, steps_per_epoch,
};
pub use dataset::{DEFAULT_LABEL_NAME, Dataset, ImageShape};
pub use error::{DataError, MIN_SIMILARITY, Result, closest_name, did_you_mean};
pub use leakage::{LeakageReport, leakage};
pub use preprocess::{FittedPipeline, FittedStep, PcaKeep, Pipeline, Step};
pub use sources::cifar::{load_cifar10, parse_cifar10};
pub use sources::csv::{CsvOptions, LabelOrder, load_csv, parse_csv};
pub use sources::csv_stream::{CsvRowStream, ExpectedColumns};
pub use sources::generated;
pub use sources::idx::{IdxArray, IdxType, load_idx, load_idx_file, parse_idx};
pub use sources::spec::Source;
pub use split::{Fold, SplitIndices, SplitSpec, Splits, kfold, split_indices};
