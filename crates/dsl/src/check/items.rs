//! Top-level items: `let`s, `param`s, `block`s and sections, duplicates among them, and the
//! `--set` overrides substituted into `param`s.

use crate::ast::{Binding, BlockDef, Expr, ExprKind, File, Item, Section, SectionKind};
use crate::catalogue;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::eval::{Global, GlobalKind};
use crate::parse;
use crate::span::{SourceId, Span};
use crate::suggest;
use std::collections::HashMap;

/// A `--set name=value` override from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The whole text, `name=value` (what diagnostics point into).
    pub text: String,
    /// The name before `=` (trimmed).
    pub name: String,
    /// The byte offset of the value in `text` (`text.len()` when there is no `=`).
    pub value_start: usize,
}

impl Override {
    /// Splits `name=value` at the first `=`.
    pub fn parse(text: impl Into<String>) -> Override {
        let text = text.into();
        let (name, value_start) = match text.find('=') {
            Some(i) => (text[..i].trim().to_string(), i + 1),
            None => (text.trim().to_string(), text.len()),
        };
        Override {
            text,
            name,
            value_start,
        }
    }

    fn has_value(&self) -> bool {
        self.text.contains('=')
    }
}

/// The items of a file, by kind.
pub(crate) struct Items<'a> {
    pub globals: HashMap<String, Global<'a>>,
    pub blocks: HashMap<String, &'a BlockDef>,
    pub data: Option<&'a Section>,
    pub model: Option<&'a Section>,
    pub train: Option<&'a Section>,
    pub search: Option<&'a Section>,
    /// Lets and params in file order.
    pub declaration_order: Vec<String>,
}

/// Collects the items, reporting duplicates (E105, E404) and unknown sections (E101).
pub(crate) fn collect<'a>(file: &'a File, diags: &mut Diagnostics) -> Items<'a> {
    let mut items = Items {
        globals: HashMap::new(),
        blocks: HashMap::new(),
        data: None,
        model: None,
        train: None,
        search: None,
        declaration_order: Vec::new(),
    };
    for item in &file.items {
        match item {
            Item::Let(b) => declare(&mut items, b, GlobalKind::Let, diags),
            Item::Param(b) => declare(&mut items, b, GlobalKind::Param, diags),
            Item::Block(block) => {
                if let Some(first) = items.blocks.get(&block.name.name) {
                    diags.push(
                        Diagnostic::new(
                            Code::E105,
                            format!("block `{}` is defined twice", block.name.name),
                        )
                        .primary(block.name.span, "defined again here")
                        .secondary(first.name.span, "first defined here")
                        .help("rename one of them"),
                    );
                } else {
                    check_formals(block, diags);
                    items.blocks.insert(block.name.name.clone(), block);
                }
            }
            Item::Section(section) => add_section(&mut items, section, diags),
        }
    }
    items
}

fn declare<'a>(items: &mut Items<'a>, b: &'a Binding, kind: GlobalKind, diags: &mut Diagnostics) {
    if let Some(first) = items.globals.get(&b.name.name) {
        let first_word = match first.kind {
            GlobalKind::Let => "let",
            GlobalKind::Param => "param",
        };
        diags.push(
            Diagnostic::new(
                Code::E105,
                format!("`{}` is already declared with `{first_word}`", b.name.name),
            )
            .primary(b.name.span, "declared again here")
            .secondary(first.binding.name.span, "first declared here")
            .help("use another name, or remove one declaration"),
        );
        return;
    }
    items.declaration_order.push(b.name.name.clone());
    items.globals.insert(
        b.name.name.clone(),
        Global {
            kind,
            binding: b,
            value: b.value.clone(),
            overridden: false,
        },
    );
}

fn check_formals(block: &BlockDef, diags: &mut Diagnostics) {
    for (i, formal) in block.formals.iter().enumerate() {
        if let Some(first) = block.formals[..i]
            .iter()
            .find(|f| f.name.name == formal.name.name)
        {
            diags.push(
                Diagnostic::new(
                    Code::E105,
                    format!(
                        "block `{}` has two formals named `{}`",
                        block.name.name, formal.name.name
                    ),
                )
                .primary(formal.name.span, "again here")
                .secondary(first.name.span, "first here"),
            );
        }
    }
}

fn add_section<'a>(items: &mut Items<'a>, section: &'a Section, diags: &mut Diagnostics) {
    let slot = match &section.kind {
        SectionKind::Data => &mut items.data,
        SectionKind::Model(_) => &mut items.model,
        SectionKind::Train => &mut items.train,
        SectionKind::Search(_) => &mut items.search,
        SectionKind::Unknown(word) => {
            let help =
                suggest::help_line(&word.name, catalogue::SECTIONS.iter().copied(), "sections");
            diags.push(
                Diagnostic::new(Code::E101, format!("unknown section `{}`", word.name))
                    .primary(word.span, "not a section")
                    .maybe_help(help),
            );
            return;
        }
    };
    match slot {
        Some(first) => diags.push(
            Diagnostic::new(
                Code::E404,
                format!("the file has two `{}` sections", section.keyword()),
            )
            .primary(section.header_span, "second section")
            .secondary(first.header_span, "first section")
            .help("one file describes one experiment: merge them into one section"),
        ),
        None => *slot = Some(section),
    }
}

