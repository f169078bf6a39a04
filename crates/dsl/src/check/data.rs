//! The `data` section: source, test set, split, preprocessing, seed; probing the data for
//! its shape (E406–E408, E110) and the preprocessing checks (W409, E410, E411, W412).

use super::args::{Bound, Form, bind};
use super::expect::{self, NON_NEGATIVE, POSITIVE, UNIT};
use super::section::{Once, eval_args, flatten, statement};
use crate::ast::Section;
use crate::catalogue;
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::Env;
use crate::ir::{DataSpec, FitOn, Source, SourceSpec, SplitSpec};
use crate::probe::{DataProbe, DataShape, ProbeError, generated_shape};
use crate::shapes::Width;
use crate::span::Span;
use crate::suggest;
use crate::value::{Val, ValKind};
use nnc_data::CsvOptions;
use std::path::{Path, PathBuf};

/// What the rest of the checker needs from the data section.
pub(crate) struct DataFacts {
    /// The probed shape (`None`: symbolic).
    pub shape: Option<DataShape>,
    /// The width the model receives after preprocessing.
    pub model_features: Width,
    /// The source expression.
    pub source_span: Span,
    /// The `classes:` argument of a generated source, when written.
    pub classes_span: Option<Span>,
}

/// Spans of a source's arguments, for probe diagnostics.
#[derive(Default)]
struct SourceArgs {
    files: Vec<(std::path::PathBuf, Span)>,
    label: Option<Span>,
    columns: Vec<(String, Span)>,
    classes: Option<Span>,
}

/// Checks the `data` section.
pub(crate) fn check(
    env: &mut Env<'_>,
    section: &Section,
    base_dir: &Path,
    text: &str,
    probe: &dyn DataProbe,
    uses: &mut super::train::SplitUses,
) -> Option<(DataSpec, DataFacts)> {
    let (commands, _) = flatten(env, &section.body, "data", false);
    let mut once = Once::default();
    let mut source: Option<(SourceSpec, SourceArgs)> = None;
    let mut test = None;
    let mut split = None;
    let mut preprocess = Vec::new();
    let mut fit = FitOn::Train;
    let mut seed = None;
    let mut split_span = None;
    let locals = Vec::new();
    for command in commands {
        let Some(signature) = statement(env, command, catalogue::DATA_STATEMENTS, "data") else {
            continue;
        };
        let args = eval_args(env, command, &locals);
        if !once.first(
            env,
            signature.name,
            &format!("`{}`", signature.name),
            command.span,
        ) {
            continue;
        }
        if signature.name == "preprocess" {
            (preprocess, fit) = super::preprocess::preprocess_steps(env, command.span, &args);
            continue;
        }
        let bound = bind(env, &command.name, &args, signature, Form::Statement);
        match signature.name {
            "source" => {
                source = bound
                    .get("source")
                    .and_then(|v| source_kind(env, v, base_dir, text))
            }
            "test" => {
                test = bound
                    .get("source")
                    .and_then(|v| source_kind(env, v, base_dir, text));
                uses.rejected_if("test", test.is_none());
            }
            "split" => {
                split = split_spec(env, &bound, command.span);
                split_span = Some(command.span);
                uses.rejected_if("split", split.is_none());
            }
            "seed" => {
                seed = bound
                    .get("seed")
                    .and_then(|v| expect::integer(env, v, "`seed`", 0))
            }
            _ => {}
        }
    }
    let Some((source, source_args)) = source else {
        if !once_saw(&section.body, "source") {
            env.report(
                Diagnostic::new(Code::E106, "the `data` section has no `source`")
                    .primary(section.header_span, "no source of examples")
                    .help("add e.g. `source spiral(points: 100, classes: 3)`"),
            );
        }
        return None;
    };
    let split = split.unwrap_or(SplitSpec::Holdout(nnc_data::SplitSpec::new(1.0, 0.0, 0.0)));
    let shape = probe_shape(env, &source, &source_args, base_dir, probe);
    if let Some((test, args)) = &test {
        probe_shape(env, test, args, base_dir, probe);
    }
    if let (Some(shape), Some(span)) = (&shape, split_span) {
        folds_fit_the_rows(env, &split, shape, span);
    }
    if let Some(shape) = &shape {
        more_than_one_class(env, shape, &source, &source_args);
    }
    let model_features = super::preprocess::preprocess_width(env, &preprocess, shape.as_ref());
    let facts = DataFacts {
        shape,
        model_features,
        source_span: source.span,
        classes_span: source_args.classes,
    };
    let spec = DataSpec {
        source,
        test: test.map(|(s, _)| s),
        split,
        preprocess: preprocess.into_iter().map(|(s, _)| s).collect(),
        fit,
        seed,
    };
    Some((spec, facts))
}

