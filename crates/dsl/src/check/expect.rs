//! Typed access to evaluated values: each accessor reports a wrong type (E201), a value out
//! of range (E202), a missing unit (E203), a bare word where a path belongs (E205) or an
//! unknown name (E104/E102), and returns `None` after reporting.

use crate::ast::{Ident, TimeUnit};
use crate::catalogue::{self, Signature};
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::Env;
use crate::ir::Interval;
use crate::pretty::format_number;
use crate::shapes::Width;
use crate::suggest;
use crate::value::{Val, ValArg, ValKind};

/// Reports that `v` is not what `what` expects. Unknown names become E104; poisoned and
/// symbolic values are not reported again.
pub(crate) fn type_error(env: &mut Env<'_>, v: &Val, what: &str, expected: &str) {
    match &v.kind {
        ValKind::Poison | ValKind::Symbolic(_) => {}
        ValKind::Name { name, .. } if !catalogue::is_known_word(name) => env.unknown_name(v),
        ValKind::Str(s) if expected == "a number" && s.trim().parse::<f64>().is_ok() => env.report(
            Diagnostic::new(
                Code::E201,
                format!("{what} must be {expected}, found {}", v.describe()),
            )
            .primary(v.span, format!("expected {expected}"))
            .help(format!("remove the quotes: `{}`", s.trim())),
        ),
        _ => env.report(
            Diagnostic::new(
                Code::E201,
                format!("{what} must be {expected}, found {}", v.describe()),
            )
            .primary(v.span, format!("expected {expected}")),
        ),
    }
}

/// A plain number.
pub(crate) fn number(env: &mut Env<'_>, v: &Val, what: &str) -> Option<f64> {
    match v.kind {
        ValKind::Num(n) => Some(n),
        _ => {
            type_error(env, v, what, "a number");
            None
        }
    }
}

fn out_of_range(env: &mut Env<'_>, v: &Val, what: &str, range: &str, help: Option<String>) {
    let help = help.unwrap_or_else(|| match range.strip_prefix("in ") {
        _ if range.starts_with("a ") || range.starts_with("an ") => format!("use {range}"),
        Some(interval) => format!("use a value in {interval}"),
        None => format!("use a value {range}"),
    });
    let diagnostic = Diagnostic::new(
        Code::E202,
        format!("{what} must be {range}, found {}", v.to_source()),
    )
    .primary(v.span, format!("not {range}"))
    .help(help);
    env.report(with_origin(env, v, diagnostic));
}

/// `n` for a message: whole numbers in full, others to 6 decimals without trailing zeros
/// (`33.333333`, not `33.333333333333336`).
fn short_number(n: f64) -> String {
    if n.fract() == 0.0 {
        return format_number(n);
    }
    let s = format!("{n:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "0" || s == "-0" {
        format!("{n:e}")
    } else {
        s.to_string()
    }
}

/// An integer of at least `min` (a width, a count, a seed). Records the integer use.
pub(crate) fn integer(env: &mut Env<'_>, v: &Val, what: &str, min: u64) -> Option<u64> {
    env.mark_integer_use(v, what);
    let n = number(env, v, what)?;
    let expected = if min == 0 {
        "a non-negative integer"
    } else if min == 1 {
        "a positive integer"
    } else {
        "an integer"
    };
    if n.fract() != 0.0 {
        if let Some(diagnostic) = overridden_non_integer(env, v, what) {
            env.report(diagnostic);
            return None;
        }
        let diagnostic = Diagnostic::new(
            Code::E201,
            format!("{what} must be {expected}, found {}", short_number(n)),
        )
        .primary(v.span, "not an integer")
        .help(if v.inexact_division {
            "`/` divides exactly (3 / 2 is 1.5); for integer division write `//`, which rounds down (3 // 2 is 1)".to_string()
        } else {
            format!(
                "write a whole number such as `{}`",
                format_number(n.round().max(min as f64))
            )
        });
        env.report(with_origin(env, v, diagnostic));
        return None;
    }
    if n < min as f64 || n > 1e15 {
        let range = if n > 1e15 {
            "at most 1e15".to_string()
        } else if min <= 1 {
            expected.to_string()
        } else {
            format!("at least {min}")
        };
        out_of_range(env, v, what, &range, None);
        return None;
    }
    Some(n as u64)
}

