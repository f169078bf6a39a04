//! The `train` section: optimizer, schedule, regularization, constraints, batch size,
//! length, evaluation, early stopping, logging and seed.

use super::args::{Bound, Form, bind};
use super::expect::{self, NON_NEGATIVE, OPEN_UNIT, POSITIVE, PROBABILITY};
use super::section::{Once, eval_args, flatten, statement};
use crate::ast::{Section, TimeUnit};
use crate::catalogue;
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::Env;
use crate::ir::*;
use crate::span::Span;
use crate::suggest;
use crate::value::{Val, ValKind};
use nnc_train::optim;

/// Where metrics and splits were named, for the cross-section checks (E405), and what is
/// known of the splits that exist.
#[derive(Debug, Default)]
pub(crate) struct SplitUses {
    pub uses: Vec<(SplitName, Span, String)>,
    /// The statements that say which splits exist (`split`, `test`, `validate`) and were
    /// written but rejected (already reported): whether a split exists is then unknown, and
    /// E405 stays silent rather than reporting a consequence of that error.
    pub rejected: Vec<&'static str>,
    /// Whether the `search` section has a `validate` line (valid or not): its folds give the
    /// search's `metric` a validation split.
    pub search_validates: bool,
}

impl SplitUses {
    /// Records that statement `word` was rejected, when `rejected`.
    pub fn rejected_if(&mut self, word: &'static str, rejected: bool) {
        if rejected {
            self.rejected.push(word);
        }
    }

    /// Whether a statement `word` that decides which splits exist was rejected.
    pub fn was_rejected(&self, word: &str) -> bool {
        self.rejected.contains(&word)
    }
}

/// The statements of a `train` section as they are read (each at most once).
struct TrainDraft {
    optimizer: Option<OptimizerSpec>,
    schedule: ScheduleSpec,
    warmup: Option<Interval>,
    regularize: Option<Penalty>,
    maxnorm: Option<f64>,
    clip: Option<f64>,
    batch: BatchSize,
    length: Option<Interval>,
    eval: Option<EvalSpec>,
    early_stop: Option<EarlyStopSpec>,
    log_every: Option<Interval>,
    keep: Option<Keep>,
    seed: Option<u64>,
}

impl Default for TrainDraft {
    fn default() -> Self {
        TrainDraft {
            optimizer: None,
            schedule: ScheduleSpec::None,
            warmup: None,
            regularize: None,
            maxnorm: None,
            clip: None,
            batch: BatchSize::Rows(32),
            length: None,
            eval: None,
            early_stop: None,
            log_every: None,
            keep: None,
            seed: None,
        }
    }
}

/// Checks the `train` section.
pub(crate) fn check(
    env: &mut Env<'_>,
    section: &Section,
    uses: &mut SplitUses,
) -> Option<TrainSpec> {
    let (commands, _) = flatten(env, &section.body, "train", false);
    let mut once = Once::default();
    let mut draft = TrainDraft::default();
    let mut ok = true;
    let locals = Vec::new();
    for command in commands {
        let Some(signature) = statement(env, command, catalogue::TRAIN_STATEMENTS, "train") else {
            ok = false;
            continue;
        };
        let args = eval_args(env, command, &locals);
        let key = if matches!(signature.name, "epochs" | "steps") {
            "length"
        } else {
            signature.name
        };
        let what = if key == "length" {
            "the training length (`epochs` or `steps`)".to_string()
        } else {
            format!("`{}`", signature.name)
        };
        if !once.first(env, key, &what, command.span) {
            continue;
        }
        let bound = bind(env, &command.name, &args, signature, Form::Statement);
        draft.read(env, signature.name, &bound, uses);
    }
    draft.finish(env, section, &once, ok)
}

