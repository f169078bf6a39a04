//! The leaderboard: the finished trials ranked best first, as a text table.

use super::{SearchPlan, TrialRecord, TrialStatus};

/// The finished trials ranked best first, as a text table (top `n`), each under its
/// [`TrialSpec::number`](super::TrialSpec::number).
pub fn leaderboard(plan: &SearchPlan, records: &[TrialRecord], n: usize) -> String {
    let mut ranked: Vec<&TrialRecord> = records.iter().collect();
    ranked.sort_by(|a, b| super::rank(plan.goal, a, b));
    let mut out = format!("{:>4}  {:>6}  {:<8}  ", "rank", "trial", "stage");
    for d in &plan.space {
        out.push_str(&format!("{:>10}  ", fit_width(&d.name, 10)));
    }
    out.push_str(&format!(
        "{:>18}  {:>6}  {:>7}  status\n",
        plan.metric, "epochs", "time"
    ));
    for (rank, r) in ranked.iter().take(n).enumerate() {
        out.push_str(&format!(
            "{:>4}  {:>6}  {:<8}  ",
            rank + 1,
            r.spec.number(),
            fit_width(&r.spec.stage, 8)
        ));
        for d in &plan.space {
            let v = r
                .spec
                .params
                .iter()
                .find(|(n, _)| *n == d.name)
                .map_or(String::from("-"), |(_, v)| v.to_string());
            out.push_str(&format!("{:>10}  ", fit_width(&v, 10)));
        }
        let metric = match (r.outcome.metric.is_finite(), r.outcome.spread) {
            (false, _) => "-".to_string(),
            (true, Some(s)) => format!("{:.4} ± {:.4}", r.outcome.metric, s),
            (true, None) => format!("{:.4}", r.outcome.metric),
        };
        let status = match &r.outcome.status {
            TrialStatus::Ok => "ok".to_string(),
            TrialStatus::Diverged => "diverged".to_string(),
            TrialStatus::Failed(m) => format!("failed: {m}"),
        };
        out.push_str(&format!(
            "{metric:>18}  {:>6.1}  {:>6.2}s  {status}\n",
            r.outcome.epochs_run, r.outcome.seconds
        ));
    }
    out
}

/// `s` cut to `n` characters (`n ≥ 1`) for a table column, its last one replaced by `…` when
/// cut.
pub fn fit_width(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).chain(std::iter::once('…')).collect()
    }
}
