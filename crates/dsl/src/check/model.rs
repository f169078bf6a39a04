//! The `model` section: expanding blocks, `repeat`s and `->` chains into a flat list of
//! resolved layers (E101, E102, E109, E201–E202, E303–E305, E310).

use super::args::{Bound, Form, Formal, bind, bind_formals};
use super::expect::{self, PROBABILITY};
use super::layers::{activation, bias_init, weight_init};
use super::section::eval_args;
use crate::ast::{BlockDef, Body, Command, Expr, ExprKind, Stmt};
use crate::catalogue;
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::{Env, Locals};
use crate::ir::{BatchNormConfig, Init, LayerSpec, Loss, ModelLayer, Width};
use crate::span::Span;
use crate::suggest;
use crate::value::{Val, ValArg, ValKind};
use std::collections::HashMap;

/// The most layers a model may expand to.
pub(crate) const MAX_LAYERS: usize = 10_000;

/// The most statements expansion visits (nested `repeat`s multiply).
const MAX_VISITED: usize = 200_000;

/// A layer with what the lints need to know about how it was written.
#[derive(Debug, Clone)]
pub(crate) struct BuiltLayer {
    pub layer: ModelLayer,
    /// The weight initializer as written (explicitly or through `default`), with its span.
    pub explicit_init: Option<(Init, Span)>,
}

/// A weight initializer as written, with its span.
type WrittenInit = (Init, Span);

/// The expanded model.
#[derive(Debug, Default)]
pub(crate) struct BuiltModel {
    pub layers: Vec<BuiltLayer>,
    pub input: Option<(u64, Span)>,
    pub loss: Option<(Loss, Span)>,
    /// Whether a `dense`/`maxout` statement was written (even if invalid).
    pub wrote_weighted_layer: bool,
    /// Whether a `loss` statement was written (even if invalid).
    pub wrote_loss: bool,
    /// The first layer written after `loss`, and the loss.
    pub after_loss: Option<(Span, Span)>,
    /// How many layers were built when the last layer statement that built none (an error
    /// was reported) was read.
    pub last_dropped: Option<usize>,
}

impl BuiltModel {
    /// Whether the statement after the last layer built was invalid: the model's end (what
    /// feeds the loss) is then unknown, and checks of it would judge the wrong layer.
    pub fn tail_incomplete(&self) -> bool {
        self.last_dropped == Some(self.layers.len())
    }
}

#[derive(Default)]
struct Defaults {
    init: Option<(Init, Span)>,
    bias: Option<Option<Init>>,
}

struct Expander<'b> {
    blocks: &'b HashMap<String, &'b BlockDef>,
    stack: Vec<(String, Span)>,
    defaults: Defaults,
    first_layer: Option<Span>,
    out: BuiltModel,
    counters: HashMap<&'static str, usize>,
    too_many_reported: bool,
    /// Statements visited, to bound the work of nested repeats that produce nothing.
    visited: usize,
}

/// Expands the model body.
pub(crate) fn expand(
    env: &mut Env<'_>,
    body: &Body,
    blocks: &HashMap<String, &BlockDef>,
) -> BuiltModel {
    let mut expander = Expander {
        blocks,
        stack: Vec::new(),
        defaults: Defaults::default(),
        first_layer: None,
        out: BuiltModel::default(),
        counters: HashMap::new(),
        too_many_reported: false,
        visited: 0,
    };
    expander.body(env, body, &Vec::new(), None);
    expander.out
}

