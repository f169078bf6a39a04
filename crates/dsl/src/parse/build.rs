//! Pairs to AST. Each error production of the grammar becomes a diagnostic here.

use super::{Rule, SUPPORTED_VERSIONS};
use crate::ast::*;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::span::{SourceId, Span, line_col};

use pest::iterators::Pair;
use std::cell::RefCell;

/// Whether a pair is punctuation or a separator, skipped when building.
fn is_token(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::eol
            | Rule::semicolon
            | Rule::lparen
            | Rule::rparen
            | Rule::lbrace
            | Rule::rbrace
            | Rule::lbrack
            | Rule::rbrack
            | Rule::colon
            | Rule::comma
            | Rule::tilde
            | Rule::arrow
            | Rule::eq
            | Rule::EOI
            | Rule::kw_let
            | Rule::kw_param
            | Rule::kw_block
            | Rule::kw_repeat
            | Rule::kw_in
            | Rule::kw_data
            | Rule::kw_model
            | Rule::kw_train
            | Rule::kw_search
    )
}

pub(super) fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_token(p.as_rule()))
}

/// Builds AST nodes from pairs of one text.
pub(super) struct Builder<'t> {
    pub(super) text: &'t str,
    pub(super) source: SourceId,
    pub(super) offset: usize,
    diagnostics: RefCell<Vec<Diagnostic>>,
}

impl<'t> Builder<'t> {
    pub(super) fn new(text: &'t str, source: SourceId, offset: usize) -> Builder<'t> {
        Builder {
            text,
            source,
            offset,
            diagnostics: RefCell::new(Vec::new()),
        }
    }

    pub(super) fn finish(self) -> Diagnostics {
        self.diagnostics.into_inner().into()
    }

    pub(super) fn report(&self, diagnostic: Diagnostic) {
        self.diagnostics.borrow_mut().push(diagnostic);
    }

    pub(super) fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        // A failed repetition can leave the implicit whitespace after a node inside its span.
        let s = pair.as_span();
        let trimmed = without_trailing_comment(s.as_str()).len();
        Span::in_source(
            self.source,
            s.start() + self.offset,
            s.start() + trimmed + self.offset,
        )
    }

    pub(super) fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn position(&self, offset: usize) -> String {
        let (line, column) = line_col(self.text, offset - self.offset);
        format!("{line}:{column}")
    }

    // ------------------------------------------------------------------ items

    pub(super) fn file(&self, pair: Pair<'_, Rule>) -> File {
        let mut header = None;
        let mut items = Vec::new();
        for child in children(pair) {
            match child.as_rule() {
                Rule::header => header = Some(self.header(child)),
                Rule::let_decl => items.push(Item::Let(self.binding(child))),
                Rule::param_decl => items.push(Item::Param(self.binding(child))),
                Rule::block_def => items.push(Item::Block(self.block_def(child))),
                _ => {
                    if let Some(section) = self.section(child) {
                        items.push(Item::Section(section));
                    }
                }
            }
        }
        File { header, items }
    }

