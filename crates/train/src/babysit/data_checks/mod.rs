//! Checks on the data before training: what the model is given, and how it was split.
//!
//! Each check looks at the rows the model trains on (after preprocessing), and, where the caller
//! knows them, at the other splits and at how the data was split ([`DataContext`]):
//!
//! | check | threshold |
//! |---|---|
//! | feature scales | the typical input magnitude `√(mean_j E[x_j²])` above [`MAX_INPUT_RMS`], or the largest feature's `√E[x_j²]` more than [`MAX_SCALE_SPREAD`]× the median feature's |
//! | constant features | a feature with one value on every training row (a note; a warning when every feature is) |
//! | split balance | a class whose share of a split is under half its share of the whole data, and so far under it that a random split would do it with probability below 1e-4 (Chernoff bound `exp(−n·KL(q‖p))`); for a test file of its own, 5 expected rows suffice |
//! | sorted rows | the same, with `shuffle: false` and labels grouped in file order (fewer than a quarter of the label changes a random order has) |
//! | class imbalance | one class is at least [`IMBALANCE_SHARE`] of the rows |
//! | model size | more than [`MAX_PARAMS_PER_ROW`] parameters per training row |
//! | data leakage | an identical row in two splits |
//!
//! Thresholds and their calibration are in docs/babysitter.md.

mod splits;

use super::finding::{CheckKind, Finding, Severity};
use nnc_data::{Dataset, LeakageReport, Step};
use splits::split_balance;

/// Above this typical input magnitude (`√(mean over features of E[x²])`), the inputs are far
/// from the unit scale He and Xavier initialisation assume: at 3, the first layer's outputs
/// start 3× too large and its effective learning rate is 9× the one written. Raw iris (4.0) and
/// raw digits pixels (7.7) lose most of their ReLU units at the first steps; centred and
/// normalised inputs have 1.
pub const MAX_INPUT_RMS: f64 = 3.0;

/// Above this ratio of the largest feature's magnitude to the median feature's, one feature
/// drowns the others in every dot product (wine's `proline` is 313× the median; iris 1.6×,
/// digits pixels 1.7×).
pub const MAX_SCALE_SPREAD: f64 = 30.0;

/// The majority-class share from which accuracy stops being informative.
pub const IMBALANCE_SHARE: f64 = 0.9;

/// Parameters per training row above which a model can memorise its training set.
pub const MAX_PARAMS_PER_ROW: f64 = 100.0;

/// A split result the random-split model would produce with probability below this is a fault.
pub const SPLIT_SURPRISE: f64 = 1e-4;

/// What the caller knows about the data besides the rows the model trains and validates on.
/// Every field is optional: checks that need a missing fact are skipped.
#[derive(Debug, Clone, Copy, Default)]
pub struct DataContext<'a> {
    /// The test split (its class proportions are checked too).
    pub test: Option<&'a Dataset>,
    /// Whether rows were shuffled before splitting (`split …, shuffle: false` is `Some(false)`).
    pub shuffled: Option<bool>,
    /// Whether the test rows come from a file of their own (not split from the source).
    pub separate_test: bool,
    /// The preprocessing steps written in the data section, in order (`None`: unknown).
    pub preprocess: Option<&'a [Step]>,
    /// The training rows before preprocessing (all rows the folds draw from, with k-fold):
    /// constant columns are found and figures quoted in the file's units.
    pub raw_train: Option<&'a Dataset>,
    /// Rows found in more than one split.
    pub leakage: Option<LeakageReport>,
}

/// The data a run is given: the rows, their context and the model's size.
#[derive(Debug, Clone, Copy)]
pub struct DataFacts<'a> {
    /// The training rows, as the model sees them.
    pub train: &'a Dataset,
    /// The validation rows, if any.
    pub val: Option<&'a Dataset>,
    /// What else is known.
    pub context: DataContext<'a>,
    /// Trainable parameters of the model.
    pub parameters: usize,
}

/// Runs every data check; returns the findings, the most fundamental first.
pub fn data_checks(facts: &DataFacts<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let stats = FeatureStats::of(facts.train);
    // The file's own rows, when known and with the same columns (no projection).
    let raw = facts
        .context
        .raw_train
        .filter(|r| r.feature_names() == facts.train.feature_names())
        .map(FeatureStats::of);
    out.extend(feature_scales(facts, &stats, raw.as_ref()));
    out.extend(constant_features(facts, raw.as_ref().unwrap_or(&stats)));
    out.extend(label_in_features(facts.train));
    out.extend(split_balance(facts));
    out.extend(class_imbalance(facts));
    out.extend(model_size(facts));
    if let Some(l) = facts.context.leakage {
        let evaluated =
            facts.val.map_or(0, Dataset::len) + facts.context.test.map_or(0, Dataset::len);
        out.extend(leakage_finding(
            l.total(),
            Some(evaluated),
            &format!(
                "{} validation rows in train, {} test rows in train, {} test rows in val",
                l.val_in_train, l.test_in_train, l.test_in_val
            ),
        ));
    }
    out
}

