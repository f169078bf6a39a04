//! A `.nn` file as a Rust program uses it: read, checked and lowered in one call, then asked
//! for what the command line prints — the first batch, the gradient report of `nnc grad`, the
//! gradient check of `nnc gradcheck`, an evaluation, the doctor's report, a search — or
//! trained with the events of `nnc run`. The commands are printers over it.
//!
//! ```
//! use nnc_dsl::ModelFile;
//!
//! let text = "param lr = 0.5\n\
//!             data { source spiral(points: 20, classes: 3); seed 1 }\n\
//!             model { dense 8 -> relu; dense data.classes; loss softmax }\n\
//!             train { optimizer sgd(lr: lr); batch 30; steps 4; seed 2 }\n";
//! let file = ModelFile::from_text("spiral.nn", text, &["lr=0.1"])?;
//! let report = file.gradient_report::<f64>()?;
//! assert!(report.to_string().starts_with("gradients of `spiral` on its first batch (30 examples, f64, seed 2)"));
//! let (_, summary) = file.train(&mut nnc_train::events::Silent)?;
//! assert_eq!(summary.steps, 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod gradients;
mod uses;

pub use error::ModelFileError;
pub use gradients::{
    DEFAULT_BATCH, GradientPass, ModelAndBatch, batch_rows, gradient_pass, gradient_pass_on,
};

use crate::lower::{CompileOptions, Compiled, FileProbe, compile};
use crate::{CheckOptions, Checked, Diagnostics, Experiment, Override, Purpose, Sources};
use nnc_ops::Sequential;
use nnc_train::events::EventSink;
use nnc_train::{RunSummary, TrainConfig};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// What [`ModelFile::from_parts`] puts together.
#[derive(Debug)]
pub struct ModelFileParts {
    /// The file's path.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// The `--set` overrides applied.
    pub overrides: Vec<Override>,
    /// The file checked with them.
    pub checked: Checked,
    /// The checked experiment, lowered.
    pub compiled: Compiled,
    /// The data read while checking (search trials reuse it).
    pub probe: FileProbe,
    /// The memory a model may need to train (`None`: no limit).
    pub memory_limit: Option<u64>,
}

/// A `.nn` model file that checked clean and was lowered: its data loaded, split and
/// preprocessed, its model ready to build, its training configuration resolved.
#[derive(Debug)]
pub struct ModelFile {
    parts: ModelFileParts,
}

/// How to load a model file beyond its text: what `nnc`'s common flags say.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--set name=value` overrides of the file's `param`s.
    pub set: Vec<String>,
    /// Replaces the `train` section's seed (`--seed`).
    pub seed: Option<u64>,
    /// With a k-fold split: the index of the fold to train on and validate with, from 0 (the
    /// command line's `--fold N`, counted from 1, is index `N − 1`).
    pub fold_index: Option<usize>,
    /// Refuse a model whose training needs more bytes than this (`None`: no limit).
    pub memory_limit: Option<u64>,
    /// What the file is loaded for: which sections it must have and which notes the check
    /// adds. By default `Check` (no section is required, so one loaded file can be trained,
    /// doctored and searched; a missing section is an error of the method that needs it).
    pub purpose: Option<Purpose>,
}

impl ModelFile {
    /// Reads, checks and lowers the file at `path` with `--set`-style overrides
    /// (`"lr=0.1"`).
    pub fn open(path: impl AsRef<Path>, set: &[&str]) -> Result<ModelFile, ModelFileError> {
        ModelFile::open_with(path, &LoadOptions::with_set(set))
    }

