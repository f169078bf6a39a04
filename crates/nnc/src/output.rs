//! Where output goes. In text mode, results go to standard output and progress, findings and
//! diagnostics to standard error. In JSON mode, standard output is a stream of JSON objects,
//! one per line, each with a `"type"` (`diagnostics`, `finding`, `summary`, ...), and nothing
//! else is printed there.

use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once writing to standard output failed (a closed pipe: `nnc run … | head -1`).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// Set once writing to standard error failed (a closed pipe or terminal).
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` and a newline to standard output. A closed or failing stream is not an error
/// (the command's work matters more than its printout): the line is dropped, and so is every
/// later line to that stream. Never panics, unlike `println!`.
pub fn line_out(text: &str) {
    write_line(&STDOUT_CLOSED, &mut std::io::stdout().lock(), text);
}

/// Writes `text` and a newline to standard error, as [`line_out`] does to standard output.
pub fn line_err(text: &str) {
    write_line(&STDERR_CLOSED, &mut std::io::stderr().lock(), text);
}

/// Writes `text` and a newline to standard error, broken at the width of the terminal it is
/// (unbroken off a terminal).
pub fn line_err_wrapped(text: &str) {
    match terminal_width(true) {
        Some(w) => line_err(&wrap(text, w)),
        None => line_err(text),
    }
}

/// Writes `text` to standard error without adding a newline (see [`line_err`]).
pub fn text_err(text: &str) {
    write_text(&STDERR_CLOSED, &mut std::io::stderr().lock(), text);
}

/// The width of the terminal standard output (`stderr` false) or standard error is, or `None`
/// when it is not a terminal (a pipe or a file gets lines unwrapped). Under a launcher
/// (`mpirun`), rank 0's output goes through the launcher's pseudo-terminal, whose width is
/// not the user's: lines are left unwrapped.
pub fn terminal_width(stderr: bool) -> Option<usize> {
    if crate::cluster::launch().is_some_and(|l| l.size > 1) {
        return None;
    }
    let term = if stderr {
        console::Term::stderr()
    } else {
        console::Term::stdout()
    };
    term.is_term()
        .then(|| usize::from(term.size().1))
        .filter(|w| *w >= 40)
}

/// `text` with every line longer than `width` broken at spaces (a word longer than a line
/// where the line ends); a continuation line is indented two spaces more than its line (four
/// for a `- ` list item).
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / width.max(1) * 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let indent = line.len() - line.trim_start().len();
        let extra = if line.trim_start().starts_with("- ") {
            4
        } else {
            2
        };
        let hang = " ".repeat((indent + extra).min(width / 2));
        let mut col = 0;
        for (j, word) in line.split(' ').enumerate() {
            let len = word.chars().count();
            let fits_a_line = len <= width - hang.len();
            if j > 0 && col + 1 + len > width && col > hang.len() && fits_a_line {
                out.push('\n');
                out.push_str(&hang);
                col = hang.len();
            } else if j > 0 {
                out.push(' ');
                col += 1;
            }
            // A word longer than a line is broken where the line ends.
            for c in word.chars() {
                if col >= width {
                    out.push('\n');
                    out.push_str(&hang);
                    col = hang.len();
                }
                out.push(c);
                col += 1;
            }
        }
    }
    out
}

/// Whether standard output or standard error was found closed.
pub fn stream_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed) || STDERR_CLOSED.load(Ordering::Relaxed)
}

fn write_line(closed: &AtomicBool, w: &mut dyn Write, text: &str) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    if writeln!(w, "{text}").and_then(|()| w.flush()).is_err() {
        closed.store(true, Ordering::Relaxed);
    }
}

fn write_text(closed: &AtomicBool, w: &mut dyn Write, text: &str) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    if w.write_all(text.as_bytes())
        .and_then(|()| w.flush())
        .is_err()
    {
        closed.store(true, Ordering::Relaxed);
    }
}

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
            let text = text.trim_end_matches('\n');
            match terminal_width(false) {
                Some(w) => line_out(&wrap(text, w)),
                None => line_out(text),
            }
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
        line_out(&line.to_string());
    }

    /// Prints a note for people on standard error (not in quiet or JSON mode), broken at a
    /// terminal's width.
    pub fn note(&self, text: &str) {
        if !self.quiet && !self.json() {
            line_err_wrapped(text.trim_end_matches('\n'));
        }
    }

    /// Prints something people must see on standard error (not in JSON mode), broken at a
    /// terminal's width.
    pub fn warn(&self, text: &str) {
        if !self.json() {
            line_err_wrapped(text.trim_end_matches('\n'));
        }
    }

    /// Whether standard error is a terminal (for progress bars).
    pub fn interactive(&self) -> bool {
        !self.quiet && !self.json() && std::io::stderr().is_terminal()
    }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn long_lines_break_at_spaces_with_a_hanging_indent() {
        let text = "warning [x]: one two three four five six\n  advice: seven eight nine ten";
        assert_eq!(
            wrap(text, 20),
            "warning [x]: one two\n  three four five\n  six\n  advice: seven\n    eight nine ten"
        );
        assert_eq!(wrap("short", 20), "short");
        let long = wrap("see /a/very/long/path/that/has/no/space in it", 16);
        assert_eq!(
            long,
            "see /a/very/long\n  /path/that/has\n  /no/space in\n  it"
        );
        assert!(long.lines().all(|l| l.chars().count() <= 16), "{long}");
    }
}