/// Per-feature mean and standard deviation (population) over a dataset's rows, in f64.
#[derive(Debug, Clone)]
pub struct FeatureStats {
    /// Mean of every feature.
    pub mean: Vec<f64>,
    /// Standard deviation of every feature.
    pub std: Vec<f64>,
    /// Whether every row has the same value of the feature.
    pub constant: Vec<bool>,
}

impl FeatureStats {
    /// The statistics of `data`'s features.
    pub fn of(data: &Dataset) -> Self {
        let (n, d) = (data.len(), data.features());
        let x = data.inputs().data();
        let mut mean = vec![0.0f64; d];
        let mut constant = vec![true; d];
        for i in 0..n {
            let row = &x[i * d..(i + 1) * d];
            for (j, &v) in row.iter().enumerate() {
                mean[j] += v as f64;
                constant[j] &= v == x[j];
            }
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
        let mut var = vec![0.0f64; d];
        for i in 0..n {
            for (j, &v) in x[i * d..(i + 1) * d].iter().enumerate() {
                var[j] += (v as f64 - mean[j]).powi(2);
            }
        }
        let std = var.iter().map(|v| (v / n.max(1) as f64).sqrt()).collect();
        FeatureStats {
            mean,
            std,
            constant,
        }
    }

    /// `√E[x_j²] = √(mean_j² + std_j²)`, the typical magnitude of feature `j`.
    pub fn magnitude(&self, j: usize) -> f64 {
        self.mean[j].hypot(self.std[j])
    }
}

/// `name (mean m, std s)` with figures to 3–4 significant digits.
fn describe(name: &str, stats: &FeatureStats, j: usize) -> String {
    format!(
        "`{name}` (mean {}, std {})",
        sig(stats.mean[j]),
        sig(stats.std[j])
    )
}

/// A number to about 4 significant digits, without an exponent for everyday magnitudes.
fn sig(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{x:.3e}")
    } else {
        let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
        format!("{x:.decimals$}")
    }
}

/// A preprocessing step as written in a `.nn` file.
fn step_source(step: &Step) -> String {
    match *step {
        Step::Scale { factor } => format!("scale({factor})"),
        Step::Center | Step::ChannelCenter => "center".into(),
        Step::Normalize => "normalize".into(),
        Step::MinMax { lo, hi } => format!("minmax(lo: {lo}, hi: {hi})"),
        Step::Pca {
            keep: nnc_data::PcaKeep::Components(k),
        } => format!("pca(components: {k})"),
        Step::Pca {
            keep: nnc_data::PcaKeep::Variance(v),
        } => format!("pca(variance: {v})"),
        Step::Whiten { eps } => format!("whiten(eps: {eps})"),
        Step::Zca { eps } => format!("zca(eps: {eps})"),
    }
}

/// The statement to write so that the features get mean 0 and std 1: the exact `preprocess`
/// line, `center, normalize` first and the written steps that still make sense after them.
fn scaling_advice(ctx: &DataContext<'_>) -> String {
    match ctx.preprocess {
        Some([]) => "write `preprocess center, normalize` in the data section (the means and \
                     stds are fitted on the training split and applied to every split)"
            .into(),
        Some(steps) => {
            let mut line = vec!["center".to_string(), "normalize".to_string()];
            line.extend(
                steps
                    .iter()
                    .filter(|s| {
                        !matches!(
                            s,
                            Step::Center
                                | Step::ChannelCenter
                                | Step::Normalize
                                | Step::Scale { .. }
                                | Step::MinMax { .. }
                        )
                    })
                    .map(step_source),
            );
            let written: Vec<String> = steps.iter().map(step_source).collect();
            if written == line {
                // Centred and normalised already: the projection's components differ in scale.
                return format!(
                    "`preprocess {}` leaves the principal components on their own scales (their \
                     variances): replace `pca(…)` with `whiten(eps: 1e-5)`, which gives every \
                     component unit variance",
                    written.join(", ")
                );
            }
            format!(
                "the features reach the model on these scales after `preprocess {}`: write \
                 `preprocess {}` instead",
                written.join(", "),
                line.join(", ")
            )
        }
        None => "centre and normalise every feature with statistics of the training rows (in a \
                 .nn file: `preprocess center, normalize`)"
            .into(),
    }
}