    /// [`ModelFile::open`] with every option.
    pub fn open_with(
        path: impl AsRef<Path>,
        options: &LoadOptions,
    ) -> Result<ModelFile, ModelFileError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ModelFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| ModelFileError::NotUtf8 {
            path: path.to_path_buf(),
            offset: e.utf8_error().valid_up_to(),
        })?;
        ModelFile::from_text_with(path, &text, options)
    }

    /// Checks and lowers `text` as the model file at `path` (relative data paths are taken
    /// from `path`'s directory; diagnostics name `path`).
    pub fn from_text(
        path: impl AsRef<Path>,
        text: &str,
        set: &[&str],
    ) -> Result<ModelFile, ModelFileError> {
        ModelFile::from_text_with(path, text, &LoadOptions::with_set(set))
    }

    /// [`ModelFile::from_text`] with every option.
    pub fn from_text_with(
        path: impl AsRef<Path>,
        text: &str,
        options: &LoadOptions,
    ) -> Result<ModelFile, ModelFileError> {
        let path = path.as_ref();
        let overrides: Vec<Override> = options.set.iter().map(Override::parse).collect();
        let probe = FileProbe::new();
        let check_options = CheckOptions {
            overrides: &overrides,
            probe: &probe,
            purpose: options.purpose.unwrap_or(Purpose::Check),
        };
        let sources = Sources::new(path.display().to_string(), text).with_overrides(&overrides);
        let checked = crate::check_with(text, path, &check_options).map_err(|diagnostics| {
            ModelFileError::Check {
                rendered: crate::render::render_text(&diagnostics, &sources),
                diagnostics,
            }
        })?;
        let compiled = compile(
            &checked.experiment,
            &CompileOptions {
                seed: options.seed,
                fold_index: options.fold_index,
                cache: Some(&probe),
                memory_limit: options.memory_limit,
            },
        )?;
        Ok(ModelFile::from_parts(ModelFileParts {
            path: path.to_path_buf(),
            text: text.to_string(),
            overrides,
            checked,
            compiled,
            probe,
            memory_limit: options.memory_limit,
        }))
    }

    /// A file the caller checked (with `probe`) and lowered itself: the command line does,
    /// to print its diagnostics as it goes. `memory_limit` bounds a search trial's model.
    pub fn from_parts(parts: ModelFileParts) -> ModelFile {
        ModelFile { parts }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.parts.path
    }

    /// The file's text.
    pub fn text(&self) -> &str {
        &self.parts.text
    }

    /// The overrides applied.
    pub fn overrides(&self) -> &[Override] {
        &self.parts.overrides
    }

    /// The resolved experiment (every default filled in).
    pub fn experiment(&self) -> &Experiment {
        &self.parts.checked.experiment
    }

    /// The warnings and notes of the check (no errors: the file checked clean).
    pub fn warnings(&self) -> &Diagnostics {
        &self.parts.checked.diagnostics
    }

    /// The warnings rendered as `nnc check` prints them (empty when there are none).
    pub fn rendered_warnings(&self) -> String {
        if self.parts.checked.diagnostics.is_empty() {
            return String::new();
        }
        let sources = Sources::new(
            self.parts.path.display().to_string(),
            self.parts.text.as_str(),
        )
        .with_overrides(&self.parts.overrides);
        crate::render::render_text(&self.parts.checked.diagnostics, &sources)
    }

    /// The lowered experiment: data, model builder, training configuration, search plan.
    pub fn compiled(&self) -> &Compiled {
        &self.parts.compiled
    }

    /// The lowered experiment, taking it out of the file (the rest is dropped: to free the
    /// data a caller does not need).
    pub fn into_compiled(self) -> Compiled {
        self.parts.compiled
    }

    /// The training data as the trainer takes it: the training and validation splits with
    /// what the data checks need to know (test split, shuffling, preprocessing, leakage).
    pub fn train_data(&self) -> nnc_train::TrainData<'_> {
        self.parts.compiled.data.train_data(
            &self.parts.checked.experiment.data,
            &self.parts.compiled.raw,
        )
    }

    /// A fresh model with the file's initial weights (the run's seed).
    pub fn build(&self) -> Result<Sequential<f32>, ModelFileError> {
        Ok(self.parts.compiled.model.build(self.parts.compiled.seed)?)
    }

    /// The training configuration of the `train` section.
    pub fn train_config(&self) -> Result<&TrainConfig, ModelFileError> {
        self.parts
            .compiled
            .train
            .as_ref()
            .ok_or(ModelFileError::NoTrainSection)
    }

    /// Trains a fresh model as `nnc run` does (without its files), reporting to `sink`: the
    /// summary's findings hold the data checks made before training and every live finding.
    /// Returns the trained model (the kept weights: best or last, as the file says). A run
    /// that diverges is not an error: it stops, and `summary.stop` is
    /// `StopReason::Diverged` with the evidence in the findings.
    pub fn train(
        &self,
        sink: &mut dyn EventSink,
    ) -> Result<(Sequential<f32>, RunSummary), ModelFileError> {
        self.train_with(self.train_config()?, sink, None)
    }

    /// [`ModelFile::train`] with another configuration (e.g. the file's with checkpoints and a
    /// logging cadence set) and an interrupt flag (set it to stop after the current step).
    pub fn train_with(
        &self,
        config: &TrainConfig,
        sink: &mut dyn EventSink,
        interrupt: Option<&AtomicBool>,
    ) -> Result<(Sequential<f32>, RunSummary), ModelFileError> {
        let mut model = self.build()?;
        let summary = self.train_model(&mut model, config, sink, interrupt)?;
        Ok((model, summary))
    }

    /// Trains `model` (built by [`ModelFile::build`], or loaded) on the file's data with
    /// `config`: what [`ModelFile::train_with`] does after building it.
    pub fn train_model(
        &self,
        model: &mut Sequential<f32>,
        config: &TrainConfig,
        sink: &mut dyn EventSink,
        interrupt: Option<&AtomicBool>,
    ) -> Result<RunSummary, ModelFileError> {
        self.train_model_on(model, config, sink, interrupt, None)
    }

    /// [`ModelFile::train_model`], data-parallel with the ranks of `parallel` when given
    /// ([`nnc_train::train_data_parallel`]; every rank makes this call).
    pub fn train_model_on(
        &self,
        model: &mut Sequential<f32>,
        config: &TrainConfig,
        sink: &mut dyn EventSink,
        interrupt: Option<&AtomicBool>,
        parallel: Option<std::sync::Arc<dyn nnc_tape::collective::Collective>>,
    ) -> Result<RunSummary, ModelFileError> {
        let data = self.train_data();
        let loss = self.parts.compiled.model.loss;
        Ok(match parallel {
            Some(c) => {
                nnc_train::train_data_parallel(model, loss, data, config, sink, interrupt, c)?
            }
            None => nnc_train::train(model, loss, data, config, sink, interrupt)?,
        })
    }
}

impl LoadOptions {
    /// Options with these `--set` overrides and nothing else.
    pub fn with_set(set: &[&str]) -> LoadOptions {
        LoadOptions {
            set: set.iter().map(|s| s.to_string()).collect(),
            ..LoadOptions::default()
        }
    }
}
