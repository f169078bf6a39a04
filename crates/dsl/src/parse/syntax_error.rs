//! Turns a pest error into an E001/E003 diagnostic with a readable "expected ..." list.

use super::Rule;
use crate::diagnostics::{Code, Diagnostic};
use crate::span::{SourceId, Span};
use pest::error::{ErrorVariant, InputLocation};

/// What a rule means to a reader, and whether it is structural (punctuation that ends or
/// separates something) rather than a possible continuation of an expression.
fn describe(rule: Rule) -> Option<(&'static str, bool)> {
    let d = match rule {
        Rule::lparen => ("`(`", true),
        Rule::rparen => ("`)`", true),
        Rule::lbrace | Rule::body => ("`{`", true),
        Rule::rbrace | Rule::missing_rbrace => ("`}`", true),
        Rule::lbrack => ("`[`", true),
        Rule::rbrack => ("`]`", true),
        Rule::colon => ("`:`", true),
        Rule::comma => ("`,`", true),
        Rule::tilde => ("`~`", true),
        Rule::arrow => ("`->`", true),
        Rule::eq => ("`=`", true),
        Rule::eol | Rule::semicolon => ("the end of the line", true),
        Rule::EOI => ("the end of the file", true),
        Rule::kw_in => ("`in`", true),
        Rule::ident | Rule::formal | Rule::formals => ("a name", true),
        Rule::version => ("a version number such as `0.1`", true),
        Rule::number
        | Rule::bad_number
        | Rule::string
        | Rule::bad_string
        | Rule::path
        | Rule::call
        | Rule::list
        | Rule::paren
        | Rule::neg
        | Rule::expr
        | Rule::override_value => ("a value", true),
        Rule::add
        | Rule::sub
        | Rule::mul
        | Rule::div
        | Rule::floordiv
        | Rule::pow
        | Rule::range_op
        | Rule::percent
        | Rule::unit
        | Rule::stray_word => ("an operator", false),
        Rule::args | Rule::arg | Rule::kwarg | Rule::bad_kwarg | Rule::paren_args => {
            ("an argument", true)
        }
        Rule::repeat | Rule::sample | Rule::chain | Rule::command | Rule::kw_repeat => {
            ("a statement", true)
        }
        Rule::let_decl
        | Rule::param_decl
        | Rule::block_def
        | Rule::data_sec
        | Rule::model_sec
        | Rule::train_sec
        | Rule::search_sec
        | Rule::unknown_sec
        | Rule::kw_let
        | Rule::kw_param
        | Rule::kw_block
        | Rule::kw_data
        | Rule::kw_model
        | Rule::kw_train
        | Rule::kw_search => (
            "`let`, `param`, `block` or a section (`data`, `model`, ...)",
            true,
        ),
        Rule::strategy => ("a search strategy", true),
        _ => return None,
    };
    Some(d)
}

/// What is at `pos`, for "found ..." (a word, a number, a character, the end of a line).
fn found_at(text: &str, pos: usize) -> String {
    let rest = &text[pos.min(text.len())..];
    let Some(first) = rest.chars().next() else {
        return "the end of the file".into();
    };
    if first == '\n' || first == '\r' {
        return "the end of the line".into();
    }
    if first == '#' {
        return "a comment".into();
    }
    if first.is_ascii_alphanumeric() || first == '_' || first == '.' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
            .collect();
        return format!("`{word}`");
    }
    format!("`{first}`")
}

/// The identifier that ends right before `pos` (ignoring spaces), if any.
fn word_before(text: &str, pos: usize) -> Option<&str> {
    let before = text[..pos.min(text.len())].trim_end_matches([' ', '\t']);
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        .last()
        .map(|(i, _)| i)?;
    let word = &before[start..];
    word.chars()
        .next()
        .filter(|c| c.is_ascii_alphabetic() || *c == '_')
        .map(|_| word)
}

/// A malformed exponent ending right before `pos` (`1e+`, `2E-`).
fn malformed_exponent_before(text: &str, pos: usize) -> Option<(usize, &str)> {
    let before = &text[..pos.min(text.len())];
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit() || matches!(c, '.' | '_' | 'e' | 'E' | '+' | '-'))
        .last()
        .map(|(i, _)| i)?;
    let token = &before[start..];
    let stripped = token.trim_end_matches(['+', '-']);
    let has_digit_first = token.chars().next().is_some_and(|c| c.is_ascii_digit());
    (has_digit_first && stripped.len() < token.len() && stripped.ends_with(['e', 'E']))
        .then_some((start, token))
}