impl Expander<'_> {
    fn body(&mut self, env: &mut Env<'_>, body: &Body, locals: &Locals, call_site: Option<Span>) {
        for stmt in &body.stmts {
            self.visited += 1;
            if self.visited > MAX_VISITED {
                self.too_many(env, body.open);
                return;
            }
            match stmt {
                Stmt::Chain(chain) => {
                    for command in &chain.commands {
                        self.command(env, command, locals, call_site);
                    }
                }
                Stmt::Repeat(repeat) => {
                    let count = env.eval(&repeat.count, locals);
                    env.mark_used(&count);
                    let range = match count.kind {
                        ValKind::Range { lo, hi } => Some((lo, hi)),
                        _ => expect::integer(env, &count, "the repeat count", 0)
                            .map(|n| (0, n as i64)),
                    };
                    let Some((lo, hi)) = range else { continue };
                    if hi.saturating_sub(lo) > MAX_LAYERS as i64 {
                        self.too_many(env, repeat.header_span);
                        continue;
                    }
                    for i in lo..hi {
                        self.visited += 1;
                        if self.too_many_reported || self.visited > MAX_VISITED {
                            self.too_many(env, repeat.header_span);
                            break;
                        }
                        let mut inner = locals.clone();
                        if let Some(var) = &repeat.var {
                            inner.push((
                                var.name.clone(),
                                Val::new(ValKind::Num(i as f64), var.span),
                            ));
                        }
                        self.body(env, &repeat.body, &inner, call_site);
                    }
                }
                Stmt::Sample(sample) => env.report(
                    Diagnostic::new(
                        Code::E101,
                        "search spaces (`~`) are not allowed in the `model` section",
                    )
                    .primary(sample.span, "a search space outside `search`")
                    .help(format!(
                        "declare `param {} = …` and write `{} ~ …` in the `search` section",
                        sample.name.name, sample.name.name
                    )),
                ),
            }
        }
    }

    fn too_many(&mut self, env: &mut Env<'_>, span: Span) {
        if !self.too_many_reported {
            self.too_many_reported = true;
            env.report(
                Diagnostic::new(
                    Code::E202,
                    format!("the model expands too far (at most {MAX_LAYERS} layers)"),
                )
                .primary(span, "repeats too often"),
            );
        }
    }

    fn command(
        &mut self,
        env: &mut Env<'_>,
        command: &Command,
        locals: &Locals,
        call_site: Option<Span>,
    ) {
        if self.out.layers.len() >= MAX_LAYERS {
            self.too_many(env, command.span);
            return;
        }
        let name = command.name.name.as_str();
        self.out.wrote_weighted_layer |= matches!(name, "dense" | "maxout");
        self.out.wrote_loss |= name == "loss";
        if let Some(signature) = catalogue::find(catalogue::MODEL_STATEMENTS, name) {
            let args = eval_args(env, command, locals);
            let bound = bind(env, &command.name, &args, signature, Form::Statement);
            self.model_statement(env, command, &bound);
            return;
        }
        let built_before = self.out.layers.len();
        self.layer_statement(env, command, locals, call_site);
        if self.out.layers.len() == built_before && self.out.loss.is_none() {
            self.out.last_dropped = Some(built_before);
        }
    }

    /// A statement that builds a layer: a layer, an activation, a block call, a variable
    /// holding an activation, or an unknown name (E101/E102).
    fn layer_statement(
        &mut self,
        env: &mut Env<'_>,
        command: &Command,
        locals: &Locals,
        call_site: Option<Span>,
    ) {
        let name = command.name.name.as_str();
        let table = catalogue::find(catalogue::LAYERS, name)
            .or_else(|| catalogue::find(catalogue::ACTIVATIONS, name));
        if let Some(signature) = table {
            let args = eval_args(env, command, locals);
            let bound = bind(env, &command.name, &args, signature, Form::Statement);
            self.layer(env, command, &bound, call_site);
            return;
        }
        if let Some(block) = self.blocks.get(name).copied() {
            self.block_call(env, command, block, locals, call_site);
            return;
        }
        let is_variable = locals.iter().any(|(n, _)| n == name) || env.globals.contains_key(name);
        if is_variable {
            let value = env.eval(
                &Expr {
                    kind: ExprKind::Path(vec![command.name.clone()]),
                    span: command.name.span,
                },
                locals,
            );
            env.mark_used(&value);
            self.activation_value(env, command, &value, call_site);
            return;
        }
        let mut candidates: Vec<&str> = catalogue::names(catalogue::LAYERS)
            .chain(catalogue::names(catalogue::ACTIVATIONS))
            .chain(catalogue::names(catalogue::MODEL_STATEMENTS))
            .collect();
        candidates.extend(self.blocks.keys().map(String::as_str));
        let help = suggest::help_line(name, candidates.iter().copied(), "layers");
        let closest = suggest::closest(name, candidates.iter().copied());
        let (code, what) = match closest {
            Some(c) if catalogue::find(catalogue::ACTIVATIONS, &c).is_some() => {
                (Code::E102, "activation")
            }
            _ => (Code::E101, "layer"),
        };
        env.report(
            Diagnostic::new(code, format!("unknown {what} `{name}`"))
                .primary(
                    command.name.span,
                    "no layer, activation or block with this name",
                )
                .maybe_help(help),
        );
    }

    fn block_call(
        &mut self,
        env: &mut Env<'_>,
        command: &Command,
        block: &BlockDef,
        locals: &Locals,
        call_site: Option<Span>,
    ) {
        if let Some((_, first)) = self.stack.iter().find(|(n, _)| *n == block.name.name) {
            let path: Vec<&str> = self
                .stack
                .iter()
                .map(|(n, _)| n.as_str())
                .chain([block.name.name.as_str()])
                .collect();
            env.report(
                Diagnostic::new(
                    Code::E109,
                    format!(
                        "block `{}` uses itself: {}",
                        block.name.name,
                        path.join(" → ")
                    ),
                )
                .primary(command.name.span, "recursive use")
                .secondary(*first, "the outer use")
                .help("a block cannot contain itself; use `repeat` to stack copies"),
            );
            return;
        }
        let args = eval_args(env, command, locals);
        let formals: Vec<Formal<'_>> = block
            .formals
            .iter()
            .map(|f| Formal {
                name: &f.name.name,
                required: f.default.is_none(),
                positional: true,
            })
            .collect();
        let bound = bind_formals(env, &command.name, &args, &formals, Form::Call);
        let mut inner: Locals = Vec::new();
        for formal in &block.formals {
            let value = match bound.get(&formal.name.name) {
                Some(v) => v.clone(),
                None if bound.given(&formal.name.name) => Val::poison(command.span),
                None => match &formal.default {
                    Some(d) => env.eval(d, &Vec::new()),
                    None => Val::poison(command.span),
                },
            };
            inner.push((formal.name.name.clone(), value));
        }
        self.stack
            .push((block.name.name.clone(), command.name.span));
        self.body(env, &block.body, &inner, call_site.or(Some(command.span)));
        self.stack.pop();
    }

    fn activation_value(
        &mut self,
        env: &mut Env<'_>,
        command: &Command,
        value: &Val,
        call_site: Option<Span>,
    ) {
        if value.is_poison() {
            return;
        }
        let Some(name) = value.head_name() else {
            env.report(
                Diagnostic::new(
                    Code::E201,
                    format!(
                        "`{}` is {}, not a layer or activation",
                        command.name.name,
                        value.describe()
                    ),
                )
                .primary(command.name.span, "used as a layer here"),
            );
            return;
        };
        let Some(signature) = catalogue::find(catalogue::ACTIVATIONS, name) else {
            let help = suggest::help_line(
                name,
                catalogue::names(catalogue::ACTIVATIONS),
                "activations",
            );
            let diagnostic = Diagnostic::new(Code::E102, format!("unknown activation `{name}`"))
                .primary(
                    value.span,
                    if value.span.source.override_index().is_some() {
                        "not an activation".to_string()
                    } else {
                        format!("`{}` is `{name}` here", command.name.name)
                    },
                )
                .maybe_help(help);
            // A param's value: "declared here", so its other uses are not reported again.
            let diagnostic = super::expect::with_origin(env, value, diagnostic);
            env.report(diagnostic);
            return;
        };
        let (callee, args): (crate::ast::Ident, &[ValArg]) = match &value.kind {
            ValKind::Call { callee, args } => (callee.clone(), args),
            _ => (
                crate::ast::Ident {
                    name: name.to_string(),
                    span: value.span,
                },
                &[],
            ),
        };
        let bound = bind(env, &callee, args, signature, Form::Call);
        if let Some(activation) = activation(env, signature.name, &bound) {
            self.push(
                LayerSpec::Activation(activation),
                command.span,
                call_site,
                None,
            );
        }
    }

    fn model_statement(&mut self, env: &mut Env<'_>, command: &Command, bound: &Bound) {
        let word = command.name.name.as_str();
        if word != "loss"
            && let Some(first) = self.first_layer
        {
            env.report(
                Diagnostic::new(
                    Code::E304,
                    format!("`{word}` must come before the first layer"),
                )
                .primary(command.span, "too late")
                .secondary(first, "first layer")
                .help(format!("move `{word}` to the top of the model")),
            );
            return;
        }
        match word {
            "input" => {
                if let Some(w) = bound
                    .get("width")
                    .and_then(|v| expect::integer(env, v, "the input width", 1))
                {
                    self.out.input = Some((w, command.span));
                }
            }
            "default" => {
                if let Some(v) = bound.get("init")
                    && let Some(init) = weight_init(env, v)
                {
                    self.defaults.init = Some((init, v.span));
                }
                if let Some(v) = bound.get("bias") {
                    self.defaults.bias = bias_init(env, v);
                }
            }
            _ => {
                if let Some((_, first)) = self.out.loss {
                    env.report(
                        Diagnostic::new(Code::E105, "the model has two `loss` statements")
                            .primary(command.span, "second loss")
                            .secondary(first, "first loss")
                            .help("keep one"),
                    );
                    return;
                }
                let Some(v) = bound.get("loss") else { return };
                let Some((signature, callee, args)) =
                    expect::callee(env, v, "`loss`", catalogue::LOSSES, "loss", "losses")
                else {
                    return;
                };
                let inner = bind(env, &callee, args, signature, Form::Call);
                let loss = match signature.name {
                    "softmax" => Loss::SoftmaxCrossEntropy,
                    "mse" => Loss::MeanSquaredError,
                    _ => match inner.get("margin") {
                        Some(m) => {
                            match expect::ranged(env, m, "the SVM margin", &expect::POSITIVE) {
                                Some(margin) => Loss::Svm { margin },
                                None => return,
                            }
                        }
                        None => Loss::Svm { margin: 1.0 },
                    },
                };
                self.out.loss = Some((loss, command.span));
            }
        }
    }

    fn layer(
        &mut self,
        env: &mut Env<'_>,
        command: &Command,
        bound: &Bound,
        call_site: Option<Span>,
    ) {
        let name = command.name.name.as_str();
        let built = match name {
            "dense" | "maxout" => self.weighted_layer(env, command, bound),
            "batchnorm" => batchnorm_layer(env, bound).map(|spec| (spec, None)),
            "dropout" => bound
                .get("rate")
                .and_then(|v| expect::fraction(env, v, "`dropout` rate", &PROBABILITY))
                .map(|rate| (LayerSpec::Dropout { rate }, None)),
            _ => activation(env, name, bound).map(|a| (LayerSpec::Activation(a), None)),
        };
        if let Some((spec, explicit_init)) = built {
            self.push(spec, command.span, call_site, explicit_init);
        }
    }

    /// `dense` or `maxout`: the width, the pieces, the weight initializer (explicit, the
    /// model's `default`, else resolved later by the lints) and the bias.
    fn weighted_layer(
        &self,
        env: &mut Env<'_>,
        command: &Command,
        bound: &Bound,
    ) -> Option<(LayerSpec<Width>, Option<WrittenInit>)> {
        let name = command.name.name.as_str();
        let units = bound
            .get("width")
            .and_then(|v| expect::width(env, v, &format!("`{name}` width")));
        let pieces = if name == "maxout" {
            maxout_pieces(env, bound)
        } else {
            Some(1)
        };
        let explicit_init = match bound.get("init") {
            Some(v) => weight_init(env, v).map(|i| (i, v.span)),
            None if bound.given("init") => return None,
            None => self.defaults.init,
        };
        if let Some((Init::Zeros, init_span)) = explicit_init {
            env.report(
                Diagnostic::new(Code::E310, format!("`{name}` weights initialized to zeros"))
                    .primary(init_span, "all-zero weights")
                    .help("every unit would compute the same output and get the same gradient; use `he`, `xavier` or `small(0.01)`")
                    .note("zero initialization is only for biases"),
            );
        }
        let bias = match bound.get("bias") {
            Some(v) => bias_init(env, v)?,
            None => self.defaults.bias.unwrap_or(Some(Init::Zeros)),
        };
        let (units, pieces) = (units?, pieces?);
        let init = explicit_init.map_or(Init::Xavier, |(i, _)| i);
        let spec = if name == "dense" {
            LayerSpec::Dense { units, init, bias }
        } else {
            LayerSpec::Maxout {
                units,
                pieces: usize::try_from(pieces).unwrap_or(usize::MAX),
                init,
                bias,
            }
        };
        Some((spec, explicit_init))
    }

    fn push(
        &mut self,
        spec: LayerSpec<Width>,
        span: Span,
        call_site: Option<Span>,
        explicit_init: Option<(Init, Span)>,
    ) {
        if let Some((_, loss_span)) = self.out.loss {
            self.out.after_loss.get_or_insert((span, loss_span));
            return;
        }
        self.first_layer.get_or_insert(span);
        let counter = spec.kind().name();
        let n = self.counters.entry(counter).or_insert(0);
        *n += 1;
        let name = format!("{counter}{n}");
        self.out.layers.push(BuiltLayer {
            layer: ModelLayer {
                name,
                spec,
                span,
                call_site,
            },
            explicit_init,
        });
    }
}

