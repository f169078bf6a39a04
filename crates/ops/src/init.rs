//! Weight and bias initialisers, seeded from an explicit generator.
//!
//! For a weight `[fan_in, fan_out]` (dense: inputs × units):
//!
//! | initialiser | distribution | std | source |
//! |---|---|---|---|
//! | [`Init::Small`] `{ std }` | `std · N(0, 1)` | `std` | CS231n's "small random numbers", 0.01 |
//! | [`Init::Xavier`] | `N(0, 1) / √fan_in` | `1/√fan_in` | CS231n's "Xavier" (LeCun et al. 1998's variance rule) |
//! | [`Init::GlorotNormal`] `{ gain }` | normal | `gain · √(2 / (fan_in + fan_out))` | Glorot & Bengio 2010 |
//! | [`Init::GlorotUniform`] `{ gain }` | `U(−a, a)`, `a = gain · √(6 / (fan_in + fan_out))` | `a/√3` | Glorot & Bengio 2010 |
//! | [`Init::He`] | `N(0, 1) · √(2 / fan_in)` | `√(2/fan_in)` | He, Zhang, Ren & Sun 2015 |
//! | [`Init::HeUniform`] | `U(−a, a)`, `a = √(6 / fan_in)` | `√(2/fan_in)` | He et al. 2015 |
//! | [`Init::KaimingNormal`] `{ gain }` | normal | `gain / √fan_in` | PyTorch's `kaiming_normal_` |
//! | [`Init::KaimingUniform`] `{ gain }` | `U(−a, a)`, `a = gain · √(3 / fan_in)` | `gain/√fan_in` | PyTorch's `kaiming_uniform_` |
//! | [`Init::Uniform`] `{ a }` | `U(−a, a)` | `a/√3` | |
//! | [`Init::Zeros`] | 0 | 0 | biases only |
//! | [`Init::Constant`] `{ value }` | `value` | 0 | biases only (e.g. 0.01 for ReLU units) |
//!
//! Why it matters (CS231n, "Training Neural Networks I"): with `small(0.01)` the activations of
//! a deep tanh net shrink by a factor `0.01·√fan_in` per layer and collapse to zero, so the
//! gradients on the weights vanish; Xavier keeps the variance of a layer's output equal to that
//! of its input for linear (and nearly for tanh) units; ReLU zeroes half of its inputs, halving
//! the variance at every layer, which He's extra factor 2 compensates. Gains per activation
//! come from [`Activation::gain`](crate::Activation::gain): `KaimingNormal { gain: √2 }` is He.
//!
//! Zero (or constant) weights are refused: every unit would compute the same output and get the
//! same update forever (no symmetry breaking).

use crate::error::{OpsError, Result};
use nnc_tape::{Float, Rng, Tensor};

/// An initialiser (see the [module docs](self) for the formulas).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Init {
    /// `std · N(0, 1)`; the textbook uses 0.01.
    Small {
        /// Standard deviation, `≥ 0`.
        std: f64,
    },
    /// `N(0, 1) / √fan_in` (Xavier as taught in CS231n; LeCun normal).
    Xavier,
    /// `gain · √(2 / (fan_in + fan_out)) · N(0, 1)` (Glorot & Bengio 2010, normal form).
    GlorotNormal {
        /// Activation gain (1 for linear/sigmoid, 5/3 for tanh).
        gain: f64,
    },
    /// `U(−a, a)` with `a = gain · √(6 / (fan_in + fan_out))` (Glorot & Bengio 2010).
    GlorotUniform {
        /// Activation gain.
        gain: f64,
    },
    /// `N(0, 1) · √(2 / fan_in)` (He et al. 2015, for ReLU).
    He,
    /// `U(−a, a)` with `a = √(6 / fan_in)` (He et al. 2015, uniform form).
    HeUniform,
    /// `gain / √fan_in · N(0, 1)` (Kaiming normal with an explicit gain).
    KaimingNormal {
        /// Activation gain.
        gain: f64,
    },
    /// `U(−a, a)` with `a = gain · √(3 / fan_in)` (Kaiming uniform with an explicit gain).
    KaimingUniform {
        /// Activation gain.
        gain: f64,
    },
    /// `U(−a, a)`.
    Uniform {
        /// Half-width, `> 0`.
        a: f64,
    },
    /// All zeros (biases only).
    Zeros,
    /// A constant (biases only).
    Constant {
        /// The value.
        value: f64,
    },
}