/// More folds than rows would only fail when the data is split, without a location (E202).
fn folds_fit_the_rows(env: &mut Env<'_>, split: &SplitSpec, shape: &DataShape, span: Span) {
    if let (SplitSpec::KFold { k, .. }, Some(rows)) = (split, shape.rows)
        && *k > rows
    {
        env.report(
            Diagnostic::new(
                Code::E202,
                format!("{k} folds of {rows} rows: every fold needs at least one row"),
            )
            .primary(span, "more folds than rows")
            .help(format!("use at most {rows} folds, e.g. `split kfold(5)`")),
        );
    }
}

/// One class: nothing to tell apart, the loss is 0 from the first step (E414).
fn more_than_one_class(
    env: &mut Env<'_>,
    shape: &DataShape,
    source: &SourceSpec,
    args: &SourceArgs,
) {
    if shape.classes != 1 {
        return;
    }
    let (span, label) = match (args.classes, args.label) {
        (Some(c), _) => (c, "one class"),
        (None, Some(l)) => (l, "every row has the same value here"),
        _ => (source.span, "every example has the same label"),
    };
    let rows = shape.rows.map_or(String::new(), |n| format!(" ({n} rows)"));
    env.report(
        Diagnostic::new(
            Code::E414,
            format!("the data has only one class{rows}: there is nothing to classify"),
        )
        .primary(span, label)
        .help("a classifier needs examples of at least two classes: check the label column, or the `classes:` of a generated source"),
    );
}

fn once_saw(body: &crate::ast::Body, word: &str) -> bool {
    body.stmts.iter().any(|s| match s {
        crate::ast::Stmt::Chain(c) => c.commands.iter().any(|c| c.name.name == word),
        _ => false,
    })
}

/// A `source` (or `test`) expression: the library's [`Source`] with paths resolved against
/// `base_dir`, and the spans of its arguments.
fn source_kind(
    env: &mut Env<'_>,
    v: &Val,
    base_dir: &Path,
    text: &str,
) -> Option<(SourceSpec, SourceArgs)> {
    let (signature, callee, args) = expect::callee(
        env,
        v,
        "`source`",
        catalogue::SOURCES,
        "data source",
        "sources",
    )?;
    let bound = bind(env, &callee, args, signature, Form::Call);
    let mut spans = SourceArgs {
        classes: bound.get("classes").map(|v| v.span),
        ..SourceArgs::default()
    };
    let kind = match signature.name {
        "csv" => csv_source(env, &bound, base_dir, text, &mut spans)?,
        "idx" => {
            let images = source_file(env, &bound, "images", base_dir, text, &mut spans);
            let labels = source_file(env, &bound, "labels", base_dir, text, &mut spans);
            Source::Idx {
                images: images?,
                labels: labels?,
            }
        }
        "cifar" => cifar_source(env, &bound, base_dir, text, &mut spans)?,
        name => generated_source(env, &bound, name)?,
    };
    Some((SourceSpec { kind, span: v.span }, spans))
}

/// `spiral`, `circles`, `blobs`, `xor` or `random`, with the language's defaults.
fn generated_source(env: &mut Env<'_>, bound: &Bound, name: &str) -> Option<Source> {
    let count = |env: &mut Env<'_>, name: &str, default: u64| -> Option<usize> {
        match bound.get(name) {
            Some(v) => expect::integer(env, v, &format!("`{name}`"), 1)
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            None if bound.given(name) => None,
            None => Some(default as usize),
        }
    };
    let points = count(env, "points", 100);
    let classes = count(env, "classes", 3);
    let features = count(env, "features", 2);
    let rows = count(env, "rows", 0);
    let real = |env: &mut Env<'_>, name: &str, default: f64, range| -> Option<f64> {
        match bound.get(name) {
            Some(v) => expect::ranged(env, v, &format!("`{name}`"), range),
            None if bound.given(name) => None,
            None => Some(default),
        }
    };
    let noise = real(env, "noise", 0.2, &NON_NEGATIVE);
    let std = real(env, "std", 1.0, &POSITIVE);
    let factor = real(env, "factor", 0.5, &expect::OPEN_UNIT);
    Some(match name {
        "spiral" => Source::Spiral {
            points: points?,
            classes: classes?,
            noise: noise?,
        },
        "circles" => Source::Circles {
            points: points?,
            noise: noise?,
            factor: factor?,
        },
        "blobs" => Source::Blobs {
            points: points?,
            classes: classes?,
            features: features?,
            std: std?,
        },
        "xor" => Source::Xor {
            points: points?,
            noise: noise?,
        },
        _ => Source::Random {
            rows: rows?,
            features: features?,
            classes: classes?,
        },
    })
}

