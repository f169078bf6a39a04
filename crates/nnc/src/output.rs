//! Where output goes. In text mode, results go to standard output and progress, findings and
//! diagnostics to standard error. In JSON mode, standard output is a stream of JSON objects,
//! one per line, each with a `"type"` (`diagnostics`, `finding`, `summary`, ...), and nothing
//! else is printed there.

use serde::Serialize;
use std::io::{IsTerminal, Write};

/// How diagnostics, findings and results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// For people.
    #[default]
    Text,
    /// JSON lines on standard output, for programs.
    Json,
}

/// The output settings of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Output {
    /// Text or JSON.
    pub format: Format,
    /// Only results and errors: no progress, no notes.
    pub quiet: bool,
}

impl Output {
    /// Whether results are JSON.
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// Prints a result for people (text mode only), on standard output.
    pub fn result(&self, text: &str) {
        if !self.json() {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", text.trim_end_matches('\n'));
        }
    }

    /// Prints a JSON object `{"type": kind, ...value}` on one line (JSON mode only).
    pub fn record<T: Serialize>(&self, kind: &str, value: &T) {
        if !self.json() {
            return;
        }
        let mut v = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        let line = match v.as_object_mut() {
            Some(map) => {
                map.insert("type".into(), kind.into());
                serde_json::Value::Object(std::mem::take(map))
            }
            None => serde_json::json!({ "type": kind, "value": v }),
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
    }

    /// Prints a note for people on standard error (not in quiet or JSON mode).
    pub fn note(&self, text: &str) {
        if !self.quiet && !self.json() {
            eprintln!("{}", text.trim_end_matches('\n'));
        }
    }

    /// Prints something people must see on standard error (not in JSON mode).
    pub fn warn(&self, text: &str) {
        if !self.json() {
            eprintln!("{}", text.trim_end_matches('\n'));
        }
    }

    /// Whether standard error is a terminal (for progress bars).
    pub fn interactive(&self) -> bool {
        !self.quiet && !self.json() && std::io::stderr().is_terminal()
    }
}
