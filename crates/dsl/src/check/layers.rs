//! Activations, weight initializers and bias settings of `model` layers.

use super::args::{Bound, Form, bind};
use super::expect::{self, NON_NEGATIVE};
use crate::catalogue;
use crate::eval::Env;
use crate::ir::{Activation, InitSpec};
use crate::value::{Val, ValKind};

pub(super) fn activation(env: &mut Env<'_>, name: &str, bound: &Bound) -> Option<Activation> {
    let alpha = |env: &mut Env<'_>, default: f64| match bound.get("alpha") {
        Some(v) => expect::ranged(env, v, &format!("`{name}` alpha"), &NON_NEGATIVE),
        None => Some(default),
    };
    Some(match name {
        "sigmoid" => Activation::Sigmoid,
        "tanh" => Activation::Tanh,
        "relu" => Activation::Relu,
        "leaky_relu" => Activation::LeakyRelu {
            alpha: alpha(env, 0.01)?,
        },
        "elu" => Activation::Elu {
            alpha: alpha(env, 1.0)?,
        },
        "gelu" => Activation::Gelu,
        "selu" => Activation::Selu,
        "softplus" => Activation::Softplus,
        "swish" => Activation::Swish,
        _ => Activation::Identity,
    })
}

/// A weight initializer.
pub(super) fn weight_init(env: &mut Env<'_>, v: &Val) -> Option<InitSpec> {
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
        "small" => InitSpec::Small {
            std: match bound.get("std") {
                Some(s) => {
                    expect::ranged(env, s, "the `small` standard deviation", &expect::POSITIVE)?
                }
                None => 0.01,
            },
        },
        "xavier" => InitSpec::Xavier,
        "he" => InitSpec::He,
        "uniform" => InitSpec::Uniform {
            a: expect::ranged(
                env,
                bound.get("a")?,
                "the `uniform` half-width",
                &expect::POSITIVE,
            )?,
        },
        _ => InitSpec::Zeros,
    })
}

/// A bias setting: `false` (none), `true` (zeros), a number (constant) or an initializer.
pub(super) fn bias_init(env: &mut Env<'_>, v: &Val) -> Option<Option<InitSpec>> {
    match v.kind {
        ValKind::Bool(false) => Some(None),
        ValKind::Bool(true) => Some(Some(InitSpec::Zeros)),
        ValKind::Num(0.0) => Some(Some(InitSpec::Zeros)),
        ValKind::Num(value) => Some(Some(InitSpec::Constant { value })),
        _ => weight_init(env, v).map(Some),
    }
}