/// E201 at the `--set` for a value that is no integer because an overridden param it is
/// computed from is none: the override is the cause, reported once (at the override, whose
/// span dedups the other uses) rather than at every use.
fn overridden_non_integer(env: &Env<'_>, v: &Val, what: &str) -> Option<Diagnostic> {
    let (name, global) = v.params.iter().find_map(|p| {
        let g = env.globals.get(p)?;
        let non_integer =
            matches!(g.value.kind, crate::ast::ExprKind::Number(x) if x.fract() != 0.0);
        (g.overridden && non_integer).then_some((p, g))
    })?;
    let crate::ast::ExprKind::Number(x) = global.value.kind else {
        return None;
    };
    let mut diagnostic = Diagnostic::new(
        Code::E201,
        format!(
            "`--set {name}={}`: `{name}` is used as an integer, found {}",
            format_number(x),
            format_number(x)
        ),
    )
    .primary(global.value.span, "not an integer")
    .help(format!(
        "give `{name}` a whole number, e.g. `--set {name}={}`",
        format_number(x.round().max(1.0))
    ));
    if v.span.source.override_index().is_none() {
        diagnostic = diagnostic.secondary(v.span, format!("used as {what} here"));
    }
    Some(diagnostic)
}

/// A whole, positive count of `unit` where the position fixes the unit (`epochs N`, `steps N`,
/// a stage's `epochs:`): written bare (`10`) or with that unit (`10 epochs`). The other unit
/// is E203, with `other_unit_help` (given the count) as the fix.
pub(crate) fn count_of(
    env: &mut Env<'_>,
    v: &Val,
    what: &str,
    unit: TimeUnit,
    other_unit_help: &dyn Fn(&str) -> String,
) -> Option<u64> {
    match &v.kind {
        ValKind::Quantity { value, unit: u } if *u == unit => {
            let bare = Val {
                kind: ValKind::Num(*value),
                ..v.clone()
            };
            integer(env, &bare, what, 1)
        }
        ValKind::Quantity { value, unit: u } => {
            let diagnostic = Diagnostic::new(
                Code::E203,
                format!("{what} counts {}, found {}", unit.word(), v.describe()),
            )
            .primary(v.span, format!("{}, not {}", u.word(), unit.word()))
            .help(other_unit_help(&format_number(*value)));
            env.report(with_origin(env, v, diagnostic));
            None
        }
        _ => integer(env, v, what, 1),
    }
}

/// A layer width: a positive integer or a symbolic data value.
pub(crate) fn width(env: &mut Env<'_>, v: &Val, what: &str) -> Option<Width> {
    match &v.kind {
        ValKind::Symbolic(text) => Some(Width::Symbolic(text.clone())),
        _ => integer(env, v, what, 1).map(Width::Known),
    }
}

/// A number in a range; `lo`/`hi` inclusive per flag. Percentages are accepted when
/// `percent_ok` and converted to fractions.
pub(crate) struct Range {
    pub lo: f64,
    pub hi: f64,
    pub lo_inclusive: bool,
    pub hi_inclusive: bool,
}

impl Range {
    fn contains(&self, x: f64) -> bool {
        let above = if self.lo_inclusive {
            x >= self.lo
        } else {
            x > self.lo
        };
        let below = if self.hi_inclusive {
            x <= self.hi
        } else {
            x < self.hi
        };
        above && below
    }

    fn describe(&self) -> String {
        let lo = format_number(self.lo);
        let hi = format_number(self.hi);
        match (self.hi.is_infinite(), self.lo_inclusive, self.hi_inclusive) {
            (true, true, _) => format!("≥ {lo}"),
            (true, false, _) => format!("> {lo}"),
            (false, l, h) => format!(
                "in {}{lo}, {hi}{}",
                if l { "[" } else { "(" },
                if h { "]" } else { ")" }
            ),
        }
    }
}