/// The first line up to `pos` whose quotes do not pair up: `(first quote, end of line)`.
fn unterminated_string_before(text: &str, pos: usize) -> Option<(usize, usize)> {
    let mut line_start = 0;
    for line in text.split_inclusive(['\n', '\r']) {
        if line_start > pos {
            break;
        }
        let mut in_string = false;
        let mut escaped = false;
        let mut first_quote = None;
        for (i, c) in line.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => {
                    in_string = !in_string;
                    first_quote.get_or_insert(i);
                }
                '#' if !in_string => break,
                _ => {}
            }
        }
        if in_string && let Some(q) = first_quote {
            let end = line_start + line.trim_end_matches(['\n', '\r']).len();
            return Some((line_start + q, end));
        }
        line_start += line.len();
    }
    None
}

/// The diagnostic for a pest error in `text` (whose byte 0 is at `offset` in its source).
pub(super) fn from_pest(
    error: &pest::error::Error<Rule>,
    text: &str,
    source: SourceId,
    offset: usize,
) -> Diagnostic {
    let pos = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    if let Some((start, end)) = unterminated_string_before(text, pos) {
        return Diagnostic::new(Code::E006, "unterminated string")
            .primary(
                Span::in_source(source, start + offset, end + offset),
                "a string on this line is not closed",
            )
            .help("strings are written on one line between `\"` quotes; check each `\"` here");
    }
    if let Some((start, token)) = malformed_exponent_before(text, pos) {
        return Diagnostic::new(Code::E003, format!("malformed number `{token}`"))
            .primary(
                Span::in_source(source, start + offset, pos + offset),
                "the exponent needs digits",
            )
            .help(format!("write e.g. `{}3`", token));
    }
    let positives: Vec<Rule> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let mut structural: Vec<&str> = Vec::new();
    let mut continuation: Vec<&str> = Vec::new();
    for (text, is_structural) in positives.iter().filter_map(|r| describe(*r)) {
        let list = if is_structural {
            &mut structural
        } else {
            &mut continuation
        };
        if !list.contains(&text) {
            list.push(text);
        }
    }
    let expected = if structural.is_empty() {
        continuation
    } else {
        structural
    };
    if let Some(d) = unquoted_path_at(text, pos, source, offset, &expected) {
        return d;
    }
    let found = found_at(text, pos);
    let end = (pos
        + text[pos.min(text.len())..]
            .chars()
            .next()
            .map_or(0, char::len_utf8))
    .min(text.len());
    let span = Span::in_source(source, pos + offset, end + offset);
    let expects_colon = positives.contains(&Rule::colon);
    let message = match word_before(text, pos) {
        Some(word) if expects_colon && !positives.contains(&Rule::tilde) => {
            format!("expected `:` after keyword argument name `{word}`")
        }
        _ if expected.is_empty() => format!("unexpected {found}"),
        _ => format!("expected {}, found {found}", join_or(&expected)),
    };
    let mut diagnostic =
        Diagnostic::new(Code::E001, message).primary(span, format!("unexpected {found}"));
    if expects_colon && word_before(text, pos).is_some() {
        diagnostic = diagnostic.help("keyword arguments are written `name: value`");
    } else if found == "`=`" {
        diagnostic =
            diagnostic.help("keyword arguments use `:`; `=` only follows `let` and `param`");
    } else if found == "`(`" {
        diagnostic = diagnostic
            .help("no parentheses are needed around a first argument: write `dense H*2, init: he`");
    } else if text[pos.min(text.len())..].starts_with("//")
        || text[pos.min(text.len())..].starts_with("/*")
    {
        diagnostic = diagnostic.help("comments start with `#` and run to the end of the line");
    }
    diagnostic
}

/// E205 for a file path written without quotes where a value is expected (`/data/x.csv`,
/// `./x.csv`, `../x.csv`, `~/x.csv`): the parser cannot read it as an expression.
fn unquoted_path_at(
    text: &str,
    pos: usize,
    source: SourceId,
    offset: usize,
    expected: &[&str],
) -> Option<Diagnostic> {
    let rest = text.get(pos..)?;
    let looks_like_path = ["/", "./", "../", "~/"].iter().any(|p| rest.starts_with(p));
    if !looks_like_path
        || !expected
            .iter()
            .any(|e| matches!(*e, "a value" | "an argument"))
    {
        return None;
    }
    let len = rest
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | ')' | ']' | '#' | ';'))
        .unwrap_or(rest.len());
    let path = &rest[..len];
    Some(
        Diagnostic::new(
            Code::E205,
            format!("`{path}` looks like a file path, which must be in quotes"),
        )
        .primary(
            Span::in_source(source, pos + offset, pos + len + offset),
            "an unquoted path",
        )
        .help(format!("file paths are strings: write `\"{path}\"`")),
    )
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
