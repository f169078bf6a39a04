//! The model file as run: `--set` (or searched) values written into their `param`
//! declarations, relative data paths rewritten for the directory the copy is written to, and a
//! header comment saying how it was run.
//!
//! Everything is an edit at a span of the parsed file: an overridden `param` is replaced
//! whole at its declaration's span; a data path is replaced at the span of its string
//! literal, in the data sources and in the `param`s that are not overridden (a path may be a
//! param). Comments, labels and every other byte are copied as written.
//!
//! [`trial_text`] writes a search's best trial the same way, with the trial's training length
//! and, for a refit, the validation rows joined to the training rows.

mod literals;
mod paths;
mod trial;

use crate::check::Override;
use crate::ir::{Experiment, Literal, ParamValue};
use crate::parse::{parse_override_value, parse_recovering};
use crate::span::{SourceId, Span};
use literals::StrLiteral;
use paths::Rebase;
use std::ops::Range;
use std::path::Path;
pub use trial::{TrialFile, trial_text};

/// The model file `source` (read from `path`) as run: the `overrides` it was checked with
/// (the last one of a name wins, as in checking) written into their `param` declarations,
/// data paths rewritten relative to `dest` (the directory the copy is written to), and a
/// header comment naming `command`, the file, the overrides and the training `seed`.
/// `experiment` is what `source` with `overrides` checked into.
pub fn resolved_text(
    path: &Path,
    source: &str,
    overrides: &[Override],
    experiment: &Experiment,
    seed: Option<u64>,
    command: &str,
    dest: &Path,
) -> String {
    let rebase = Rebase::new(&experiment.base_dir, dest);
    let body = apply(
        source,
        edits(source, overrides, experiment, rebase.as_ref()),
    );
    with_header(&body, &header(path, overrides, seed, command))
}

/// A replacement of the bytes `range`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edit {
    range: Range<usize>,
    text: String,
}

/// The edits of the model file: overridden params replaced, data paths rebased.
fn edits(
    source: &str,
    overrides: &[Override],
    e: &Experiment,
    rebase: Option<&Rebase>,
) -> Vec<Edit> {
    let mut edits: Vec<Edit> = e
        .params
        .iter()
        .filter(|p| p.overridden)
        .filter_map(|p| override_edit(p, overrides, rebase))
        .collect();
    let replaced: Vec<Range<usize>> = edits.iter().map(|edit| edit.range.clone()).collect();
    // Where data paths are written: the sources, and the params (a path may be a param).
    let path_places: Vec<Span> = e
        .params
        .iter()
        .filter(|p| !p.overridden)
        .map(|p| p.span)
        .chain(std::iter::once(e.data.source.span))
        .chain(e.data.test.as_ref().map(|t| t.span))
        .filter(|span| span.source == SourceId::MODEL)
        .collect();
    let Some(file) = parse_recovering(source).file else {
        return edits;
    };
    let paths = literals::in_file(&file).into_iter().filter(|l| {
        path_places.iter().any(|place| within(l.span, *place))
            && !replaced
                .iter()
                .any(|r| l.span.start < r.end && r.start < l.span.end)
    });
    edits.extend(path_edits(paths, rebase));
    edits
}

/// The declaration of an overridden param, rewritten with its `--set` value and its default
/// in a comment: `param lr = 0.5  # --set (default: 0.1)`.
fn override_edit(p: &ParamValue, overrides: &[Override], rebase: Option<&Rebase>) -> Option<Edit> {
    let (index, o) = overrides
        .iter()
        .enumerate()
        .rev()
        .find(|(_, o)| o.name == p.name)?;
    let value = override_value(o, index, &p.value, rebase);
    Some(Edit {
        range: p.span.start..p.span.end,
        text: format!(
            "param {} = {value}  # --set (default: {})",
            p.name, p.default_source
        ),
    })
}

/// The value of the `index`-th override as source text, its data paths rebased: as written
/// (trimmed), except an unquoted string (`--set path=data/b.csv`, which checking takes as the
/// string itself), which is written as a string literal.
fn override_value(o: &Override, index: usize, value: &Literal, rebase: Option<&Rebase>) -> String {
    let written = o.text.get(o.value_start..).unwrap_or("");
    if let Literal::Str(string) = value
        && !written.trim_start().starts_with('"')
    {
        let rebased = rebase.and_then(|r| r.path(string));
        return quoted(rebased.as_deref().unwrap_or(string));
    }
    let Ok(expr) = parse_override_value(&o.text, o.value_start, SourceId::override_text(index))
    else {
        return written.trim().to_string();
    };
    let text = apply(&o.text, path_edits(literals::in_expr(&expr), rebase));
    text.get(o.value_start..).unwrap_or("").trim().to_string()
}

/// Edits rewriting the string literals among `literals` that name existing files relative to
/// the model file's directory, relative to the destination instead.
fn path_edits<'a>(
    literals: impl IntoIterator<Item = StrLiteral<'a>>,
    rebase: Option<&Rebase>,
) -> Vec<Edit> {
    let Some(rebase) = rebase else {
        return Vec::new();
    };
    literals
        .into_iter()
        .filter_map(|l| {
            rebase.path(l.value).map(|path| Edit {
                range: l.span.start..l.span.end,
                text: format!("\"{path}\""),
            })
        })
        .collect()
}

/// Whether `inner` lies inside `outer` (same source).
fn within(inner: Span, outer: Span) -> bool {
    inner.source == outer.source && outer.start <= inner.start && inner.end <= outer.end
}

/// `text` with the edits applied. Edits do not overlap (items do not nest); should two, the
/// later-starting one is kept rather than garble the text. Insertions at one place come out
/// in the order of `edits`.
fn apply(text: &str, edits: Vec<Edit>) -> String {
    let mut edits: Vec<(usize, Edit)> = edits.into_iter().enumerate().collect();
    edits.sort_by_key(|(i, edit)| std::cmp::Reverse((edit.range.start, *i)));
    let mut out = text.to_string();
    let mut applied_from = usize::MAX;
    for (_, edit) in edits {
        let range = edit.range;
        if range.end <= applied_from
            && range.end <= out.len()
            && out.is_char_boundary(range.start)
            && out.is_char_boundary(range.end)
        {
            applied_from = range.start;
            out.replace_range(range, &edit.text);
        }
    }
    out
}

/// `s` as a string literal of the language (`"`, `\`, newline and tab escaped).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The header comment: the command and the original file, the overrides, the seed.
fn header(path: &Path, overrides: &[Override], seed: Option<u64>, command: &str) -> String {
    let mut header = format!(
        "# Resolved by `{command}` from {} (data paths rewritten relative to this file).\n",
        path.display()
    );
    if !overrides.is_empty() {
        let sets: Vec<String> = overrides
            .iter()
            .map(|o| format!("--set {}", o.text))
            .collect();
        header.push_str(&format!("# Overrides: {}\n", sets.join(" ")));
    }
    if let Some(s) = seed {
        header.push_str(&format!("# Training seed: --seed {s}\n"));
    }
    header
}

/// `body` with `header` before it, after a leading `nn` version line (a BOM is dropped).
fn with_header(body: &str, header: &str) -> String {
    let body = body.trim_start_matches('\u{feff}');
    match body.split_once('\n') {
        Some((first, rest)) if first.trim_start().starts_with("nn ") => {
            format!("{first}\n{header}{rest}")
        }
        _ => format!("{header}{body}"),
    }
}

#[cfg(test)]
mod tests;
