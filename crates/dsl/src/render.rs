//! Rendering diagnostics at the edge: plain text through codespan-reporting, and JSON.

use crate::check::Override;
use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::span::{Span, line_col};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use serde::Serialize;

/// What an override's text is shown after.
const SET_PREFIX: &str = "--set ";

/// The texts diagnostics point into: the model file and each `--set` override.
pub struct Sources {
    files: SimpleFiles<String, String>,
    texts: Vec<String>,
}

impl Sources {
    /// The model file, named as it should appear in messages.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Sources {
        let text = text.into();
        let mut files = SimpleFiles::new();
        files.add(name.into(), text.clone());
        Sources {
            files,
            texts: vec![text],
        }
    }

    /// Adds the `--set` overrides (in the order given to the checker). Each is shown as the
    /// command line wrote it, `--set lr=0.1`, under the name `command line`.
    pub fn with_overrides(mut self, overrides: &[Override]) -> Sources {
        for o in overrides {
            self.files.add(
                "command line".to_string(),
                format!("{SET_PREFIX}{}", o.text),
            );
            self.texts.push(o.text.clone());
        }
        self
    }

    fn text(&self, span: Span) -> &str {
        self.texts
            .get(usize::from(span.source.0))
            .map_or("", String::as_str)
    }

    /// `span` clamped into its text and onto character boundaries.
    fn clamp(&self, span: Span) -> (usize, std::ops::Range<usize>) {
        let text = self.text(span);
        let mut start = span.start.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = span.end.clamp(start, text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let file = usize::from(span.source.0).min(self.texts.len().saturating_sub(1));
        (file, start..end)
    }

    /// `span` as codespan shows it: an override's spans count from its `name=value` text,
    /// which is shown after `--set `.
    fn shown(&self, span: Span) -> (usize, std::ops::Range<usize>) {
        let (file, range) = self.clamp(span);
        let shift = if file > 0 { SET_PREFIX.len() } else { 0 };
        (file, range.start + shift..range.end + shift)
    }
}

/// The codespan form of a diagnostic (for callers that render with colour themselves).
pub fn to_codespan(diagnostic: &Diagnostic, sources: &Sources) -> cs::Diagnostic<usize> {
    let severity = match diagnostic.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Info => cs::Severity::Note,
    };
    let mut labels = Vec::new();
    if let Some(primary) = &diagnostic.primary {
        let (file, range) = sources.shown(primary.span);
        labels.push(cs::Label::primary(file, range).with_message(primary.message.clone()));
    }
    for label in &diagnostic.secondary {
        let (file, range) = sources.shown(label.span);
        labels.push(cs::Label::secondary(file, range).with_message(label.message.clone()));
    }
    let mut notes: Vec<String> = diagnostic.notes.clone();
    notes.extend(diagnostic.help.iter().map(|h| format!("help: {h}")));
    cs::Diagnostic::new(severity)
        .with_code(diagnostic.code.as_str())
        .with_message(diagnostic.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

/// All diagnostics as plain text (no colour), separated by blank lines.
pub fn render_text(diagnostics: &Diagnostics, sources: &Sources) -> String {
    let config = term::Config::default();
    let mut out = String::new();
    for d in diagnostics {
        match term::emit_into_string(&config, &sources.files, &to_codespan(d, sources)) {
            Ok(text) => out.push_str(&text),
            Err(e) => out.push_str(&format!(
                "{}[{}]: {} ({e})\n",
                severity_word(d),
                d.code,
                d.message
            )),
        }
    }
    out
}

fn severity_word(d: &Diagnostic) -> &'static str {
    match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A label in JSON: the span with 1-based line/column positions.
#[derive(Debug, Serialize)]
pub struct JsonLabel {
    /// The model file's path as given, or `--set NAME=VALUE` for a label in an override
    /// (whose offsets, lines and columns count from its `NAME=VALUE` text).
    pub file: String,
    /// Byte range.
    pub start: usize,
    /// Byte range end.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// 1-based column (characters) of `start`.
    pub column: usize,
    /// 1-based line of `end`.
    pub end_line: usize,
    /// 1-based column of `end`.
    pub end_column: usize,
    /// The label text.
    pub message: String,
}

/// A diagnostic in JSON.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    /// `E101`.
    pub code: String,
    /// `error`, `warning` or `info`.
    pub severity: Severity,
    /// The headline.
    pub message: String,
    /// The main location.
    pub primary: Option<JsonLabel>,
    /// Related locations.
    pub secondary: Vec<JsonLabel>,
    /// Suggested fixes.
    pub help: Vec<String>,
    /// Extra facts.
    pub notes: Vec<String>,
}

fn json_label(label: &crate::diagnostics::Label, sources: &Sources) -> JsonLabel {
    let text = sources.text(label.span);
    let (file, range) = sources.clamp(label.span);
    let (line, column) = line_col(text, range.start);
    let (end_line, end_column) = line_col(text, range.end);
    JsonLabel {
        file: match sources.files.get(file) {
            Ok(f) if file == 0 => f.name().clone(),
            // The override as written, so two `--set`s are told apart.
            _ => format!("{SET_PREFIX}{}", sources.text(label.span)),
        },
        start: range.start,
        end: range.end,
        line,
        column,
        end_line,
        end_column,
        message: label.message.clone(),
    }
}

/// The diagnostics as JSON values.
pub fn to_json(diagnostics: &Diagnostics, sources: &Sources) -> Vec<JsonDiagnostic> {
    diagnostics
        .iter()
        .map(|d| JsonDiagnostic {
            code: d.code.as_str().to_string(),
            severity: d.severity,
            message: d.message.clone(),
            primary: d.primary.as_ref().map(|l| json_label(l, sources)),
            secondary: d.secondary.iter().map(|l| json_label(l, sources)).collect(),
            help: d.help.clone(),
            notes: d.notes.clone(),
        })
        .collect()
}

/// The diagnostics as a pretty-printed JSON array.
pub fn render_json(diagnostics: &Diagnostics, sources: &Sources) -> String {
    serde_json::to_string_pretty(&to_json(diagnostics, sources)).unwrap_or_else(|_| "[]".into())
}
