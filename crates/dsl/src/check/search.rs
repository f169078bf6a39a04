//! The `search` section: search spaces, metric, trials, stages, validation, refit (E501,
//! E502, W503, E504, E505, E204, E202 for bad bounds); the strategy is [`super::strategy`]'s.

use super::args::{Form, bind};
use super::expect;
use super::section::{Once, eval_args, flatten, statement};
use super::train::{SplitUses, metric_ref};
use crate::ast::{Section, SectionKind};
use crate::catalogue;
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::{Env, GlobalKind};
use crate::ir::*;
use crate::suggest;
use crate::value::{Val, ValKind};

/// Checks the `search` section.
pub(crate) fn check(
    env: &mut Env<'_>,
    section: &Section,
    uses: &mut SplitUses,
) -> Option<SearchSpec> {
    let strategy = match &section.kind {
        SectionKind::Search(Some(expr)) => super::strategy::strategy(env, expr),
        _ => Some(Strategy::Random {
            seed: DEFAULT_SAMPLER_SEED,
        }),
    };
    // A wrong strategy was reported; the body is still checked, as a random search's.
    let mut ok = strategy.is_some();
    let strategy = strategy.unwrap_or(Strategy::Random {
        seed: DEFAULT_SAMPLER_SEED,
    });
    let (commands, samples) = flatten(env, &section.body, "search", true);
    let space = space(env, &samples, &strategy, &mut ok);
    let statements = statements(env, &commands, uses, &mut ok);
    let ok = consistent(env, section, &strategy, &statements, ok);
    let Statements {
        metric,
        trials,
        epochs,
        stages,
        validate,
        refit,
        ..
    } = statements;
    let (metric, goal) = metric.unwrap_or((
        MetricRef {
            split: SplitName::Val,
            kind: MetricKind::Accuracy,
        },
        Goal::Max,
    ));
    ok.then_some(SearchSpec {
        strategy,
        space,
        metric,
        goal,
        trials,
        epochs,
        stages,
        validate,
        refit,
    })
}

/// The searched dimensions, one per `name ~ distribution` line (E105 for a param given two);
/// clears `ok` when one is wrong.
fn space(
    env: &mut Env<'_>,
    samples: &[&crate::ast::Sample],
    strategy: &Strategy,
    ok: &mut bool,
) -> Vec<SearchDim> {
    let mut space: Vec<SearchDim> = Vec::new();
    for sample in samples {
        if let Some(first) = space.iter().find(|d| d.param == sample.name.name) {
            env.report(
                Diagnostic::new(
                    Code::E105,
                    format!("`{}` has two search spaces", sample.name.name),
                )
                .primary(sample.span, "second space")
                .secondary(first.span, "first space")
                .help("keep one"),
            );
            *ok = false;
            continue;
        }
        match sample_dim(env, sample, strategy) {
            Some(dim) => space.push(dim),
            None => *ok = false,
        }
    }
    space
}

/// The section's statements, as written.
#[derive(Default)]
struct Statements {
    /// `metric split.kind, goal: …` with its goal.
    metric: Option<(MetricRef, Goal)>,
    /// `trials n`.
    trials: Option<u64>,
    /// `epochs n`.
    epochs: Option<u64>,
    /// Where `epochs n` is written.
    epochs_at: Option<crate::span::Span>,
    /// `stage …` lines.
    stages: Vec<StageSpec>,
    /// Whether a `stage` line was rejected: the stages after it are not compared with the
    /// stages before it.
    stage_rejected: bool,
    /// `validate kfold(k)`.
    validate: Option<Validation>,
    /// `refit true|false`.
    refit: Option<bool>,
}

