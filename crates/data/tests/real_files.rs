//! The shipped real data sets: digits (CSV and IDX) and wine.

mod common;

use common::{data_file, digits_csv, digits_idx, wine};
use nnc_data::{CsvOptions, LabelOrder, SplitSpec, load_csv};
use nnc_tape::rng;

#[test]
fn digits_csv_and_idx_load_to_identical_tensors() {
    let csv = digits_csv();
    let idx = digits_idx();
    assert_eq!((csv.len(), csv.features(), csv.classes()), (1797, 64, 10));
    assert_eq!(csv.inputs(), idx.inputs(), "features differ");
    assert_eq!(csv.labels(), idx.labels(), "labels differ");
    assert_eq!(csv.class_names(), idx.class_names());
    assert_eq!(csv.feature_names(), idx.feature_names());
    let max = csv.inputs().data().iter().fold(0f32, |m, &v| m.max(v));
    assert_eq!(max, 16.0, "digits pixels are 0..16");
    let shape = idx.image_shape().expect("IDX images keep their shape");
    assert_eq!((shape.channels, shape.height, shape.width), (1, 8, 8));
    assert_eq!(
        idx.inputs_f64().data()[2],
        f64::from(idx.inputs().data()[2])
    );
}

#[test]
fn wine_loads_with_classes_sorted_in_the_file() {
    let ds = wine();
    assert_eq!((ds.len(), ds.features(), ds.classes()), (178, 13, 3));
    assert_eq!(ds.feature_names()[12], "proline");
    assert_eq!(ds.class_counts(), vec![59, 71, 48]);
    assert!(
        ds.labels().windows(2).all(|w| w[0] <= w[1]),
        "wine rows are sorted by class, which is why splits must shuffle"
    );
    // An unshuffled 80/20 split puts only the last class in test: the trap shuffling avoids.
    let naive = ds
        .split(&SplitSpec::new(0.8, 0.0, 0.2).shuffled(false), &mut rng(0))
        .unwrap();
    assert_eq!(naive.test.class_counts(), vec![0, 0, 36]);
}

#[test]
fn wine_shuffled_splits_stay_stratified() {
    let ds = wine();
    let counts = ds.class_counts();
    let spec = SplitSpec::new(0.7, 0.15, 0.15).stratified();
    for seed in 0..5 {
        let splits = ds.split(&spec, &mut rng(seed)).unwrap();
        for (part, fraction) in [
            (&splits.train, 0.7),
            (&splits.val, 0.15),
            (&splits.test, 0.15),
        ] {
            for (c, (&got, &n_c)) in part.class_counts().iter().zip(&counts).enumerate() {
                let exact = fraction * n_c as f64;
                assert!(
                    (got as f64 - exact).abs() <= 1.0,
                    "seed {seed} class {c}: {got} rows, exact share {exact}"
                );
            }
            // Shuffled: the split is not in file order.
            assert!(part.labels().windows(2).any(|w| w[0] > w[1]), "seed {seed}");
        }
        assert_eq!(
            splits.train.len() + splits.val.len() + splits.test.len(),
            178
        );
        assert!(splits.leakage().is_clean(), "{}", splits.leakage());
    }
}

#[test]
fn wine_with_string_labels_keeps_the_mapping() {
    // The same file read with the label as a name: the integers become sorted names.
    let opts = CsvOptions {
        classes: None,
        label_order: LabelOrder::FirstSeen,
        ..CsvOptions::label("label")
    };
    let ds = load_csv(data_file("wine.csv"), &opts).unwrap();
    assert_eq!(ds.class_names(), &["0", "1", "2"]);
    let opts = CsvOptions {
        classes: Some(vec!["2".into(), "1".into(), "0".into()]),
        ..CsvOptions::default()
    };
    let reversed = load_csv(data_file("wine.csv"), &opts).unwrap();
    assert_eq!(reversed.labels()[0], 2);
    assert_eq!(reversed.class_counts(), vec![48, 71, 59]);
}

/// Rows of `later` equal to some row of `earlier`, by brute force (the oracle).
fn shared(earlier: &nnc_data::Dataset, later: &nnc_data::Dataset) -> usize {
    (0..later.len())
        .filter(|&i| (0..earlier.len()).any(|j| earlier.row(j) == later.row(i)))
        .count()
}

#[test]
fn digits_leakage_is_counted() {
    let ds = digits_csv();
    for data in [ds.clone(), ds.concat(&ds).unwrap()] {
        let splits = data
            .split(&SplitSpec::new(0.8, 0.1, 0.1), &mut rng(3))
            .unwrap();
        let report = splits.leakage();
        assert_eq!(report.val_in_train, shared(&splits.train, &splits.val));
        assert_eq!(report.test_in_train, shared(&splits.train, &splits.test));
        assert_eq!(report.test_in_val, shared(&splits.val, &splits.test));
        println!("{} rows: {report}", data.len());
    }
    // A dataset concatenated with itself leaks most validation rows into train.
    let doubled = ds.concat(&ds).unwrap();
    let report = doubled
        .split(&SplitSpec::new(0.8, 0.1, 0.1), &mut rng(3))
        .unwrap()
        .leakage();
    assert!(report.val_in_train > 250, "{report}");
}
