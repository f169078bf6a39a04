//! The checker: from a parsed file to a resolved [`Experiment`], collecting every
//! diagnostic on the way.
//!
//! Order: items and duplicates; `--set` overrides; the `data` section (so that `data.*` is
//! known), probing file sources; the `model` section (expansion, shapes, lints); `train`;
//! `search`; then every `let`/`param` (so errors in unused ones are reported too) and the
//! checks that span sections (E405, W311, I413).

mod args;
mod data;
mod expect;
mod items;
mod layers;
mod lints;
mod model;
mod preprocess;
mod search;
mod section;
mod strategy;
mod train;

pub use items::Override;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::eval::{DataState, Env, GlobalKind};
use crate::ir::*;
use crate::probe::DataProbe;
use crate::shapes::{self, ShapeTable, Width};
use crate::span::Span;
use crate::value::{Val, ValKind};
use std::path::Path;

/// What the file is checked for: some sections and notes depend on the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Purpose {
    /// `nnc check`: every section is checked; `train` is optional.
    #[default]
    Check,
    /// `nnc run`: needs `train`; a `search` section is noted as ignored (I413).
    Run,
    /// `nnc search`: needs `train`.
    Search,
    /// `nnc gradcheck`: `train` is optional.
    Gradcheck,
}

/// Options of [`check_with`].
#[derive(Clone, Copy)]
pub struct CheckOptions<'a> {
    /// `--set name=value` overrides.
    pub overrides: &'a [Override],
    /// Reads file-backed data sources (use [`crate::NoDataProbe`] for `--no-data`).
    pub probe: &'a dyn DataProbe,
    /// The command the file is checked for.
    pub purpose: Purpose,
}

/// A successfully checked file: the experiment and its warnings and notes.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The resolved experiment.
    pub experiment: Experiment,
    /// Warnings and notes (no errors).
    pub diagnostics: Diagnostics,
}

/// Checks `source` (the text of the model file at `path`) for `nnc check`.
pub fn check(
    source: &str,
    path: &Path,
    overrides: &[Override],
    probe: &dyn DataProbe,
) -> Result<Checked, Diagnostics> {
    check_with(
        source,
        path,
        &CheckOptions {
            overrides,
            probe,
            purpose: Purpose::Check,
        },
    )
}

/// Checks `source` with explicit options. Every problem found is in the error value.
pub fn check_with(
    source: &str,
    path: &Path,
    options: &CheckOptions<'_>,
) -> Result<Checked, Diagnostics> {
    let parsed = crate::parse::parse_recovering(source);
    let mut diags = parsed.diagnostics;
    let Some(file) = parsed.file else {
        return Err(diags);
    };
    let mut items = items::collect(&file, &mut diags);
    items::apply_overrides(&mut items, options.overrides, &mut diags);
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut env = Env::new(items.globals.clone());
    check_override_types(&mut env);
    let mut split_uses = train::SplitUses::default();

    let data = items.data.and_then(|section| {
        data::check(
            &mut env,
            section,
            &base_dir,
            source,
            options.probe,
            &mut split_uses,
        )
    });
    env.data = DataState::Known(match &data {
        Some((spec, facts)) => data::data_values(spec, facts),
        None => data::symbolic_values(),
    });
    if items.data.is_none() {
        env.report(missing_section("data", options.purpose));
    }

    let model = items.model.and_then(|section| {
        check_model(
            &mut env,
            section,
            &items.blocks,
            data.as_ref().map(|(_, f)| f),
        )
    });
    if items.model.is_none() {
        env.report(missing_section("model", options.purpose));
    }

    let train = items
        .train
        .and_then(|section| train::check(&mut env, section, &mut split_uses));
    if items.train.is_none() && matches!(options.purpose, Purpose::Run | Purpose::Search) {
        env.report(missing_section("train", options.purpose));
    }
    env.evaluate_all_globals();
    let search = items
        .search
        .and_then(|section| search::check(&mut env, section, &mut split_uses));
    if let Some(section) = items.search
        && options.purpose == Purpose::Run
    {
        env.report(search_ignored(section));
    }

    cross_checks(
        &mut env,
        data.as_ref().map(|(d, _)| d),
        model.as_ref(),
        train.as_ref(),
        search.as_ref(),
        &split_uses,
    );
    let params = param_values(&mut env, &items);
    diags.extend(std::mem::take(&mut env.diags));
    diags.sort_by_location();
    if diags.has_errors() {
        return Err(diags);
    }
    let (Some((data, facts)), Some((model, shapes))) = (data, model) else {
        return Err(diags);
    };
    if train.is_none() && items.train.is_some() {
        return Err(diags);
    }
    Ok(Checked {
        experiment: Experiment {
            name: experiment_name(&model, path),
            version: file.header.as_ref().map(|h| h.version.clone()),
            base_dir,
            params,
            data,
            data_shape: shape_info(&facts),
            model,
            shapes,
            train,
            search,
        },
        diagnostics: diags,
    })
}