    fn header(&self, pair: Pair<'_, Rule>) -> Header {
        let span = self.span(&pair);
        let version_pair = children(pair).next();
        let (version, version_span) = version_pair
            .map(|v| (v.as_str().to_string(), self.span(&v)))
            .unwrap_or_default();
        if !SUPPORTED_VERSIONS.contains(&version.as_str()) {
            self.report(
                Diagnostic::new(
                    Code::E005,
                    format!("unsupported format version `nn {version}`"),
                )
                .primary(version_span, "this version is not supported")
                .help(format!(
                    "this nnc reads `nn {}`; write `nn {}` or remove the line",
                    SUPPORTED_VERSIONS.join("`, `nn "),
                    SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.len() - 1]
                )),
            );
        }
        Header {
            version,
            span,
            version_span,
        }
    }

    fn binding(&self, pair: Pair<'_, Rule>) -> Binding {
        let span = self.span(&pair);
        let mut inner = children(pair);
        let name = self.ident(inner.next().expect("grammar: binding name"));
        let value = self.expr(inner.next().expect("grammar: binding value"));
        Binding { name, value, span }
    }

    fn block_def(&self, pair: Pair<'_, Rule>) -> BlockDef {
        let whole = self.span(&pair);
        let mut name = None;
        let mut formals = Vec::new();
        let mut body = None;
        for child in children(pair) {
            match child.as_rule() {
                Rule::ident => name = Some(self.ident(child)),
                Rule::formals => {
                    for formal in children(child) {
                        let mut parts = children(formal);
                        let name = self.ident(parts.next().expect("grammar: formal name"));
                        let default = parts.next().map(|e| self.expr(e));
                        formals.push(Formal { name, default });
                    }
                }
                Rule::body => body = Some(child),
                _ => {}
            }
        }
        let name = name.expect("grammar: block name");
        let body_pair = body.expect("grammar: block body");
        let header_span = Span::in_source(self.source, whole.start, self.span(&body_pair).start);
        let body = self.body(body_pair, &format!("block `{}`", name.name));
        BlockDef {
            name,
            formals,
            body,
            header_span: trim_span(self.text, self.offset, header_span),
        }
    }

    fn section(&self, pair: Pair<'_, Rule>) -> Option<Section> {
        let rule = pair.as_rule();
        let whole = self.span(&pair);
        let mut name = None;
        let mut strategy = None;
        let mut body = None;
        for child in children(pair) {
            match child.as_rule() {
                Rule::ident if name.is_none() => name = Some(self.ident(child)),
                Rule::ident | Rule::call | Rule::strategy => strategy = Some(child),
                Rule::body => body = Some(child),
                _ => {}
            }
        }
        let strategy = strategy.map(|s| self.strategy(s));
        let kind = match rule {
            Rule::data_sec => SectionKind::Data,
            Rule::model_sec => SectionKind::Model(name),
            Rule::train_sec => SectionKind::Train,
            Rule::search_sec => SectionKind::Search(strategy),
            Rule::unknown_sec => SectionKind::Unknown(name.expect("grammar: section word")),
            _ => return None,
        };
        let body_pair = body?;
        let header_span = trim_span(
            self.text,
            self.offset,
            Span::in_source(self.source, whole.start, self.span(&body_pair).start),
        );
        let context = match &kind {
            SectionKind::Unknown(word) => format!("`{}` section", word.name),
            SectionKind::Data => "`data` section".into(),
            SectionKind::Model(_) => "`model` section".into(),
            SectionKind::Train => "`train` section".into(),
            SectionKind::Search(_) => "`search` section".into(),
        };
        let body = self.body(body_pair, &context);
        Some(Section {
            kind,
            header_span,
            body,
        })
    }

    fn strategy(&self, pair: Pair<'_, Rule>) -> Expr {
        let pair = match pair.as_rule() {
            Rule::strategy => pair.into_inner().next().expect("grammar: strategy"),
            _ => pair,
        };
        match pair.as_rule() {
            Rule::call => self.call(pair),
            _ => {
                let ident = self.ident(pair);
                Expr {
                    span: ident.span,
                    kind: ExprKind::Path(vec![ident]),
                }
            }
        }
    }

    // ------------------------------------------------------------------ statements

    fn body(&self, pair: Pair<'_, Rule>, context: &str) -> Body {
        let mut open = Span::default();
        let mut close = None;
        let mut stmts = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::lbrace => open = self.span(&child),
                Rule::rbrace => close = Some(self.span(&child)),
                Rule::missing_rbrace => self.missing_rbrace(&child, open, context),
                Rule::repeat => stmts.push(Stmt::Repeat(self.repeat(child))),
                Rule::sample => stmts.push(Stmt::Sample(self.sample(child))),
                Rule::chain => stmts.push(Stmt::Chain(self.chain(child))),
                _ => {}
            }
        }
        Body { open, close, stmts }
    }

    fn missing_rbrace(&self, pair: &Pair<'_, Rule>, open: Span, context: &str) {
        let at = pair.as_span().start();
        let next = next_token_line(self.text, at);
        let (primary, label) = match next {
            Some((start, end)) => (
                Span::in_source(self.source, start + self.offset, end + self.offset),
                format!("`{}` starts here, inside it", &self.text[start..end]),
            ),
            None => (
                Span::in_source(
                    self.source,
                    self.text.len() + self.offset,
                    self.text.len() + self.offset,
                ),
                "the file ends here".to_string(),
            ),
        };
        self.report(
            Diagnostic::new(
                Code::E002,
                format!(
                    "missing `}}` for the {context} opened at {}",
                    self.position(open.start)
                ),
            )
            .primary(primary, label)
            .secondary(open, "opened here")
            .help("add `}` on its own line where the block should end"),
        );
    }

    fn repeat(&self, pair: Pair<'_, Rule>) -> Repeat {
        let whole = self.span(&pair);
        let mut inner: Vec<Pair<'_, Rule>> = children(pair).collect();
        let body_pair = inner.pop().expect("grammar: repeat body");
        let count = self.expr(inner.pop().expect("grammar: repeat count"));
        let var = inner.pop().map(|p| self.ident(p));
        let header_span = Span::in_source(self.source, whole.start, self.span(&body_pair).start);
        let body = self.body(body_pair, "`repeat` block");
        Repeat {
            var,
            count,
            body,
            header_span: trim_span(self.text, self.offset, header_span),
        }
    }

    fn sample(&self, pair: Pair<'_, Rule>) -> Sample {
        let span = self.span(&pair);
        let mut inner = children(pair);
        let name = self.ident(inner.next().expect("grammar: sample name"));
        let dist = self.expr(inner.next().expect("grammar: sample distribution"));
        Sample { name, dist, span }
    }

    /// `regularize l2=1e-4`: reported once (E004) with the fix, and read as `l2(1e-4)` so that
    /// the checker has nothing more to say about it.
    fn keras_call(&self, name: Ident, value: Expr, span: Span) -> Arg {
        let value_text = self.slice(value.span);
        self.report(
            Diagnostic::new(
                Code::E004,
                format!(
                    "`{}={value_text}`: arguments of `{}` go in parentheses",
                    name.name, name.name
                ),
            )
            .primary(span, "`=` does not pass an argument")
            .help(format!("write `{}({value_text})`", name.name)),
        );
        let callee_span = name.span;
        Arg {
            name: None,
            value: Expr {
                kind: ExprKind::Call {
                    callee: name,
                    args: vec![Arg {
                        name: None,
                        span: value.span,
                        value,
                    }],
                },
                span: callee_span.to(span),
            },
            span,
        }
    }

    fn chain(&self, pair: Pair<'_, Rule>) -> Chain {
        let span = self.span(&pair);
        let commands = children(pair).map(|c| self.command(c)).collect();
        Chain { commands, span }
    }

    fn command(&self, pair: Pair<'_, Rule>) -> Command {
        let span = self.span(&pair);
        let mut inner = children(pair);
        let name = self.ident(inner.next().expect("grammar: command word"));
        let mut args = Vec::new();
        let mut call_form = false;
        if let Some(rest) = inner.next() {
            call_form = rest.as_rule() == Rule::paren_args;
            let args_pair = match rest.as_rule() {
                Rule::paren_args => children(rest).next(),
                _ => Some(rest),
            };
            if let Some(a) = args_pair {
                args = children(a)
                    .enumerate()
                    .map(|(i, a)| self.arg_of(a, i == 0 && !call_form))
                    .collect();
            }
        }
        Command {
            name,
            args,
            call_form,
            span,
        }
    }

    pub(super) fn args(&self, pair: Pair<'_, Rule>) -> Vec<Arg> {
        children(pair).map(|a| self.arg_of(a, false)).collect()
    }

    /// An argument; `statement_first` when it is the first argument of a statement written
    /// without parentheses, where `l2=1e-4` (Keras's style) means the call `l2(1e-4)`.
    fn arg_of(&self, pair: Pair<'_, Rule>, statement_first: bool) -> Arg {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().expect("grammar: argument");
        match inner.as_rule() {
            Rule::kwarg | Rule::bad_kwarg => {
                let bad = inner.as_rule() == Rule::bad_kwarg;
                let eq_span = inner
                    .clone()
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::eq)
                    .map(|p| self.span(&p));
                let mut parts = children(inner);
                let name = self.ident(parts.next().expect("grammar: keyword"));
                let value = self.expr(parts.next().expect("grammar: keyword value"));
                if bad && statement_first && crate::catalogue::is_callee(&name.name) {
                    return self.keras_call(name, value, span);
                }
                if bad {
                    let value_text = self.slice(value.span);
                    self.report(
                        Diagnostic::new(
                            Code::E004,
                            format!("keyword arguments use `:`, not `=`: `{}`", name.name),
                        )
                        .primary(eq_span.unwrap_or(span), "`=` is not used for arguments")
                        .help(format!("write `{}: {}`", name.name, value_text)),
                    );
                }
                Arg {
                    name: Some(name),
                    value,
                    span,
                }
            }
            _ => Arg {
                name: None,
                value: self.expr(inner),
                span,
            },
        }
    }

    pub(super) fn slice(&self, span: Span) -> &str {
        self.text
            .get(span.start - self.offset..span.end - self.offset)
            .unwrap_or("")
    }
}