/// Features on very different or very large scales, judged on the rows the model sees and
/// quoted in the file's units (`raw`) when known.
fn feature_scales(
    facts: &DataFacts<'_>,
    stats: &FeatureStats,
    raw: Option<&FeatureStats>,
) -> Option<Finding> {
    let d = stats.mean.len();
    let varying: Vec<usize> = (0..d).filter(|&j| !stats.constant[j]).collect();
    if varying.is_empty() {
        return None;
    }
    let rms = ((0..d).map(|j| stats.magnitude(j).powi(2)).sum::<f64>() / d as f64).sqrt();
    let mut by_size = varying.clone();
    by_size.sort_by(|&a, &b| stats.magnitude(a).total_cmp(&stats.magnitude(b)));
    let (smallest, largest) = (by_size[0], by_size[by_size.len() - 1]);
    let median = stats.magnitude(by_size[by_size.len() / 2]);
    let spread = stats.magnitude(largest) / median.max(f64::MIN_POSITIVE);
    if rms <= MAX_INPUT_RMS && spread <= MAX_SCALE_SPREAD {
        return None;
    }
    let quoted_stats = raw.unwrap_or(stats);
    let names = facts.train.feature_names();
    let range = format!(
        "{} is the largest feature, {} the smallest",
        describe(&names[largest], quoted_stats, largest),
        describe(&names[smallest], quoted_stats, smallest)
    );
    let what = if spread > MAX_SCALE_SPREAD {
        format!(
            "the inputs are not normalised: the features' scales differ by {}x ({range}), so \
             the largest drowns the others in every weighted sum",
            sig(spread)
        )
    } else {
        format!(
            "the inputs are not centred and normalised: their typical magnitude is {} where \
             the initialisations assume about 1 ({range})",
            sig(rms)
        )
    };
    Some(
        Finding::new(CheckKind::FeatureScales, Severity::Warning, what)
            .subject(names[largest].clone())
            .measure("input_rms", rms)
            .measure("scale_spread", spread)
            .measure("largest_mean", quoted_stats.mean[largest])
            .measure("largest_std", quoted_stats.std[largest])
            .measure("smallest_mean", quoted_stats.mean[smallest])
            .measure("smallest_std", quoted_stats.std[smallest])
            .threshold(format!(
                "typical input magnitude at most {MAX_INPUT_RMS}, largest feature at most \
                 {MAX_SCALE_SPREAD}x the median one"
            ))
            .advice(scaling_advice(&facts.context)),
    )
}

/// Features with one value on every training row (`stats` of the file's rows when known). A
/// column that holds one non-zero value everywhere is a placeholder, a unit or a filter
/// artifact worth a note; all-zero columns are typical of pixels and sparse counts and are
/// only reported when every feature is constant (nothing to learn from).
fn constant_features(facts: &DataFacts<'_>, stats: &FeatureStats) -> Option<Finding> {
    let train = facts.train;
    let constant: Vec<usize> = (0..stats.constant.len())
        .filter(|&j| stats.constant[j])
        .collect();
    let names = train.feature_names();
    let d = names.len();
    let all = !constant.is_empty() && constant.len() == d;
    let noted: Vec<usize> = if all {
        constant.clone()
    } else {
        constant
            .iter()
            .copied()
            .filter(|&j| stats.mean[j] != 0.0)
            .collect()
    };
    if noted.is_empty() || train.len() < 2 {
        return None;
    }
    let mut listed: Vec<String> = noted
        .iter()
        .take(6)
        .map(|&j| format!("`{}` = {}", names[j], sig(stats.mean[j])))
        .collect();
    if noted.len() > listed.len() {
        listed.push(format!("and {} more", noted.len() - listed.len()));
    }
    let message = if all {
        format!(
            "every feature has a single value on the {} training rows ({}): the inputs carry \
             no information, so the model can only learn the class frequencies",
            train.len(),
            listed.join(", ")
        )
    } else {
        let one = noted.len() == 1;
        format!(
            "{} of {d} features {} the same non-zero value on all {} training rows ({}): {} no \
             information",
            noted.len(),
            if one { "has" } else { "have" },
            train.len(),
            listed.join(", "),
            if one { "it carries" } else { "they carry" }
        )
    };
    let advice = if all {
        "check that the right columns are read (`columns:` and `label:` of the source) and \
         that the file is not truncated or filled with a placeholder"
    } else {
        "harmless for training, but a column that never varies is often a placeholder or a \
         sign that the rows were filtered to one kind: check the file, or leave the column out \
         by listing the columns to read with `columns:` in the csv source"
    };
    Some(
        Finding::new(
            CheckKind::ConstantFeatures,
            if all {
                Severity::Warning
            } else {
                Severity::Info
            },
            message,
        )
        .measure("constant", noted.len() as f64)
        .measure("features", d as f64)
        .threshold(
            "a feature takes more than one value on the training rows (all-zero columns \
             excepted)",
        )
        .advice(advice),
    )
}

