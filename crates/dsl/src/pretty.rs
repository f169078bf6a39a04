//! A compact, fully parenthesised rendering of the AST with spans, for snapshots and
//! `nnc check --print-ast`-style debugging. Binary operations print as `(a op b)`, so the
//! structure the parser chose is visible; every item and statement shows its byte span.

use crate::ast::*;
use std::fmt::{self, Write};

/// Renders `file` as indented text.
pub fn ast_to_string(file: &File) -> String {
    let mut out = String::new();
    let _ = write_file(&mut out, file);
    out
}

fn write_file(out: &mut String, file: &File) -> fmt::Result {
    if let Some(h) = &file.header {
        writeln!(out, "[{:?}] nn {}", h.span, h.version)?;
    }
    for item in &file.items {
        match item {
            Item::Let(b) => writeln!(
                out,
                "[{:?}] let {} = {}",
                b.span,
                b.name.name,
                expr(&b.value)
            )?,
            Item::Param(b) => writeln!(
                out,
                "[{:?}] param {} = {}",
                b.span,
                b.name.name,
                expr(&b.value)
            )?,
            Item::Block(b) => {
                let formals: Vec<String> = b
                    .formals
                    .iter()
                    .map(|f| match &f.default {
                        Some(d) => format!("{} = {}", f.name.name, expr(d)),
                        None => f.name.name.clone(),
                    })
                    .collect();
                writeln!(
                    out,
                    "[{:?}] block {}({})",
                    b.header_span,
                    b.name.name,
                    formals.join(", ")
                )?;
                write_body(out, &b.body, 1)?;
            }
            Item::Section(s) => {
                let extra = match &s.kind {
                    SectionKind::Model(Some(name)) => format!(" {}", name.name),
                    SectionKind::Search(Some(strategy)) => format!(" {}", expr(strategy)),
                    _ => String::new(),
                };
                writeln!(out, "[{:?}] {}{}", s.header_span, s.keyword(), extra)?;
                write_body(out, &s.body, 1)?;
            }
        }
    }
    Ok(())
}

fn write_body(out: &mut String, body: &Body, depth: usize) -> fmt::Result {
    let pad = "  ".repeat(depth);
    for stmt in &body.stmts {
        match stmt {
            Stmt::Repeat(r) => {
                let var = r
                    .var
                    .as_ref()
                    .map(|v| format!("{} in ", v.name))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{pad}[{:?}] repeat {var}{}",
                    r.header_span,
                    expr(&r.count)
                )?;
                write_body(out, &r.body, depth + 1)?;
            }
            Stmt::Sample(s) => writeln!(
                out,
                "{pad}[{:?}] {} ~ {}",
                s.span,
                s.name.name,
                expr(&s.dist)
            )?,
            Stmt::Chain(c) => {
                let commands: Vec<String> = c.commands.iter().map(command).collect();
                writeln!(out, "{pad}[{:?}] {}", c.span, commands.join(" -> "))?;
            }
        }
    }
    if body.close.is_none() {
        writeln!(out, "{pad}<missing `}}`>")?;
    }
    Ok(())
}

fn command(c: &Command) -> String {
    let args = args(&c.args);
    match (c.call_form, args.is_empty()) {
        (true, _) => format!("{}({args})", c.name.name),
        (false, true) => c.name.name.clone(),
        (false, false) => format!("{} {args}", c.name.name),
    }
}

fn args(args: &[Arg]) -> String {
    args.iter()
        .map(|a| match &a.name {
            Some(n) => format!("{}: {}", n.name, expr(&a.value)),
            None => expr(&a.value),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One expression, fully parenthesised.
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) => format_number(*n),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Path(parts) => parts
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("."),
        ExprKind::Call { callee, args: a } => format!("{}({})", callee.name, args(a)),
        ExprKind::List(items) => format!(
            "[{}]",
            items.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Neg(inner) => format!("(-{})", expr(inner)),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", expr(lhs), op.symbol(), expr(rhs))
        }
        ExprKind::Percent(inner) => format!("{}%", expr(inner)),
        ExprKind::Quantity { value, unit } => format!("({} {})", expr(value), unit.word()),
        ExprKind::Error => "<error>".into(),
    }
}

/// A number as a reader would write it (`100`, `0.5`, `1e-5`).
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else if n.is_finite() && n.abs() >= 1e15 {
        // `1e20`, not 21 digits (still the shortest text that reads back the same).
        format!("{n:e}")
    } else {
        format!("{n}")
    }
}
