//! W506, raised after a search: the best value of a searched `param` lies within the outer
//! 10 % of its range (in log space for log distributions), so the optimum may lie outside.

use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{Distribution, SearchDim};

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
                short(best),
                short(lo),
                short(hi)
            ),
        )
        .primary(dim.span, "the search space")
        .help(format!(
            "consider widening the range past its {edge} end: the optimum may lie outside"
        )),
    )
}

/// A number in four significant digits (scientific notation outside 1e-3..1e4): the values a
/// search samples have many more digits than anyone reads.
fn short(x: f64) -> String {
    let trim = |m: &str| {
        if m.contains('.') {
            m.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            m.to_string()
        }
    };
    if x == 0.0 {
        "0".to_string()
    } else if (1e-3..1e4).contains(&x.abs()) {
        let decimals = (3 - x.abs().log10().floor() as i32).max(0) as usize;
        trim(&format!("{x:.decimals$}"))
    } else {
        let s = format!("{x:.3e}");
        match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", trim(m)),
            None => s,
        }
    }
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
        let w = best_value_on_border(
            &dim(Distribution::LogUniform { lo: 1e-7, hi: 1e-5 }),
            7.527652578918995e-6,
        )
        .expect("upper border");
        assert_eq!(
            w.message,
            "the best `lr` = 7.528e-6 lies at the upper border of its range [1e-7, 1e-5]"
        );
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
