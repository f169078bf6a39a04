//! Binding arguments to a callee's signature: E103 (unknown keyword), E106 (missing
//! required), E107 (given twice, positional after keyword, too many positional).

use crate::ast::Ident;
use crate::catalogue::{self, Signature};
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::Env;
use crate::span::Span;
use crate::suggest;
use crate::value::{Val, ValArg};

/// Arguments bound to names.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    values: Vec<(String, Val)>,
}

/// One formal of a callee (catalogue signatures and block formals alike).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Formal<'s> {
    pub name: &'s str,
    pub required: bool,
    pub positional: bool,
}

impl Bound {
    /// The value of argument `name`, if given (and not poisoned).
    pub fn get(&self, name: &str) -> Option<&Val> {
        self.values
            .iter()
            .find(|(n, v)| *n == name && !v.is_poison())
            .map(|(_, v)| v)
    }

    /// Whether argument `name` was written at all (even if invalid).
    pub fn given(&self, name: &str) -> bool {
        self.values.iter().any(|(n, _)| *n == name)
    }
}

/// How the callee was written, for help lines: `dense 128` or `sgd(lr: 0.1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    Statement,
    Call,
}

/// Binds `args` to `signature`, reporting every problem.
pub(crate) fn bind(
    env: &mut Env<'_>,
    callee: &Ident,
    args: &[ValArg],
    signature: &Signature,
    form: Form,
) -> Bound {
    let formals: Vec<Formal<'_>> = signature
        .args
        .iter()
        .map(|a| Formal {
            name: a.name,
            required: a.required,
            positional: a.positional,
        })
        .collect();
    bind_formals(env, callee, args, &formals, form)
}

/// Binds `args` to `formals`, reporting every problem.
pub(crate) fn bind_formals(
    env: &mut Env<'_>,
    callee: &Ident,
    args: &[ValArg],
    formals: &[Formal<'_>],
    form: Form,
) -> Bound {
    let arg_list = formals
        .iter()
        .map(|f| f.name)
        .collect::<Vec<_>>()
        .join(", ");
    let mut values: Vec<(String, Val)> = Vec::new();
    let mut first_span: Vec<(&str, Span)> = Vec::new();
    let mut next_positional = 0;
    let mut keyword_seen: Option<Span> = None;
    let positional: Vec<&str> = formals
        .iter()
        .filter(|a| a.positional)
        .map(|a| a.name)
        .collect();
    for arg in args {
        let name = match &arg.name {
            None => {
                if let Some(kw_span) = keyword_seen {
                    env.report(
                        Diagnostic::new(Code::E107, "positional argument after a keyword argument")
                            .primary(arg.span, "positional argument")
                            .secondary(kw_span, "keyword argument before it")
                            .help("put positional arguments first, or name this one"),
                    );
                    continue;
                }
                // Skip positional slots already filled by keyword (cannot happen before any
                // keyword, but keeps the logic total).
                while next_positional < positional.len()
                    && values
                        .iter()
                        .any(|(n, _)| *n == positional[next_positional])
                {
                    next_positional += 1;
                }
                let Some(&name) = positional.get(next_positional) else {
                    let takes = match positional.len() {
                        0 => "no positional argument".to_string(),
                        1 => format!("1 positional argument ({})", positional[0]),
                        n => format!("{n} positional arguments ({})", positional.join(", ")),
                    };
                    env.report(
                        Diagnostic::new(
                            Code::E107,
                            format!("too many positional arguments for `{}`", callee.name),
                        )
                        .primary(arg.span, "extra argument")
                        .note(format!("`{}` takes {takes}", callee.name))
                        .maybe_help(
                            (!formals.is_empty())
                                .then(|| format!("`{}` takes: {arg_list}", callee.name)),
                        ),
                    );
                    continue;
                };
                next_positional += 1;
                name
            }
            Some(keyword) => {
                keyword_seen.get_or_insert(arg.span);
                let Some(spec) = formals.iter().find(|a| a.name == keyword.name) else {
                    unknown_keyword(env, callee, keyword, formals);
                    continue;
                };
                spec.name
            }
        };
        if let Some((_, first)) = first_span.iter().find(|(n, _)| *n == name) {
            env.report(
                Diagnostic::new(
                    Code::E107,
                    format!("argument `{name}` of `{}` given twice", callee.name),
                )
                .primary(arg.span, "given again here")
                .secondary(*first, "first given here")
                .help("remove one of them"),
            );
            continue;
        }
        first_span.push((name, arg.span));
        values.push((name.to_string(), arg.value.clone()));
    }
    for spec in formals.iter().filter(|a| a.required) {
        if !values.iter().any(|(n, _)| *n == spec.name) {
            missing(env, callee, spec.name, form);
        }
    }
    Bound { values }
}

fn unknown_keyword(env: &mut Env<'_>, callee: &Ident, keyword: &Ident, formals: &[Formal<'_>]) {
    let mut diagnostic = Diagnostic::new(
        Code::E103,
        format!("`{}` has no argument `{}`", callee.name, keyword.name),
    )
    .primary(keyword.span, "unknown argument");
    let is_layer = crate::catalogue::find(crate::catalogue::LAYERS, &callee.name).is_some();
    if is_layer && matches!(keyword.name.as_str(), "activation" | "act") {
        // Keras' `Dense(64, activation="relu")`: here an activation is a layer of its own.
        diagnostic = diagnostic.help(format!(
            "an activation is a layer of its own: write it after `->`, e.g. `{} 64 -> relu`",
            callee.name
        ));
    } else if formals.is_empty() {
        diagnostic = diagnostic.note(format!("`{}` takes no arguments", callee.name));
    }
    if !formals.is_empty() {
        if let Some(name) = suggest::closest(&keyword.name, formals.iter().map(|a| a.name))
            .filter(|_| !is_layer || !matches!(keyword.name.as_str(), "activation" | "act"))
        {
            diagnostic = diagnostic.help(format!("did you mean `{name}`?"));
        }
        let list = formals
            .iter()
            .map(|f| f.name)
            .collect::<Vec<_>>()
            .join(", ");
        diagnostic = diagnostic.note(format!("`{}` takes: {list}", callee.name));
    }
    env.report(diagnostic);
}

