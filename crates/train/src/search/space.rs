//! Search spaces in natural units: uniform, log-uniform, integer, log-integer, `1 − x`
//! log-uniform (for momentum-like values), and choices (of values or nested spaces).
//!
//! Random search samples each dimension independently (Bergstra & Bengio 2012: random beats
//! grid because it tries more distinct values of the dimensions that matter); log spaces sample
//! the exponent uniformly, so `loguniform(1e-5, 1e-1)` spends as many trials in each decade.

use nnc_tape::Rng;
use rand::RngExt;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A sampled value: a number or a name (e.g. an activation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// A number (integers are whole numbers).
    Number(f64),
    /// A name.
    Name(String),
}

impl Value {
    /// The number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(x) => Some(*x),
            Value::Name(_) => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(x) if x.fract() == 0.0 && x.abs() < 1e15 => write!(f, "{}", *x as i64),
            Value::Number(x) if x.abs() >= 1e-3 && x.abs() < 1e4 => write!(f, "{}", fmt4(*x)),
            Value::Number(x) => {
                // 4 significant digits in scientific notation, trailing zeros dropped: 1e-7.
                let s = format!("{x:.3e}");
                let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
                let mantissa = if mantissa.contains('.') {
                    mantissa.trim_end_matches('0').trim_end_matches('.')
                } else {
                    mantissa
                };
                write!(f, "{mantissa}e{exp}")
            }
            Value::Name(n) => f.write_str(n),
        }
    }
}

