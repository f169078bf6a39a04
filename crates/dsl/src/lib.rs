//! The `.nn` model language of nnc: grammar, typed AST with spans, checker with diagnostics,
//! and the resolved, typed experiment description that the library crates are built from.

pub mod ast;
pub mod diagnostics;
pub mod parse;
pub mod pretty;
pub mod span;
pub mod suggest;

pub use diagnostics::{Code, Diagnostic, Diagnostics, Label, Severity};
pub use parse::{parse, parse_recovering};
pub use span::{SourceId, Span};
