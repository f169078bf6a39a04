//! Leakage check: rows that appear, feature for feature, in more than one split. A validation
//! or test row that is also a training row measures memory, not generalisation.

use crate::dataset::Dataset;
use crate::split::Splits;
use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Counts of rows shared between splits (features compared exactly; `-0.0` equals `0.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeakageReport {
    /// Validation rows whose features also occur in the training split.
    pub val_in_train: usize,
    /// Test rows whose features also occur in the training split.
    pub test_in_train: usize,
    /// Test rows whose features also occur in the validation split.
    pub test_in_val: usize,
}

impl LeakageReport {
    /// All shared rows counted (a row may be counted twice if it is in all three splits).
    pub fn total(&self) -> usize {
        self.val_in_train + self.test_in_train + self.test_in_val
    }

    /// True when no row is shared.
    pub fn is_clean(&self) -> bool {
        self.total() == 0
    }
}

impl fmt::Display for LeakageReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_clean() {
            return f.write_str("no identical rows across train/val/test");
        }
        write!(
            f,
            "identical rows across splits: {} val rows and {} test rows also occur in train, {} test rows also occur in val; \
             duplicates inflate validation and test scores (deduplicate before splitting)",
            self.val_in_train, self.test_in_train, self.test_in_val
        )
    }
}

/// A row's features, hashed and compared by bit pattern with -0.0 folded into 0.0 (so that
/// equal numbers compare equal). It borrows the row: the set of a split's rows holds no copy.
struct RowKey<'a>(&'a [f32]);

fn bits(x: f32) -> u32 {
    (x + 0.0).to_bits()
}

impl Hash for RowKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.len().hash(state);
        for &x in self.0 {
            state.write_u32(bits(x));
        }
    }
}

impl PartialEq for RowKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(other.0)
                .all(|(&a, &b)| bits(a) == bits(b))
    }
}

impl Eq for RowKey<'_> {}

fn rows(ds: &Dataset) -> HashSet<RowKey<'_>> {
    (0..ds.len()).map(|i| RowKey(ds.row(i))).collect()
}

fn count_in(ds: &Dataset, set: &HashSet<RowKey<'_>>) -> usize {
    (0..ds.len())
        .filter(|&i| set.contains(&RowKey(ds.row(i))))
        .count()
}

/// Counts rows of `val` and `test` whose features also occur in an earlier split.
pub fn leakage(train: &Dataset, val: &Dataset, test: &Dataset) -> LeakageReport {
    let train_rows = rows(train);
    let val_rows = rows(val);
    LeakageReport {
        val_in_train: count_in(val, &train_rows),
        test_in_train: count_in(test, &train_rows),
        test_in_val: count_in(test, &val_rows),
    }
}

impl Splits {
    /// The leakage check for these splits (see [`leakage`]).
    pub fn leakage(&self) -> LeakageReport {
        leakage(&self.train, &self.val, &self.test)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnc_tape::Tensor;

    fn ds(rows: &[[f32; 2]]) -> Dataset {
        let x: Vec<f32> = rows.iter().flatten().copied().collect();
        Dataset::new(
            Tensor::from_vec(x, &[rows.len(), 2]).unwrap(),
            vec![0; rows.len()],
            Dataset::numbered_classes(1),
            Dataset::numbered_features("f", 2),
        )
        .unwrap()
    }

    #[test]
    fn counts_shared_rows_per_pair() {
        let train = ds(&[[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]]);
        let val = ds(&[[1.0, 2.0], [5.0, 6.0]]);
        let test = ds(&[[-0.0, 0.0], [5.0, 6.0], [3.0, 4.0], [7.0, 7.0]]);
        let r = leakage(&train, &val, &test);
        assert_eq!(
            r,
            LeakageReport {
                val_in_train: 1,
                test_in_train: 2,
                test_in_val: 1
            }
        );
        assert_eq!(r.total(), 4);
        assert!(r.to_string().contains("1 val rows and 2 test rows"));
        let clean = leakage(&train, &ds(&[[9.0, 9.0]]), &ds(&[]));
        assert!(clean.is_clean());
    }
}
