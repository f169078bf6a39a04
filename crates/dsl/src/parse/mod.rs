//! The parser: pest grammar (`nn.pest`) to the typed AST of [`crate::ast`].
//!
//! This is the only module that sees pest pairs. Error productions in the grammar let the
//! parser accept common mistakes and keep going; each becomes a diagnostic here, and the tree
//! gets an [`ExprKind::Error`](crate::ast::ExprKind::Error) placeholder where a value was
//! unusable, so that later stages stay quiet about it.

mod build;
mod expr;
mod guard;
mod syntax_error;

use crate::ast::{Expr, File};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::span::SourceId;
use pest::Parser as _;

mod grammar {
    #![allow(missing_docs)]
    /// The pest parser generated from `nn.pest`.
    #[derive(pest_derive::Parser)]
    #[grammar = "nn.pest"]
    pub(crate) struct NnParser;
}

use grammar::{NnParser, Rule};

/// The versions of the format this parser reads.
pub const SUPPORTED_VERSIONS: &[&str] = &["0.1"];

/// The result of parsing: a tree when the file could be read at all, and the syntax
/// diagnostics (some mistakes are reported and parsing goes on).
#[derive(Debug, Clone)]
pub struct ParseOutput {
    /// The tree; `None` after an unrecoverable syntax error.
    pub file: Option<File>,
    /// Syntax diagnostics (E001–E006).
    pub diagnostics: Diagnostics,
}

/// Parses a whole `.nn` file, recovering from the mistakes the grammar knows about.
pub fn parse_recovering(text: &str) -> ParseOutput {
    if let Some(d) = guard::check(text, SourceId::MODEL, 0) {
        return ParseOutput {
            file: None,
            diagnostics: vec![d].into(),
        };
    }
    match NnParser::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let builder = build::Builder::new(text, SourceId::MODEL, 0);
            let file = pairs.next().map(|pair| builder.file(pair));
            ParseOutput {
                file,
                diagnostics: builder.finish(),
            }
        }
        Err(error) => ParseOutput {
            file: None,
            diagnostics: beyond_fatal(
                text,
                syntax_error::from_pest(&error, text, SourceId::MODEL, 0),
            ),
        },
    }
}

/// The most unreadable lines reported in one file.
const MAX_FATAL: usize = 8;

/// The diagnostics of a file the grammar cannot read, `fatal` the first: the line it points
/// at is blanked (spaces, so every offset stays) and the file read again, for the other
/// mistakes — the recovered ones before it, which a later unreadable line would otherwise
/// hide, and further unreadable lines. A line holding a brace is not blanked (the blocks would
/// no longer match and every later line would be reported): the diagnostics stop there.
fn beyond_fatal(text: &str, fatal: Diagnostic) -> Diagnostics {
    let mut fatals = vec![fatal];
    let mut patched = text.to_string();
    let recovered = loop {
        let Some(at) = fatals
            .last()
            .and_then(|d| d.primary.as_ref())
            .map(|l| l.span.start)
        else {
            break Diagnostics::new();
        };
        let start = patched[..at.min(patched.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let end = patched[start..]
            .find('\n')
            .map_or(patched.len(), |i| start + i);
        let line = &patched[start..end];
        if fatals.len() >= MAX_FATAL || line.contains(['{', '}']) || line.trim().is_empty() {
            break Diagnostics::new();
        }
        let blank = " ".repeat(line.len());
        patched.replace_range(start..end, &blank);
        match NnParser::parse(Rule::file, &patched) {
            Ok(mut pairs) => {
                let builder = build::Builder::new(&patched, SourceId::MODEL, 0);
                let _ = pairs.next().map(|pair| builder.file(pair));
                break builder.finish();
            }
            Err(error) => fatals.push(syntax_error::from_pest(
                &error,
                &patched,
                SourceId::MODEL,
                0,
            )),
        }
    };
    let mut all: Vec<Diagnostic> = recovered.into_vec();
    all.extend(fatals);
    let mut all: Diagnostics = all.into();
    all.sort_by_location();
    all
}

/// Parses a whole `.nn` file: the tree, or every syntax diagnostic.
pub fn parse(text: &str) -> Result<File, Diagnostics> {
    let output = parse_recovering(text);
    match output.file {
        Some(file) if !output.diagnostics.has_errors() => Ok(file),
        _ => Err(output.diagnostics),
    }
}

/// Parses the value of a `--set name=value` override. `text` is the whole override and
/// `value_start` the byte offset of the value in it, so spans point into the whole text.
pub fn parse_override_value(
    text: &str,
    value_start: usize,
    source: SourceId,
) -> Result<Expr, Diagnostics> {
    let value = text.get(value_start..).unwrap_or("");
    if let Some(d) = guard::check(value, source, value_start) {
        return Err(vec![d].into());
    }
    match NnParser::parse(Rule::override_value, value) {
        Ok(mut pairs) => {
            let builder = build::Builder::new(value, source, value_start);
            let expr = pairs
                .next()
                .and_then(|pair| pair.into_inner().find(|p| p.as_rule() == Rule::expr))
                .map(|pair| builder.expr(pair));
            let diagnostics = builder.finish();
            match (expr, diagnostics.is_empty()) {
                (Some(expr), true) => Ok(expr),
                (_, false) => Err(diagnostics),
                (None, true) => Err(vec![Diagnostic::new(
                    crate::diagnostics::Code::E001,
                    "the value of `--set` is not an expression",
                )]
                .into()),
            }
        }
        Err(error) => Err(vec![syntax_error::from_pest(&error, value, source, value_start)].into()),
    }
}

#[cfg(test)]
mod tests;