/// Reads the statements (each but `stage` at most once); clears `ok` when one is wrong.
fn statements(
    env: &mut Env<'_>,
    commands: &[&crate::ast::Command],
    uses: &mut SplitUses,
    ok: &mut bool,
) -> Statements {
    let mut once = Once::default();
    let mut found = Statements::default();
    let locals = Vec::new();
    for command in commands {
        let Some(signature) = statement(env, command, catalogue::SEARCH_STATEMENTS, "search")
        else {
            *ok = false;
            continue;
        };
        let args = eval_args(env, command, &locals);
        if signature.name != "stage"
            && !once.first(
                env,
                signature.name,
                &format!("`{}`", signature.name),
                command.span,
            )
        {
            continue;
        }
        let b = bind(env, &command.name, &args, signature, Form::Statement);
        match signature.name {
            "metric" => {
                let Some(v) = b.get("metric") else { continue };
                match metric_and_goal(env, v, &b, uses) {
                    Some(m) => found.metric = Some(m),
                    None => *ok = false,
                }
            }
            "trials" => {
                found.trials = b
                    .get("count")
                    .and_then(|v| expect::integer(env, v, "the number of trials", 1));
                *ok &= found.trials.is_some();
            }
            "epochs" => {
                found.epochs_at = Some(command.span);
                found.epochs = b
                    .get("count")
                    .and_then(|v| stage_epochs(env, v, "`search`'s `epochs`"));
                *ok &= found.epochs.is_some();
            }
            "refit" => {
                found.refit = b
                    .get("enabled")
                    .and_then(|v| expect::boolean(env, v, "`refit`"));
                *ok &= found.refit.is_some();
            }
            "stage" => {
                let previous = match found.stages.last() {
                    _ if found.stage_rejected => Previous::Rejected,
                    Some(p) => Previous::Stage(p),
                    None => Previous::None,
                };
                match stage(env, &b, command.span, previous) {
                    Some(s) => found.stages.push(s),
                    None => {
                        found.stage_rejected = true;
                        *ok = false;
                    }
                }
            }
            _ => {
                uses.search_validates = true;
                found.validate = b.get("method").and_then(|v| validation(env, v));
                *ok &= found.validate.is_some();
            }
        }
    }
    found
}

/// `metric split.kind` and its goal (`goal: max|min`, else the metric's natural goal); the
/// split's use is recorded in `uses`.
fn metric_and_goal(
    env: &mut Env<'_>,
    v: &Val,
    b: &super::args::Bound,
    uses: &mut SplitUses,
) -> Option<(MetricRef, Goal)> {
    let m = metric_ref(env, v, "`metric`")?;
    let goal = match b.get("goal") {
        Some(g) => match g.head_name() {
            Some("max") => Goal::Max,
            Some("min") => Goal::Min,
            _ => {
                expect::type_error(env, g, "`goal`", "`max` or `min`");
                return None;
            }
        },
        None => m.kind.natural_goal(),
    };
    uses.uses
        .push((m.split, v.span, format!("`metric {}`", v.to_source())));
    Some((m, goal))
}

/// `validate kfold(k)`.
fn validation(env: &mut Env<'_>, v: &Val) -> Option<Validation> {
    let (sig, callee, args) = expect::callee(
        env,
        v,
        "`validate`",
        catalogue::VALIDATION,
        "validation method",
        "validation",
    )?;
    let inner = bind(env, &callee, args, sig, Form::Call);
    inner
        .get("k")
        .and_then(|k| expect::integer(env, k, "the number of folds", 2))
        .map(|k| Validation::KFold { k })
}

/// `ok` and whether the trials and stages fit together, with E505 where not: `trials` with
/// `stage` lines, a grid with several stages, a random search without a number of trials (only
/// said when everything else is right); for successive halving, [`halving_consistent`].
fn consistent(
    env: &mut Env<'_>,
    section: &Section,
    strategy: &Strategy,
    statements: &Statements,
    mut ok: bool,
) -> bool {
    if matches!(strategy, Strategy::Halving { .. }) {
        return halving_consistent(env, statements, ok);
    }
    let Statements { trials, stages, .. } = statements;
    if trials.is_some() && !stages.is_empty() {
        env.report(
            Diagnostic::new(Code::E505, "`trials` and `stage` lines cannot be combined")
                .primary(section.header_span, "each stage sets its own trials")
                .help("remove `trials`, or the stages"),
        );
        ok = false;
    }
    if matches!(strategy, Strategy::Grid) && stages.len() > 1 {
        env.report(
            Diagnostic::new(Code::E505, "a grid search has no coarse-to-fine stages")
                .primary(section.header_span, "a grid runs every combination once")
                .help("narrowing applies to continuous ranges: write `search random(seed: …)` for coarse-to-fine, or keep a single stage"),
        );
        ok = false;
    }
    if matches!(strategy, Strategy::Random { .. }) && trials.is_none() && stages.is_empty() && ok {
        env.report(
            Diagnostic::new(Code::E505, "random search without a number of trials")
                .primary(section.header_span, "how many trials?")
                .help("add e.g. `trials 20`, or coarse-to-fine `stage` lines"),
        );
        ok = false;
    }
    ok
}

