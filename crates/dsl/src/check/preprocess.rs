//! Preprocessing steps of the `data` section and their checks: `fit: all` (W409), whitening
//! without centering (E410), too many PCA components (E411), normalizing whitened data
//! (W412), and the width the model receives.

use super::args::{Form, bind};
use super::expect::{self, NON_NEGATIVE, POSITIVE};
use crate::catalogue;
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::Env;
use crate::ir::{FitOn, PcaKeep, Step};
use crate::probe::DataShape;
use crate::shapes::Width;
use crate::span::Span;
use crate::suggest;
use crate::value::Val;

pub(super) fn preprocess_steps(
    env: &mut Env<'_>,
    span: Span,
    args: &[crate::value::ValArg],
) -> (Vec<(Step, Span)>, FitOn) {
    let mut steps = Vec::new();
    let mut fit = FitOn::Train;
    for arg in args {
        if let Some(keyword) = &arg.name {
            if keyword.name != "fit" {
                let help = suggest::help_line(&keyword.name, ["fit"], "arguments");
                env.report(
                    Diagnostic::new(
                        Code::E103,
                        format!("`preprocess` has no argument `{}`", keyword.name),
                    )
                    .primary(keyword.span, "unknown argument")
                    .maybe_help(help)
                    .note("`preprocess` takes steps and `fit: train | all`"),
                );
                continue;
            }
            match arg.value.head_name() {
                Some("train") => fit = FitOn::Train,
                Some("all") => {
                    fit = FitOn::All;
                    env.report(
                        Diagnostic::new(Code::W409, "preprocessing statistics fitted on all data")
                            .primary(arg.span, "validation and test rows shape the statistics")
                            .help("remove `fit: all`: statistics fitted on the training split only keep evaluation honest"),
                    );
                }
                _ => expect::type_error(env, &arg.value, "`fit`", "`train` or `all`"),
            }
            continue;
        }
        if let Some(step) = preprocess_step(env, &arg.value) {
            steps.push((step, arg.span));
        }
    }
    order_checks(env, &steps);
    let _ = span;
    (steps, fit)
}

fn preprocess_step(env: &mut Env<'_>, v: &Val) -> Option<Step> {
    let (signature, callee, args) = expect::callee(
        env,
        v,
        "`preprocess`",
        catalogue::PREPROCESS,
        "preprocessing step",
        "preprocessing",
    )?;
    let bound = bind(env, &callee, args, signature, Form::Call);
    let real = |env: &mut Env<'_>, name: &str, default: f64, range| match bound.get(name) {
        Some(v) => expect::ranged(env, v, &format!("`{name}`"), range),
        None if bound.given(name) => None,
        None => Some(default),
    };
    Some(match signature.name {
        "scale" => Step::Scale {
            factor: expect::ranged(env, bound.get("c")?, "the scale factor", &POSITIVE)?,
        },
        "center" => Step::Center,
        "normalize" => Step::Normalize,
        "minmax" => {
            let lo = real(
                env,
                "lo",
                0.0,
                &expect::Range {
                    lo: f64::NEG_INFINITY,
                    hi: f64::INFINITY,
                    lo_inclusive: false,
                    hi_inclusive: false,
                },
            )?;
            let hi = real(
                env,
                "hi",
                1.0,
                &expect::Range {
                    lo: f64::NEG_INFINITY,
                    hi: f64::INFINITY,
                    lo_inclusive: false,
                    hi_inclusive: false,
                },
            )?;
            if lo >= hi {
                env.report(
                    Diagnostic::new(Code::E202, "`minmax` needs `lo < hi`")
                        .primary(v.span, "empty target range"),
                );
                return None;
            }
            Step::MinMax { lo, hi }
        }
        "pca" => {
            let keep = match (bound.get("components"), bound.get("variance")) {
                (Some(c), None) => PcaKeep::Components(
                    usize::try_from(expect::integer(env, c, "`components`", 1)?)
                        .unwrap_or(usize::MAX),
                ),
                (None, Some(var)) => PcaKeep::Variance(expect::ranged(
                    env,
                    var,
                    "`variance`",
                    &expect::Range {
                        lo: 0.0,
                        hi: 1.0,
                        lo_inclusive: false,
                        hi_inclusive: true,
                    },
                )?),
                (Some(_), Some(_)) => {
                    env.report(
                        Diagnostic::new(
                            Code::E107,
                            "`pca` takes `components` or `variance`, not both",
                        )
                        .primary(v.span, "both given"),
                    );
                    return None;
                }
                (None, None) => {
                    if !bound.given("components") && !bound.given("variance") {
                        super::args::missing(env, &callee, "components", Form::Call);
                    }
                    return None;
                }
            };
            Step::Pca { keep }
        }
        "whiten" => Step::Whiten {
            eps: real(env, "eps", 1e-5, &NON_NEGATIVE)?,
        },
        _ => Step::Zca {
            eps: real(env, "eps", 1e-5, &NON_NEGATIVE)?,
        },
    })
}

fn order_checks(env: &mut Env<'_>, steps: &[(Step, Span)]) {
    let mut centered = false;
    let mut whitened: Option<Span> = None;
    for (step, span) in steps {
        match step {
            Step::Center | Step::ChannelCenter => centered = true,
            Step::Whiten { .. } | Step::Zca { .. } => {
                if !centered {
                    env.report(
                        Diagnostic::new(Code::E410, "whitening needs centered data")
                            .primary(*span, "no `center` before this step")
                            .help("add `center` before it: `preprocess center, whiten(eps: 1e-5)`"),
                    );
                }
                whitened = Some(*span);
            }
            Step::Normalize => {
                if let Some(w) = whitened {
                    env.report(
                        Diagnostic::new(
                            Code::W412,
                            "`normalize` after whitening changes nothing useful",
                        )
                        .primary(*span, "redundant")
                        .secondary(w, "whitened data already has unit variance")
                        .help("remove `normalize`"),
                    );
                }
            }
            Step::Scale { .. } | Step::MinMax { .. } => centered = false,
            Step::Pca { .. } => {}
        }
    }
}

pub(super) fn preprocess_width(
    env: &mut Env<'_>,
    steps: &[(Step, Span)],
    shape: Option<&DataShape>,
) -> Width {
    let mut width = match shape {
        Some(s) => Width::Known(s.features),
        None => Width::Symbolic("data.features".into()),
    };
    for (step, span) in steps {
        if let Step::Pca { keep } = step {
            width = match (keep, &width) {
                (PcaKeep::Components(k), Width::Known(f)) if *k as u64 > *f => {
                    env.report(
                        Diagnostic::new(
                            Code::E411,
                            format!("`pca` keeps {k} components but the data has {f} features"),
                        )
                        .primary(*span, format!("at most {f} components exist"))
                        .help(format!(
                            "use `pca(components: {f})` or fewer, or `pca(variance: 0.99)`"
                        )),
                    );
                    Width::Known(*f)
                }
                (PcaKeep::Components(k), _) => Width::Known(*k as u64),
                (PcaKeep::Variance(_), _) => Width::Symbolic("data.features".into()),
            };
        }
    }
    width
}
