//! Train/validation/test splits and k-fold cross-validation, shuffled with a seeded generator
//! and optionally stratified (each class split in the same proportions).

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use nnc_tape::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// How to split one dataset into train, validation and test parts.
///
/// Counts are rounded to the nearest row: without stratification `n_test = round(test · n)`,
/// `n_val = round(val · n)` (at most the rows the test part leaves) and train gets the rest;
/// with stratification the same rounding is done for each class (`n_val,c = round(val · n_c)`),
/// so every class is within one row of its exact share in every split, and the split totals
/// may differ from the unstratified ones by a few rows. The test count does not depend on the
/// val share, and the test rows are the last of the (shuffled) rows: a split with its val
/// share moved into train has the same test rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitSpec {
    /// Fraction of rows for training (`> 0`).
    pub train: f64,
    /// Fraction of rows for validation (`>= 0`).
    pub val: f64,
    /// Fraction of rows for testing (`>= 0`).
    pub test: f64,
    /// Shuffle before splitting (default `true`); otherwise rows are taken in file order.
    pub shuffle: bool,
    /// Split every class in the same proportions (default `false`).
    pub stratify: bool,
}

impl SplitSpec {
    /// Fractions for train, validation and test (they must add up to 1), shuffled, not
    /// stratified.
    pub fn new(train: f64, val: f64, test: f64) -> Self {
        SplitSpec {
            train,
            val,
            test,
            shuffle: true,
            stratify: false,
        }
    }

    /// The same split, stratified by class.
    pub fn stratified(self) -> Self {
        SplitSpec {
            stratify: true,
            ..self
        }
    }

    /// The same split, with or without shuffling.
    pub fn shuffled(self, shuffle: bool) -> Self {
        SplitSpec { shuffle, ..self }
    }

    fn check(&self) -> Result<()> {
        let all = [self.train, self.val, self.test];
        if all.iter().any(|f| !f.is_finite() || *f < 0.0) || self.train <= 0.0 {
            return Err(DataError::invalid(
                "split",
                format!(
                    "fractions must be finite and non-negative, with train > 0; got train {}, val {}, test {}",
                    self.train, self.val, self.test
                ),
            ));
        }
        let sum: f64 = all.iter().sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(DataError::invalid(
                "split",
                format!(
                    "fractions must add up to 100%, got train {}% + val {}% + test {}% = {}%",
                    self.train * 100.0,
                    self.val * 100.0,
                    self.test * 100.0,
                    sum * 100.0
                ),
            ));
        }
        Ok(())
    }
}

impl Default for SplitSpec {
    /// Everything in train (`split train: 100%`), shuffled.
    fn default() -> Self {
        SplitSpec::new(1.0, 0.0, 0.0)
    }
}

/// Row indices of each split, into the dataset that was split.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SplitIndices {
    /// Training rows.
    pub train: Vec<usize>,
    /// Validation rows.
    pub val: Vec<usize>,
    /// Test rows.
    pub test: Vec<usize>,
}

/// Rows of each class, in row order.
fn by_class(labels: &[usize]) -> Vec<Vec<usize>> {
    let classes = labels.iter().max().map_or(0, |m| m + 1);
    let mut groups = vec![Vec::new(); classes];
    for (i, &c) in labels.iter().enumerate() {
        groups[c].push(i);
    }
    groups
}

/// Splits rows `0..labels.len()` as `spec` says, drawing the shuffles from `rng` (one
/// permutation of all rows; or, stratified, one per class followed by one per split).
pub fn split_indices(labels: &[usize], spec: &SplitSpec, rng: &mut Rng) -> Result<SplitIndices> {
    spec.check()?;
    let n = labels.len();
    let round = |f: f64, m: usize| (f * m as f64).round() as usize;
    let mut out = SplitIndices::default();
    let assign = |rows: &[usize], out: &mut SplitIndices| {
        let m = rows.len();
        // The test count first and on its own: the same test rows whatever the val share
        // (a refit that merges validation into training keeps the search's test rows).
        let n_test = round(spec.test, m).min(m);
        let n_val = round(spec.val, m).min(m - n_test);
        let n_train = m - n_val - n_test;
        out.train.extend_from_slice(&rows[..n_train]);
        out.val.extend_from_slice(&rows[n_train..n_train + n_val]);
        out.test.extend_from_slice(&rows[n_train + n_val..]);
    };
    if spec.stratify {
        for mut rows in by_class(labels) {
            if spec.shuffle {
                rows.shuffle(rng);
            }
            assign(&rows, &mut out);
        }
        for part in [&mut out.train, &mut out.val, &mut out.test] {
            if spec.shuffle {
                part.shuffle(rng);
            } else {
                part.sort_unstable();
            }
        }
    } else {
        let mut rows: Vec<usize> = (0..n).collect();
        if spec.shuffle {
            rows.shuffle(rng);
        }
        assign(&rows, &mut out);
    }
    for (name, fraction, part) in [
        ("train", spec.train, &out.train),
        ("val", spec.val, &out.val),
        ("test", spec.test, &out.test),
    ] {
        if fraction > 0.0 && part.is_empty() {
            return Err(DataError::invalid(
                "split",
                format!(
                    "{name}: {}% of {n} rows rounds to no rows; use a larger fraction or more data",
                    fraction * 100.0
                ),
            ));
        }
    }
    Ok(out)
}