/// `[0, ∞)`.
pub(crate) const NON_NEGATIVE: Range = Range {
    lo: 0.0,
    hi: f64::INFINITY,
    lo_inclusive: true,
    hi_inclusive: false,
};

/// `(0, ∞)`.
pub(crate) const POSITIVE: Range = Range {
    lo: 0.0,
    hi: f64::INFINITY,
    lo_inclusive: false,
    hi_inclusive: false,
};

/// `[0, 1)`.
pub(crate) const PROBABILITY: Range = Range {
    lo: 0.0,
    hi: 1.0,
    lo_inclusive: true,
    hi_inclusive: false,
};

/// `(0, 1)`.
pub(crate) const OPEN_UNIT: Range = Range {
    lo: 0.0,
    hi: 1.0,
    lo_inclusive: false,
    hi_inclusive: false,
};

/// `[0, 1]`.
pub(crate) const UNIT: Range = Range {
    lo: 0.0,
    hi: 1.0,
    lo_inclusive: true,
    hi_inclusive: true,
};

/// A number within `range`.
pub(crate) fn ranged(env: &mut Env<'_>, v: &Val, what: &str, range: &Range) -> Option<f64> {
    let n = number(env, v, what)?;
    if range.contains(n) {
        Some(n)
    } else {
        out_of_range(env, v, what, &range.describe(), None);
        None
    }
}

/// A fraction in `range` written as a number or a percentage (`0.2` or `20%`).
pub(crate) fn fraction(env: &mut Env<'_>, v: &Val, what: &str, range: &Range) -> Option<f64> {
    let (n, written) = match v.kind {
        ValKind::Percent(p) => (p / 100.0, format!("{}%", format_number(p))),
        ValKind::Num(n) => (n, format_number(n)),
        _ => {
            type_error(env, v, what, "a fraction or a percentage");
            return None;
        }
    };
    if range.contains(n) {
        return Some(n);
    }
    let help = match v.kind {
        ValKind::Num(x) if x > 1.0 && x <= 100.0 && range.contains(x / 100.0) => Some(format!(
            "did you mean `{}` (or `{}%`)?",
            format_number(x / 100.0),
            format_number(x)
        )),
        _ => None,
    };
    let diagnostic = Diagnostic::new(
        Code::E202,
        format!("{what} must be {}, found {written}", range.describe()),
    )
    .primary(v.span, "out of range")
    .maybe_help(help);
    env.report(with_origin(env, v, diagnostic));
    None
}

/// `true` or `false`.
pub(crate) fn boolean(env: &mut Env<'_>, v: &Val, what: &str) -> Option<bool> {
    match v.kind {
        ValKind::Bool(b) => Some(b),
        _ => {
            type_error(env, v, what, "`true` or `false`");
            None
        }
    }
}

/// A string (a CSV column name).
pub(crate) fn string(env: &mut Env<'_>, v: &Val, what: &str) -> Option<String> {
    match &v.kind {
        ValKind::Str(s) => Some(s.clone()),
        ValKind::Name { name, .. } => {
            env.report(
                Diagnostic::new(
                    Code::E201,
                    format!("{what} must be a string, found `{name}`"),
                )
                .primary(v.span, "not a string")
                .help(format!("put it in quotes: `\"{name}\"`")),
            );
            None
        }
        _ => {
            type_error(env, v, what, "a string");
            None
        }
    }
}

/// A file path (a string; anything else is E205).
pub(crate) fn path(env: &mut Env<'_>, v: &Val, what: &str, source_text: &str) -> Option<String> {
    match &v.kind {
        ValKind::Str(s) if !s.is_empty() => Some(s.clone()),
        ValKind::Poison => None,
        ValKind::Name { name, .. } if name.contains('/') => {
            env.unknown_name(v);
            None
        }
        ValKind::Str(_) => {
            env.report(
                Diagnostic::new(Code::E205, format!("{what} is empty"))
                    .primary(v.span, "empty path"),
            );
            None
        }
        _ => {
            let written = match v.span.source.override_index() {
                None => source_text.get(v.span.start..v.span.end).unwrap_or(""),
                Some(_) => "",
            };
            let written = if written.is_empty() {
                v.to_source()
            } else {
                written.to_string()
            };
            env.report(
                Diagnostic::new(
                    Code::E205,
                    format!("{what} must be a path in quotes, found {}", v.describe()),
                )
                .primary(v.span, "expected a quoted path")
                .help(format!("put the path in quotes: `\"{written}\"`")),
            );
            None
        }
    }
}

