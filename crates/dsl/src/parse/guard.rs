//! Limits that keep pathological input from exhausting the stack: bracket nesting and the
//! number of operators on one line. Real model files stay far below both.

use crate::diagnostics::{Code, Diagnostic};
use crate::span::{SourceId, Span};

/// The deepest `(`, `[`, `{` nesting accepted.
pub const MAX_NESTING: usize = 64;

/// The most operators accepted on one line.
pub const MAX_OPERATORS_PER_LINE: usize = 256;

/// A diagnostic when `text` exceeds a limit.
pub(super) fn check(text: &str, source: SourceId, offset: usize) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut operators = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        let span = || Span::in_source(source, i + offset, i + offset + c.len_utf8());
        if c == '\n' || c == '\r' {
            in_comment = false;
            in_string = false;
            operators = 0;
            continue;
        }
        if in_comment {
            continue;
        }
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '#' => in_comment = true,
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::new(
                            Code::E001,
                            format!("brackets nest more than {MAX_NESTING} deep"),
                        )
                        .primary(span(), "too deep")
                        .help("split the expression with `let` constants"),
                    );
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '+' | '-' | '*' | '/' | '%' | '.' => {
                operators += 1;
                if operators > MAX_OPERATORS_PER_LINE {
                    return Some(
                        Diagnostic::new(
                            Code::E001,
                            format!("more than {MAX_OPERATORS_PER_LINE} operators on one line"),
                        )
                        .primary(span(), "expression too long")
                        .help("split the expression with `let` constants"),
                    );
                }
            }
            _ => {}
        }
    }
    None
}
