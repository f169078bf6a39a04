//! The string literals of a parsed file or expression, with their spans.

use crate::ast::{Arg, Body, Expr, ExprKind, File, Item, SectionKind, Stmt};
use crate::span::Span;

/// A string literal: its span (quotes included) and its value (escapes resolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StrLiteral<'a> {
    /// From the opening to the closing quote.
    pub span: Span,
    /// The string.
    pub value: &'a str,
}

/// Every string literal of `file`, in file order.
pub(crate) fn in_file(file: &File) -> Vec<StrLiteral<'_>> {
    let mut out = Vec::new();
    for item in &file.items {
        match item {
            Item::Let(b) | Item::Param(b) => expr(&b.value, &mut out),
            Item::Block(block) => {
                for default in block.formals.iter().filter_map(|f| f.default.as_ref()) {
                    expr(default, &mut out);
                }
                body(&block.body, &mut out);
            }
            Item::Section(section) => {
                if let SectionKind::Search(Some(strategy)) = &section.kind {
                    expr(strategy, &mut out);
                }
                body(&section.body, &mut out);
            }
        }
    }
    out.sort_by_key(|l| l.span.start);
    out
}

/// Every string literal of `e`.
pub(crate) fn in_expr(e: &Expr) -> Vec<StrLiteral<'_>> {
    let mut out = Vec::new();
    expr(e, &mut out);
    out
}

fn body<'a>(b: &'a Body, out: &mut Vec<StrLiteral<'a>>) {
    for stmt in &b.stmts {
        match stmt {
            Stmt::Repeat(r) => {
                expr(&r.count, out);
                body(&r.body, out);
            }
            Stmt::Sample(s) => expr(&s.dist, out),
            Stmt::Chain(chain) => {
                for command in &chain.commands {
                    args(&command.args, out);
                }
            }
        }
    }
}

fn args<'a>(list: &'a [Arg], out: &mut Vec<StrLiteral<'a>>) {
    for arg in list {
        expr(&arg.value, out);
    }
}

fn expr<'a>(e: &'a Expr, out: &mut Vec<StrLiteral<'a>>) {
    match &e.kind {
        ExprKind::Str(value) => out.push(StrLiteral {
            span: e.span,
            value,
        }),
        ExprKind::Call { args: list, .. } => args(list, out),
        ExprKind::List(items) => items.iter().for_each(|item| expr(item, out)),
        ExprKind::Neg(inner) | ExprKind::Percent(inner) => expr(inner, out),
        ExprKind::Quantity { value, .. } => expr(value, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            expr(lhs, out);
            expr(rhs, out);
        }
        ExprKind::Number(_) | ExprKind::Path(_) | ExprKind::Error => {}
    }
}
