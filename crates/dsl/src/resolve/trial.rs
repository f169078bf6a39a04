//! A search's best trial as a model file that reproduces it: the resolved file (see
//! [`resolved_text`](super::resolved_text)) with the trial's training length, and for a refit
//! the validation rows joined to the training rows.
//!
//! The refit is scikit-learn's `refit=True` written in the language: the data section's
//! `split` loses its validation share (or its folds) to `train` and keeps its test share bit
//! for bit, so the test rows are the search's; the statements that need a validation split
//! (`eval val`, `early_stop`, `keep best`) are commented out with the reason; the `search`
//! section is replaced by a comment. `nnc run` of that file trains the winner on every
//! training row and measures it on the test split once.

use super::paths::Rebase;
use super::{Edit, apply, edits, header, with_header};
use crate::ast::{Command, File, Item, Section, SectionKind, Stmt};
use crate::check::Override;
use crate::ir::{Experiment, Interval, Keep, SplitName, SplitSpec, number_text};
use crate::model_file::{LoadOptions, ModelFile, ModelFileError};
use crate::parse::parse_recovering;
use crate::{Purpose, Severity};
use std::path::Path;

/// How a search's best trial is written as a model file.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrialFile<'a> {
    /// The training length to write (the trial's epoch budget); `None` keeps the file's.
    pub epochs: Option<u64>,
    /// Write the refit: validation rows (or all folds) join the training rows, val-only
    /// statements and the search section go.
    pub refit: bool,
    /// Comment lines (each starting `# `, newline-terminated) placed after the header comment.
    pub note: &'a str,
    /// Why the training length is `epochs`, in the comment beside it (`None`: the trial's
    /// budget).
    pub length_reason: Option<&'a str>,
}

/// Why a written training length is what it is, unless the caller says otherwise.
const BUDGET: &str = "the trial's budget";

/// Why a statement that needs a validation split is commented out of a refit.
const NO_VAL: &str = "refit: no validation split";

/// `source` with `overrides` (the user's `--set` plus the trial's values; `experiment` is what
/// it checked into with them) written as [`resolved_text`](super::resolved_text) does, plus
/// the trial's training length and, with [`TrialFile::refit`], the refit's edits. `dest` is
/// the directory the file is written to. A refit file is checked (for `nnc run`) and lowered
/// before it is returned; the error says why it cannot be made (say, an expression uses
/// `data.val.size`).
pub fn trial_text(
    path: &Path,
    source: &str,
    overrides: &[Override],
    experiment: &Experiment,
    trial: &TrialFile<'_>,
    command: &str,
    dest: &Path,
) -> Result<String, String> {
    let rebase = Rebase::new(&experiment.base_dir, dest);
    let mut all = edits(source, overrides, experiment, rebase.as_ref());
    if trial.epochs.is_some() || trial.refit {
        let file = parse_recovering(source)
            .file
            .ok_or("the model file does not parse (was it changed?)")?;
        if let Some(epochs) = trial.epochs {
            all.extend(length_edits(
                source,
                &file,
                experiment,
                epochs,
                trial.length_reason,
            ));
        }
        if trial.refit {
            all.extend(refit_edits(source, &file, experiment));
        }
    }
    let body = apply(source, all);
    let head = header(path, overrides, None, command) + trial.note;
    let text = with_header(&body, &head);
    if trial.refit {
        // Relative data paths were rewritten for `dest` only when both directories exist.
        let name = path.file_name().unwrap_or("best.nn".as_ref());
        let at = match rebase {
            Some(_) => dest.join(name),
            None => path.to_path_buf(),
        };
        verify(&text, &at)?;
    }
    Ok(text)
}

/// The train section's length statement replaced by `epochs n` (inserted when it has none),
/// unless the file already trains `n` epochs.
fn length_edits(
    source: &str,
    file: &File,
    e: &Experiment,
    epochs: u64,
    reason: Option<&str>,
) -> Vec<Edit> {
    let same = e
        .train
        .as_ref()
        .is_some_and(|t| t.length == Interval::Epochs(epochs as f64));
    let Some(train) = sections(file, |k| matches!(k, SectionKind::Train)).next() else {
        return Vec::new();
    };
    if same {
        return Vec::new();
    }
    let Some(length) = command(train, &["epochs", "steps"]) else {
        return insert_length(source, train, epochs, reason);
    };
    let written = one_line(slice(source, length.span.start, length.span.end));
    vec![
        Edit {
            range: length.span.start..length.span.end,
            text: format!("epochs {epochs}"),
        },
        line_comment(
            source,
            length.span.end,
            &format!("{} (file: {written})", reason.unwrap_or(BUDGET)),
        ),
    ]
}