/// A dataset split into train, validation and test parts (a part not asked for is empty).
#[derive(Debug, Clone, PartialEq)]
pub struct Splits {
    /// The training rows: the only rows preprocessing is fitted on.
    pub train: Dataset,
    /// The validation rows.
    pub val: Dataset,
    /// The test rows.
    pub test: Dataset,
}

impl Splits {
    /// Splits `dataset` as `spec` says (see [`split_indices`]).
    pub fn new(dataset: &Dataset, spec: &SplitSpec, rng: &mut Rng) -> Result<Splits> {
        let idx = split_indices(dataset.labels(), spec, rng)?;
        Ok(Splits {
            train: dataset.subset(&idx.train)?,
            val: dataset.subset(&idx.val)?,
            test: dataset.subset(&idx.test)?,
        })
    }

    /// Uses a separate source as the test split (`test <source>` in a `.nn` file). Fails if
    /// the split already has test rows, if the feature counts differ, or if a test class index
    /// means a different class than in training (read a test CSV with the training class list,
    /// [`CsvOptions::classes`](crate::CsvOptions::classes), to keep the mapping).
    pub fn with_test_source(self, test: Dataset) -> Result<Splits> {
        if !self.test.is_empty() {
            return Err(DataError::invalid(
                "test source",
                format!(
                    "the split already has {} test rows; with a separate test source set test: 0%",
                    self.test.len()
                ),
            ));
        }
        if test.features() != self.train.features() {
            return Err(DataError::invalid(
                "test source",
                format!(
                    "the test source has {} features but the training data has {}",
                    test.features(),
                    self.train.features()
                ),
            ));
        }
        let train_classes = self.train.class_names();
        let counts = test.class_counts();
        for (c, name) in test.class_names().iter().enumerate() {
            if counts[c] > 0 && train_classes.get(c) != Some(name) {
                return Err(DataError::invalid(
                    "test source",
                    format!(
                        "test class {c} is `{name}` but in training class {c} is {}",
                        train_classes
                            .get(c)
                            .map_or("absent".to_string(), |t| format!("`{t}`"))
                    ),
                ));
            }
        }
        let test = Dataset::new(
            test.inputs().clone(),
            test.labels().to_vec(),
            train_classes.to_vec(),
            test.feature_names().to_vec(),
        )?;
        Ok(Splits { test, ..self })
    }
}

/// One fold of k-fold cross-validation: row indices to train on and to validate on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    /// Rows of the other k − 1 folds.
    pub train: Vec<usize>,
    /// This fold's rows.
    pub val: Vec<usize>,
}

impl Fold {
    /// The fold's train and validation datasets, taken from `dataset`.
    pub fn datasets(&self, dataset: &Dataset) -> Result<(Dataset, Dataset)> {
        Ok((dataset.subset(&self.train)?, dataset.subset(&self.val)?))
    }
}

/// k-fold cross-validation over rows `0..labels.len()`, shuffled from `rng`: every row is in
/// the validation part of exactly one fold, and fold sizes differ by at most one.
///
/// Stratified, each class is shuffled and dealt to the folds in turn (the turn carries over
/// from one class to the next), so every class is spread within one row of evenly as well.
/// Unstratified, one permutation is cut into k consecutive pieces.
pub fn kfold(labels: &[usize], k: usize, stratify: bool, rng: &mut Rng) -> Result<Vec<Fold>> {
    let n = labels.len();
    if k < 2 || k > n {
        return Err(DataError::invalid(
            "kfold",
            format!("k must be between 2 and the number of rows ({n}), got {k}"),
        ));
    }
    let mut val: Vec<Vec<usize>> = vec![Vec::with_capacity(n / k + 1); k];
    if stratify {
        let mut turn = 0;
        for mut rows in by_class(labels) {
            rows.shuffle(rng);
            for r in rows {
                val[turn % k].push(r);
                turn += 1;
            }
        }
    } else {
        let mut rows: Vec<usize> = (0..n).collect();
        rows.shuffle(rng);
        let mut start = 0;
        for (f, part) in val.iter_mut().enumerate() {
            let size = n / k + usize::from(f < n % k);
            part.extend_from_slice(&rows[start..start + size]);
            start += size;
        }
    }
    Ok((0..k)
        .map(|f| Fold {
            train: (0..k)
                .filter(|&g| g != f)
                .flat_map(|g| val[g].iter().copied())
                .collect(),
            val: val[f].clone(),
        })
        .collect())
}