/// The file argument `name`, resolved against `base_dir` (its span is kept for the probe's
/// errors).
fn source_file(
    env: &mut Env<'_>,
    bound: &Bound,
    name: &str,
    base_dir: &Path,
    text: &str,
    spans: &mut SourceArgs,
) -> Option<PathBuf> {
    let v = bound.get(name)?;
    let path = base_dir.join(expect::path(env, v, &format!("`{name}`"), text)?);
    spans.files.push((path.clone(), v.span));
    Some(path)
}

/// `csv(path, label:, header:, columns:)`.
fn csv_source(
    env: &mut Env<'_>,
    bound: &Bound,
    base_dir: &Path,
    text: &str,
    spans: &mut SourceArgs,
) -> Option<Source> {
    let path = source_file(env, bound, "path", base_dir, text, spans);
    let label = bound.get("label").and_then(|v| {
        spans.label = Some(v.span);
        expect::string(env, v, "`label`")
    });
    let header = match bound.get("header") {
        Some(v) => expect::boolean(env, v, "`header`")?,
        None => true,
    };
    let columns = bound
        .get("columns")
        .and_then(|v| column_list(env, v, spans));
    Some(Source::Csv {
        path: path?,
        options: CsvOptions {
            label,
            header,
            columns,
            ..CsvOptions::default()
        },
    })
}

/// `cifar(paths: [...])` (E205 for an empty list).
fn cifar_source(
    env: &mut Env<'_>,
    bound: &Bound,
    base_dir: &Path,
    text: &str,
    spans: &mut SourceArgs,
) -> Option<Source> {
    let v = bound.get("paths")?;
    let items: Vec<Val> = match &v.kind {
        ValKind::List(items) => items.clone(),
        _ => vec![v.clone()],
    };
    if items.is_empty() {
        env.report(
            Diagnostic::new(Code::E205, "`paths` of `cifar` is empty")
                .primary(v.span, "no batch file")
                .help("list the CIFAR-10 binary batches: `cifar(paths: [\"data_batch_1.bin\", \"data_batch_2.bin\"])`"),
        );
        return None;
    }
    let mut paths = Vec::new();
    for item in &items {
        let path = base_dir.join(expect::path(env, item, "a CIFAR batch path", text)?);
        spans.files.push((path.clone(), item.span));
        paths.push(path);
    }
    Some(Source::Cifar { paths })
}

fn column_list(env: &mut Env<'_>, v: &Val, spans: &mut SourceArgs) -> Option<Vec<String>> {
    let ValKind::List(items) = &v.kind else {
        expect::type_error(env, v, "`columns`", "a list of column names");
        return None;
    };
    let mut names = Vec::new();
    for item in items {
        let name = expect::string(env, item, "a column name")?;
        spans.columns.push((name.clone(), item.span));
        names.push(name);
    }
    Some(names)
}