/// Rows examined by [`label_in_features`] (the first ones: enough to tell a copy of the label
/// from a feature, without a pass over millions of rows).
const LABEL_COPY_ROWS: usize = 20_000;

/// Features that are the label in another form: exactly one value per class, each value on
/// rows of one class only (a class code, a one-hot column of a two-class problem).
fn label_in_features(train: &Dataset) -> Option<Finding> {
    let classes = train.class_counts().iter().filter(|&&k| k > 0).count();
    let (n, d) = (train.len().min(LABEL_COPY_ROWS), train.features());
    if classes < 2 || n < 2 * classes {
        return None;
    }
    let x = train.inputs().data();
    let labels = train.labels();
    let copies: Vec<usize> = (0..d)
        .filter(|&j| {
            let mut value_class: Vec<(u32, usize)> = Vec::with_capacity(classes + 1);
            for (i, &label) in labels.iter().enumerate().take(n) {
                let v = x[i * d + j].to_bits();
                match value_class.iter().find(|(b, _)| *b == v) {
                    Some(&(_, c)) if c != label => return false,
                    Some(_) => {}
                    None if value_class.len() == classes => return false,
                    None => value_class.push((v, label)),
                }
            }
            value_class.len() == classes
        })
        .collect();
    let first = *copies.first()?;
    let names = train.feature_names();
    let listed: Vec<String> = copies.iter().map(|&j| format!("`{}`", names[j])).collect();
    Some(
        Finding::new(
            CheckKind::LabelInFeatures,
            Severity::Warning,
            format!(
                "the label is among the inputs: {} takes one value per class on the training \
                 rows, so it alone names the class and every metric will look perfect",
                listed.join(", ")
            ),
        )
        .subject(names[first].clone())
        .measure("features", copies.len() as f64)
        .threshold("no feature with exactly one value per class")
        .advice(format!(
            "leave {} out of the inputs: list the columns to read with `columns:` in the csv \
             source (or fix the file, if the column is a mistake)",
            listed.join(", ")
        )),
    )
}

/// One class holding most of the rows.
fn class_imbalance(facts: &DataFacts<'_>) -> Option<Finding> {
    let counts = facts.train.class_counts();
    let n: usize = counts.iter().sum();
    let (major, &count) = counts.iter().enumerate().max_by_key(|(_, k)| **k)?;
    let share = count as f64 / n.max(1) as f64;
    if counts.len() < 2 || share < IMBALANCE_SHARE {
        return None;
    }
    let name = &facts.train.class_names()[major];
    Some(
        Finding::new(
            CheckKind::ClassImbalance,
            Severity::Warning,
            format!(
                "class `{name}` is {:.1} % of the training rows: a model that always answers \
                 `{name}` scores {:.1} % accuracy, so accuracy says little about {}",
                share * 100.0,
                share * 100.0,
                if counts.len() == 2 {
                    "the other class".to_string()
                } else {
                    format!("the other {} classes", counts.len() - 1)
                }
            ),
        )
        .subject(name.clone())
        .measure("majority_share", share)
        .threshold(format!(
            "majority class below {:.0} %",
            IMBALANCE_SHARE * 100.0
        ))
        .advice(
            "judge the model by its per-class results (the confusion matrix of `nnc eval … \
             --weights …`), not by accuracy; collect more rows of the rare classes if you can",
        ),
    )
}

/// Far more parameters than training rows.
fn model_size(facts: &DataFacts<'_>) -> Option<Finding> {
    let rows = facts.train.len().max(1) as f64;
    let ratio = facts.parameters as f64 / rows;
    (ratio > MAX_PARAMS_PER_ROW).then(|| {
        Finding::new(
            CheckKind::ModelSize,
            Severity::Warning,
            format!(
                "the model has {} parameters for {} training rows ({} per row): it can memorise \
                 the training set, so expect a large gap between training and validation",
                facts.parameters,
                facts.train.len(),
                sig(ratio)
            ),
        )
        .measure("parameters", facts.parameters as f64)
        .measure("train_rows", rows)
        .measure("parameters_per_row", ratio)
        .threshold(format!(
            "at most {MAX_PARAMS_PER_ROW} parameters per training row"
        ))
        .advice(
            "give training more rows (a larger `train:` share in `split`), or use a smaller \
             model (fewer or narrower `dense` layers), or regularise (`regularize l2(…)`, \
             `dropout`)",
        )
    })
}