impl Dataset {
    /// Splits the dataset (see [`Splits::new`]).
    pub fn split(&self, spec: &SplitSpec, rng: &mut Rng) -> Result<Splits> {
        Splits::new(self, spec, rng)
    }

    /// k-fold cross-validation folds over the dataset's rows (see [`kfold`]).
    pub fn kfold(&self, k: usize, stratify: bool, rng: &mut Rng) -> Result<Vec<Fold>> {
        kfold(self.labels(), k, stratify, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnc_tape::rng;

    fn labels(counts: &[usize]) -> Vec<usize> {
        counts
            .iter()
            .enumerate()
            .flat_map(|(c, &m)| std::iter::repeat_n(c, m))
            .collect()
    }

    #[test]
    fn fractions_are_checked() {
        let y = labels(&[10, 10]);
        let e = split_indices(&y, &SplitSpec::new(0.8, 0.1, 0.05), &mut rng(0)).unwrap_err();
        assert!(e.to_string().contains("add up to 100%"), "{e}");
        assert!(split_indices(&y, &SplitSpec::new(0.0, 0.5, 0.5), &mut rng(0)).is_err());
        let e = split_indices(&y, &SplitSpec::new(0.99, 0.01, 0.0), &mut rng(0)).unwrap_err();
        assert!(e.to_string().contains("rounds to no rows"), "{e}");
    }

    #[test]
    fn unshuffled_split_keeps_file_order() {
        let y = labels(&[5, 5]);
        let s = split_indices(
            &y,
            &SplitSpec::new(0.6, 0.2, 0.2).shuffled(false),
            &mut rng(0),
        )
        .unwrap();
        assert_eq!(s.train, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(s.val, vec![6, 7]);
        assert_eq!(s.test, vec![8, 9]);
    }

    #[test]
    fn splits_partition_the_rows_deterministically() {
        let y = labels(&[30, 50, 20]);
        for spec in [
            SplitSpec::new(0.7, 0.15, 0.15),
            SplitSpec::new(0.7, 0.15, 0.15).stratified(),
        ] {
            let a = split_indices(&y, &spec, &mut rng(5)).unwrap();
            let b = split_indices(&y, &spec, &mut rng(5)).unwrap();
            let c = split_indices(&y, &spec, &mut rng(6)).unwrap();
            assert_eq!(a, b);
            assert_ne!(a, c);
            let mut all: Vec<usize> = [a.train, a.val, a.test].concat();
            all.sort_unstable();
            assert_eq!(all, (0..100).collect::<Vec<_>>());
        }
    }

    #[test]
    fn moving_the_val_share_into_train_keeps_the_test_rows() {
        let sorted = |mut rows: Vec<usize>| {
            rows.sort_unstable();
            rows
        };
        // Small classes, where val and test rounding can claim every row of a class.
        let y = labels(&[1, 2, 3, 7, 30, 50, 20]);
        for (train, val, test) in [
            (0.7, 0.15, 0.15),
            (0.6, 0.2, 0.2),
            (0.5, 0.25, 0.25),
            (0.34, 0.33, 0.33),
            (0.8, 0.2, 0.0),
        ] {
            for stratify in [false, true] {
                let mut spec = SplitSpec::new(train, val, test);
                spec.stratify = stratify;
                let merged = SplitSpec {
                    train: train + val,
                    val: 0.0,
                    ..spec
                };
                let a = split_indices(&y, &spec, &mut rng(9)).unwrap();
                let b = split_indices(&y, &merged, &mut rng(9)).unwrap();
                assert_eq!(sorted(a.test), sorted(b.test), "{spec:?}");
                assert!(b.val.is_empty());
                assert_eq!(
                    sorted([a.train, a.val].concat()),
                    sorted(b.train),
                    "{spec:?}"
                );
            }
        }
    }

    #[test]
    fn kfold_rejects_bad_k() {
        assert!(kfold(&labels(&[3]), 1, false, &mut rng(0)).is_err());
        assert!(kfold(&labels(&[3]), 4, true, &mut rng(0)).is_err());
    }
}