/// Substitutes `--set` overrides into the params (E507 for unknown names and `let`s).
pub(crate) fn apply_overrides(
    items: &mut Items<'_>,
    overrides: &[Override],
    diags: &mut Diagnostics,
) {
    for (index, o) in overrides.iter().enumerate() {
        let source = SourceId::override_text(index);
        let name_start = o.text.find(o.name.as_str()).unwrap_or(0);
        let name_span = Span::in_source(source, name_start, name_start + o.name.len());
        let whole = Span::in_source(source, 0, o.text.len());
        if !o.has_value() || o.name.is_empty() {
            diags.push(
                Diagnostic::new(Code::E507, format!("`--set {}` has no value", o.text))
                    .primary(whole, "expected `name=value`")
                    .help("write e.g. `--set lr=0.01`"),
            );
            continue;
        }
        let Some(global) = items.globals.get_mut(&o.name) else {
            let params: Vec<&str> = items
                .globals
                .iter()
                .filter(|(_, g)| g.kind == GlobalKind::Param)
                .map(|(n, _)| n.as_str())
                .collect();
            let mut sorted = params.clone();
            sorted.sort();
            let help = suggest::help_line(&o.name, sorted, "params");
            diags.push(
                Diagnostic::new(
                    Code::E507,
                    format!("`--set`: unknown parameter `{}`", o.name),
                )
                .primary(name_span, "no `param` with this name")
                .maybe_help(help),
            );
            continue;
        };
        if global.kind == GlobalKind::Let {
            let b = global.binding;
            diags.push(
                Diagnostic::new(
                    Code::E507,
                    format!("`--set`: `{}` is a constant (`let`), not a `param`", o.name),
                )
                .primary(name_span, "cannot be overridden")
                .secondary(b.span, format!("`{}` is declared with `let`", o.name))
                .help(format!(
                    "declare it as `param {} = …` to make it overridable",
                    o.name
                )),
            );
            continue;
        }
        let value_text = &o.text[o.value_start..];
        if let Some(d) = override_shape(o, source, global) {
            diags.push(d);
            continue;
        }
        let is_string_param = matches!(global.binding.value.kind, ExprKind::Str(_));
        let quoted = value_text.trim_start().starts_with('"');
        let expr = if is_string_param && !quoted {
            Ok(Expr {
                kind: ExprKind::Str(value_text.to_string()),
                span: Span::in_source(source, o.value_start, o.text.len()),
            })
        } else {
            parse::parse_override_value(&o.text, o.value_start, source)
        };
        match expr {
            Ok(expr) => {
                global.value = expr;
                global.overridden = true;
            }
            Err(d) => diags.extend(d),
        }
    }
}

/// E507 for an override whose value is empty (`--set lr=`), E001 for several overrides in
/// one `--set` (`--set lr=1e-3,reg=1`): both before the value is parsed, so that the message
/// speaks of the command line rather than of a file.
fn override_shape(o: &Override, source: SourceId, global: &Global<'_>) -> Option<Diagnostic> {
    let value_text = &o.text[o.value_start..];
    let value_span = Span::in_source(source, o.value_start, o.text.len());
    if value_text.trim().is_empty() {
        let default = crate::pretty::expr(&global.binding.value);
        return Some(
            Diagnostic::new(Code::E507, format!("`--set {}` has an empty value", o.text))
                .primary(
                    Span::in_source(source, o.value_start.saturating_sub(1), o.text.len()),
                    "no value after `=`",
                )
                .help(format!(
                    "write the value after `=`, with no space: `--set {}={default}`",
                    o.name
                )),
        );
    }
    let pieces = split_top_level_commas(value_text);
    let more: Vec<&str> = pieces[1..]
        .iter()
        .copied()
        .filter(|p| looks_like_assignment(p))
        .collect();
    if more.is_empty() {
        return None;
    }
    let repeated: Vec<String> = pieces
        .iter()
        .enumerate()
        .map(|(i, p)| match i {
            0 => format!("--set {}={}", o.name, p.trim()),
            _ => format!("--set {}", p.trim()),
        })
        .collect();
    Some(
        Diagnostic::new(Code::E001, "one `--set` sets one param")
            .primary(value_span, "several `name=value` pairs in one `--set`")
            .help(format!("repeat `--set` for each: `{}`", repeated.join(" "))),
    )
}

/// `text` cut at the commas outside brackets and quotes.
fn split_top_level_commas(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut depth, mut in_string, mut start) = (0i32, false, 0);
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '(' | '[' if !in_string => depth += 1,
            ')' | ']' if !in_string => depth -= 1,
            ',' if !in_string && depth == 0 => {
                pieces.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(&text[start..]);
    pieces
}

/// Whether `piece` reads `name=value`.
fn looks_like_assignment(piece: &str) -> bool {
    piece.split_once('=').is_some_and(|(name, _)| {
        let name = name.trim();
        name.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}