/// Reports examples that appear in more than one split (the count is the caller's evidence
/// either way: `summary.json` keeps it).
pub fn leakage_check(duplicates: usize, description: &str) -> Option<Finding> {
    leakage_finding(duplicates, None, description)
}

/// [`leakage_check`] knowing how many validation and test rows there are: a finding when at
/// least 2 rows, and at least 1 % of the evaluated rows, are in two splits. Real data has the
/// odd pair of identical measurements (two of iris's 150 flowers): one such row barely moves
/// a metric.
fn leakage_finding(
    duplicates: usize,
    evaluated_rows: Option<usize>,
    description: &str,
) -> Option<Finding> {
    let share = evaluated_rows.map(|n| duplicates as f64 / n.max(1) as f64);
    if duplicates < 2 || share.is_some_and(|s| s < 0.01) {
        return None;
    }
    Some(
        Finding::new(
            CheckKind::DataLeakage,
            Severity::Warning,
            format!(
                "{duplicates} identical examples appear in more than one split ({description})"
            ),
        )
        .measure("duplicates", duplicates as f64)
        .threshold("fewer than 2 rows, or under 1 % of the evaluated rows, in two splits")
        .advice(
            "evaluation on examples seen in training overstates accuracy: remove the duplicate \
             rows from the file before splitting",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnc_tape::Tensor;

    fn dataset(rows: &[Vec<f32>], labels: &[usize], names: &[&str]) -> Dataset {
        let d = rows[0].len();
        let x: Vec<f32> = rows.iter().flatten().copied().collect();
        let classes = labels.iter().max().unwrap() + 1;
        Dataset::new(
            Tensor::from_vec(x, &[rows.len(), d]).unwrap(),
            labels.to_vec(),
            Dataset::numbered_classes(classes),
            names.iter().map(|s| s.to_string()).collect(),
        )
        .unwrap()
    }

    fn facts(train: &Dataset) -> DataFacts<'_> {
        DataFacts {
            train,
            val: None,
            context: DataContext::default(),
            parameters: 10,
        }
    }

    #[test]
    fn large_and_spread_scales_are_named_with_their_figures() {
        let rows: Vec<Vec<f32>> = (0..40)
            .map(|i| {
                let small = 0.5 + 0.1 * (i % 3) as f32;
                vec![1000.0 + 10.0 * (i % 7) as f32, small, 2.0 * small, 1.0]
            })
            .collect();
        let labels: Vec<usize> = (0..40).map(|i| i % 2).collect();
        let d = dataset(&rows, &labels, &["proline", "hue", "ash", "one"]);
        let found = data_checks(&facts(&d));
        let scale = found
            .iter()
            .find(|f| f.check == CheckKind::FeatureScales)
            .expect("scales");
        assert!(
            scale.message.contains("not normalised"),
            "{}",
            scale.message
        );
        assert!(
            scale.message.contains("`proline` (mean 1029"),
            "{}",
            scale.message
        );
        assert!(scale.message.contains("`hue`"), "{}", scale.message);
        assert!(scale.advice.contains("center, normalize"));
        let constant = found
            .iter()
            .find(|f| f.check == CheckKind::ConstantFeatures)
            .expect("constant");
        assert_eq!(constant.severity, Severity::Info);
        assert!(constant.message.contains("`one` = 1"));
        // An all-zero column (a blank pixel) is not worth a note.
        let zeros: Vec<Vec<f32>> = rows.iter().map(|r| vec![r[1], r[2], 0.0]).collect();
        let blank = dataset(&zeros, &labels, &["hue", "ash", "px0"]);
        assert!(data_checks(&facts(&blank)).is_empty());
    }

    #[test]
    fn unit_scale_inputs_pass() {
        let rows: Vec<Vec<f32>> = (0..40)
            .map(|i| vec![(i as f32 / 20.0) - 1.0, ((i * 7) % 11) as f32 / 5.0 - 1.0])
            .collect();
        let labels: Vec<usize> = (0..40).map(|i| i % 2).collect();
        let d = dataset(&rows, &labels, &["a", "b"]);
        assert!(data_checks(&facts(&d)).is_empty());
    }
}