fn split_spec(env: &mut Env<'_>, bound: &super::args::Bound, span: Span) -> Option<SplitSpec> {
    let flag = |env: &mut Env<'_>, name: &str, default: bool| match bound.get(name) {
        Some(v) => expect::boolean(env, v, &format!("`{name}`")).unwrap_or(default),
        None => default,
    };
    let shuffle = flag(env, "shuffle", true);
    let stratify = flag(env, "stratify", false);
    let part = |env: &mut Env<'_>, name: &str| -> Option<Option<f64>> {
        match bound.get(name) {
            Some(v) => expect::fraction(env, v, &format!("the `{name}` share"), &UNIT).map(Some),
            None if bound.given(name) => None,
            None => Some(None),
        }
    };
    let (train, val, test) = (part(env, "train")?, part(env, "val")?, part(env, "test")?);
    if let Some(kfold) = bound.get("kfold") {
        let (signature, callee, args) = expect::callee(
            env,
            kfold,
            "`split`",
            catalogue::VALIDATION,
            "split method",
            "splits",
        )?;
        let inner = bind(env, &callee, args, signature, Form::Call);
        let k = expect::integer(env, inner.get("k")?, "the number of folds", 2)?;
        if train.is_some() || val.is_some() {
            env.report(
                Diagnostic::new(Code::E202, "`split kfold(…)` takes only a `test:` share")
                    .primary(span, "train and validation rows come from the folds")
                    .help(format!("write `split kfold({k}), test: 20%`")),
            );
            return None;
        }
        return Some(SplitSpec::KFold {
            k,
            test: test.unwrap_or(0.0),
            shuffle,
            stratify,
        });
    }
    let (train, val, test) = match (train, val, test) {
        (None, None, None) => (1.0, 0.0, 0.0),
        (t, v, s) => (t.unwrap_or(0.0), v.unwrap_or(0.0), s.unwrap_or(0.0)),
    };
    let sum = train + val + test;
    if (sum - 1.0).abs() > 1e-9 {
        env.report(
            Diagnostic::new(
                Code::E202,
                format!(
                    "the split shares add up to {}%, not 100%",
                    crate::pretty::format_number((sum * 1e6).round() / 1e4)
                ),
            )
            .primary(span, "shares must cover every row once")
            .help("make `train`, `val` and `test` add up to 100%, e.g. `train: 80%, val: 10%, test: 10%`"),
        );
        return None;
    }
    if train <= 0.0 {
        env.report(
            Diagnostic::new(Code::E202, "the split leaves no training rows")
                .primary(span, "`train` is 0%"),
        );
        return None;
    }
    Some(SplitSpec::Holdout(nnc_data::SplitSpec {
        train,
        val,
        test,
        shuffle,
        stratify,
    }))
}

fn probe_shape(
    env: &mut Env<'_>,
    source: &SourceSpec,
    args: &SourceArgs,
    base_dir: &Path,
    probe: &dyn DataProbe,
) -> Option<DataShape> {
    if let Some(shape) = generated_shape(&source.kind) {
        return Some(shape);
    }
    let file_span = |path: &Path| -> Span {
        args.files
            .iter()
            .find(|(p, _)| p == path)
            .map_or(source.span, |(_, s)| *s)
    };
    match probe.probe(source, base_dir) {
        Ok(shape) => Some(shape),
        Err(ProbeError::Skipped) => None,
        Err(ProbeError::Unreadable { path, reason }) => {
            env.report(
                Diagnostic::new(Code::E406, format!("cannot read `{}`", path.display()))
                    .primary(file_span(&path), reason)
                    .maybe_help(file_beside(&path, base_dir))
                    .note(format!(
                        "relative paths are resolved from the directory of the model file (`{}`)",
                        // A model file in the current directory has an empty parent.
                        if base_dir.as_os_str().is_empty() {
                            Path::new(".")
                        } else {
                            base_dir
                        }
                        .display()
                    )),
            );
            None
        }
        Err(ProbeError::Idx { path, reason }) => {
            env.report(
                Diagnostic::new(Code::E407, format!("bad IDX file `{}`", path.display()))
                    .primary(file_span(&path), reason)
                    .help("IDX files start with magic 0x00000803 (images) or 0x00000801 (labels), and both files must hold the same number of items"),
            );
            None
        }
        Err(ProbeError::Csv {
            path,
            line,
            column,
            reason,
        }) => {
            let at = match column {
                Some(c) => format!("{}:{line}, column `{c}`", path.display()),
                None => format!("{}:{line}", path.display()),
            };
            env.report(
                Diagnostic::new(Code::E408, format!("malformed CSV at {at}"))
                    .primary(file_span(&path), reason)
                    .help("every row needs the same number of cells and numeric feature cells"),
            );
            None
        }
        Err(ProbeError::ColumnNotFound {
            path,
            column,
            available,
        }) => {
            let span = args
                .columns
                .iter()
                .find(|(c, _)| *c == column)
                .map(|(_, s)| *s)
                .or(args.label)
                .unwrap_or(source.span);
            let close = suggest::closest(&column, available.iter().map(String::as_str));
            // There is no `nnc list columns`: name the header's columns instead of pointing
            // there when there are too many to list in full.
            let help = match suggest::suggest(&column, available.iter().map(String::as_str)) {
                suggest::Suggestion::TooMany => Some(header_columns(&available)),
                _ => suggest::help_line(&column, available.iter().map(String::as_str), "columns"),
            };
            let file = path.file_name().map_or(path.display().to_string(), |f| {
                f.to_string_lossy().into_owned()
            });
            env.report(
                Diagnostic::new(Code::E110, format!("no column `{column}` in {file}"))
                    .primary(span, "not a column of the header")
                    .maybe_help(help)
                    .maybe_note(
                        close.map(|_| format!("the columns are: {}", available.join(", "))),
                    ),
            );
            None
        }
    }
}

