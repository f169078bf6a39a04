//! Diagnostics as data: a code, a severity, a message, labelled spans, help lines and notes.
//!
//! Nothing here renders; see [`crate::render`] for text and JSON output.

use crate::span::Span;
use serde::Serialize;
use std::fmt;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational note (`I` codes).
    Info,
    /// A likely mistake that does not stop the run (`W` codes).
    Warning,
    /// The file cannot be run as written (`E` codes).
    Error,
}

macro_rules! codes {
    ($($code:ident => $severity:ident, $title:literal;)*) => {
        /// Every diagnostic code of the language (see docs/language.md, "Diagnostics").
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(
                #[doc = $title]
                $code,
            )*
        }

        impl Code {
            /// All codes, in catalogue order.
            pub const ALL: &'static [Code] = &[$(Code::$code),*];

            /// The code as written in messages, e.g. `"E101"`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$code => stringify!($code),)*
                }
            }

            /// The severity every diagnostic with this code has.
            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$code => Severity::$severity,)*
                }
            }

            /// A short title (the catalogue's one-line description).
            pub fn title(self) -> &'static str {
                match self {
                    $(Code::$code => $title,)*
                }
            }

            /// The long explanation printed by `nnc explain`: the Markdown file
            /// `crates/dsl/explain/<code>.md`, included at build time.
            pub fn explanation(self) -> &'static str {
                match self {
                    $(Code::$code => include_str!(concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/explain/",
                        stringify!($code),
                        ".md"
                    )),)*
                }
            }
        }
    };
}

codes! {
    E001 => Error, "unexpected token";
    E002 => Error, "unclosed block";
    E003 => Error, "malformed number, percentage or unit";
    E004 => Error, "`key=value` used for a keyword argument";
    E005 => Error, "unsupported format version";
    E006 => Error, "unterminated string";
    E101 => Error, "unknown layer, statement or section";
    E102 => Error, "unknown name in a catalogue (activation, initializer, optimizer, ...)";
    E103 => Error, "unknown keyword argument";
    E104 => Error, "unknown name in an expression";
    E105 => Error, "duplicate definition";
    E106 => Error, "missing required argument";
    E107 => Error, "malformed argument list";
    E108 => Error, "cyclic definitions";
    E109 => Error, "recursive block use";
    E110 => Error, "CSV column not found";
    E201 => Error, "wrong argument type";
    E202 => Error, "value out of range";
    E203 => Error, "missing or wrong unit";
    E204 => Error, "integer use fed by a float search space";
    E205 => Error, "path expected";
    E301 => Error, "input width does not match the data";
    E302 => Error, "output width does not match the number of classes";
    E303 => Error, "model without trainable layer or loss";
    E304 => Error, "`default` or `input` after the first layer";
    E305 => Error, "maxout with fewer than 2 pieces";
    W306 => Warning, "activation right before a classification loss";
    W307 => Warning, "redundant activation";
    W308 => Warning, "bias right before batch normalization";
    W309 => Warning, "initialization does not suit the activation";
    E310 => Error, "all-zero weight initialization";
    W311 => Warning, "batch normalization with batch size 1";
    E401 => Error, "missing `data` section";
    E402 => Error, "missing `model` section";
    E403 => Error, "missing `train` section";
    E404 => Error, "duplicate section";
    E405 => Error, "metric refers to a split that does not exist";
    E406 => Error, "data file not found or unreadable";
    E407 => Error, "IDX file malformed or inconsistent";
    E408 => Error, "CSV file malformed";
    W409 => Warning, "preprocessing fitted on all data";
    E410 => Error, "whitening without centering";
    E411 => Error, "more PCA components than features";
    W412 => Warning, "normalization after whitening";
    I413 => Info, "`search` section ignored by `nnc run`";
    E414 => Error, "only one class in the data";
    E501 => Error, "search space on a name that is not a `param`";
    E502 => Error, "unknown name in `search`";
    W503 => Warning, "searched `param` never used";
    E504 => Error, "grid search over a continuous space";
    E505 => Error, "inconsistent search stages or trials";
    W506 => Warning, "best value on the border of its search range";
    E507 => Error, "`--set` of an unknown or non-`param` name";
}

impl Code {
    /// Parses `"E101"`, `"e101"` or the four-digit form `"E0101"`.
    pub fn parse(text: &str) -> Option<Code> {
        let upper = text.trim().to_ascii_uppercase();
        let normalized = match upper.len() {
            5 if upper.as_bytes()[1] == b'0' => format!("{}{}", &upper[..1], &upper[2..]),
            _ => upper,
        };
        Code::ALL.iter().copied().find(|c| c.as_str() == normalized)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A span with the text shown under it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there (may be empty).
    pub message: String,
}

/// One finding of the parser or checker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// The catalogue code.
    pub code: Code,
    /// Error, warning or info (follows from the code).
    pub severity: Severity,
    /// The headline.
    pub message: String,
    /// The main location (absent for file-level findings such as a missing section).
    pub primary: Option<Label>,
    /// Related locations.
    pub secondary: Vec<Label>,
    /// Suggested fixes, one per line.
    pub help: Vec<String>,
    /// Extra facts (valid names, where a value came from).
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's severity and no location yet.
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Sets the primary location.
    pub fn primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.primary = Some(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a secondary location.
    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a help line.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help.push(help.into());
        self
    }

    /// Adds a help line when `help` is `Some`.
    pub fn maybe_help(self, help: Option<String>) -> Diagnostic {
        match help {
            Some(h) => self.help(h),
            None => self,
        }
    }

    /// Adds a note when `note` is `Some`.
    pub fn maybe_note(self, note: Option<String>) -> Diagnostic {
        match note {
            Some(n) => self.note(n),
            None => self,
        }
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// An ordered collection of diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    /// Adds one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Adds all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// Whether any is an error.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    /// Number of diagnostics.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The diagnostics in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// The codes, in order (handy in tests).
    pub fn codes(&self) -> Vec<Code> {
        self.items.iter().map(|d| d.code).collect()
    }

    /// Sorts by location (file-level findings first, then by source and offset), keeping the
    /// order of findings at the same place.
    pub fn sort_by_location(&mut self) {
        self.items.sort_by_key(|d| {
            d.primary
                .as_ref()
                .map(|l| (1, l.span.source, l.span.start))
                .unwrap_or((0, crate::span::SourceId::MODEL, 0))
        });
    }

    /// The diagnostics as a vector.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

impl fmt::Display for Diagnostics {
    /// One line per diagnostic, `error[E101]: unknown layer `dens``, with its help lines
    /// indented; without the source text (render with [`crate::render::render_text`] for the
    /// located version the command line prints).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let severity = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            write!(f, "{severity}[{}]: {}", d.code.as_str(), d.message)?;
            for help in &d.help {
                write!(f, "\n  help: {help}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(items: Vec<Diagnostic>) -> Diagnostics {
        Diagnostics { items }
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl Diagnostics {
    /// Drops diagnostics past the first `len` (used to discard a trial evaluation).
    pub(crate) fn truncate(&mut self, len: usize) {
        self.items.truncate(len);
    }
}