impl TrainDraft {
    /// Reads the statement `name` with its bound arguments.
    fn read(&mut self, env: &mut Env<'_>, name: &str, bound: &Bound, uses: &mut SplitUses) {
        let first = catalogue::find(catalogue::TRAIN_STATEMENTS, name)
            .and_then(|s| s.args.first())
            .map_or("", |a| a.name);
        let value = bound.get(first);
        match name {
            "optimizer" => self.optimizer = value.and_then(|v| optimizer_spec(env, v)),
            "schedule" => {
                if let Some(s) = value.and_then(|v| schedule_spec(env, v)) {
                    self.schedule = s;
                }
                self.warmup = bound
                    .get("warmup")
                    .and_then(|v| expect::interval(env, v, "`warmup`"));
            }
            "regularize" => {
                if let Some(r) = value.and_then(|v| regularizer_spec(env, v)) {
                    self.regularize = r;
                }
            }
            "constrain" => self.maxnorm = value.and_then(|v| max_norm(env, v)),
            "clip" => {
                self.clip =
                    value.and_then(|v| expect::ranged(env, v, "the gradient-norm bound", &POSITIVE))
            }
            "batch" => {
                if let Some(b) = value.and_then(|v| batch_size(env, v)) {
                    self.batch = b;
                }
            }
            "epochs" => {
                self.length = value
                    .and_then(|v| {
                        expect::count_of(env, v, "`epochs`", TimeUnit::Epochs, &|n| {
                            format!("to train for a number of steps, write `steps {n}`")
                        })
                    })
                    .map(|n| Interval::Epochs(n as f64))
            }
            "steps" => {
                self.length = value
                    .and_then(|v| {
                        expect::count_of(env, v, "`steps`", TimeUnit::Steps, &|n| {
                            format!("to train for a number of epochs, write `epochs {n}`")
                        })
                    })
                    .map(Interval::Steps)
            }
            "eval" => self.eval = eval_spec(env, bound, uses),
            "early_stop" => self.early_stop = early_stop_spec(env, bound, uses),
            "log" => {
                self.log_every = bound
                    .get("every")
                    .and_then(|v| expect::interval(env, v, "the logging period"))
            }
            "keep" => self.keep = value.and_then(|v| keep_spec(env, v, uses)),
            _ => self.seed = value.and_then(|v| expect::integer(env, v, "`seed`", 0)),
        }
    }

    /// The section, when it has an optimizer and a length (E106 otherwise) and every
    /// statement was valid.
    fn finish(
        self,
        env: &mut Env<'_>,
        section: &Section,
        once: &Once,
        ok: bool,
    ) -> Option<TrainSpec> {
        let Some(optimizer) = self.optimizer else {
            if ok && !once_has(once, env, section, "optimizer") {
                env.report(
                    Diagnostic::new(Code::E106, "the `train` section has no `optimizer`")
                        .primary(section.header_span, "how should the weights be updated?")
                        .help("add e.g. `optimizer sgd(lr: 0.01, momentum: 0.9)`"),
                );
            }
            return None;
        };
        let Some(length) = self.length else {
            if ok
                && !once_has(once, env, section, "epochs")
                && !once_has(once, env, section, "steps")
            {
                env.report(
                    Diagnostic::new(
                        Code::E106,
                        "the `train` section does not say how long to train",
                    )
                    .primary(section.header_span, "no `epochs` or `steps`")
                    .help("add e.g. `epochs 10` or `steps 1000`"),
                );
            }
            return None;
        };
        ok.then_some(TrainSpec {
            optimizer,
            schedule: self.schedule,
            warmup: self.warmup,
            regularize: self.regularize,
            maxnorm: self.maxnorm,
            clip_grad_norm: self.clip,
            batch: self.batch,
            length,
            eval: self.eval,
            early_stop: self.early_stop,
            log_every: self.log_every,
            seed: self.seed,
            keep: self.keep,
        })
    }
}

/// `constrain maxnorm(c)`: the bound `c`.
fn max_norm(env: &mut Env<'_>, v: &Val) -> Option<f64> {
    let (sig, callee, args) = expect::callee(
        env,
        v,
        "`constrain`",
        catalogue::CONSTRAINTS,
        "constraint",
        "constraints",
    )?;
    let inner = bind(env, &callee, args, sig, Form::Call);
    expect::ranged(env, inner.get("c")?, "the max-norm bound", &POSITIVE)
}