/// `maxout`'s `pieces` (E305 below 2).
fn maxout_pieces(env: &mut Env<'_>, bound: &Bound) -> Option<u64> {
    // A missing `pieces` is reported by the binding (it is required).
    let v = bound.get("pieces")?;
    match expect::integer(env, v, "`maxout` pieces", 0)? {
        p if p < 2 => {
            env.report(
                Diagnostic::new(
                    Code::E305,
                    format!("`maxout` needs at least 2 pieces, found {p}"),
                )
                .primary(v.span, "fewer than 2 pieces")
                .help("with one piece maxout is a plain linear layer; use `pieces: 2` or more"),
            );
            None
        }
        p => Some(p),
    }
}

/// `batchnorm`, with the library's defaults ([`BatchNormConfig::default`]) for what is not
/// written.
fn batchnorm_layer(env: &mut Env<'_>, bound: &Bound) -> Option<LayerSpec<Width>> {
    let defaults = BatchNormConfig::default();
    let momentum = match bound.get("momentum") {
        Some(v) => expect::ranged(env, v, "`batchnorm` momentum", &expect::UNIT),
        None => Some(defaults.momentum),
    };
    let eps = match bound.get("eps") {
        Some(v) => expect::ranged(env, v, "`batchnorm` eps", &expect::POSITIVE),
        None => Some(defaults.eps),
    };
    let affine = match bound.get("affine") {
        Some(v) => expect::boolean(env, v, "`affine`"),
        None => Some(true),
    };
    Some(LayerSpec::BatchNorm {
        config: BatchNormConfig {
            momentum: momentum?,
            eps: eps?,
        },
        affine: affine?,
    })
}