/// `ok` unless a successive-halving search has `stage` lines or `epochs n` (E505): its rungs
/// are its stages, their budgets `min:` to `max:`.
fn halving_consistent(env: &mut Env<'_>, statements: &Statements, mut ok: bool) -> bool {
    if let Some(first) = statements.stages.first() {
        env.report(
            Diagnostic::new(Code::E505, "successive halving has no `stage` lines")
                .primary(first.span, "a stage of a halving search")
                .help("its rungs are its stages, from `min:` to `max:` epochs: remove the `stage` lines and write e.g. `search halving(min: 1 epoch, max: 27 epochs)`; `trials n` sets the first rung's size"),
        );
        ok = false;
    }
    if let Some(span) = statements.epochs_at {
        env.report(
            Diagnostic::new(Code::E505, "successive halving sets the epochs of its rungs")
                .primary(span, "`epochs` of a halving search")
                .help("remove it: each rung trains for its budget, from `min:` to `max:` epochs in `search halving(…)`"),
        );
        ok = false;
    }
    ok
}

/// One `name ~ distribution` line: a searchable, used `param` whose space fits its uses.
fn sample_dim(
    env: &mut Env<'_>,
    sample: &crate::ast::Sample,
    strategy: &Strategy,
) -> Option<SearchDim> {
    let name = &sample.name.name;
    let global = env.globals.get(name).map(|g| (g.kind, g.binding.span));
    match global {
        Some((GlobalKind::Param, _)) => {}
        Some((GlobalKind::Let, let_span)) => {
            env.report(
                Diagnostic::new(
                    Code::E501,
                    format!("`{name}` cannot be searched: it is a constant, not a hyperparameter"),
                )
                .primary(sample.name.span, "search space given here")
                .secondary(let_span, format!("`{name}` is declared with `let`"))
                .help(format!(
                    "declare it as `param {name} = …` to make it searchable"
                )),
            );
            return None;
        }
        None => {
            let mut params: Vec<&str> = env
                .globals
                .iter()
                .filter(|(_, g)| g.kind == GlobalKind::Param)
                .map(|(n, _)| n.as_str())
                .collect();
            params.sort();
            let help = suggest::help_line(name, params, "params");
            env.report(
                Diagnostic::new(Code::E502, format!("unknown name `{name}` in `search`"))
                    .primary(sample.name.span, "not a `param`")
                    .maybe_help(help)
                    .note("only `param`s can be searched"),
            );
            return None;
        }
    }
    let v = env.eval(&sample.dist, &Vec::new());
    let dist = distribution(env, &v)?;
    let default = env.globals.get(name).map(|g| g.binding.value.clone());
    if let Some(default) = default {
        let default_value = env.eval(&default, &Vec::new());
        choice_types(env, &dist, &v, &default_value, name);
    }
    if let Some(uses) = env.integer_uses.get(name).cloned()
        && !dist.is_integer()
        && let Some((use_span, what)) = uses.first()
    {
        env.report(
            Diagnostic::new(
                Code::E204,
                format!("`{name}` is used as {what} but its search space produces non-integers"),
            )
            .primary(v.span, "produces fractional values")
            .secondary(*use_span, format!("`{name}` used as {what} here"))
            .help(format!(
                "use `int(…)`, `logint(…)` or `choice(…)` of integers for `{name}`"
            )),
        );
        return None;
    }
    if matches!(strategy, Strategy::Grid) && !dist.is_finite() {
        env.report(
            Diagnostic::new(Code::E504, format!("grid search over a continuous space for `{name}`"))
                .primary(v.span, "infinitely many values")
                .help("grid search needs finite spaces: use `choice(…)`, `int(…)`, or switch to `search random`"),
        );
        return None;
    }
    if !env.used_params.contains(name) {
        env.report(
            Diagnostic::new(Code::W503, format!("`{name}` is searched but never used"))
                .primary(sample.name.span, "no section uses this param")
                .help(format!(
                    "use `{name}` in `model` or `train`, or remove this line"
                )),
        );
    }
    Some(SearchDim {
        param: name.clone(),
        dist,
        span: sample.span,
    })
}