/// `batch full` or `batch N` (N ≥ 1).
fn batch_size(env: &mut Env<'_>, v: &Val) -> Option<BatchSize> {
    match v.head_name() {
        Some("full") => Some(BatchSize::Full),
        _ => expect::integer(env, v, "the batch size", 1)
            .map(|n| BatchSize::Rows(usize::try_from(n).unwrap_or(usize::MAX))),
    }
}

/// `keep best` (needs a validation split) or `keep last`.
fn keep_spec(env: &mut Env<'_>, v: &Val, uses: &mut SplitUses) -> Option<Keep> {
    let word = match &v.kind {
        ValKind::Name { name, .. } => name.as_str(),
        _ => {
            expect::type_error(env, v, "`keep`", "`best` or `last`");
            return None;
        }
    };
    match word {
        "best" => {
            uses.uses
                .push((SplitName::Val, v.span, "`keep best`".into()));
            Some(Keep::Best)
        }
        "last" => Some(Keep::Last),
        other => {
            let help =
                suggest::help_line(other, catalogue::KEEP_CHOICES.iter().copied(), "choices");
            env.report(
                Diagnostic::new(Code::E102, format!("`keep {other}`: keep `best` or `last`"))
                    .primary(v.span, "not a choice of `keep`")
                    .maybe_help(help)
                    .note("`keep best` ends the run with the weights of the best validation evaluation, `keep last` with the last step's"),
            );
            None
        }
    }
}

/// Whether the section has a statement `word` (so a failed one is not reported as missing).
fn once_has(_once: &Once, _env: &Env<'_>, section: &Section, word: &str) -> bool {
    section.body.stmts.iter().any(|s| match s {
        crate::ast::Stmt::Chain(c) => c.commands.iter().any(|c| c.name.name == word),
        _ => false,
    })
}

fn real(
    env: &mut Env<'_>,
    bound: &Bound,
    name: &str,
    default: f64,
    range: &expect::Range,
) -> Option<f64> {
    match bound.get(name) {
        Some(v) => expect::ranged(env, v, &format!("`{name}`"), range),
        None if bound.given(name) => None,
        None => Some(default),
    }
}

fn optimizer_spec(env: &mut Env<'_>, v: &Val) -> Option<OptimizerSpec> {
    let (sig, callee, args) = expect::callee(
        env,
        v,
        "`optimizer`",
        catalogue::OPTIMIZERS,
        "optimizer",
        "optimizers",
    )?;
    let b = bind(env, &callee, args, sig, Form::Call);
    let default_lr = match sig.name {
        "sgd" | "adagrad" => 0.01,
        _ => 1e-3,
    };
    if sig.name == "sgd" && !b.given("lr") {
        return None;
    }
    let lr = real(env, &b, "lr", default_lr, &POSITIVE);
    let eps_default = if sig.name == "adagrad" {
        optim::ADAGRAD_EPS
    } else {
        optim::ADAM_EPS
    };
    let eps = real(env, &b, "eps", eps_default, &POSITIVE);
    Some(match sig.name {
        "sgd" => {
            let momentum = real(env, &b, "momentum", 0.0, &PROBABILITY);
            let dampening = real(env, &b, "dampening", 0.0, &PROBABILITY);
            let nesterov = match b.get("nesterov") {
                Some(n) => expect::boolean(env, n, "`nesterov`"),
                None => Some(false),
            };
            let (lr, momentum, dampening, nesterov) = (lr?, momentum?, dampening?, nesterov?);
            if nesterov && momentum == 0.0 {
                env.report(
                    Diagnostic::new(Code::E202, "Nesterov momentum needs `momentum` > 0")
                        .primary(v.span, "`nesterov: true` without momentum")
                        .help("add e.g. `momentum: 0.9`"),
                );
                return None;
            }
            OptimizerSpec::Sgd {
                lr,
                momentum,
                nesterov,
                dampening,
            }
        }
        "adagrad" => OptimizerSpec::Adagrad { lr: lr?, eps: eps? },
        "rmsprop" => OptimizerSpec::RmsProp {
            decay: real(env, &b, "decay", optim::RMSPROP_DECAY, &OPEN_UNIT)?,
            lr: lr?,
            eps: eps?,
        },
        name => {
            let beta1 = real(env, &b, "beta1", optim::ADAM_BETA1, &PROBABILITY)?;
            let beta2 = real(env, &b, "beta2", optim::ADAM_BETA2, &PROBABILITY)?;
            if name == "adam" {
                OptimizerSpec::Adam {
                    lr: lr?,
                    beta1,
                    beta2,
                    eps: eps?,
                }
            } else {
                OptimizerSpec::AdamW {
                    weight_decay: real(
                        env,
                        &b,
                        "weight_decay",
                        optim::ADAMW_WEIGHT_DECAY,
                        &NON_NEGATIVE,
                    )?,
                    lr: lr?,
                    beta1,
                    beta2,
                    eps: eps?,
                }
            }
        }
    })
}