/// An amount of time with its unit; `steps` must be whole.
pub(crate) fn interval(env: &mut Env<'_>, v: &Val, what: &str) -> Option<Interval> {
    match v.kind {
        ValKind::Quantity { value, unit } => {
            if value <= 0.0 {
                out_of_range(env, v, what, "positive", None);
                return None;
            }
            match unit {
                TimeUnit::Epochs => Some(Interval::Epochs(value)),
                TimeUnit::Steps if value.fract() != 0.0 => {
                    env.report(
                        Diagnostic::new(
                            Code::E203,
                            format!(
                                "{what} counts whole steps, found {} steps",
                                format_number(value)
                            ),
                        )
                        .primary(v.span, "fractional steps")
                        .help("round it, or use `epochs` for fractions of a pass"),
                    );
                    None
                }
                TimeUnit::Steps => Some(Interval::Steps(value as u64)),
            }
        }
        ValKind::Num(n) => {
            env.report(
                Diagnostic::new(Code::E203, format!("{what} needs a unit"))
                    .primary(v.span, "epochs or steps?")
                    .help(format!(
                        "write `{0} epochs` or `{0} steps`",
                        format_number(n)
                    )),
            );
            None
        }
        _ => {
            type_error(env, v, what, "an amount such as `5 epochs` or `100 steps`");
            None
        }
    }
}

/// A catalogue entry written as a name (`xavier`) or a call (`small(0.01)`), looked up in
/// `table`; `kind` names the table in messages (`initializer`), `plural` in `nnc list`.
pub(crate) fn callee<'v>(
    env: &mut Env<'_>,
    v: &'v Val,
    what: &str,
    table: &'static [Signature],
    kind: &str,
    plural: &str,
) -> Option<(&'static Signature, Ident, &'v [ValArg])> {
    let (ident, args): (Ident, &[ValArg]) = match &v.kind {
        ValKind::Name { name, .. } => (
            Ident {
                name: name.clone(),
                span: v.span,
            },
            &[],
        ),
        ValKind::Call { callee, args } => (callee.clone(), args.as_slice()),
        ValKind::Poison => return None,
        _ => {
            let names: Vec<&str> = catalogue::names(table).take(6).collect();
            let mut d = Diagnostic::new(
                Code::E201,
                format!(
                    "{what} expects {} {kind} ({}, …), found {}",
                    article(kind),
                    names.join(", "),
                    v.describe()
                ),
            )
            .primary(v.span, format!("expected {kind}"));
            if let (ValKind::Num(n), "initializer") = (&v.kind, kind) {
                d = d.help(format!("did you mean `small({})`?", format_number(*n)));
            }
            env.report(d);
            return None;
        }
    };
    match catalogue::find(table, &ident.name) {
        Some(signature) => Some((signature, ident, args)),
        None => {
            let help = suggest::help_line(&ident.name, catalogue::names(table), plural);
            env.report(
                Diagnostic::new(Code::E102, format!("unknown {kind} `{}`", ident.name))
                    .primary(ident.span, format!("no {kind} with this name"))
                    .maybe_help(help),
            );
            None
        }
    }
}

/// `a` or `an` before `word`.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Adds a label where the value of a `param` behind `v` was given (its `--set` override or
/// its declaration), when the value was not written at the place of use.
pub(crate) fn with_origin(env: &Env<'_>, v: &Val, diagnostic: Diagnostic) -> Diagnostic {
    let Some(name) = v.params.first() else {
        return diagnostic;
    };
    let Some(global) = env.globals.get(name) else {
        return diagnostic;
    };
    if global.value.span == v.span {
        return diagnostic;
    }
    if global.overridden {
        diagnostic.secondary(global.value.span, format!("`{name}` set here"))
    } else {
        diagnostic.secondary(global.binding.span, format!("`{name}` declared here"))
    }
}