/// E201 for a choice whose values are not of the type of the param's default.
fn choice_types(env: &mut Env<'_>, dist: &Dist, v: &Val, default: &Val, name: &str) {
    let (Dist::Choice(_), ValKind::Call { args, .. }) = (dist, &v.kind) else {
        return;
    };
    let Some(expected) = default.type_class() else {
        return;
    };
    for arg in args {
        let is_dist = arg
            .value
            .head_name()
            .is_some_and(|n| catalogue::find(catalogue::DISTRIBUTIONS, n).is_some());
        if is_dist {
            continue;
        }
        if let Some(found) = arg.value.type_class()
            && found != expected
        {
            env.report(
                Diagnostic::new(
                    Code::E201,
                    format!(
                        "`{name}` is {expected}, but this choice is {}",
                        arg.value.describe()
                    ),
                )
                .primary(arg.value.span, format!("expected {expected}"))
                .secondary(default.span, "the default value"),
            );
        }
    }
}

/// A search space: `choice(…)`, or a distribution over `[lo, hi]` (E202 for bad bounds).
fn distribution(env: &mut Env<'_>, v: &Val) -> Option<Dist> {
    let (sig, callee, args) = expect::callee(
        env,
        v,
        "a search space",
        catalogue::DISTRIBUTIONS,
        "distribution",
        "distributions",
    )?;
    if sig.name == "choice" {
        return choice(env, v, args);
    }
    let b = bind(env, &callee, args, sig, Form::Call);
    let lo_v = b.get("lo")?;
    let hi_v = b.get("hi")?;
    let lo = expect::number(env, lo_v, "the lower bound")?;
    let hi = expect::number(env, hi_v, "the upper bound")?;
    let bad = |env: &mut Env<'_>, message: String, label: &str, help: String| {
        env.report(
            Diagnostic::new(Code::E202, message)
                .primary(v.span, label.to_string())
                .help(help),
        );
        None
    };
    if lo > hi {
        return bad(
            env,
            format!("`{}` bounds are reversed", sig.name),
            "lower bound above upper bound",
            format!(
                "write `{}({}, {})`",
                sig.name,
                hi_v.to_source(),
                lo_v.to_source()
            ),
        );
    }
    let integers = matches!(sig.name, "int" | "logint");
    if integers && (lo.fract() != 0.0 || hi.fract() != 0.0) {
        return bad(
            env,
            format!("`{}` bounds must be integers", sig.name),
            "fractional bound",
            "use `uniform`/`loguniform` for real values".into(),
        );
    }
    if matches!(sig.name, "loguniform" | "logint") && lo <= 0.0 {
        return bad(
            env,
            format!(
                "`{}` lower bound must be > 0, found {}",
                sig.name,
                lo_v.to_source()
            ),
            "log of a non-positive number",
            "for 'zero or small' use `choice(0, loguniform(1e-6, 1e-2))`".into(),
        );
    }
    let inside_unit = |x: f64| x > 0.0 && x < 1.0;
    if sig.name == "log1m" && !(inside_unit(lo) && inside_unit(hi)) {
        return bad(
            env,
            "`log1m` bounds must lie in (0, 1)".into(),
            "samples 1 − x log-uniformly",
            "write e.g. `log1m(0.9, 0.999)`".into(),
        );
    }
    Some(match sig.name {
        "uniform" => Dist::Uniform { lo, hi },
        "loguniform" => Dist::LogUniform { lo, hi },
        "int" => Dist::Int {
            lo: lo as i64,
            hi: hi as i64,
        },
        "logint" => Dist::LogInt {
            lo: lo as i64,
            hi: hi as i64,
        },
        _ => Dist::Log1m { lo, hi },
    })
}