fn schedule_spec(env: &mut Env<'_>, v: &Val) -> Option<ScheduleSpec> {
    let (sig, callee, args) = expect::callee(
        env,
        v,
        "`schedule`",
        catalogue::SCHEDULES,
        "schedule",
        "schedules",
    )?;
    let b = bind(env, &callee, args, sig, Form::Call);
    let factor = |env: &mut Env<'_>, default| real(env, &b, "factor", default, &OPEN_UNIT);
    Some(match sig.name {
        "none" => ScheduleSpec::None,
        "step" => ScheduleSpec::Step {
            every: expect::interval(env, b.get("every")?, "the step period")?,
            factor: factor(env, 0.1)?,
        },
        "exp" => ScheduleSpec::Exp {
            k: expect::ranged(env, b.get("k")?, "the decay constant `k`", &POSITIVE)?,
        },
        "inv" => ScheduleSpec::Inv {
            k: expect::ranged(env, b.get("k")?, "the decay constant `k`", &POSITIVE)?,
            power: real(env, &b, "power", 1.0, &POSITIVE)?,
        },
        "multistep" => {
            let at = b.get("at")?;
            let ValKind::List(items) = &at.kind else {
                expect::type_error(
                    env,
                    at,
                    "`at`",
                    "a list of milestones such as `[10 epochs, 20 epochs]`",
                );
                return None;
            };
            let mut milestones = Vec::new();
            for item in items {
                milestones.push(expect::interval(env, item, "a milestone")?);
            }
            let units_mixed = milestones
                .windows(2)
                .any(|w| std::mem::discriminant(&w[0]) != std::mem::discriminant(&w[1]));
            let value = |i: &Interval| match i {
                Interval::Epochs(e) => *e,
                Interval::Steps(s) => *s as f64,
            };
            if units_mixed || milestones.windows(2).any(|w| value(&w[0]) >= value(&w[1])) {
                env.report(
                    Diagnostic::new(Code::E202, "milestones must increase and share one unit")
                        .primary(at.span, "not increasing in one unit"),
                );
                return None;
            }
            ScheduleSpec::MultiStep {
                at: milestones,
                factor: factor(env, 0.1)?,
            }
        }
        _ => ScheduleSpec::Cosine {
            period: match b.get("period") {
                Some(p) => Some(expect::interval(env, p, "the cosine period")?),
                None => None,
            },
            min_lr: real(env, &b, "min_lr", 0.0, &NON_NEGATIVE)?,
        },
    })
}

/// `regularize none|l2(λ)|l1(λ)|elastic(l1, l2)`: the penalty (`Some(None)` for `none`), or
/// `None` after an error.
fn regularizer_spec(env: &mut Env<'_>, v: &Val) -> Option<Option<Penalty>> {
    let (sig, callee, args) = expect::callee(
        env,
        v,
        "`regularize`",
        catalogue::REGULARIZERS,
        "regularizer",
        "regularizers",
    )?;
    let b = bind(env, &callee, args, sig, Form::Call);
    let strength = |env: &mut Env<'_>, name: &str| {
        expect::ranged(
            env,
            b.get(name)?,
            &format!("the `{}` strength", sig.name),
            &NON_NEGATIVE,
        )
    };
    Some(match sig.name {
        "none" => None,
        "l2" => Some(Penalty::L2(strength(env, "lambda")?)),
        "l1" => Some(Penalty::L1(strength(env, "lambda")?)),
        _ => Some(Penalty::Elastic {
            l1: strength(env, "l1")?,
            l2: strength(env, "l2")?,
        }),
    })
}

