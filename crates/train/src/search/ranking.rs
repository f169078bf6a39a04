//! Ranking at equal budgets: trials are compared only with trials trained for as long (a
//! 3-epoch trial's metric says little against a 15-epoch one's). The trials of a search fall
//! into budget groups — the stages (or halving rungs) that share an epoch budget — each
//! ranked by [`super::rank`]; the best of the search is the best of the *final* group, the
//! one of the last stage that finished a trial. Also here: metrics printed with as many
//! significant digits as it takes to tell the trials apart ([`MetricFormat`]).

use super::runner::usable;
use super::{SearchPlan, TrialRecord};

/// The trials of the stages that share one epoch budget, ranked best first.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetGroup {
    /// The stages (halving rungs), in plan order.
    pub stages: Vec<String>,
    /// The epochs every trial of the group was budgeted (`None`: the experiment's own).
    pub budget_epochs: Option<u64>,
    /// Indices into the records, best first (unfinished trials last).
    pub ranked: Vec<usize>,
}

impl BudgetGroup {
    /// How the group is introduced: `stage fine, 15 epochs` (`stages coarse, fine, …`), or
    /// `rung 2, 3 epochs` for a rung of successive halving.
    pub fn title(&self) -> String {
        let rungs = self.stages.iter().all(|s| s.starts_with("rung "));
        format!(
            "{}{}, {}",
            match (rungs, self.stages.len()) {
                (true, _) => "",
                (false, 1) => "stage ",
                (false, _) => "stages ",
            },
            self.stages.join(", "),
            match self.budget_epochs {
                Some(1) => "1 epoch".to_string(),
                Some(e) => format!("{e} epochs"),
                None => "the file's training length".to_string(),
            }
        )
    }
}

/// The budget groups of `records`, the final group first (the group of the last stage in the
/// plan that has a finished trial; it holds the search's best), then the others from the last
/// stage back. Groups without records are left out.
pub fn budget_groups(plan: &SearchPlan, records: &[TrialRecord]) -> Vec<BudgetGroup> {
    let mut groups: Vec<BudgetGroup> = Vec::new();
    for stage in &plan.stages {
        if !records.iter().any(|r| r.spec.stage == stage.name) {
            continue;
        }
        match groups.iter_mut().find(|g| g.budget_epochs == stage.epochs) {
            Some(g) => g.stages.push(stage.name.clone()),
            None => groups.push(BudgetGroup {
                stages: vec![stage.name.clone()],
                budget_epochs: stage.epochs,
                ranked: Vec::new(),
            }),
        }
    }
    for g in &mut groups {
        g.ranked = (0..records.len())
            .filter(|&i| g.stages.contains(&records[i].spec.stage))
            .collect();
        g.ranked
            .sort_by(|&a, &b| super::rank(plan.goal, &records[a], &records[b]));
    }
    // The final group: that of the last stage with a finished trial (else the last stage run).
    let last_stage = |g: &BudgetGroup| {
        plan.stages
            .iter()
            .rposition(|s| g.stages.contains(&s.name))
            .unwrap_or(0)
    };
    let finished = |g: &BudgetGroup| g.ranked.iter().any(|&i| usable(&records[i]));
    groups.sort_by_key(|g| std::cmp::Reverse((finished(g), last_stage(g))));
    groups
}

/// The best trial of the search: the first of the final budget group, if it finished.
pub fn best_index(plan: &SearchPlan, records: &[TrialRecord]) -> Option<usize> {
    budget_groups(plan, records)
        .first()?
        .ranked
        .first()
        .copied()
        .filter(|&i| usable(&records[i]))
}

/// Metrics as text with a fixed number of significant digits: plain decimals from 0.001 to
/// 10⁶ (`0.9852`, `0.04123`, `12.34`), scientific notation outside (`3.300e-5`), `0` for zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricFormat {
    /// Significant digits.
    pub digits: usize,
}

impl MetricFormat {
    /// The fewest significant digits printed.
    pub const MIN_DIGITS: usize = 4;
    /// The most: beyond them two metrics are as good as equal.
    pub const MAX_DIGITS: usize = 8;

    /// [`Self::MIN_DIGITS`] significant digits, for a value seen alone (the live table).
    pub fn default_digits() -> MetricFormat {
        MetricFormat {
            digits: Self::MIN_DIGITS,
        }
    }

    /// The fewest digits (from [`Self::MIN_DIGITS`] to [`Self::MAX_DIGITS`]) at which every
    /// two different finite `values` print differently.
    pub fn telling_apart(values: impl IntoIterator<Item = f64>) -> MetricFormat {
        let mut values: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        values.sort_by(f64::total_cmp);
        values.dedup();
        let digits = (Self::MIN_DIGITS..=Self::MAX_DIGITS)
            .find(|&digits| {
                let f = MetricFormat { digits };
                values.windows(2).all(|w| f.format(w[0]) != f.format(w[1]))
            })
            .unwrap_or(Self::MAX_DIGITS);
        MetricFormat { digits }
    }

    /// `x` with this many significant digits (`-` when not finite).
    pub fn format(self, x: f64) -> String {
        if !x.is_finite() {
            return "-".into();
        }
        if x == 0.0 {
            return "0".into();
        }
        let exponent = x.abs().log10().floor() as i32;
        if (-3..6).contains(&exponent) {
            let decimals = (self.digits as i32 - 1 - exponent).max(0) as usize;
            format!("{x:.decimals$}")
        } else {
            format!("{x:.*e}", self.digits - 1)
        }
    }

    /// A metric with its spread over folds: `0.9758 ± 0.0067`, the spread to the metric's
    /// decimals (in scientific notation with two digits when the metric is).
    pub fn with_spread(self, x: f64, spread: Option<f64>) -> String {
        match spread {
            Some(s) if x.is_finite() && s.is_finite() => {
                let metric = self.format(x);
                let spread = match metric.split_once('.') {
                    Some((_, decimals)) if !metric.contains('e') => {
                        format!("{s:.*}", decimals.len())
                    }
                    None if !metric.contains('e') => format!("{s:.0}"),
                    _ => format!("{s:.1e}"),
                };
                format!("{metric} ± {spread}")
            }
            _ => self.format(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_metrics_keep_their_digits_and_close_ones_get_more() {
        let f = MetricFormat::default_digits();
        assert_eq!(f.format(0.98523), "0.9852");
        assert_eq!(f.format(3.3e-5), "3.300e-5");
        assert_eq!(f.format(0.0), "0");
        assert_eq!(f.format(0.041234), "0.04123");
        assert_eq!(f.format(12.345678), "12.35");
        assert_eq!(f.format(f64::NAN), "-");
        let f = MetricFormat::telling_apart([0.98518, 0.98522, 0.5]);
        assert_eq!(f.digits, 5);
        assert_ne!(f.format(0.98518), f.format(0.98522));
        assert_eq!(MetricFormat::telling_apart([0.9, 0.9]).digits, 4);
        assert_eq!(f.with_spread(0.97583, Some(0.006684)), "0.97583 ± 0.00668");
        assert_eq!(
            MetricFormat::default_digits().with_spread(3.3e-5, Some(1.24e-6)),
            "3.300e-5 ± 1.2e-6"
        );
    }
}