/// `choice(…)`: its options, fixed values or nested spaces (E106 for none, E103 for a named
/// one).
fn choice(env: &mut Env<'_>, v: &Val, args: &[crate::value::ValArg]) -> Option<Dist> {
    if args.is_empty() {
        env.report(
            Diagnostic::new(Code::E106, "`choice` needs at least one value")
                .primary(v.span, "empty choice")
                .help("write e.g. `choice(128, 256, 512)`"),
        );
        return None;
    }
    let mut options = Vec::new();
    for arg in args {
        if let Some(keyword) = &arg.name {
            env.report(
                Diagnostic::new(
                    Code::E103,
                    format!("`choice` has no argument `{}`", keyword.name),
                )
                .primary(keyword.span, "choices are listed without names"),
            );
            return None;
        }
        let nested = arg
            .value
            .head_name()
            .is_some_and(|n| catalogue::find(catalogue::DISTRIBUTIONS, n).is_some())
            && matches!(arg.value.kind, ValKind::Call { .. });
        if nested {
            options.push(Choice::Dist(distribution(env, &arg.value)?));
        } else {
            options.push(Choice::Value(choice_value(&super::literal(&arg.value)?)));
        }
    }
    Some(Dist::Choice(options))
}

/// A number of epochs of a trial or a stage: `5` or `5 epochs` (E203 for steps: trial budgets
/// are whole epochs).
fn stage_epochs(env: &mut Env<'_>, v: &Val, what: &str) -> Option<u64> {
    expect::count_of(env, v, what, crate::ast::TimeUnit::Epochs, &|n| {
        format!("search budgets are whole epochs: write `{n}` or `{n} epochs`")
    })
}

/// The stage before a `stage` line.
enum Previous<'a> {
    /// This is the first stage.
    None,
    /// The stage before was rejected (and reported): nothing is known of it.
    Rejected,
    /// The stage before.
    Stage(&'a StageSpec),
}

/// `stage name, trials: n, epochs: e, keep: k, shrink: s`, checked against the stage before
/// (E505 where they do not fit).
fn stage(
    env: &mut Env<'_>,
    b: &super::args::Bound,
    span: crate::span::Span,
    previous: Previous<'_>,
) -> Option<StageSpec> {
    let name =
        b.get("name")?
            .head_name()
            .map(str::to_string)
            .or_else(|| match &b.get("name")?.kind {
                ValKind::Str(s) => Some(s.clone()),
                _ => None,
            })?;
    let Some(trials_v) = b.get("trials") else {
        env.report(
            Diagnostic::new(Code::E505, format!("stage `{name}` has no `trials`"))
                .primary(span, "how many trials in this stage?")
                .help(format!("write `stage {name}, trials: 20, epochs: 5`")),
        );
        return None;
    };
    let trials = expect::integer(env, trials_v, "the trials of a stage", 1)?;
    let epochs = match b.get("epochs") {
        Some(e) => Some(stage_epochs(env, e, "a stage's `epochs:`")?),
        None => None,
    };
    let keep = match b.get("keep") {
        Some(k) => {
            let keep = expect::integer(env, k, "`keep`", 1)?;
            match previous {
                Previous::Stage(p) if keep > p.trials => {
                    env.report(
                        Diagnostic::new(
                            Code::E505,
                            format!(
                                "stage `{name}` keeps {keep} trials but stage `{}` runs only {}",
                                p.name, p.trials
                            ),
                        )
                        .primary(k.span, "more than the previous stage has")
                        .secondary(p.span, "previous stage")
                        .help(format!("use `keep: {}` or fewer", p.trials)),
                    );
                    return None;
                }
                Previous::None => {
                    env.report(
                        Diagnostic::new(
                            Code::E505,
                            format!("the first stage `{name}` has nothing to keep"),
                        )
                        .primary(k.span, "no previous stage")
                        .help("`keep` and `shrink` belong to later stages"),
                    );
                    return None;
                }
                _ => Some(keep),
            }
        }
        None => None,
    };
    let shrink = match b.get("shrink") {
        Some(s) => {
            let value = expect::number(env, s, "`shrink`")?;
            if !(value > 0.0 && value < 1.0) {
                env.report(
                    Diagnostic::new(
                        Code::E505,
                        format!("`shrink` must be in (0, 1), found {}", s.to_source()),
                    )
                    .primary(s.span, "ranges must narrow")
                    .help("e.g. `shrink: 0.5` halves each range around the best trials"),
                );
                return None;
            }
            Some(value)
        }
        None => None,
    };
    Some(StageSpec {
        name,
        trials,
        epochs,
        keep,
        shrink,
        span,
    })
}
