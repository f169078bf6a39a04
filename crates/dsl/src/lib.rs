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

pub use check::{CheckOptions, Checked, Override, Purpose, check, check_with};
pub use diagnostics::{Code, Diagnostic, Diagnostics, Label, Severity};
pub use explain::explain;
pub use ir::Experiment;
pub use model_file::{LoadOptions, ModelFile, ModelFileError};
pub use parse::{parse, parse_recovering};
pub use probe::{DataProbe, DataShape, NoDataProbe, ProbeError};
pub use render::Sources;
pub use span::{SourceId, Span};
