//! Name resolution and expression evaluation.
//!
//! Globals (`let`s and `param`s, with `--set` overrides already substituted) are evaluated
//! lazily and memoised; a name met again while it is being evaluated is a cycle (E108).
//! Locals are block formals and `repeat` variables. `data.*` values come from the probed data
//! shape once the `data` section has been checked.

use crate::ast::{BinaryOp, Binding, Expr, ExprKind, Ident};
use crate::catalogue;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::span::Span;
use crate::suggest;
use crate::value::{Val, ValArg, ValKind, merge_params};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The longest chain of `let`/`param` definitions referring to each other.
pub(crate) const MAX_DEFINITION_DEPTH: usize = 128;

/// `let` or `param`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GlobalKind {
    Let,
    Param,
}

/// A global definition, with the expression that gives its value (the override's, if any).
#[derive(Debug, Clone)]
pub(crate) struct Global<'a> {
    pub kind: GlobalKind,
    pub binding: &'a Binding,
    pub value: Expr,
    pub overridden: bool,
}

enum Slot {
    InProgress,
    Done(Val),
}

/// Data-derived names and their values.
#[derive(Debug, Clone)]
pub(crate) enum DataState {
    /// The `data` section is being checked: `data.*` is not available yet.
    Pending,
    /// Values by name (`features`, `classes`, `train.size`, ...).
    Known(Vec<(&'static str, ValKind)>),
}

/// The span a variable's value gets where the variable is used at `at`: the use, except for
/// a value written in a `--set` override, which keeps pointing at the override so that a
/// problem with it is reported once, at the command line that caused it.
fn use_span(value: &Val, at: Span) -> Span {
    if value.span.source.override_index().is_some() {
        value.span
    } else {
        at
    }
}

/// Local variables, innermost last.
pub(crate) type Locals = Vec<(String, Val)>;

/// The evaluation environment and the diagnostics sink of the checker.
pub(crate) struct Env<'a> {
    pub globals: HashMap<String, Global<'a>>,
    memo: HashMap<String, Slot>,
    stack: Vec<(String, Span)>,
    reported_cycles: HashSet<Vec<String>>,
    pub data: DataState,
    pub diags: Diagnostics,
    /// For each param, where it is used as an integer (span, what).
    pub integer_uses: BTreeMap<String, Vec<(Span, String)>>,
    /// Params whose value reached a section.
    pub used_params: BTreeSet<String>,
}

impl<'a> Env<'a> {
    pub fn new(globals: HashMap<String, Global<'a>>) -> Env<'a> {
        Env {
            globals,
            memo: HashMap::new(),
            stack: Vec::new(),
            reported_cycles: HashSet::new(),
            data: DataState::Pending,
            diags: Diagnostics::new(),
            integer_uses: BTreeMap::new(),
            used_params: BTreeSet::new(),
        }
    }

    /// Adds a diagnostic, unless it repeats one already reported: one about a `--set` value
    /// (its primary span is in the override) is kept once however many places use the param;
    /// so is one with the same message at the same place (a block's line, reached by each
    /// call), or with the same message about the same declared param (`param width = 64.5`
    /// used by three layers: its "declared here" label is the same).
    pub fn report(&mut self, diagnostic: Diagnostic) {
        let primary = diagnostic.primary.as_ref().map(|l| l.span);
        let secondary: Vec<Span> = diagnostic.secondary.iter().map(|l| l.span).collect();
        let repeated = self.diags.iter().any(|d| {
            let same_primary = d.primary.as_ref().map(|l| l.span) == primary;
            let same_origin = !secondary.is_empty()
                && d.secondary
                    .iter()
                    .map(|l| l.span)
                    .eq(secondary.iter().copied());
            d.code == diagnostic.code
                && ((same_primary && primary.is_some_and(|p| p.source.override_index().is_some()))
                    || (d.message == diagnostic.message && (same_primary || same_origin)))
        });
        if !repeated {
            self.diags.push(diagnostic);
        }
    }

    /// Records that `val` reached a section (its params are used).
    pub fn mark_used(&mut self, val: &Val) {
        self.used_params.extend(val.params.iter().cloned());
    }

    /// Records that `val` is used where an integer is needed.
    pub fn mark_integer_use(&mut self, val: &Val, what: &str) {
        for p in &val.params {
            self.integer_uses
                .entry(p.clone())
                .or_default()
                .push((val.span, what.to_string()));
        }
    }

    /// The value of global `name` referenced at `at` (evaluated once).
    pub fn global(&mut self, name: &str, at: Span) -> Option<Val> {
        let global = self.globals.get(name)?.clone();
        let value = match self.memo.get(name) {
            Some(Slot::Done(v)) => v.clone(),
            Some(Slot::InProgress) => {
                self.report_cycle(name, at);
                Val::poison(at)
            }
            None if self.stack.len() >= MAX_DEFINITION_DEPTH => {
                self.report(
                    Diagnostic::new(
                        Code::E108,
                        format!(
                            "definitions refer to each other more than {MAX_DEFINITION_DEPTH} deep"
                        ),
                    )
                    .primary(at, "too deep")
                    .help("write some of these values directly"),
                );
                Val::poison(at)
            }
            None => {
                self.memo.insert(name.to_string(), Slot::InProgress);
                self.stack.push((name.to_string(), at));
                let v = self.eval(&global.value, &Vec::new());
                self.stack.pop();
                self.memo.insert(name.to_string(), Slot::Done(v.clone()));
                v
            }
        };
        let params = match global.kind {
            GlobalKind::Param => merge_params(&value.params, &[name.to_string()]),
            GlobalKind::Let => value.params.clone(),
        };
        Some(Val {
            span: use_span(&value, at),
            params,
            ..value
        })
    }

    /// Evaluates every global (so that errors in unused ones are reported too).
    pub fn evaluate_all_globals(&mut self) {
        let mut names: Vec<(usize, String)> = self
            .globals
            .iter()
            .map(|(n, g)| (g.binding.span.start, n.clone()))
            .collect();
        names.sort();
        for (_, name) in names {
            let span = self.globals[&name].binding.name.span;
            self.global(&name, span);
        }
    }

    fn report_cycle(&mut self, name: &str, at: Span) {
        let Some(start) = self.stack.iter().position(|(n, _)| n == name) else {
            return;
        };
        let members: Vec<String> = self.stack[start..].iter().map(|(n, _)| n.clone()).collect();
        let mut key = members.clone();
        key.sort();
        if !self.reported_cycles.insert(key) {
            return;
        }
        let mut path = members.clone();
        path.push(name.to_string());
        let first = &self.globals[name];
        let mut diagnostic = Diagnostic::new(
            Code::E108,
            format!(
                "`{name}` is defined in terms of itself: {}",
                path.join(" → ")
            ),
        )
        .primary(first.binding.name.span, "defined here");
        // The reference to members[i + 1] sits in the definition of members[i].
        let mut refs: Vec<Span> = self.stack[start + 1..].iter().map(|(_, s)| *s).collect();
        refs.push(at);
        for (i, span) in refs.into_iter().enumerate() {
            diagnostic = diagnostic.secondary(
                span,
                format!("`{}` uses `{}` here", members[i], path[i + 1]),
            );
        }
        self.report(diagnostic.help("give one of these a value that does not refer back"));
    }

    fn names_in_scope(&self, locals: &Locals) -> Vec<String> {
        let mut names: Vec<String> = locals.iter().map(|(n, _)| n.clone()).collect();
        names.extend(self.globals.keys().cloned());
        names
    }

    /// Evaluates an expression.
    pub fn eval(&mut self, expr: &Expr, locals: &Locals) -> Val {
        let span = expr.span;
        match &expr.kind {
            ExprKind::Number(n) => Val::new(ValKind::Num(*n), span),
            ExprKind::Str(s) => Val::new(ValKind::Str(s.clone()), span),
            ExprKind::Error => Val::poison(span),
            ExprKind::Path(parts) => self.path(parts, span, locals),
            ExprKind::Call { callee, args } => {
                let args: Vec<ValArg> = args
                    .iter()
                    .map(|a| ValArg {
                        name: a.name.clone(),
                        value: self.eval(&a.value, locals),
                        span: a.span,
                    })
                    .collect();
                let params = args
                    .iter()
                    .fold(Vec::new(), |acc, a| merge_params(&acc, &a.value.params));
                Val::new(
                    ValKind::Call {
                        callee: callee.clone(),
                        args,
                    },
                    span,
                )
                .with_params(params)
            }
            ExprKind::List(items) => {
                let items: Vec<Val> = items.iter().map(|e| self.eval(e, locals)).collect();
                let params = items
                    .iter()
                    .fold(Vec::new(), |acc, v| merge_params(&acc, &v.params));
                Val::new(ValKind::List(items), span).with_params(params)
            }
            ExprKind::Neg(inner) => {
                let v = self.eval(inner, locals);
                let kind = match &v.kind {
                    ValKind::Num(n) => ValKind::Num(-n),
                    ValKind::Quantity { value, unit } => ValKind::Quantity {
                        value: -value,
                        unit: *unit,
                    },
                    ValKind::Symbolic(t) => ValKind::Symbolic(format!("-{t}")),
                    ValKind::Poison => ValKind::Poison,
                    _ => {
                        self.not_arithmetic(&v, "-");
                        ValKind::Poison
                    }
                };
                Val::new(kind, span).with_params(v.params)
            }
            ExprKind::Percent(inner) => {
                let v = self.eval(inner, locals);
                let kind = match &v.kind {
                    ValKind::Num(n) => ValKind::Percent(*n),
                    ValKind::Poison => ValKind::Poison,
                    _ => {
                        self.not_arithmetic(&v, "%");
                        ValKind::Poison
                    }
                };
                Val::new(kind, span).with_params(v.params)
            }
            ExprKind::Quantity { value, unit } => {
                let v = self.eval(value, locals);
                let kind = match &v.kind {
                    ValKind::Num(n) => ValKind::Quantity {
                        value: *n,
                        unit: *unit,
                    },
                    ValKind::Poison => ValKind::Poison,
                    _ => {
                        self.not_arithmetic(&v, unit.word());
                        ValKind::Poison
                    }
                };
                Val::new(kind, span).with_params(v.params)
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.eval(lhs, locals);
                let r = self.eval(rhs, locals);
                self.binary(*op, l, r, span)
            }
        }
    }

    fn path(&mut self, parts: &[Ident], span: Span, locals: &Locals) -> Val {
        let first = &parts[0].name;
        if parts.len() == 1 {
            if let Some((_, v)) = locals.iter().rev().find(|(n, _)| n == first) {
                return Val {
                    span: use_span(v, span),
                    ..v.clone()
                };
            }
            if let Some(v) = self.global(first, span) {
                return v;
            }
            return match first.as_str() {
                "true" => Val::new(ValKind::Bool(true), span),
                "false" => Val::new(ValKind::Bool(false), span),
                _ => {
                    let scope = self.names_in_scope(locals);
                    let closest_variable =
                        suggest::closest(first, scope.iter().map(String::as_str));
                    Val::new(
                        ValKind::Name {
                            name: first.clone(),
                            closest_variable,
                        },
                        span,
                    )
                }
            };
        }
        let rest: Vec<&str> = parts[1..].iter().map(|p| p.name.as_str()).collect();
        let rest = rest.join(".");
        if first == "data" && !locals.iter().any(|(n, _)| n == "data") {
            return self.data_value(&rest, span);
        }
        Val::new(
            ValKind::Name {
                name: format!("{first}.{rest}"),
                closest_variable: None,
            },
            span,
        )
    }

    fn data_value(&mut self, member: &str, span: Span) -> Val {
        let full = format!("data.{member}");
        match &self.data {
            DataState::Pending => {
                self.report(
                    Diagnostic::new(
                        Code::E104,
                        format!("`{full}` is not known inside the `data` section"),
                    )
                    .primary(span, "the data is described by this section")
                    .help("write the number itself here"),
                );
                Val::poison(span)
            }
            DataState::Known(values) => {
                if let Some((_, kind)) = values.iter().find(|(n, _)| *n == member) {
                    return Val::new(kind.clone(), span);
                }
                let names: Vec<String> = catalogue::DATA_VALUES
                    .iter()
                    .map(|n| format!("data.{n}"))
                    .collect();
                let help = suggest::help_line(&full, names.iter().map(String::as_str), "values");
                self.report(
                    Diagnostic::new(Code::E104, format!("unknown data value `{full}`"))
                        .primary(span, "not a value the data provides")
                        .maybe_help(help),
                );
                Val::poison(span)
            }
        }
    }

    /// Reports a value that cannot take part in arithmetic: an unknown name (E104) or a value
    /// of the wrong type (E201).
    pub fn not_arithmetic(&mut self, v: &Val, op: &str) {
        match &v.kind {
            ValKind::Name { .. } if !catalogue::is_known_word(v.head_name().unwrap_or("")) => {
                self.unknown_name(v)
            }
            ValKind::Poison => {}
            _ => self.report(
                Diagnostic::new(
                    Code::E201,
                    format!("cannot use {} with `{op}`", v.describe()),
                )
                .primary(v.span, "not a number")
                .help("arithmetic works on numbers (and on `epochs`/`steps` amounts)"),
            ),
        }
    }

    /// Reports E104 for a `Name` value that is no variable (E205 for an unquoted path).
    pub fn unknown_name(&mut self, v: &Val) {
        if let ValKind::Name { name, .. } = &v.kind
            && name.contains('/')
        {
            self.report(
                Diagnostic::new(
                    Code::E205,
                    format!("`{name}` looks like a file path, which must be in quotes"),
                )
                .primary(v.span, "an unquoted path")
                .help(format!("file paths are strings: write `\"{name}\"`")),
            );
            return;
        }
        if let ValKind::Name {
            name,
            closest_variable,
        } = &v.kind
        {
            let mut diagnostic = Diagnostic::new(Code::E104, format!("unknown name `{name}`"))
                .primary(
                    v.span,
                    "not a `let`, `param`, block argument or `data.*` value",
                );
            if let Some(c) = closest_variable {
                diagnostic = diagnostic.help(format!("did you mean `{c}`?"));
            } else {
                diagnostic = diagnostic.help(format!("declare it, e.g. `let {name} = …`"));
            }
            self.report(diagnostic);
        }
    }

    fn binary(&mut self, op: BinaryOp, l: Val, r: Val, span: Span) -> Val {
        use ValKind::*;
        let params = merge_params(&l.params, &r.params);
        let kind = match (&l.kind, &r.kind) {
            (Poison, _) | (_, Poison) => Poison,
            (Num(a), Num(b)) => self.numeric(op, *a, *b, &r, span),
            (Quantity { value, unit }, Num(n))
                if matches!(op, BinaryOp::Mul | BinaryOp::Div | BinaryOp::FloorDiv) =>
            {
                let value = match op {
                    BinaryOp::Mul => value * n,
                    BinaryOp::Div => value / n,
                    _ => (value / n).floor(),
                };
                Quantity { value, unit: *unit }
            }
            (Num(n), Quantity { value, unit }) if op == BinaryOp::Mul => Quantity {
                value: value * n,
                unit: *unit,
            },
            (Quantity { value: a, unit: ua }, Quantity { value: b, unit: ub })
                if matches!(op, BinaryOp::Add | BinaryOp::Sub) =>
            {
                if ua == ub {
                    let value = if op == BinaryOp::Add { a + b } else { a - b };
                    Quantity { value, unit: *ua }
                } else {
                    self.report(
                        Diagnostic::new(
                            Code::E203,
                            format!("cannot combine {} and {}", ua.word(), ub.word()),
                        )
                        .primary(span, "mixed units")
                        .help("use one unit on both sides"),
                    );
                    Poison
                }
            }
            (Symbolic(_), Num(_) | Symbolic(_)) | (Num(_), Symbolic(_))
                if !matches!(op, BinaryOp::Range | BinaryOp::RangeInclusive) =>
            {
                Symbolic(format!(
                    "{} {} {}",
                    l.to_source(),
                    op.symbol(),
                    r.to_source()
                ))
            }
            // `data/letters.csv` written without quotes: kept as one path-like word, which
            // the place of use reports (E205) once.
            (Name { name: a, .. }, Name { name: b, .. }) if op == BinaryOp::Div => Name {
                name: format!("{a}/{b}"),
                closest_variable: None,
            },
            _ => {
                let bad = if matches!(l.kind, Num(_) | Symbolic(_)) {
                    &r
                } else {
                    &l
                };
                self.not_arithmetic(bad, op.symbol());
                Poison
            }
        };
        let inexact = l.inexact_division
            || r.inexact_division
            || (op == BinaryOp::Div
                && matches!((&l.kind, &r.kind, &kind), (Num(a), Num(b), Num(q))
                    if a.fract() == 0.0 && b.fract() == 0.0 && q.fract() != 0.0));
        let mut out = Val::new(kind, span).with_params(params);
        out.inexact_division = inexact;
        out
    }

    fn numeric(&mut self, op: BinaryOp, a: f64, b: f64, rhs: &Val, span: Span) -> ValKind {
        let value = match op {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div | BinaryOp::FloorDiv if b == 0.0 => {
                self.report(
                    Diagnostic::new(Code::E202, "division by zero").primary(rhs.span, "this is 0"),
                );
                return ValKind::Poison;
            }
            BinaryOp::Div => a / b,
            BinaryOp::FloorDiv => (a / b).floor(),
            BinaryOp::Pow => a.powf(b),
            BinaryOp::Range | BinaryOp::RangeInclusive => {
                let integral = |x: f64| x.fract() == 0.0 && x.abs() < 1e12;
                if !integral(a) || !integral(b) {
                    self.report(
                        Diagnostic::new(Code::E201, "range bounds must be integers")
                            .primary(span, "not an integer range"),
                    );
                    return ValKind::Poison;
                }
                let hi = if op == BinaryOp::RangeInclusive {
                    b + 1.0
                } else {
                    b
                };
                return ValKind::Range {
                    lo: a as i64,
                    hi: hi as i64,
                };
            }
        };
        if value.is_finite() {
            ValKind::Num(value)
        } else {
            self.report(
                Diagnostic::new(Code::E202, "the result is not a finite number")
                    .primary(span, "overflows or is undefined"),
            );
            ValKind::Poison
        }
    }
}
