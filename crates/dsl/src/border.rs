//! W506, raised after a search: the best value of a searched `param` lies within the outer
//! 10 % of its range (in log space for log distributions), so the optimum may lie outside.

use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{Distribution, SearchDim};
use crate::pretty::format_number;

/// The fraction of a range, at each end, that counts as its border.
pub const BORDER_FRACTION: f64 = 0.1;

/// The warning for `best`, the best trial's value of `dim`, when it lies on the border of
/// the range. Choices and degenerate ranges never warn.
pub fn best_value_on_border(dim: &SearchDim, best: f64) -> Option<Diagnostic> {
    let (lo, hi, position) = match dim.dist {
        Distribution::Uniform { lo, hi } => (lo, hi, relative(best, lo, hi)),
        Distribution::Int { lo, hi } => {
            (lo as f64, hi as f64, relative(best, lo as f64, hi as f64))
        }
        Distribution::LogUniform { lo, hi } => (lo, hi, relative_log(best, lo, hi)),
        Distribution::LogInt { lo, hi } => (
            lo as f64,
            hi as f64,
            relative_log(best, lo as f64, hi as f64),
        ),
        Distribution::Log1m { lo, hi } => (lo, hi, relative_log(1.0 - best, 1.0 - lo, 1.0 - hi)),
        Distribution::Choice(_) => return None,
    };
    let position = position?;
    let edge = if position <= BORDER_FRACTION {
        "lower"
    } else if position >= 1.0 - BORDER_FRACTION {
        "upper"
    } else {
        return None;
    };
    Some(
        Diagnostic::new(
            Code::W506,
            format!(
                "the best `{}` = {} lies at the {edge} border of its range [{}, {}]",
                dim.param,
                format_number(best),
                format_number(lo),
                format_number(hi)
            ),
        )
        .primary(dim.span, "the search space")
        .help(format!(
            "consider widening the range past its {edge} end: the optimum may lie outside"
        )),
    )
}

fn relative(x: f64, lo: f64, hi: f64) -> Option<f64> {
    (hi > lo && x.is_finite()).then(|| (x - lo) / (hi - lo))
}

fn relative_log(x: f64, lo: f64, hi: f64) -> Option<f64> {
    (lo > 0.0 && hi > 0.0 && x > 0.0 && lo != hi).then(|| (x.ln() - lo.ln()) / (hi.ln() - lo.ln()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    fn dim(dist: Distribution) -> SearchDim {
        SearchDim {
            param: "lr".into(),
            dist,
            span: Span::new(0, 10),
        }
    }

    #[test]
    fn log_ranges_are_judged_in_log_space() {
        let d = dim(Distribution::LogUniform { lo: 1e-5, hi: 1e-1 });
        // 1e-5..1e-1 spans 4 decades: the outer 10 % is 0.4 decade at each end.
        assert!(best_value_on_border(&d, 2e-5).is_some());
        assert!(best_value_on_border(&d, 1e-3).is_none());
        let w = best_value_on_border(&d, 0.09).expect("upper border");
        assert_eq!(w.code, Code::W506);
        assert!(w.message.contains("upper"), "{}", w.message);
    }

    #[test]
    fn linear_and_momentum_ranges() {
        let u = dim(Distribution::Uniform { lo: 0.0, hi: 0.5 });
        assert!(best_value_on_border(&u, 0.01).is_some());
        assert!(best_value_on_border(&u, 0.25).is_none());
        // log1m(0.9, 0.999): 1 - x spans 0.1..0.001; 0.9985 (1 - x = 0.0015) is near the 0.999 end.
        let m = dim(Distribution::Log1m { lo: 0.9, hi: 0.999 });
        assert!(best_value_on_border(&m, 0.9985).is_some());
        assert!(best_value_on_border(&m, 0.99).is_none());
        assert!(best_value_on_border(&dim(Distribution::Choice(vec![])), 1.0).is_none());
    }
}