/// I413: `nnc run` does not run the `search` section.
fn search_ignored(section: &crate::ast::Section) -> Diagnostic {
    Diagnostic::new(Code::I413, "the `search` section is ignored by `nnc run`")
        .primary(section.header_span, "not used by this command")
        .help("use `nnc search` to run the search")
}

/// The `model` section: expanded, linted, with default initializers and shapes (`None` when
/// it cannot be used).
fn check_model(
    env: &mut Env<'_>,
    section: &crate::ast::Section,
    blocks: &std::collections::HashMap<String, &crate::ast::BlockDef>,
    facts: Option<&data::DataFacts>,
) -> Option<(ModelSpec, ShapeTable)> {
    let errors_before = env.diags.error_count();
    let mut built = model::expand(env, &section.body, blocks);
    // A rejected layer is missing from `built`: the layers around it would look adjacent, so
    // the lints about neighbours wait until the model reads as written.
    let complete = env.diags.error_count() == errors_before;
    if !lints::structure(env, &built, section.header_span) {
        return None;
    }
    lints::default_inits(&mut built);
    if complete {
        lints::lints(env, &built);
    }
    let input = facts
        .map(|f| f.model_features.clone())
        .or_else(|| built.input.map(|(w, _)| Width::Known(w)))
        .unwrap_or(Width::Symbolic("data.features".into()));
    let (loss, loss_span) = built.loss?;
    let spec = ModelSpec {
        name: match &section.kind {
            crate::ast::SectionKind::Model(Some(name)) => Some(name.name.clone()),
            _ => None,
        },
        input: built.input.map(|(w, _)| w),
        layers: built.layers.iter().map(|l| l.layer.clone()).collect(),
        loss,
        loss_span,
    };
    let table = shapes::infer(&spec, input);
    lints::shapes(env, &built, facts, &table);
    Some((spec, table))
}

/// The experiment's name: the model's, else the file's stem.
fn experiment_name(model: &ModelSpec, path: &Path) -> String {
    model.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into())
    })
}

/// What the probe reported about the data.
fn shape_info(facts: &data::DataFacts) -> DataShapeInfo {
    DataShapeInfo {
        features: facts.shape.as_ref().map(|s| s.features),
        model_features: facts.model_features.known(),
        classes: facts.shape.as_ref().map(|s| s.classes),
        rows: facts.shape.as_ref().and_then(|s| s.rows),
    }
}

fn missing_section(name: &str, purpose: Purpose) -> Diagnostic {
    let command = match purpose {
        Purpose::Check => "nnc check",
        Purpose::Run => "nnc run",
        Purpose::Search => "nnc search",
        Purpose::Gradcheck => "nnc gradcheck",
    };
    let (code, why, example) = match name {
        "data" => (
            Code::E401,
            "needs data to train on",
            "data {\n  source spiral(points: 100, classes: 3)\n  split train: 80%, val: 20%\n}",
        ),
        "model" => (
            Code::E402,
            "needs a network to build",
            "model {\n  dense 100 -> relu\n  dense data.classes\n  loss softmax\n}",
        ),
        _ => (
            Code::E403,
            "needs to know how to train",
            "train {\n  optimizer sgd(lr: 0.1, momentum: 0.9)\n  batch 64\n  epochs 10\n}",
        ),
    };
    Diagnostic::new(code, format!("the file has no `{name}` section"))
        .note(format!("`{command}` {why}"))
        .help(format!("add e.g.\n{example}"))
}

