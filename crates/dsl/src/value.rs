//! Evaluated values: what an expression means once names are looked up.

use crate::ast::{Ident, TimeUnit};
use crate::pretty::format_number;
use crate::span::Span;

/// A value with the span of the expression that produced it and the `param`s it depends on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Val {
    pub kind: ValKind,
    pub span: Span,
    /// Names of the `param`s this value was computed from (sorted, no duplicates).
    pub params: Vec<String>,
    /// Whether the value comes from a `/` of two integers that left a remainder (so that a
    /// place needing an integer can point at `//`).
    pub inexact_division: bool,
}

/// Value forms.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ValKind {
    Num(f64),
    Bool(bool),
    Str(String),
    /// A name that is no variable: a catalogue word (`relu`, `xavier`, `val.accuracy`) or a
    /// mistake. `closest_variable` is the did-you-mean among the variables in scope.
    Name {
        name: String,
        closest_variable: Option<String>,
    },
    Call {
        callee: Ident,
        args: Vec<ValArg>,
    },
    List(Vec<Val>),
    /// `lo..hi` with `hi` excluded (an inclusive range is stored with `hi + 1`).
    Range {
        lo: i64,
        hi: i64,
    },
    /// `x%`, holding `x`.
    Percent(f64),
    Quantity {
        value: f64,
        unit: TimeUnit,
    },
    /// A data-derived number not known without reading the data (`data.features` with
    /// `--no-data`), as text.
    Symbolic(String),
    /// An error already reported.
    Poison,
}

/// An evaluated argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValArg {
    pub name: Option<Ident>,
    pub value: Val,
    pub span: Span,
}

impl Val {
    pub fn new(kind: ValKind, span: Span) -> Val {
        Val {
            kind,
            span,
            params: Vec::new(),
            inexact_division: false,
        }
    }

    pub fn poison(span: Span) -> Val {
        Val::new(ValKind::Poison, span)
    }

    pub fn with_params(mut self, params: Vec<String>) -> Val {
        self.params = params;
        self
    }

    pub fn is_poison(&self) -> bool {
        matches!(self.kind, ValKind::Poison)
    }

    /// The name of a `Name` value, or the callee of a `Call`.
    pub fn head_name(&self) -> Option<&str> {
        match &self.kind {
            ValKind::Name { name, .. } => Some(name),
            ValKind::Call { callee, .. } => Some(&callee.name),
            _ => None,
        }
    }

    /// How the value reads in a message: `number 0.5`, `name \`relu\``, ...
    pub fn describe(&self) -> String {
        match &self.kind {
            ValKind::Num(n) => format!("number {}", format_number(*n)),
            ValKind::Bool(b) => format!("`{b}`"),
            ValKind::Str(s) => format!("string {s:?}"),
            ValKind::Name { name, .. } => format!("name `{name}`"),
            ValKind::Call { callee, .. } => format!("`{}(…)`", callee.name),
            ValKind::List(_) => "a list".into(),
            ValKind::Range { .. } => "a range".into(),
            ValKind::Percent(p) => format!("{}%", format_number(*p)),
            ValKind::Quantity { value, unit } => {
                format!("`{} {}`", format_number(*value), unit.word())
            }
            ValKind::Symbolic(text) => format!("`{text}`"),
            ValKind::Poison => "an invalid value".into(),
        }
    }

    /// The value written back as `.nn` text (for resolved output and messages).
    pub fn to_source(&self) -> String {
        match &self.kind {
            ValKind::Num(n) => format_number(*n),
            ValKind::Bool(b) => b.to_string(),
            ValKind::Str(s) => format!("{s:?}"),
            ValKind::Name { name, .. } => name.clone(),
            ValKind::Call { callee, args } => {
                let args: Vec<String> = args
                    .iter()
                    .map(|a| match &a.name {
                        Some(n) => format!("{}: {}", n.name, a.value.to_source()),
                        None => a.value.to_source(),
                    })
                    .collect();
                format!("{}({})", callee.name, args.join(", "))
            }
            ValKind::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Val::to_source)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ValKind::Range { lo, hi } => format!("{lo}..{hi}"),
            ValKind::Percent(p) => format!("{}%", format_number(*p)),
            ValKind::Quantity { value, unit } => {
                format!("{} {}", format_number(*value), unit.word())
            }
            ValKind::Symbolic(text) => text.clone(),
            ValKind::Poison => "<invalid>".into(),
        }
    }

    /// The broad type used to check `--set` values and search choices against a default.
    pub fn type_class(&self) -> Option<&'static str> {
        Some(match &self.kind {
            ValKind::Num(_) | ValKind::Percent(_) | ValKind::Symbolic(_) => "a number",
            ValKind::Bool(_) => "`true` or `false`",
            ValKind::Str(_) => "a string",
            ValKind::Name { .. } | ValKind::Call { .. } => "a name or call",
            ValKind::List(_) => "a list",
            ValKind::Range { .. } => "a range",
            ValKind::Quantity {
                unit: TimeUnit::Epochs,
                ..
            } => "a number of epochs",
            ValKind::Quantity {
                unit: TimeUnit::Steps,
                ..
            } => "a number of steps",
            ValKind::Poison => return None,
        })
    }
}

/// The union of two sorted dependency lists.
pub(crate) fn merge_params(a: &[String], b: &[String]) -> Vec<String> {
    let mut out: Vec<String> = a.iter().chain(b).cloned().collect();
    out.sort();
    out.dedup();
    out
}
