//! The range-edge rule: a best value within [`EDGE_FRACTION`] of either end of its range (on
//! the range's natural scale) suggests the optimum lies outside. The search's `range edge`
//! finding and the language's W506 both decide with [`range_edge`].

use super::Dist;
use std::fmt;

/// Fraction of a range at each end that counts as its edge.
pub const EDGE_FRACTION: f64 = 0.1;

/// An end of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// The lower bound's end.
    Lower,
    /// The upper bound's end.
    Upper,
}

impl fmt::Display for Edge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Edge::Lower => "lower",
            Edge::Upper => "upper",
        })
    }
}

/// The edge of `dist`'s range that `x` lies at, with its position `p` ([`Dist::position`]: 0 at
/// the lower bound, 1 at the upper, log scale for log spaces): [`Edge::Lower`] when
/// `p ≤ EDGE_FRACTION`, [`Edge::Upper`] when `p ≥ 1 − EDGE_FRACTION`. `None` inside, for choices
/// and for degenerate ranges.
pub fn range_edge(dist: &Dist, x: f64) -> Option<(Edge, f64)> {
    let position = dist.position(x)?;
    if position <= EDGE_FRACTION {
        Some((Edge::Lower, position))
    } else if position >= 1.0 - EDGE_FRACTION {
        Some((Edge::Upper, position))
    } else {
        None
    }
}

/// `dist` widened past `edge`: by the range's width on a linear scale, two decades on a log
/// scale (one for integers, never below 1), and for `log1m` halfway to 0 below or one more nine
/// above.
pub fn widened(dist: &Dist, edge: Edge) -> Dist {
    let lower = edge == Edge::Lower;
    match *dist {
        Dist::Uniform { lo, hi } if lower => Dist::Uniform {
            lo: lo - (hi - lo),
            hi,
        },
        Dist::Uniform { lo, hi } => Dist::Uniform {
            lo,
            hi: hi + (hi - lo),
        },
        Dist::LogUniform { lo, hi } if lower => Dist::LogUniform { lo: lo / 100.0, hi },
        Dist::LogUniform { lo, hi } => Dist::LogUniform { lo, hi: hi * 100.0 },
        Dist::Int { lo, hi } if lower => Dist::Int {
            lo: lo - (hi - lo),
            hi,
        },
        Dist::Int { lo, hi } => Dist::Int {
            lo,
            hi: hi + (hi - lo),
        },
        Dist::LogInt { lo, hi } if lower => Dist::LogInt {
            lo: (lo / 10).max(1),
            hi,
        },
        Dist::LogInt { lo, hi } => Dist::LogInt {
            lo,
            hi: hi.saturating_mul(10),
        },
        Dist::Log1m { lo, hi } if lower => Dist::Log1m { lo: lo / 2.0, hi },
        Dist::Log1m { lo, hi } => Dist::Log1m {
            lo,
            hi: 1.0 - (1.0 - hi) / 10.0,
        },
        Dist::Choice(ref c) => Dist::Choice(c.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ranges_are_judged_in_log_space() {
        let d = Dist::LogUniform { lo: 1e-5, hi: 1e-1 };
        // 1e-5..1e-1 spans 4 decades: the outer 10 % is 0.4 decade at each end.
        assert_eq!(range_edge(&d, 2e-5).map(|e| e.0), Some(Edge::Lower));
        assert_eq!(range_edge(&d, 1e-3), None);
        assert_eq!(range_edge(&d, 0.09).map(|e| e.0), Some(Edge::Upper));
    }

    #[test]
    fn linear_momentum_and_choice_ranges() {
        let u = Dist::Uniform { lo: 0.0, hi: 0.5 };
        assert_eq!(range_edge(&u, 0.01).map(|e| e.0), Some(Edge::Lower));
        assert_eq!(range_edge(&u, 0.25), None);
        // log1m(0.9, 0.999): 1 - x spans 0.1..0.001; 0.9985 (1 - x = 0.0015) is near the 0.999 end.
        let m = Dist::Log1m { lo: 0.9, hi: 0.999 };
        assert_eq!(range_edge(&m, 0.9985).map(|e| e.0), Some(Edge::Upper));
        assert_eq!(range_edge(&m, 0.99), None);
        assert_eq!(range_edge(&Dist::Choice(vec![]), 1.0), None);
        assert_eq!(range_edge(&Dist::Int { lo: 3, hi: 3 }, 3.0), None);
    }

    #[test]
    fn widened_ranges_keep_their_kind() {
        let w = |d: Dist, edge| widened(&d, edge).to_string();
        assert_eq!(
            w(Dist::LogUniform { lo: 1e-7, hi: 1e-5 }, Edge::Upper),
            "loguniform(1e-7, 0.001)"
        );
        assert_eq!(
            w(Dist::LogInt { lo: 2, hi: 64 }, Edge::Lower),
            "logint(1, 64)"
        );
        assert_eq!(
            w(Dist::Log1m { lo: 0.5, hi: 0.99 }, Edge::Upper),
            "log1m(0.5, 0.999)"
        );
        assert_eq!(
            w(Dist::Log1m { lo: 0.5, hi: 0.99 }, Edge::Lower),
            "log1m(0.25, 0.99)"
        );
        assert_eq!(
            w(Dist::Uniform { lo: 0.0, hi: 0.5 }, Edge::Upper),
            "uniform(0, 1)"
        );
        assert_eq!(w(Dist::Int { lo: 1, hi: 4 }, Edge::Lower), "int(-2, 4)");
    }
}