/// Four significant digits, without trailing zeros.
fn fmt4(x: f64) -> String {
    let digits = (4 - 1 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// One option of a choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Choice {
    /// A fixed value.
    Value(Value),
    /// A nested space, sampled when chosen.
    Dist(Dist),
}

/// A search space of one hyperparameter (closed intervals; integers inclusive at both ends).
/// In JSON: `{"kind": "loguniform", "args": {"lo": 1e-5, "hi": 0.1}}` (adjacently tagged, so
/// that a choice's list of options serialises too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "args", rename_all = "lowercase")]
pub enum Dist {
    /// Uniform on `[lo, hi]`.
    Uniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// `exp(U(ln lo, ln hi))`, `0 < lo ≤ hi`.
    LogUniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// Uniform integers in `lo..=hi`.
    Int {
        /// Lower bound.
        lo: i64,
        /// Upper bound.
        hi: i64,
    },
    /// Integers `round(exp(U(ln lo, ln hi)))`, `0 < lo ≤ hi`.
    LogInt {
        /// Lower bound.
        lo: i64,
        /// Upper bound.
        hi: i64,
    },
    /// `1 − exp(U(ln(1 − hi), ln(1 − lo)))` for values in `(0, 1)` near 1 (momentum, β2):
    /// as many trials between 0.9 and 0.99 as between 0.99 and 0.999.
    Log1m {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// One option, uniformly.
    Choice(Vec<Choice>),
}

/// A value's position in `[lo, hi]` on the dimension's natural scale (0 at `lo`, 1 at `hi`).
pub(crate) fn scale_position(x: f64, lo: f64, hi: f64, log: bool) -> Option<f64> {
    if !x.is_finite() || hi <= lo {
        return None;
    }
    if log {
        (lo > 0.0 && x > 0.0).then(|| (x.ln() - lo.ln()) / (hi.ln() - lo.ln()))
    } else {
        Some((x - lo) / (hi - lo))
    }
}

impl Dist {
    /// Draws a value.
    pub fn sample(&self, rng: &mut Rng) -> Value {
        let u = |rng: &mut Rng| -> f64 { rng.random::<f64>() };
        match self {
            Dist::Uniform { lo, hi } => Value::Number(lo + (hi - lo) * u(rng)),
            Dist::LogUniform { lo, hi } => {
                Value::Number((lo.ln() + (hi.ln() - lo.ln()) * u(rng)).exp())
            }
            Dist::Int { lo, hi } => Value::Number(rng.random_range(*lo..=*hi) as f64),
            Dist::LogInt { lo, hi } => {
                let (a, b) = ((*lo as f64 - 0.5).max(0.5).ln(), (*hi as f64 + 0.5).ln());
                let x = (a + (b - a) * u(rng)).exp().round() as i64;
                Value::Number(x.clamp(*lo, *hi) as f64)
            }
            Dist::Log1m { lo, hi } => {
                let (a, b) = ((1.0 - hi).ln(), (1.0 - lo).ln());
                Value::Number(1.0 - (a + (b - a) * u(rng)).exp())
            }
            Dist::Choice(options) => match &options[rng.random_range(0..options.len())] {
                Choice::Value(v) => v.clone(),
                Choice::Dist(d) => d.sample(rng),
            },
        }
    }

    /// The number of values of a grid over this space, without listing them (`None` for a
    /// continuous space or on overflow).
    pub fn grid_len(&self) -> Option<u64> {
        match self {
            Dist::Int { lo, hi } | Dist::LogInt { lo, hi } => {
                u64::try_from(hi.checked_sub(*lo)?).ok()?.checked_add(1)
            }
            Dist::Choice(options) => options.iter().try_fold(0u64, |n, o| match o {
                Choice::Value(_) => n.checked_add(1),
                Choice::Dist(d) => n.checked_add(d.grid_len()?),
            }),
            _ => None,
        }
    }

    /// Every value, for a grid; `None` for a continuous space.
    pub fn grid_values(&self) -> Option<Vec<Value>> {
        match self {
            Dist::Int { lo, hi } | Dist::LogInt { lo, hi } => {
                Some((*lo..=*hi).map(|i| Value::Number(i as f64)).collect())
            }
            Dist::Choice(options) => {
                let mut out = Vec::new();
                for o in options {
                    match o {
                        Choice::Value(v) => out.push(v.clone()),
                        Choice::Dist(d) => out.extend(d.grid_values()?),
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// Whether every value it can produce is a whole number (names count as whole: they are
    /// not numbers at all).
    pub fn is_integer(&self) -> bool {
        match self {
            Dist::Int { .. } | Dist::LogInt { .. } => true,
            Dist::Choice(options) => options.iter().all(|o| match o {
                Choice::Value(Value::Number(n)) => n.fract() == 0.0,
                Choice::Value(Value::Name(_)) => true,
                Choice::Dist(d) => d.is_integer(),
            }),
            _ => false,
        }
    }

    /// Whether it has finitely many values (a grid can enumerate it).
    pub fn is_finite(&self) -> bool {
        match self {
            Dist::Int { .. } | Dist::LogInt { .. } => true,
            Dist::Choice(options) => options.iter().all(|o| match o {
                Choice::Value(_) => true,
                Choice::Dist(d) => d.is_finite(),
            }),
            _ => false,
        }
    }

    /// The bounds and whether the scale is logarithmic, for continuous and integer spaces.
    pub fn bounds(&self) -> Option<(f64, f64, bool)> {
        match *self {
            Dist::Uniform { lo, hi } => Some((lo, hi, false)),
            Dist::LogUniform { lo, hi } => Some((lo, hi, true)),
            Dist::Int { lo, hi } => Some((lo as f64, hi as f64, false)),
            Dist::LogInt { lo, hi } => Some((lo as f64, hi as f64, true)),
            Dist::Log1m { lo, hi } => Some((lo, hi, true)),
            Dist::Choice(_) => None,
        }
    }

    /// Where `x` lies in the range on its natural scale: 0 at the lower bound, 1 at the upper
    /// (`1 − x` on a log scale for `log1m`). `None` for choices.
    pub fn position(&self, x: f64) -> Option<f64> {
        match *self {
            // 1 − x runs from 1 − lo (at lo) down to 1 − hi (at hi).
            Dist::Log1m { lo, hi } => {
                scale_position(1.0 - x, 1.0 - hi, 1.0 - lo, true).map(|p| 1.0 - p)
            }
            _ => {
                let (lo, hi, log) = self.bounds()?;
                scale_position(x, lo, hi, log)
            }
        }
    }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |x: f64| Value::Number(x).to_string();
        match self {
            Dist::Uniform { lo, hi } => write!(f, "uniform({}, {})", n(*lo), n(*hi)),
            Dist::LogUniform { lo, hi } => write!(f, "loguniform({}, {})", n(*lo), n(*hi)),
            Dist::Int { lo, hi } => write!(f, "int({lo}, {hi})"),
            Dist::LogInt { lo, hi } => write!(f, "logint({lo}, {hi})"),
            Dist::Log1m { lo, hi } => write!(f, "log1m({}, {})", n(*lo), n(*hi)),
            Dist::Choice(options) => {
                f.write_str("choice(")?;
                for (i, o) in options.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match o {
                        Choice::Value(v) => write!(f, "{v}")?,
                        Choice::Dist(d) => write!(f, "{d}")?,
                    }
                }
                f.write_str(")")
            }
        }
    }
}

/// A named dimension of the space (`name ~ dist`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dim {
    /// The hyperparameter.
    pub name: String,
    /// Its space.
    pub dist: Dist,
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnc_tape::rng;

    #[test]
    fn log_spaces_spread_evenly_over_decades() {
        let d = Dist::LogUniform { lo: 1e-5, hi: 1e-1 };
        let mut r = rng(0);
        let mut per_decade = [0usize; 4];
        for _ in 0..4000 {
            let x = d.sample(&mut r).as_f64().unwrap();
            assert!((1e-5..=1e-1).contains(&x));
            per_decade[((x.log10() + 5.0).floor() as usize).min(3)] += 1;
        }
        for c in per_decade {
            assert!((900..1100).contains(&c), "{per_decade:?}");
        }
        let m = Dist::Log1m { lo: 0.9, hi: 0.999 };
        let (mut low, mut high) = (0i32, 0i32);
        for _ in 0..4000 {
            let x = m.sample(&mut r).as_f64().unwrap();
            assert!((0.9..=0.999).contains(&x));
            if x < 0.99 { low += 1 } else { high += 1 }
        }
        assert!((low - high).abs() < 250, "{low} vs {high}");
    }

    #[test]
    fn integers_choices_and_grids() {
        let mut r = rng(1);
        let d = Dist::LogInt { lo: 32, hi: 512 };
        for _ in 0..200 {
            let x = d.sample(&mut r).as_f64().unwrap();
            assert!(x.fract() == 0.0 && (32.0..=512.0).contains(&x));
        }
        let c = Dist::Choice(vec![
            Choice::Value(Value::Number(0.0)),
            Choice::Dist(Dist::Int { lo: 1, hi: 3 }),
            Choice::Value(Value::Name("relu".into())),
        ]);
        assert_eq!(c.grid_values().unwrap().len(), 5);
        assert!(Dist::Uniform { lo: 0.0, hi: 1.0 }.grid_values().is_none());
        assert_eq!(c.to_string(), "choice(0, int(1, 3), relu)");
        let lr = Dist::LogUniform { lo: 1e-4, hi: 1.0 };
        assert!((lr.position(1e-2).unwrap() - 0.5).abs() < 1e-12);
        // log1m: 0 at lo, 1 at hi, evenly in decades of 1 − x (0.9 is halfway in 0.5..0.98).
        let m = Dist::Log1m { lo: 0.5, hi: 0.98 };
        assert!(m.position(0.5).unwrap().abs() < 1e-12);
        assert!((m.position(0.98).unwrap() - 1.0).abs() < 1e-12);
        assert!((m.position(0.9).unwrap() - 0.5).abs() < 1e-12);
    }
}