/// Parses `split.metric` (E102 with did-you-mean for unknown ones).
pub(crate) fn metric_ref(env: &mut Env<'_>, v: &Val, what: &str) -> Option<MetricRef> {
    let name = match &v.kind {
        ValKind::Name { name, .. } => name.clone(),
        _ => {
            expect::type_error(env, v, what, "a metric such as `val.accuracy`");
            return None;
        }
    };
    let parsed = name
        .split_once('.')
        .and_then(|(split, kind)| Some((split_name(split)?, metric_kind(kind)?)));
    match parsed {
        Some((split, kind)) => Some(MetricRef { split, kind }),
        None => {
            let help = suggest::help_line(&name, catalogue::METRICS.iter().copied(), "metrics");
            env.report(
                Diagnostic::new(Code::E102, format!("unknown metric `{name}`"))
                    .primary(v.span, "not a metric")
                    .maybe_help(help),
            );
            None
        }
    }
}

fn split_name(word: &str) -> Option<SplitName> {
    Some(match word {
        "train" => SplitName::Train,
        "val" => SplitName::Val,
        "test" => SplitName::Test,
        _ => return None,
    })
}

fn metric_kind(word: &str) -> Option<MetricKind> {
    Some(match word {
        "loss" => MetricKind::Loss,
        "accuracy" => MetricKind::Accuracy,
        _ => return None,
    })
}

fn eval_spec(env: &mut Env<'_>, b: &Bound, uses: &mut SplitUses) -> Option<EvalSpec> {
    let v = b.get("split")?;
    let split = match v.head_name().and_then(split_name) {
        Some(s) if matches!(v.kind, ValKind::Name { .. }) => s,
        _ => {
            if let ValKind::Name { name, .. } = &v.kind {
                let help = suggest::help_line(name, catalogue::SPLITS.iter().copied(), "splits");
                env.report(
                    Diagnostic::new(Code::E102, format!("unknown split `{name}`"))
                        .primary(v.span, "not a split")
                        .maybe_help(help),
                );
            } else {
                expect::type_error(env, v, "`eval`", "a split (`val`, `test` or `train`)");
            }
            return None;
        }
    };
    uses.uses
        .push((split, v.span, format!("`eval {}`", v.to_source())));
    let every = match b.get("every") {
        Some(e) => expect::interval(env, e, "the evaluation period")?,
        None => Interval::Epochs(1.0),
    };
    Some(EvalSpec { split, every })
}

fn early_stop_spec(env: &mut Env<'_>, b: &Bound, uses: &mut SplitUses) -> Option<EarlyStopSpec> {
    let v = b.get("metric")?;
    let metric = metric_ref(env, v, "`early_stop`")?;
    uses.uses.push((
        metric.split,
        v.span,
        format!("`early_stop {}`", v.to_source()),
    ));
    if metric.split != SplitName::Val {
        let (why, kind) = match metric.split {
            SplitName::Test => (
                "stopping on the test split tunes the run to the test set, which then no longer measures anything",
                "test",
            ),
            _ => (
                "the training metrics keep improving while the model overfits, so they cannot tell when to stop",
                "train",
            ),
        };
        env.report(
            Diagnostic::new(
                Code::E201,
                format!("early stopping watches the validation split, not `{kind}`"),
            )
            .primary(v.span, "not a validation metric")
            .note(why)
            .help("write `early_stop val.loss` or `early_stop val.accuracy` (with a `val` share in `split`)"),
        );
        return None;
    }
    let patience = match b.get("patience") {
        Some(p) => expect::integer(env, p, "`patience`", 1)?,
        None => 10,
    };
    let min_delta = real(env, b, "min_delta", 0.0, &NON_NEGATIVE)?;
    Some(EarlyStopSpec {
        metric,
        goal: metric.kind.natural_goal(),
        patience,
        min_delta,
    })
}