/// A did-you-mean for a file that cannot be read (`path` is resolved from the model file's
/// directory `base_dir`), written as the source should write it: the path as written when it
/// names a file from the current directory instead of the model's, else the closest name among
/// the files of its directory, else what the directory holds when it has few files.
fn file_beside(path: &Path, base_dir: &Path) -> Option<String> {
    let written = path.strip_prefix(base_dir).unwrap_or(path);
    if !base_dir.as_os_str().is_empty() && written.is_relative() && written.is_file() {
        let fix = written.strip_prefix(base_dir).map_or_else(
            |_| std::path::absolute(written).unwrap_or(written.to_path_buf()),
            Path::to_path_buf,
        );
        return Some(format!(
            "`{}` is a file from the current directory, but paths are read from the model \
             file's: write `\"{}\"`",
            written.display(),
            fix.display()
        ));
    }
    let file = path.file_name()?.to_str()?;
    let dir = path.parent()?;
    let listing = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut names: Vec<String> = std::fs::read_dir(listing)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n != file && !n.starts_with('.'))
        .collect();
    names.sort();
    if names.is_empty() {
        return None;
    }
    match suggest::closest(file, names.iter().map(String::as_str)) {
        Some(close) => Some(format!(
            "did you mean `\"{}\"`? (a file beside it)",
            written.with_file_name(close).display()
        )),
        None if names.len() <= 5 => Some(format!(
            "the files in `{}` are: {}",
            listing.display(),
            names.join(", ")
        )),
        None => None,
    }
}

/// The columns of a CSV header for a help line: the first few, and how many more there are.
fn header_columns(available: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut text = format!(
        "the header's columns are: {}",
        available[..available.len().min(SHOWN)].join(", ")
    );
    if available.len() > SHOWN {
        text.push_str(&format!(" … and {} more", available.len() - SHOWN));
    }
    text
}

/// The `data.*` values for expressions, from the facts (symbolic where unknown).
pub(crate) fn data_values(spec: &DataSpec, facts: &DataFacts) -> Vec<(&'static str, ValKind)> {
    let known = |n: Option<u64>, name: &str| match n {
        Some(n) => ValKind::Num(n as f64),
        None => ValKind::Symbolic(format!("data.{name}")),
    };
    let rows = facts.shape.as_ref().and_then(|s| s.rows);
    let (train_share, val_share, test_share) = match spec.split {
        SplitSpec::Holdout(h) => (h.train, h.val, h.test),
        SplitSpec::KFold { k, test, .. } => {
            let rest = 1.0 - test;
            (rest * (k as f64 - 1.0) / k as f64, rest / k as f64, test)
        }
    };
    let part = |share: f64| rows.map(|r| (r as f64 * share).floor() as u64);
    vec![
        ("features", known(facts.model_features.known(), "features")),
        (
            "classes",
            known(facts.shape.as_ref().map(|s| s.classes), "classes"),
        ),
        ("rows", known(rows, "rows")),
        ("train.size", known(part(train_share), "train.size")),
        ("val.size", known(part(val_share), "val.size")),
        ("test.size", known(part(test_share), "test.size")),
    ]
}

/// Symbolic `data.*` values, used when there is no usable `data` section.
pub(crate) fn symbolic_values() -> Vec<(&'static str, ValKind)> {
    catalogue::DATA_VALUES
        .iter()
        .map(|n| (*n, ValKind::Symbolic(format!("data.{n}"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::file_beside;
    use std::path::Path;

    #[test]
    fn a_missing_file_gets_the_closest_file_beside_it() {
        let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
        // Written `data/wine.cvs` in a model file in models/: the fix as the file writes it.
        let help = file_beside(&models.join("data/wine.cvs"), &models).expect("a suggestion");
        assert!(
            help.starts_with("did you mean `\"data/wine.csv\"`?"),
            "{help}"
        );
        assert_eq!(
            file_beside(&models.join("no/such/dir/x.csv"), &models),
            None
        );
    }

    /// A path written from the current directory (tests run in the crate's directory, which
    /// holds `Cargo.toml`) instead of the model file's.
    #[test]
    fn a_path_from_the_current_directory_is_explained() {
        let base = Path::new("some/model/dir");
        let help = file_beside(&base.join("Cargo.toml"), base).expect("a suggestion");
        assert!(
            help.starts_with("`Cargo.toml` is a file from the current directory")
                && help.contains("Cargo.toml\"`"),
            "{help}"
        );
    }
}
