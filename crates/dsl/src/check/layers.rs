//! Activations, weight initializers and bias settings of `model` layers.

use super::args::{Bound, Form, bind};
use super::expect::{self, NON_NEGATIVE};
use crate::catalogue;
use crate::eval::Env;
use crate::ir::{Activation, Init};
use crate::value::{Val, ValKind};

/// The activation `name` (a name of the catalogue's activations, which are the library's
/// [`Activation::ALL`]) with its `alpha` argument when it takes one.
pub(super) fn activation(env: &mut Env<'_>, name: &str, bound: &Bound) -> Option<Activation> {
    let typical = Activation::from_name(name).unwrap_or(Activation::Identity);
    match bound.get("alpha") {
        Some(v) if typical.has_parameter() => {
            let alpha = expect::ranged(env, v, &format!("`{name}` alpha"), &NON_NEGATIVE)?;
            Some(typical.with_parameter(alpha))
        }
        _ => Some(typical),
    }
}

/// A weight initializer.
pub(super) fn weight_init(env: &mut Env<'_>, v: &Val) -> Option<Init> {
    let (signature, callee, args) = expect::callee(
        env,
        v,
        "`init`",
        catalogue::INITIALIZERS,
        "initializer",
        "initializers",
    )?;
    let bound = bind(env, &callee, args, signature, Form::Call);
    Some(match signature.name {
        "small" => Init::Small {
            std: match bound.get("std") {
                Some(s) => {
                    expect::ranged(env, s, "the `small` standard deviation", &expect::POSITIVE)?
                }
                None => 0.01,
            },
        },
        "xavier" => Init::Xavier,
        "he" => Init::He,
        "uniform" => Init::Uniform {
            a: expect::ranged(
                env,
                bound.get("a")?,
                "the `uniform` half-width",
                &expect::POSITIVE,
            )?,
        },
        _ => Init::Zeros,
    })
}

/// A bias setting: `false` (none), `true` (zeros), a number (constant) or an initializer.
pub(super) fn bias_init(env: &mut Env<'_>, v: &Val) -> Option<Option<Init>> {
    match v.kind {
        ValKind::Bool(false) => Some(None),
        ValKind::Bool(true) => Some(Some(Init::Zeros)),
        ValKind::Num(0.0) => Some(Some(Init::Zeros)),
        ValKind::Num(value) => Some(Some(Init::Constant { value })),
        _ => weight_init(env, v).map(Some),
    }
}
