//! The `.nn` model language of nnc: grammar, typed AST with spans, checker with diagnostics,
//! and the resolved, typed experiment description that the library crates are built from.
//!
//! ```
//! use nnc_dsl::{NoDataProbe, check};
//! use std::path::Path;
//!
//! let source = "data { source spiral(points: 50, classes: 3) }\n\
//!               model { dense 100 -> relu; dense data.classes; loss softmax }\n\
//!               train { optimizer sgd(lr: 1.0); batch full; steps 100 }\n";
//! let checked = check(source, Path::new("spiral.nn"), &[], &NoDataProbe).expect("checks clean");
//! assert_eq!(checked.experiment.shapes.total_params, Some(2 * 100 + 100 + 100 * 3 + 3));
//! ```

//!
//! A model file from a program — checked (its diagnostics rendered as `nnc check` prints
//! them), then loaded as a [`ModelFile`] (checked and lowered) for its gradients and training.
//! docs/language.md shows this example (a test keeps the two equal):
//!
//! ```rust
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))?;
//! use nnc_dsl::{CheckOptions, FileProbe, ModelFile, Override, Purpose, Sources, check_with};
//! use std::path::Path;
//!
//! let path = Path::new("models/spiral.nn");
//! let text = std::fs::read_to_string(path)?;
//! let overrides = vec![Override::parse("lr=0.5")];
//! let probe = FileProbe::new(); // reads file-backed data so the checker knows its shape
//! let options = CheckOptions { overrides: &overrides, probe: &probe, purpose: Purpose::Run };
//! match check_with(&text, path, &options) {
//!     Ok(checked) => println!("{}", checked.experiment.shapes), // plus checked.diagnostics
//!     Err(diagnostics) => {
//!         let sources = Sources::new("models/spiral.nn", text.as_str()).with_overrides(&overrides);
//!         eprint!("{}", nnc_dsl::render::render_text(&diagnostics, &sources));
//!     }
//! }
//!
//! // Checked and lowered in one call; errors are `std::error::Error`s that render the same way.
//! let file = ModelFile::open(path, &["lr=0.5", "iters=20"])?;
//! println!("{}", file.gradient_report::<f64>()?); // what `nnc grad --dtype f64` prints
//! let (_model, summary) = file.train(&mut nnc_train::events::Silent)?;
//! assert_eq!(summary.steps, 20);
//! # Ok(())
//! # }
//! ```

pub mod ast;
pub mod border;
pub mod catalogue;
pub mod check;
pub mod diagnostics;
mod eval;
pub mod explain;
pub mod ir;
pub mod lower;
pub mod model_file;
pub mod parse;
pub mod pretty;
pub mod probe;
pub mod render;
pub mod resolve;
pub mod search;
pub mod shapes;
pub mod span;
pub mod suggest;
mod value;

/// The crates the language is built on, so that one dependency (`nnc-dsl`) gives a program
/// the whole library at matching versions: `nnc_dsl::train::events::Silent`,
/// `nnc_dsl::ops::Sequential`, `nnc_dsl::tape::Tensor`, `nnc_dsl::data::Dataset`.
pub use {nnc_data as data, nnc_ops as ops, nnc_tape as tape, nnc_train as train};

pub use check::{CheckOptions, Checked, Override, Purpose, check, check_with};
pub use diagnostics::{Code, Diagnostic, Diagnostics, Label, Severity};
pub use explain::explain;
pub use ir::{Experiment, SplitName};
pub use lower::FileProbe;
pub use model_file::{LoadOptions, ModelFile, ModelFileError, ModelFileParts};
pub use parse::{parse, parse_recovering};
pub use probe::{DataProbe, DataShape, NoDataProbe, ProbeError};
pub use render::Sources;
pub use span::{SourceId, Span};