/// Reports E106 for a required argument that is missing.
pub(crate) fn missing(env: &mut Env<'_>, callee: &Ident, arg: &str, form: Form) {
    let example = example_value(arg);
    let (message, help) = match (callee.name.as_str(), arg) {
        ("dense" | "maxout", "width") => (
            format!("`{}` needs a width", callee.name),
            format!("write e.g. `{} 128`", callee.name),
        ),
        ("keep", _) => (
            "`keep` needs `best` or `last`".to_string(),
            "write `keep best` (the best validation evaluation's weights) or `keep last`"
                .to_string(),
        ),
        ("halving", _) => (
            format!(
                "`halving` needs `{arg}`, the epochs of its {} rung",
                if arg == "min" { "first" } else { "last" }
            ),
            "write e.g. `search halving(min: 1 epoch, max: 27 epochs)`".to_string(),
        ),
        ("refit", _) => (
            "`refit` needs `true` or `false`".to_string(),
            "write `refit true` (train the winner again on all training rows) or `refit false`"
                .to_string(),
        ),
        _ => (
            format!("`{}` needs `{arg}`", callee.name),
            match form {
                // A statement's first argument is written bare: `regularize l2(1e-4)`.
                Form::Statement if is_first_positional(&callee.name, arg) => {
                    format!("write e.g. `{} {example}`", callee.name)
                }
                Form::Statement => format!("write e.g. `{} {arg}: {example}`", callee.name),
                Form::Call => format!("write e.g. `{}({arg}: {example})`", callee.name),
            },
        ),
    };
    env.report(
        Diagnostic::new(Code::E106, message)
            .primary(callee.span, format!("`{arg}` is missing"))
            .help(help),
    );
}

/// Whether `arg` is the first, positional argument of statement `statement`.
fn is_first_positional(statement: &str, arg: &str) -> bool {
    [
        catalogue::MODEL_STATEMENTS,
        catalogue::DATA_STATEMENTS,
        catalogue::TRAIN_STATEMENTS,
        catalogue::SEARCH_STATEMENTS,
    ]
    .iter()
    .filter_map(|t| catalogue::find(t, statement))
    .any(|s| {
        s.args
            .first()
            .is_some_and(|a| a.name == arg && a.positional)
    })
}

fn example_value(arg: &str) -> &'static str {
    match arg {
        "optimizer" => "sgd(lr: 0.01, momentum: 0.9)",
        "schedule" => "step(every: 5 epochs)",
        "regularizer" => "l2(1e-4)",
        "constraint" => "maxnorm(3)",
        "source" => "spiral(points: 100, classes: 3)",
        "loss" => "softmax",
        "split" => "val",
        "metric" => "val.accuracy",
        "method" => "kfold(5)",
        "width" => "128",
        "size" => "64",
        "count" => "10",
        "norm" => "5.0",
        "enabled" => "true",
        "name" => "coarse",
        "lr" => "0.01",
        "rate" | "p" => "0.5",
        "every" | "period" => "5 epochs",
        "k" => "0.1",
        "lambda" | "l1" | "l2" => "1e-4",
        "c" => "3.0",
        "pieces" => "2",
        "at" => "[10 epochs, 20 epochs]",
        "path" | "images" | "labels" => "\"data/file\"",
        "paths" => "[\"data/batch_1.bin\"]",
        "lo" => "0",
        "hi" => "1",
        "seed" => "0",
        _ => "…",
    }
}