/// `epochs n` added at the top of a train section that has no length statement.
fn insert_length(source: &str, train: &Section, epochs: u64, reason: Option<&str>) -> Vec<Edit> {
    let open = train.body.open.end;
    let end = line_end(source, open);
    let rest = slice(source, open, end).trim_start();
    let (at, text) = if rest.is_empty() || rest.starts_with('#') {
        (
            end,
            format!(
                "\n  epochs {epochs}  # {} (file: no length)",
                reason.unwrap_or(BUDGET)
            ),
        )
    } else {
        (open, format!(" epochs {epochs};"))
    };
    vec![Edit {
        range: at..at,
        text,
    }]
}

/// The refit's edits: the split without validation rows, the val-only statements commented
/// out, the search section replaced by a comment.
fn refit_edits(source: &str, file: &File, e: &Experiment) -> Vec<Edit> {
    let mut out = Vec::new();
    if let Some(data) = sections(file, |k| matches!(k, SectionKind::Data)).next()
        && let Some(split) = command(data, &["split"])
        && let Some(text) = refit_split(&e.data.split)
    {
        let written = one_line(slice(source, split.span.start, split.span.end));
        out.push(Edit {
            range: split.span.start..split.span.end,
            text,
        });
        out.push(line_comment(
            source,
            split.span.end,
            &format!("refit: validation rows join training (file: {written})"),
        ));
    }
    if let (Some(spec), Some(train)) = (
        &e.train,
        sections(file, |k| matches!(k, SectionKind::Train)).next(),
    ) {
        let val_only = [
            ("eval", spec.eval.is_some_and(|v| v.split == SplitName::Val)),
            ("early_stop", spec.early_stop.is_some()),
            ("keep", spec.keep == Some(Keep::Best)),
        ];
        for (word, _) in val_only.iter().filter(|(_, goes)| *goes) {
            if let Some(c) = command(train, &[word]) {
                out.extend(comment_out(source, c, NO_VAL));
            }
        }
    }
    for search in sections(file, |k| matches!(k, SectionKind::Search(_))) {
        out.extend(search_removal(source, search));
    }
    out
}

/// The `split` statement of a refit, or `None` when the split has no validation rows (the
/// statement stays as written). The test share is written to parse back to the same `f64`
/// and train is `1 − test`, exactly the holdout split a `split kfold(k)` starts with: the
/// same rows are held out for testing.
fn refit_split(split: &SplitSpec) -> Option<String> {
    let (test, shuffle, stratify) = match split {
        SplitSpec::Holdout(h) if h.val > 0.0 => (h.test, h.shuffle, h.stratify),
        SplitSpec::Holdout(_) => return None,
        SplitSpec::KFold {
            test,
            shuffle,
            stratify,
            ..
        } => (*test, *shuffle, *stratify),
    };
    let mut text = if test > 0.0 {
        format!(
            "split train: {}, test: {}",
            number_text(1.0 - test),
            number_text(test)
        )
    } else {
        "split train: 1".to_string()
    };
    if !shuffle {
        text.push_str(", shuffle: false");
    }
    if stratify {
        text.push_str(", stratify: true");
    }
    Some(text)
}

/// The search section replaced by a one-line comment (a file's section always has its `}`
/// once it checks; one without is left alone).
fn search_removal(source: &str, search: &Section) -> Option<Edit> {
    let close = search.body.close?;
    let end = line_end(source, close.end);
    let rest = slice(source, close.end, end).trim_start();
    let mut text =
        "# search: removed (this file is the refit of the best trial, the final model)".to_string();
    if !rest.is_empty() && !rest.starts_with('#') {
        text.push('\n');
    }
    Some(Edit {
        range: search.header_span.start..close.end,
        text,
    })
}

/// The edits that take the statement `c` out: each of its lines commented out when it has
/// its lines to itself (`# eval val   # refit: …`), otherwise the statement and a `;` beside
/// it deleted, with the reason (and what was removed) at the end of the line.
fn comment_out(source: &str, c: &Command, reason: &str) -> Vec<Edit> {
    let (start, end) = (c.span.start, c.span.end);
    let before = slice(source, line_start(source, start), start);
    let after = slice(source, end, line_end(source, end)).trim_start();
    let after = after.strip_prefix(';').unwrap_or(after).trim_start();
    let alone = before.trim().is_empty() && (after.is_empty() || after.starts_with('#'));
    if alone {
        let mut out: Vec<Edit> = line_starts(source, start, end)
            .into_iter()
            .map(|at| Edit {
                range: at..at,
                text: "# ".to_string(),
            })
            .collect();
        out.push(line_comment(source, end, reason));
        return out;
    }
    let written = one_line(slice(source, start, end));
    vec![
        Edit {
            range: deletion(source, start, end),
            text: String::new(),
        },
        line_comment(source, end, &format!("{reason}: removed `{written}`")),
    ]
}

