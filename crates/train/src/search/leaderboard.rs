//! The leaderboard: the trials of each budget group ([`budget_groups`]) ranked best first, as
//! text tables, the final group (the one the best comes from) first.

use super::{BudgetGroup, MetricFormat, SearchPlan, TrialRecord, TrialStatus, budget_groups};

/// Every budget group of the search as a titled table of its top `n` trials, the final group
/// first: `stage fine, 15 epochs: 10 trials, ranked among themselves`, then the table. A
/// single-stage search is one table without a title.
pub fn leaderboard(plan: &SearchPlan, records: &[TrialRecord], n: usize) -> String {
    let groups = budget_groups(plan, records);
    if let [only] = groups.as_slice()
        && plan.stages.len() == 1
    {
        return group_table(plan, records, only, n);
    }
    groups
        .iter()
        .map(|g| {
            format!(
                "{}: {}\n{}",
                g.title(),
                if g.ranked.len() == 1 {
                    "1 trial".to_string()
                } else {
                    format!("{} trials, ranked among themselves", g.ranked.len())
                },
                group_table(plan, records, g, n)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top `n` trials of one budget group as a table, each under its
/// [`TrialSpec::number`](super::TrialSpec::number), metrics with the digits that tell them
/// apart ([`MetricFormat::telling_apart`]).
pub fn group_table(
    plan: &SearchPlan,
    records: &[TrialRecord],
    group: &BudgetGroup,
    n: usize,
) -> String {
    let shown: Vec<&TrialRecord> = group.ranked.iter().take(n).map(|&i| &records[i]).collect();
    let format = MetricFormat::telling_apart(shown.iter().map(|r| r.outcome.metric));
    let mut out = format!("{:>4}  {:>6}  {:<8}  ", "rank", "trial", "stage");
    for d in &plan.space {
        out.push_str(&format!("{:>10}  ", fit_width(&d.name, 10)));
    }
    out.push_str(&format!(
        "{:>18}  {:>6}  {:>7}  status\n",
        plan.metric, "epochs", "time"
    ));
    for (rank, r) in shown.iter().enumerate() {
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
        let metric = format.with_spread(r.outcome.metric, r.outcome.spread);
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