/// The shape of a distribution an initialiser draws from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// `N(0, std²)`.
    Normal {
        /// Standard deviation.
        std: f64,
    },
    /// `U(−a, a)`.
    Uniform {
        /// Half-width.
        a: f64,
    },
    /// Every value equal.
    Constant {
        /// The value.
        value: f64,
    },
}

impl Distribution {
    /// The standard deviation (`a/√3` for a uniform, 0 for a constant).
    pub fn std(&self) -> f64 {
        match *self {
            Distribution::Normal { std } => std,
            Distribution::Uniform { a } => a / 3f64.sqrt(),
            Distribution::Constant { .. } => 0.0,
        }
    }
}

impl Init {
    /// The name as written in the `.nn` language.
    pub fn name(&self) -> &'static str {
        match self {
            Init::Small { .. } => "small",
            Init::Xavier => "xavier",
            Init::GlorotNormal { .. } => "glorot_normal",
            Init::GlorotUniform { .. } => "glorot_uniform",
            Init::He => "he",
            Init::HeUniform => "he_uniform",
            Init::KaimingNormal { .. } => "kaiming_normal",
            Init::KaimingUniform { .. } => "kaiming_uniform",
            Init::Uniform { .. } => "uniform",
            Init::Zeros => "zeros",
            Init::Constant { .. } => "constant",
        }
    }

    /// Whether it is only valid for biases (zeros, constants).
    pub fn is_bias_only(&self) -> bool {
        matches!(self, Init::Zeros | Init::Constant { .. })
    }

    /// The distribution for a tensor with the given fans; fails for a zero fan where one is
    /// needed or an invalid setting (negative std, non-positive half-width or gain).
    pub fn distribution(&self, fan_in: usize, fan_out: usize) -> Result<Distribution> {
        let positive = |what: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(OpsError::config(
                    "init",
                    format!(
                        "{}: {what} must be a finite number > 0, got {v}",
                        self.name()
                    ),
                ))
            }
        };
        let fan = |f: usize| {
            if f == 0 {
                Err(OpsError::config(
                    "init",
                    format!("{} needs a fan of at least 1", self.name()),
                ))
            } else {
                Ok(f as f64)
            }
        };
        Ok(match *self {
            Init::Small { std } => {
                if !(std.is_finite() && std >= 0.0) {
                    return Err(OpsError::config(
                        "init",
                        format!("small: std must be a finite number ≥ 0, got {std}"),
                    ));
                }
                Distribution::Normal { std }
            }
            Init::Xavier => Distribution::Normal {
                std: 1.0 / fan(fan_in)?.sqrt(),
            },
            Init::GlorotNormal { gain } => Distribution::Normal {
                std: positive("gain", gain)? * (2.0 / (fan(fan_in)? + fan(fan_out)?)).sqrt(),
            },
            Init::GlorotUniform { gain } => Distribution::Uniform {
                a: positive("gain", gain)? * (6.0 / (fan(fan_in)? + fan(fan_out)?)).sqrt(),
            },
            Init::He => Distribution::Normal {
                std: (2.0 / fan(fan_in)?).sqrt(),
            },
            Init::HeUniform => Distribution::Uniform {
                a: (6.0 / fan(fan_in)?).sqrt(),
            },
            Init::KaimingNormal { gain } => Distribution::Normal {
                std: positive("gain", gain)? / fan(fan_in)?.sqrt(),
            },
            Init::KaimingUniform { gain } => Distribution::Uniform {
                a: positive("gain", gain)? * (3.0 / fan(fan_in)?).sqrt(),
            },
            Init::Uniform { a } => Distribution::Uniform {
                a: positive("the half-width a", a)?,
            },
            Init::Zeros => Distribution::Constant { value: 0.0 },
            Init::Constant { value } => {
                if !value.is_finite() {
                    return Err(OpsError::config(
                        "init",
                        format!("constant: the value must be finite, got {value}"),
                    ));
                }
                Distribution::Constant { value }
            }
        })
    }

    /// The standard deviation of the values drawn for the given fans.
    pub fn std(&self, fan_in: usize, fan_out: usize) -> Result<f64> {
        Ok(self.distribution(fan_in, fan_out)?.std())
    }

    /// A tensor of `shape` drawn from this initialiser with the given fans (row-major draws
    /// from `rng`).
    pub fn sample<T: Float>(
        &self,
        shape: &[usize],
        fan_in: usize,
        fan_out: usize,
        rng: &mut Rng,
    ) -> Result<Tensor<T>> {
        Ok(match self.distribution(fan_in, fan_out)? {
            Distribution::Normal { std } => Tensor::randn(shape, std, rng),
            Distribution::Uniform { a } => Tensor::uniform(shape, -a, a, rng)?,
            Distribution::Constant { value } => Tensor::full(shape, T::from_f64(value)),
        })
    }

    /// A weight `[fan_in, fan_out]`. Zeros and constants are refused: every unit would compute
    /// the same output (no symmetry breaking).
    pub fn weight<T: Float>(
        &self,
        fan_in: usize,
        fan_out: usize,
        rng: &mut Rng,
    ) -> Result<Tensor<T>> {
        if self.is_bias_only() {
            return Err(OpsError::config(
                "init",
                format!(
                    "`{}` cannot initialise weights: every unit would compute the same output \
                     and get the same update; use it for biases, and small(0.01), xavier or he \
                     for weights",
                    self.name()
                ),
            ));
        }
        self.sample(&[fan_in, fan_out], fan_in, fan_out, rng)
    }

    /// A bias `[width]` for a layer with `fan_in` inputs (random initialisers use the layer's
    /// fans; zeros is the usual choice).
    pub fn bias<T: Float>(&self, width: usize, fan_in: usize, rng: &mut Rng) -> Result<Tensor<T>> {
        self.sample(&[width], fan_in, width, rng)
    }
}

