//! Class proportions per split, and rows sorted by label split in file order.

use super::{DataContext, DataFacts, SPLIT_SURPRISE};
use crate::babysit::finding::{CheckKind, Finding, Severity};
use nnc_data::Dataset;

/// Rows per class of a dataset, over `classes` classes.
fn counts(data: &Dataset, classes: usize) -> Vec<usize> {
    let mut c = data.class_counts();
    c.resize(classes.max(c.len()), 0);
    c
}

/// `KL(q ‖ p)` between two Bernoulli distributions (`q` observed, `p` expected share).
fn bernoulli_kl(q: f64, p: f64) -> f64 {
    let term = |a: f64, b: f64| if a <= 0.0 { 0.0 } else { a * (a / b).ln() };
    term(q, p) + term(1.0 - q, 1.0 - p)
}

/// A class far under-represented in a split.
struct Shortfall {
    split: &'static str,
    class: usize,
    count: usize,
    expected: f64,
}

/// The splits that exist, by name, with their rows per class.
struct SplitCounts<'a> {
    splits: Vec<(&'static str, &'a Dataset)>,
    counts: Vec<Vec<usize>>,
}

impl<'a> SplitCounts<'a> {
    fn of(facts: &DataFacts<'a>) -> Self {
        let classes = facts.train.classes();
        let mut splits: Vec<(&'static str, &Dataset)> = vec![("train", facts.train)];
        if let Some(v) = facts.val.filter(|v| !v.is_empty()) {
            splits.push(("val", v));
        }
        if let Some(t) = facts.context.test.filter(|t| !t.is_empty()) {
            splits.push(("test", t));
        }
        let counts = splits.iter().map(|(_, d)| counts(d, classes)).collect();
        SplitCounts { splits, counts }
    }

    /// Every (split, class) whose share is under half the class's share of all the rows, and
    /// surprising: a random split would fall that short with probability below
    /// [`SPLIT_SURPRISE`] (Chernoff bound `exp(−n·KL(q‖p))`). A test file of its own was not
    /// drawn at random: a shortfall of 5 or more expected rows is a fact about the files.
    fn shortfalls(&self, ctx: &DataContext<'_>) -> Vec<Shortfall> {
        let classes = self.counts[0].len();
        let total: Vec<usize> = (0..classes)
            .map(|c| self.counts.iter().map(|s| s[c]).sum())
            .collect();
        let all: usize = total.iter().sum();
        let mut short = Vec::new();
        for ((name, data), split_counts) in self.splits.iter().zip(&self.counts) {
            let n = data.len() as f64;
            let drawn = !(ctx.separate_test && *name == "test");
            for c in 0..classes {
                let p = total[c] as f64 / all as f64;
                let q = split_counts[c] as f64 / n;
                let surprising = if drawn {
                    n * bernoulli_kl(q, p) > (1.0 / SPLIT_SURPRISE).ln()
                } else {
                    p * n >= 5.0
                };
                if p > 0.0 && q < p / 2.0 && surprising {
                    short.push(Shortfall {
                        split: name,
                        class: c,
                        count: split_counts[c],
                        expected: p * n,
                    });
                }
            }
        }
        short
    }

    /// `train {0: 59, 1: 65, 2: 0}, val {…}`.
    fn table(&self, names: &[String]) -> String {
        let parts: Vec<String> = self
            .splits
            .iter()
            .zip(&self.counts)
            .map(|((name, _), counts)| {
                let cells: Vec<String> = counts
                    .iter()
                    .enumerate()
                    .map(|(c, k)| format!("{}: {k}", names[c]))
                    .collect();
                format!("{name} {{{}}}", cells.join(", "))
            })
            .collect();
        parts.join(", ")
    }
}

/// `class `2` is absent from train (expected about 33 rows); …` for the first few shortfalls.
fn describe(short: &[Shortfall], names: &[String]) -> String {
    let parts: Vec<String> = short
        .iter()
        .take(4)
        .map(|s| {
            if s.count == 0 {
                format!(
                    "class `{}` is absent from {} (expected about {:.0} rows)",
                    names[s.class], s.split, s.expected
                )
            } else {
                format!(
                    "class `{}` has {} rows in {} (expected about {:.0})",
                    names[s.class], s.count, s.split, s.expected
                )
            }
        })
        .collect();
    parts.join("; ")
}

/// What the shortfalls mean for the run, naming the splits concerned.
fn consequence(short: &[Shortfall]) -> String {
    if short.iter().any(|s| s.split == "train" && s.count == 0) {
        return "the model never sees a class it is evaluated on".into();
    }
    let mut evaluated: Vec<&str> = short
        .iter()
        .map(|s| s.split)
        .filter(|s| *s != "train")
        .collect();
    evaluated.dedup();
    match evaluated.as_slice() {
        [] => "training under-represents a class the other splits hold".into(),
        [one] => format!("{one} measures another mix of classes than training saw"),
        many => format!(
            "{} measure another mix of classes than training saw",
            many.join(" and ")
        ),
    }
}

/// Class proportions of each split against the whole data; with `shuffle: false` and labels
/// grouped in file order, the sorted-rows finding instead.
pub(super) fn split_balance(facts: &DataFacts<'_>) -> Option<Finding> {
    let ctx = &facts.context;
    let counts = SplitCounts::of(facts);
    if counts.splits.len() < 2 || facts.train.classes() < 2 {
        return None;
    }
    let short = counts.shortfalls(ctx);
    if short.is_empty() {
        return None;
    }
    let names = facts.train.class_names();
    let what = describe(&short, names);
    let table = counts.table(names);
    let consequence = consequence(&short);
    let unshuffled = "write `shuffle: true, stratify: true` in the `split` statement";
    let (check, message, advice) =
        if ctx.shuffled == Some(false) && labels_grouped(&counts.splits, ctx) {
            (
                CheckKind::SortedRows,
                format!(
                    "the rows are sorted by label and `shuffle: false` splits them in file order: \
                 {what}; {consequence} (rows per class: {table})"
                ),
                unshuffled,
            )
        } else {
            let advice = if ctx.separate_test && short.iter().all(|s| s.split == "test") {
                "the test file's classes are distributed differently from the training file's: \
             check that both come from the same population"
            } else if ctx.shuffled == Some(false) {
                unshuffled
            } else {
                "write `stratify: true` in the `split` statement (every split then keeps the class \
             proportions)"
            };
            (
                CheckKind::SplitBalance,
                format!(
                    "the splits do not share the data's class proportions: {what}; {consequence} \
                 (rows per class: {table})"
                ),
                advice,
            )
        };
    let mut f = Finding::new(check, Severity::Warning, message)
        .threshold(format!(
            "a class's share of a split at least half its share of the data, or a shortfall a \
             random split would give with probability above {SPLIT_SURPRISE:e}"
        ))
        .advice(advice);
    for s in &short {
        f = f.measure(format!("{}.{}", s.split, names[s.class]), s.count as f64);
    }
    Some(f)
}

/// Whether the labels of the splits, in split order (the file's order when not shuffled), come
/// in long runs: fewer than a quarter of the label changes a random order would have.
fn labels_grouped(splits: &[(&'static str, &Dataset)], ctx: &DataContext<'_>) -> bool {
    let labels: Vec<usize> = splits
        .iter()
        .filter(|(name, _)| !(ctx.separate_test && *name == "test"))
        .flat_map(|(_, d)| d.labels().iter().copied())
        .collect();
    if labels.len() < 3 {
        return false;
    }
    let changes = labels.windows(2).filter(|w| w[0] != w[1]).count() as f64;
    let n = labels.len() as f64;
    let mut freq = std::collections::HashMap::new();
    for &l in &labels {
        *freq.entry(l).or_insert(0usize) += 1;
    }
    let purity: f64 = freq.values().map(|&k| (k as f64 / n).powi(2)).sum();
    let expected = (n - 1.0) * (1.0 - purity);
    changes < 0.25 * expected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kl_bound_flags_an_absent_class_only_when_it_is_surprising() {
        // An absent class with 9 rows expected in 27: probability (2/3)^27 ≈ 1.8e-5.
        assert!(27.0 * bernoulli_kl(0.0, 1.0 / 3.0) > (1.0 / SPLIT_SURPRISE).ln());
        // With 3 expected in 9, absence happens 2.6 % of the time: not flagged.
        assert!(9.0 * bernoulli_kl(0.0, 1.0 / 3.0) < (1.0 / SPLIT_SURPRISE).ln());
    }
}
