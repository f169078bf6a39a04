//! W506, raised after a search: the best value of a searched `param` lies at the edge of its
//! range by the search engine's rule ([`nnc_train::search::range_edge`]: within the outer
//! [`EDGE_FRACTION`] of the range, in log space for log distributions), so the optimum may lie
//! outside.

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir::{SearchDim, SearchSpec};
use nnc_train::babysit::{CheckKind, Finding};
pub use nnc_train::search::EDGE_FRACTION;
use nnc_train::search::{TrialRecord, range_edge};

/// W506 for every searched param whose value in the `best` trial lies on the border of its
/// range ([`best_value_on_border`]). The engine's `range edge` finding for the param among
/// `findings` names a wider range to try: its advice replaces the generic help.
pub fn best_values_on_border(
    search: &SearchSpec,
    best: &TrialRecord,
    findings: &[Finding],
) -> Diagnostics {
    let mut out = Diagnostics::new();
    for dim in &search.space {
        let Some(value) = best
            .spec
            .params
            .iter()
            .find(|(n, _)| *n == dim.param)
            .and_then(|(_, v)| v.as_f64())
        else {
            continue;
        };
        if let Some(mut d) = best_value_on_border(dim, value) {
            if let Some(f) = findings.iter().find(|f| {
                f.check == CheckKind::RangeEdge && f.subject.as_deref() == Some(&dim.param)
            }) {
                d.help = vec![f.advice.clone()];
            }
            out.push(d);
        }
    }
    out
}

/// The warning for `best`, the best trial's value of `dim`, when it lies on the border of
/// the range ([`range_edge`]). Choices and degenerate ranges never warn.
pub fn best_value_on_border(dim: &SearchDim, best: f64) -> Option<Diagnostic> {
    let (edge, _) = range_edge(&dim.dist, best)?;
    let (lo, hi, _) = dim.dist.bounds()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Dist;
    use crate::span::Span;

    fn dim(dist: Dist) -> SearchDim {
        SearchDim {
            param: "lr".into(),
            dist,
            span: Span::new(0, 10),
        }
    }

    #[test]
    fn log_ranges_are_judged_in_log_space() {
        let d = dim(Dist::LogUniform { lo: 1e-5, hi: 1e-1 });
        // 1e-5..1e-1 spans 4 decades: the outer 10 % is 0.4 decade at each end.
        assert!(best_value_on_border(&d, 2e-5).is_some());
        assert!(best_value_on_border(&d, 1e-3).is_none());
        let w = best_value_on_border(&d, 0.09).expect("upper border");
        assert_eq!(w.code, Code::W506);
        assert!(w.message.contains("upper"), "{}", w.message);
        let w = best_value_on_border(
            &dim(Dist::LogUniform { lo: 1e-7, hi: 1e-5 }),
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
        let u = dim(Dist::Uniform { lo: 0.0, hi: 0.5 });
        assert!(best_value_on_border(&u, 0.01).is_some());
        assert!(best_value_on_border(&u, 0.25).is_none());
        // log1m(0.9, 0.999): 1 - x spans 0.1..0.001; 0.9985 (1 - x = 0.0015) is near the 0.999 end.
        let m = dim(Dist::Log1m { lo: 0.9, hi: 0.999 });
        assert!(best_value_on_border(&m, 0.9985).is_some());
        assert!(best_value_on_border(&m, 0.99).is_none());
        assert!(best_value_on_border(&dim(Dist::Choice(vec![])), 1.0).is_none());
    }
}
