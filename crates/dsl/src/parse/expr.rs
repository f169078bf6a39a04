//! Expressions: precedence climbing over the flat `expr` pairs, literals, and the error
//! productions that live inside expressions (malformed numbers, units, stray words).

use super::Rule;
use super::build::{Builder, children};
use crate::ast::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::span::Span;
use crate::suggest;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::LazyLock;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::range_op, Assoc::Left))
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left)
            | Op::infix(Rule::floordiv, Assoc::Left)
            | Op::infix(Rule::div, Assoc::Left))
        .op(Op::prefix(Rule::neg))
        .op(Op::infix(Rule::pow, Assoc::Right))
        .op(Op::postfix(Rule::percent) | Op::postfix(Rule::unit) | Op::postfix(Rule::stray_word))
});

impl Builder<'_> {
    pub(super) fn expr(&self, pair: Pair<'_, Rule>) -> Expr {
        PRATT
            .map_primary(|primary| self.primary(primary))
            .map_prefix(|op, operand| Expr {
                span: self.span(&op).to(operand.span),
                kind: ExprKind::Neg(Box::new(operand)),
            })
            .map_postfix(|operand, op| self.postfix(operand, op))
            .map_infix(|lhs, op, rhs| {
                let op = match op.as_rule() {
                    Rule::add => BinaryOp::Add,
                    Rule::sub => BinaryOp::Sub,
                    Rule::mul => BinaryOp::Mul,
                    Rule::div => BinaryOp::Div,
                    Rule::floordiv => BinaryOp::FloorDiv,
                    Rule::pow => BinaryOp::Pow,
                    _ if op.as_str() == "..=" => BinaryOp::RangeInclusive,
                    _ => BinaryOp::Range,
                };
                Expr {
                    span: lhs.span.to(rhs.span),
                    kind: ExprKind::Binary {
                        op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                }
            })
            .parse(pair.into_inner())
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::number => self.number(pair.as_str(), span),
            Rule::bad_number => {
                self.bad_number(pair.as_str(), span);
                ExprKind::Error
            }
            Rule::string => ExprKind::Str(unescape(
                pair.into_inner().next().map_or("", |p| p.as_str()),
            )),
            Rule::bad_string => {
                self.report(
                    Diagnostic::new(Code::E006, "unterminated string")
                        .primary(span, "this string has no closing `\"`")
                        .help("strings are written on one line: close it with `\"`"),
                );
                ExprKind::Error
            }
            Rule::path => ExprKind::Path(children(pair).map(|p| self.ident(p)).collect()),
            Rule::call => return self.call(pair),
            Rule::list => ExprKind::List(children(pair).map(|e| self.expr(e)).collect()),
            Rule::paren => {
                let inner = children(pair).next().expect("grammar: parenthesised expr");
                return Expr {
                    span,
                    ..self.expr(inner)
                };
            }
            _ => ExprKind::Error,
        };
        Expr { kind, span }
    }

    pub(super) fn call(&self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let mut inner = children(pair);
        let callee = self.ident(inner.next().expect("grammar: callee"));
        let args = inner.next().map(|a| self.args(a)).unwrap_or_default();
        Expr {
            kind: ExprKind::Call { callee, args },
            span,
        }
    }

    fn number(&self, text: &str, span: Span) -> ExprKind {
        let cleaned: String = text.chars().filter(|c| *c != '_').collect();
        match cleaned.parse::<f64>() {
            Ok(value) if value.is_finite() => ExprKind::Number(value),
            _ => {
                self.report(
                    Diagnostic::new(Code::E003, format!("number `{text}` is too large"))
                        .primary(span, "not a finite number")
                        .help("numbers must fit a 64-bit float (at most about 1.8e308)"),
                );
                ExprKind::Error
            }
        }
    }

    fn bad_number(&self, text: &str, span: Span) {
        let (why, fix) = if text.ends_with('_') {
            (
                "an underscore must sit between digits",
                format!("write `{}`", text.trim_end_matches('_')),
            )
        } else if text.ends_with('.') {
            (
                "a decimal point needs digits after it",
                format!("write `{text}0` or `{}`", text.trim_end_matches('.')),
            )
        } else {
            (
                "the exponent needs digits",
                format!(
                    "write e.g. `{}-3` for {} × 10⁻³",
                    text.trim_end_matches(['+', '-']),
                    text.trim_end_matches(['+', '-', 'e', 'E'])
                ),
            )
        };
        self.report(
            Diagnostic::new(Code::E003, format!("malformed number `{text}`"))
                .primary(span, why)
                .help(fix),
        );
    }

    fn postfix(&self, operand: Expr, op: Pair<'_, Rule>) -> Expr {
        let op_span = self.span(&op);
        let span = operand.span.to(op_span);
        let kind = match op.as_rule() {
            Rule::percent => {
                if matches!(operand.kind, ExprKind::Percent(_)) {
                    self.report(
                        Diagnostic::new(
                            Code::E003,
                            format!("malformed percentage `{}`", self.slice(span)),
                        )
                        .primary(op_span, "a second `%`")
                        .help(format!("write `{}`", self.slice(operand.span))),
                    );
                    ExprKind::Error
                } else {
                    ExprKind::Percent(Box::new(operand))
                }
            }
            Rule::unit => ExprKind::Quantity {
                unit: if op.as_str().starts_with("epoch") {
                    TimeUnit::Epochs
                } else {
                    TimeUnit::Steps
                },
                value: Box::new(operand),
            },
            _ => {
                self.stray_word(&operand, op.as_str(), op_span);
                ExprKind::Error
            }
        };
        Expr { kind, span }
    }

    fn stray_word(&self, operand: &Expr, word: &str, word_span: Span) {
        let is_number = matches!(operand.kind, ExprKind::Number(_));
        if is_number && operand.span.end == word_span.start {
            let text = self.slice(operand.span.to(word_span));
            self.report(
                Diagnostic::new(Code::E003, format!("malformed number `{text}`"))
                    .primary(operand.span.to(word_span), "not a number")
                    .help(
                        "numbers look like `12`, `10_000`, `0.5`, `1e-3`; \
                         units are separate words: `5 epochs`",
                    ),
            );
            return;
        }
        let units = ["epochs", "steps"];
        if is_number && let Some(unit) = suggest::closest(word, units) {
            self.report(
                Diagnostic::new(Code::E003, format!("unknown unit `{word}`"))
                    .primary(word_span, "not a unit")
                    .help(format!("did you mean `{unit}`?"))
                    .note("the units are `epochs` (`epoch`) and `steps` (`step`)"),
            );
            return;
        }
        let mut diagnostic = Diagnostic::new(
            Code::E001,
            format!(
                "unexpected word `{word}` after `{}`",
                self.slice(operand.span)
            ),
        )
        .primary(word_span, "expected `,`, `->` or the end of the line");
        if let Some(name) = operand.as_name() {
            diagnostic = diagnostic.help(format!(
                "if `{}` is a keyword argument, write `{}: {word}`",
                name.name, name.name
            ));
        }
        let is_layer = crate::catalogue::ACTIVATIONS
            .iter()
            .chain(crate::catalogue::LAYERS)
            .any(|s| s.name == word);
        if is_layer {
            diagnostic = diagnostic.help(format!(
                "`{word}` is a layer of its own: chain it with `->`, `… {} -> {word}`",
                self.slice(operand.span)
            ));
        }
        self.report(diagnostic.help("separate arguments with `,` and commands with `->`"));
    }
}

/// Resolves `\"`, `\\`, `\n` and `\t`; other backslashes are kept as written.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}