impl std::fmt::Display for Init {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Init::Small { std } => write!(f, "small({std})"),
            Init::GlorotNormal { gain } | Init::GlorotUniform { gain } => {
                write!(f, "{}(gain: {gain})", self.name())
            }
            Init::KaimingNormal { gain } | Init::KaimingUniform { gain } => {
                write!(f, "{}(gain: {gain})", self.name())
            }
            Init::Uniform { a } => write!(f, "uniform({a})"),
            Init::Constant { value } => write!(f, "{value}"),
            _ => f.write_str(self.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnc_tape::rng;

    #[test]
    fn formulas() {
        let (i, o) = (400, 100);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-15;
        assert!(close(Init::Small { std: 0.01 }.std(i, o).unwrap(), 0.01));
        assert!(close(Init::Xavier.std(i, o).unwrap(), 0.05));
        assert!(close(Init::He.std(i, o).unwrap(), (2.0f64 / 400.0).sqrt()));
        assert!(close(
            Init::HeUniform.std(i, o).unwrap(),
            (2.0f64 / 400.0).sqrt()
        ));
        let g = Init::GlorotUniform { gain: 1.0 }
            .distribution(i, o)
            .unwrap();
        assert_eq!(
            g,
            Distribution::Uniform {
                a: (6.0f64 / 500.0).sqrt()
            }
        );
        assert!(close(
            Init::GlorotNormal { gain: 1.0 }.std(i, o).unwrap(),
            (2.0f64 / 500.0).sqrt()
        ));
        let he = Init::He.std(i, o).unwrap();
        let kaiming = Init::KaimingNormal { gain: 2f64.sqrt() }.std(i, o).unwrap();
        assert!((he - kaiming).abs() < 1e-15);
        assert!(close(
            Init::Uniform { a: 0.3 }.std(i, o).unwrap(),
            0.3 / 3f64.sqrt()
        ));
    }

    #[test]
    fn zeros_are_refused_for_weights_and_fine_for_biases() {
        let mut r = rng(0);
        let e = Init::Zeros.weight::<f32>(3, 4, &mut r).unwrap_err();
        assert!(
            e.to_string()
                .contains("every unit would compute the same output"),
            "{e}"
        );
        assert_eq!(
            Init::Zeros.bias::<f32>(4, 3, &mut r).unwrap(),
            Tensor::zeros(&[4])
        );
        let c = Init::Constant { value: 0.01 }
            .bias::<f64>(2, 3, &mut r)
            .unwrap();
        assert_eq!(c.data(), &[0.01, 0.01]);
    }

    #[test]
    fn invalid_settings_are_errors() {
        assert!(Init::Small { std: -1.0 }.std(1, 1).is_err());
        assert!(Init::Uniform { a: 0.0 }.std(1, 1).is_err());
        assert!(Init::GlorotNormal { gain: -1.0 }.std(1, 1).is_err());
        assert!(Init::Xavier.std(0, 1).is_err());
    }

    #[test]
    fn seeded_draws_repeat() {
        let a = Init::He.weight::<f32>(5, 6, &mut rng(3)).unwrap();
        let b = Init::He.weight::<f32>(5, 6, &mut rng(3)).unwrap();
        assert_eq!(a, b);
    }
}
