//! Coarse-to-fine: the next stage's space is each range narrowed around the best trials of the
//! previous stage — a window `shrink` times as wide as the range, centred on the best values'
//! mean (on the log scale for log spaces) and kept inside the original range. Choices keep the
//! options the best trials used.

use super::space::{Choice, Dim, Dist, Value};

/// Narrows `dim` around `best` (the values of the best trials) by `shrink` ∈ (0, 1).
pub fn narrow(dim: &Dim, best: &[Value], shrink: f64) -> Dim {
    let numbers: Vec<f64> = best.iter().filter_map(Value::as_f64).collect();
    let dist = match &dim.dist {
        Dist::Choice(options) => narrow_choice(options, best),
        d if numbers.is_empty() => d.clone(),
        Dist::Uniform { lo, hi } => {
            let (a, b) = window(*lo, *hi, &numbers, shrink, Scale::Linear);
            Dist::Uniform { lo: a, hi: b }
        }
        Dist::LogUniform { lo, hi } => {
            let (a, b) = window(*lo, *hi, &numbers, shrink, Scale::Log);
            Dist::LogUniform { lo: a, hi: b }
        }
        Dist::Int { lo, hi } => {
            let (a, b) = window(*lo as f64, *hi as f64, &numbers, shrink, Scale::Linear);
            int_range(a, b, *lo, *hi, false)
        }
        Dist::LogInt { lo, hi } => {
            let (a, b) = window(*lo as f64, *hi as f64, &numbers, shrink, Scale::Log);
            int_range(a, b, *lo, *hi, true)
        }
        Dist::Log1m { lo, hi } => {
            // Work on 1 − x, where the scale is logarithmic.
            let ones: Vec<f64> = numbers.iter().map(|x| 1.0 - x).collect();
            let (a, b) = window(1.0 - hi, 1.0 - lo, &ones, shrink, Scale::Log);
            Dist::Log1m {
                lo: 1.0 - b,
                hi: 1.0 - a,
            }
        }
    };
    Dim {
        name: dim.name.clone(),
        dist,
    }
}

#[derive(Clone, Copy)]
enum Scale {
    Linear,
    Log,
}

/// A window of `shrink × (hi − lo)` (on the scale) centred on the mean of `xs`, inside
/// `[lo, hi]`.
fn window(lo: f64, hi: f64, xs: &[f64], shrink: f64, scale: Scale) -> (f64, f64) {
    type Map = fn(f64) -> f64;
    let (to, from): (Map, Map) = match scale {
        Scale::Linear => (|x| x, |x| x),
        Scale::Log => (f64::ln, f64::exp),
    };
    let (l, h) = (to(lo), to(hi));
    let centre = xs.iter().map(|&x| to(x)).sum::<f64>() / xs.len() as f64;
    let half = (h - l) * shrink.clamp(0.0, 1.0) / 2.0;
    let (mut a, mut b) = (centre - half, centre + half);
    if a < l {
        b += l - a;
        a = l;
    }
    if b > h {
        a -= b - h;
        b = h;
    }
    (from(a.max(l)), from(b.min(h)))
}

fn int_range(a: f64, b: f64, lo: i64, hi: i64, log: bool) -> Dist {
    let a = (a.round() as i64).clamp(lo, hi);
    let b = (b.round() as i64).clamp(a, hi);
    if log {
        Dist::LogInt { lo: a, hi: b }
    } else {
        Dist::Int { lo: a, hi: b }
    }
}

/// The options that produced one of the best values (all options if none matches).
fn narrow_choice(options: &[Choice], best: &[Value]) -> Dist {
    let kept: Vec<Choice> = options
        .iter()
        .filter(|o| match o {
            Choice::Value(v) => best.contains(v),
            Choice::Dist(d) => best.iter().any(|b| match (b, d.bounds()) {
                (Value::Number(x), Some((lo, hi, _))) => (lo..=hi).contains(x),
                _ => false,
            }),
        })
        .cloned()
        .collect();
    Dist::Choice(if kept.is_empty() {
        options.to_vec()
    } else {
        kept
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dim(dist: Dist) -> Dim {
        Dim {
            name: "x".into(),
            dist,
        }
    }

    #[test]
    fn log_ranges_narrow_in_log_space_around_the_best() {
        let d = dim(Dist::LogUniform { lo: 1e-5, hi: 1e-1 });
        let n = narrow(&d, &[Value::Number(1e-3), Value::Number(1e-3)], 0.5);
        let Dist::LogUniform { lo, hi } = n.dist else {
            panic!()
        };
        // Half of 4 decades = 2 decades, centred on 1e-3.
        assert!((lo.log10() + 4.0).abs() < 1e-9 && (hi.log10() + 2.0).abs() < 1e-9);
        // Near the edge, the window slides inside the range.
        let n = narrow(&d, &[Value::Number(2e-5)], 0.5);
        let Dist::LogUniform { lo, hi } = n.dist else {
            panic!()
        };
        assert!((lo - 1e-5).abs() < 1e-15 && (hi.log10() + 3.0).abs() < 1e-9);
    }

    #[test]
    fn integers_log1m_and_choices() {
        let n = narrow(
            &dim(Dist::Int { lo: 0, hi: 100 }),
            &[Value::Number(50.0)],
            0.2,
        );
        assert_eq!(n.dist, Dist::Int { lo: 40, hi: 60 });
        let m = narrow(
            &dim(Dist::Log1m {
                lo: 0.9,
                hi: 0.9999,
            }),
            &[Value::Number(0.99)],
            0.5,
        );
        let Dist::Log1m { lo, hi } = m.dist else {
            panic!()
        };
        assert!(lo < 0.99 && 0.99 < hi && lo > 0.9 && hi < 0.9999);
        let c = Dist::Choice(vec![
            Choice::Value(Value::Number(128.0)),
            Choice::Value(Value::Number(256.0)),
            Choice::Value(Value::Number(512.0)),
        ]);
        let k = narrow(&dim(c), &[Value::Number(256.0)], 0.5);
        assert_eq!(
            k.dist,
            Dist::Choice(vec![Choice::Value(Value::Number(256.0))])
        );
    }
}
