//! The strategy of a `search` section: `search random(seed: …)`, `search grid` or
//! `search halving(seed: …, eta: …, min: …, max: …)` (E202 for an `eta` below 2 or budgets
//! out of order, E203 for a budget in steps, E106 for a missing `min`/`max`).

use super::args::{Bound, Form, bind};
use super::expect;
use crate::ast::{Expr, TimeUnit};
use crate::catalogue;
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::Env;
use crate::ir::{DEFAULT_ETA, DEFAULT_SAMPLER_SEED, Strategy};
use crate::pretty::format_number;
use crate::value::{Val, ValKind};

/// `search random(seed: …)`, `search grid` or `search halving(…)`.
pub(crate) fn strategy(env: &mut Env<'_>, expr: &Expr) -> Option<Strategy> {
    let v = env.eval(expr, &Vec::new());
    let (sig, callee, args) = expect::callee(
        env,
        &v,
        "`search`",
        catalogue::STRATEGIES,
        "search strategy",
        "strategies",
    )?;
    let b = bind(env, &callee, args, sig, Form::Call);
    match sig.name {
        "grid" => Some(Strategy::Grid),
        "halving" => halving(env, &b),
        _ => Some(Strategy::Random {
            seed: seed(env, &b)?,
        }),
    }
}

/// The sampler's `seed:` ([`DEFAULT_SAMPLER_SEED`] when absent).
fn seed(env: &mut Env<'_>, b: &Bound) -> Option<u64> {
    match b.get("seed") {
        Some(s) => expect::integer(env, s, "`seed`", 0),
        None => Some(DEFAULT_SAMPLER_SEED),
    }
}

/// `halving(seed: s, eta: η, min: r epochs, max: R epochs)`: every argument is checked (and
/// reported) before giving up.
fn halving(env: &mut Env<'_>, b: &Bound) -> Option<Strategy> {
    let seed = seed(env, b);
    let eta = match b.get("eta") {
        Some(e) => eta(env, e),
        None => Some(DEFAULT_ETA),
    };
    let min = b.get("min").and_then(|v| budget(env, v, "min"));
    let max = b.get("max").and_then(|v| budget(env, v, "max"));
    let (min_epochs, max_epochs) = (min?, max?);
    if max_epochs < min_epochs {
        let (Some(min_v), Some(max_v)) = (b.get("min"), b.get("max")) else {
            return None;
        };
        env.report(
            Diagnostic::new(
                Code::E202,
                format!(
                    "`max` ({}) is below `min` ({})",
                    epochs_text(max_epochs as f64),
                    epochs_text(min_epochs as f64)
                ),
            )
            .primary(max_v.span, "the last rung's budget")
            .secondary(min_v.span, "the first rung's budget")
            .help(format!(
                "the rungs grow from `min:` to `max:`: write `min: {}, max: {}`",
                max_v.to_source(),
                min_v.to_source()
            )),
        );
        return None;
    }
    Some(Strategy::Halving {
        seed: seed?,
        eta: eta?,
        min_epochs,
        max_epochs,
    })
}

/// `eta:`, an integer of at least 2 (E202 with what it means below that).
fn eta(env: &mut Env<'_>, v: &Val) -> Option<u64> {
    if let ValKind::Num(n) = v.kind
        && n.fract() == 0.0
        && n < 2.0
    {
        let diagnostic = Diagnostic::new(
            Code::E202,
            format!("`eta` must be at least 2, found {}", format_number(n)),
        )
        .primary(v.span, "not at least 2")
        .help("each rung keeps the best 1/eta of the trials for eta times the epochs: write e.g. `eta: 3`");
        env.report(expect::with_origin(env, v, diagnostic));
        return None;
    }
    expect::integer(env, v, "`eta`", 2)
}

/// A budget `min:`/`max:`: a whole number of epochs, at least 1, written `3 epochs` or `3`
/// (E203 for steps, E202 for fractions and zero).
fn budget(env: &mut Env<'_>, v: &Val, name: &str) -> Option<u64> {
    env.mark_integer_use(v, &format!("`{name}`"));
    let n = match v.kind {
        ValKind::Quantity {
            value,
            unit: TimeUnit::Epochs,
        } => value,
        ValKind::Num(n) => n,
        ValKind::Quantity {
            unit: TimeUnit::Steps,
            ..
        } => {
            let diagnostic = Diagnostic::new(
                Code::E203,
                format!("`{name}` counts epochs, found {}", v.describe()),
            )
            .primary(v.span, "steps")
            .help(format!(
                "halving budgets are whole epochs: write e.g. `{name}: {}`",
                if name == "min" {
                    "1 epoch"
                } else {
                    "27 epochs"
                }
            ));
            env.report(expect::with_origin(env, v, diagnostic));
            return None;
        }
        _ => {
            expect::type_error(
                env,
                v,
                &format!("`{name}`"),
                "a number of epochs such as `3 epochs`",
            );
            return None;
        }
    };
    if n.fract() != 0.0 || !(1.0..=1e15).contains(&n) {
        let diagnostic = Diagnostic::new(
            Code::E202,
            format!(
                "`{name}` must be a whole number of epochs, at least 1, found {}",
                v.describe()
            ),
        )
        .primary(v.span, "not a whole, positive number of epochs")
        .help(format!(
            "halving budgets are whole epochs: write e.g. `{name}: {}`",
            epochs_text(n.round().clamp(1.0, 1e15))
        ));
        env.report(expect::with_origin(env, v, diagnostic));
        return None;
    }
    Some(n as u64)
}

/// `1 epoch`, `27 epochs`.
fn epochs_text(n: f64) -> String {
    if n == 1.0 {
        "1 epoch".to_string()
    } else {
        format!("{} epochs", format_number(n))
    }
}