fn cross_checks(
    env: &mut Env<'_>,
    data: Option<&DataSpec>,
    model: Option<&(ModelSpec, ShapeTable)>,
    train: Option<&TrainSpec>,
    search: Option<&SearchSpec>,
    uses: &train::SplitUses,
) {
    if let Some(data) = data {
        // A `validate` line gives the search's metric folds even when it (or another line of
        // the section) was rejected.
        let search_folds = uses.search_validates || search.is_some_and(|s| s.validate.is_some());
        let split_unknown = uses.was_rejected("split");
        for (split, span, what) in &uses.uses {
            let exists = split_unknown
                || match split {
                    SplitName::Train => true,
                    SplitName::Val => {
                        data.split.has_val() || (search_folds && what.starts_with("`metric"))
                    }
                    SplitName::Test => {
                        data.split.test_fraction() > 0.0
                            || data.test.is_some()
                            || uses.was_rejected("test")
                    }
                };
            if !exists {
                let name = match split {
                    SplitName::Val => "val",
                    SplitName::Test => "test",
                    SplitName::Train => "train",
                };
                let help = match split {
                    SplitName::Val => {
                        "add a validation share, e.g. `split train: 80%, val: 20%`, or use `split kfold(5)`"
                    }
                    _ => {
                        "add a test share, e.g. `split train: 80%, val: 10%, test: 10%`, or a `test` source"
                    }
                };
                env.report(
                    Diagnostic::new(
                        Code::E405,
                        format!("{what} refers to the `{name}` split, which does not exist"),
                    )
                    .primary(*span, format!("no `{name}` split"))
                    .help(help),
                );
            }
        }
    }
    if let (Some((model, _)), Some(train)) = (model, train)
        && train.batch == BatchSize::Rows(1)
        && let Some(bn) = model
            .layers
            .iter()
            .find(|l| matches!(l.spec, LayerSpec::BatchNorm { .. }))
    {
        env.report(
            Diagnostic::new(Code::W311, "`batchnorm` with `batch 1`")
                .primary(bn.span, "batch statistics of one example are undefined")
                .help("use a batch of at least 16, or remove `batchnorm`"),
        );
    }
}

/// Each `--set` value must have the type of the param's default (E201); a mismatched
/// override is reported once and the default is used for the rest of the check.
fn check_override_types(env: &mut Env<'_>) {
    let mut names: Vec<String> = env
        .globals
        .iter()
        .filter(|(_, g)| g.overridden)
        .map(|(n, _)| n.clone())
        .collect();
    names.sort();
    for name in names {
        let global = env.globals[&name].clone();
        let before = env.diags.len();
        let default = env.eval(&global.binding.value, &Vec::new());
        let value = env.eval(&global.value, &Vec::new());
        env.diags.truncate(before);
        let (Some(expected), Some(found)) = (default.type_class(), value.type_class()) else {
            continue;
        };
        if expected == found {
            continue;
        }
        env.report(
            Diagnostic::new(
                Code::E201,
                format!(
                    "`--set {name}`: `{name}` is {expected}, found {}",
                    value.describe()
                ),
            )
            .primary(global.value.span, format!("expected {expected}"))
            .secondary(global.binding.value.span, "the default value")
            .help(format!(
                "give `{name}` {expected}, like its default `{}`",
                default.to_source()
            )),
        );
        if let Some(g) = env.globals.get_mut(&name) {
            g.value = g.binding.value.clone();
            g.overridden = false;
        }
    }
}

fn param_values(env: &mut Env<'_>, items: &items::Items<'_>) -> Vec<ParamValue> {
    let mut out = Vec::new();
    for name in &items.declaration_order {
        let Some(global) = items.globals.get(name) else {
            continue;
        };
        if global.kind != GlobalKind::Param {
            continue;
        }
        let binding = global.binding;
        let span = binding.name.span;
        let Some(value) = env.global(name, span) else {
            continue;
        };
        let Some(literal) = literal(&value) else {
            continue;
        };
        out.push(ParamValue {
            name: name.clone(),
            value: literal,
            default_source: crate::pretty::expr(&binding.value),
            overridden: global.overridden,
            integer: env.integer_uses.contains_key(name),
            span: binding.span,
        });
    }
    out
}

/// A value as a constant literal (`None` for ranges, poisoned and symbolic values).
pub(crate) fn literal(v: &Val) -> Option<Literal> {
    Some(match &v.kind {
        ValKind::Num(n) => Literal::Number(*n),
        ValKind::Bool(b) => Literal::Bool(*b),
        ValKind::Str(s) => Literal::Str(s.clone()),
        ValKind::Name { name, .. } => Literal::Name(name.clone()),
        ValKind::Call { .. } => Literal::Call(v.to_source()),
        ValKind::Percent(p) => Literal::Percent(*p),
        ValKind::Quantity { value, unit } => Literal::Quantity(match unit {
            TimeUnit::Epochs => Interval::Epochs(*value),
            TimeUnit::Steps => Interval::Steps(value.max(0.0) as u64),
        }),
        ValKind::List(items) => {
            let mut out = Vec::new();
            for item in items {
                out.push(literal(item)?);
            }
            Literal::List(out)
        }
        ValKind::Range { .. } | ValKind::Symbolic(_) | ValKind::Poison => {
            let _ = Span::default();
            return None;
        }
    })
}