/// The bytes to delete to take out the statement at `start..end` that shares its line: with
/// the `;` after it (and the spaces up to the next statement), or else the `;` before it.
fn deletion(source: &str, start: usize, end: usize) -> std::ops::Range<usize> {
    let after = slice(source, end, source.len());
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    if after[gap..].starts_with(';') {
        let rest = &after[gap + 1..];
        let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        return start..end + gap + 1 + spaces;
    }
    let before = slice(source, 0, start).trim_end_matches([' ', '\t']);
    match before.strip_suffix(';') {
        Some(kept) => kept.len()..end,
        None => start..end,
    }
}

/// The first non-blank byte of every line that `start..end` touches (`start` for its first;
/// blank lines are skipped).
fn line_starts(source: &str, start: usize, end: usize) -> Vec<usize> {
    let span = slice(source, start, end).as_bytes();
    let mut out = vec![start];
    for (i, &b) in span.iter().enumerate() {
        let ends_line = b == b'\n' || (b == b'\r' && span.get(i + 1) != Some(&b'\n'));
        if !ends_line {
            continue;
        }
        let rest = slice(source, start + i + 1, end);
        let text = rest.trim_start_matches([' ', '\t']);
        if !text.is_empty() && !text.starts_with(['\n', '\r']) {
            out.push(end - text.len());
        }
    }
    out
}

/// A comment added at the end of the line holding byte `at`.
fn line_comment(source: &str, at: usize, comment: &str) -> Edit {
    let end = line_end(source, at);
    Edit {
        range: end..end,
        text: format!("   # {comment}"),
    }
}

/// Checks and lowers the refit file as `nnc run` would, at `path`.
fn verify(text: &str, path: &Path) -> Result<(), String> {
    let options = LoadOptions {
        purpose: Some(Purpose::Run),
        ..LoadOptions::default()
    };
    match ModelFile::from_text_with(path, text, &options) {
        Ok(_) => Ok(()),
        Err(ModelFileError::Check { diagnostics, .. }) => {
            let why = diagnostics
                .iter()
                .find(|d| d.severity == Severity::Error)
                .map_or_else(
                    || "it does not check".to_string(),
                    |d| match &d.primary {
                        Some(label) => {
                            let (line, _) = crate::span::line_col(text, label.span.start);
                            let written = slice(
                                text,
                                line_start(text, label.span.start),
                                line_end(text, label.span.start),
                            );
                            format!("{} (line {line}: `{}`)", d.message, written.trim())
                        }
                        None => d.message.clone(),
                    },
                );
            Err(format!("the refit model file cannot be made: {why}"))
        }
        Err(e) => Err(format!("the refit model file cannot be made: {e}")),
    }
}

/// The sections of `file` whose kind passes `keep`.
fn sections<'f>(
    file: &'f File,
    keep: impl Fn(&SectionKind) -> bool + 'f,
) -> impl Iterator<Item = &'f Section> + 'f {
    file.items.iter().filter_map(move |item| match item {
        Item::Section(s) if keep(&s.kind) => Some(s),
        _ => None,
    })
}

/// The first statement of `section` (outside `repeat`s) whose word is one of `words`.
fn command<'f>(section: &'f Section, words: &[&str]) -> Option<&'f Command> {
    section.body.stmts.iter().find_map(|stmt| match stmt {
        Stmt::Chain(chain) => chain
            .commands
            .first()
            .filter(|c| chain.commands.len() == 1 && words.contains(&c.name.name.as_str())),
        _ => None,
    })
}

/// `source[start..end]`, or "" when that is not a range of it.
fn slice(source: &str, start: usize, end: usize) -> &str {
    source.get(start..end).unwrap_or("")
}

/// `text` on one line: its runs of whitespace as one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The start of the line holding byte `at`.
fn line_start(source: &str, at: usize) -> usize {
    slice(source, 0, at)
        .rfind(['\n', '\r'])
        .map_or(0, |i| i + 1)
}

/// The end of the line holding byte `at` (before its `\n` or `\r\n`).
fn line_end(source: &str, at: usize) -> usize {
    let rest = slice(source, at, source.len());
    at + rest.find(['\n', '\r']).unwrap_or(rest.len())
}