/// `text` without the spaces and the comment that the parser's implicit skipping may have
/// left at its end (comments never contain a newline, and strings never contain `#` here
/// unless quoted, which the scan respects).
fn without_trailing_comment(text: &str) -> &str {
    let text = text.trim_end_matches([' ', '\t', '\u{000C}']);
    let line_start = text.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text[line_start..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => {
                return text[..line_start + i].trim_end_matches([' ', '\t', '\u{000C}']);
            }
            _ => {}
        }
    }
    text
}

/// `span` without trailing whitespace.
fn trim_span(text: &str, offset: usize, span: Span) -> Span {
    let local = text
        .get(span.start - offset..span.end - offset)
        .unwrap_or("");
    let trimmed = local.trim_end().len();
    Span {
        end: span.start + trimmed,
        ..span
    }
}

/// The next line's content after `at`, skipping blank lines and comments: `(start, end)`.
fn next_token_line(text: &str, at: usize) -> Option<(usize, usize)> {
    let mut pos = at;
    let bytes = text.as_bytes();
    while pos < bytes.len() {
        match bytes[pos] {
            b' ' | b'\t' | b'\r' | b'\n' | b';' => pos += 1,
            b'#' => {
                while pos < bytes.len() && bytes[pos] != b'\n' && bytes[pos] != b'\r' {
                    pos += 1;
                }
            }
            _ => {
                let rest = &text[pos..];
                let line_len = rest.find(['\n', '\r', '#']).unwrap_or(rest.len());
                let line = rest[..line_len].trim_end();
                return Some((pos, pos + line.len()));
            }
        }
    }
    None
}
