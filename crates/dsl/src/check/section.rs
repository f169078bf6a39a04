//! Helpers shared by the non-model sections: flattening a body into commands, looking a
//! statement word up, evaluating arguments, and catching repeated statements.

use crate::ast::{Body, Command, Sample, Stmt};
use crate::catalogue::{self, Signature};
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::{Env, Locals};
use crate::span::Span;
use crate::suggest;
use crate::value::ValArg;

/// The commands (and, where allowed, samples) of a section body, in order. `repeat`,
/// `->` chains and misplaced samples are reported.
pub(crate) fn flatten<'a>(
    env: &mut Env<'_>,
    body: &'a Body,
    section: &str,
    samples_allowed: bool,
) -> (Vec<&'a Command>, Vec<&'a Sample>) {
    let mut commands = Vec::new();
    let mut samples = Vec::new();
    for stmt in &body.stmts {
        match stmt {
            Stmt::Chain(chain) => {
                if chain.commands.len() > 1 {
                    env.report(
                        Diagnostic::new(
                            Code::E001,
                            format!(
                                "`->` chains are only for layers; this is the `{section}` section"
                            ),
                        )
                        .primary(chain.span, "a chain outside `model`")
                        .help("write one statement per line"),
                    );
                }
                commands.extend(chain.commands.iter());
            }
            Stmt::Repeat(repeat) => env.report(
                Diagnostic::new(
                    Code::E101,
                    format!("`repeat` is not allowed in the `{section}` section"),
                )
                .primary(
                    repeat.header_span,
                    "only `model` and `block` bodies repeat layers",
                ),
            ),
            Stmt::Sample(sample) if samples_allowed => samples.push(sample),
            Stmt::Sample(sample) => env.report(
                Diagnostic::new(
                    Code::E101,
                    format!("search spaces (`~`) are not allowed in the `{section}` section"),
                )
                .primary(sample.span, "a search space outside `search`")
                .help(format!(
                    "set a default here and write `{} ~ …` in the `search` section",
                    sample.name.name
                )),
            ),
        }
    }
    (commands, samples)
}

/// The signature of statement `command` in `table`, or E101 with a did-you-mean.
pub(crate) fn statement(
    env: &mut Env<'_>,
    command: &Command,
    table: &'static [Signature],
    section: &str,
) -> Option<&'static Signature> {
    if let Some(signature) = catalogue::find(table, &command.name.name) {
        return Some(signature);
    }
    // The statements of a section are the `nnc list` catalogue of the section's name.
    let help = match suggest::suggest(&command.name.name, catalogue::names(table)) {
        suggest::Suggestion::DidYouMean(name) => Some(format!("did you mean `{name}`?")),
        suggest::Suggestion::ValidNames(names) => Some(format!(
            "the `{section}` statements are: {}",
            names.join(", ")
        )),
        suggest::Suggestion::TooMany => {
            Some(format!("run `nnc list {section}` to see its statements"))
        }
        suggest::Suggestion::Nothing => None,
    };
    env.report(
        Diagnostic::new(
            Code::E101,
            format!(
                "unknown statement `{}` in the `{section}` section",
                command.name.name
            ),
        )
        .primary(command.name.span, "not a statement of this section")
        .maybe_help(help),
    );
    None
}

/// Evaluates a command's arguments, marking the params they use.
pub(crate) fn eval_args(env: &mut Env<'_>, command: &Command, locals: &Locals) -> Vec<ValArg> {
    command
        .args
        .iter()
        .map(|a| {
            let value = env.eval(&a.value, locals);
            env.mark_used(&value);
            ValArg {
                name: a.name.clone(),
                value,
                span: a.span,
            }
        })
        .collect()
}

/// Remembers statements that may appear once and reports repeats (E105).
#[derive(Default)]
pub(crate) struct Once {
    seen: Vec<(&'static str, Span)>,
}

impl Once {
    /// Whether `key` is new; reports E105 otherwise. `what` is how the statement reads.
    pub fn first(&mut self, env: &mut Env<'_>, key: &'static str, what: &str, span: Span) -> bool {
        if let Some((_, first)) = self.seen.iter().find(|(k, _)| *k == key) {
            env.report(
                Diagnostic::new(Code::E105, format!("{what} is given twice"))
                    .primary(span, "given again here")
                    .secondary(*first, "first given here")
                    .help("keep one of them"),
            );
            return false;
        }
        self.seen.push((key, span));
        true
    }
}
