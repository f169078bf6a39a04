//! Generated sets, splits, k-fold and batching.

mod common;

use common::{digits_csv, wine};
use nnc_data::{BatchSize, Batcher, CsvOptions, Dataset, SplitSpec, generated, kfold, parse_csv};
use nnc_tape::rng;

#[test]
fn spiral_3x100_is_300_balanced_rows_deterministic_per_seed() {
    let a = generated::spiral(100, 3, 0.2, &mut rng(0)).unwrap();
    assert_eq!((a.len(), a.features(), a.classes()), (300, 2, 3));
    assert_eq!(a.inputs().shape(), &[300, 2]);
    assert_eq!(a.class_counts(), vec![100, 100, 100]);
    let b = generated::spiral(100, 3, 0.2, &mut rng(0)).unwrap();
    assert_eq!(a, b, "same seed, same rows (bit for bit)");
    assert!(
        a.inputs()
            .data()
            .iter()
            .zip(b.inputs().data())
            .all(|(x, y)| x.to_bits() == y.to_bits())
    );
    let c = generated::spiral(100, 3, 0.2, &mut rng(1)).unwrap();
    assert_ne!(a.inputs(), c.inputs(), "another seed, other noise");
    assert_eq!(a.labels(), c.labels());
    // Radius grows linearly along each arm: |x_i| = i / 99 whatever the noise.
    for i in 0..100 {
        let r = a.row(100 + i).iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((r - i as f32 / 99.0).abs() < 1e-6);
    }
}

#[test]
fn every_generator_is_deterministic() {
    type Make = fn(&mut nnc_tape::Rng) -> Dataset;
    let makers: [Make; 4] = [
        |r| generated::circles(50, 0.1, 0.5, r).unwrap(),
        |r| generated::blobs(20, 4, 3, 1.0, r).unwrap(),
        |r| generated::xor(30, 0.3, r).unwrap(),
        |r| generated::random(64, 8, 5, r).unwrap(),
    ];
    for make in makers {
        assert_eq!(make(&mut rng(9)), make(&mut rng(9)));
        assert_ne!(make(&mut rng(9)).inputs(), make(&mut rng(10)).inputs());
    }
}

#[test]
fn kfold_puts_every_example_in_exactly_one_validation_fold() {
    let ds = digits_csv();
    for stratify in [false, true] {
        let folds = ds.kfold(5, stratify, &mut rng(4)).unwrap();
        assert_eq!(folds.len(), 5);
        let mut seen = vec![0usize; ds.len()];
        for f in &folds {
            for &i in &f.val {
                seen[i] += 1;
            }
            // Train is exactly the complement of val.
            let mut all: Vec<usize> = f.train.iter().chain(&f.val).copied().collect();
            all.sort_unstable();
            assert_eq!(all, (0..ds.len()).collect::<Vec<_>>());
            assert!(
                (f.val.len() as i64 - (ds.len() / 5) as i64).abs() <= 1,
                "fold size {}",
                f.val.len()
            );
        }
        assert!(seen.iter().all(|&s| s == 1), "stratify {stratify}");
    }
}

#[test]
fn stratified_kfold_spreads_each_class_evenly() {
    let ds = wine();
    let counts = ds.class_counts();
    let folds = ds.kfold(4, true, &mut rng(1)).unwrap();
    for f in &folds {
        let (_, val) = f.datasets(&ds).unwrap();
        for (c, (&got, &n_c)) in val.class_counts().iter().zip(&counts).enumerate() {
            assert!(
                (got as f64 - n_c as f64 / 4.0).abs() <= 1.0,
                "class {c}: {got} of {n_c}"
            );
        }
    }
    assert_eq!(folds, ds.kfold(4, true, &mut rng(1)).unwrap());
    assert_ne!(folds, ds.kfold(4, true, &mut rng(2)).unwrap());
}

#[test]
fn a_separate_test_source_replaces_the_test_split() {
    let data = generated::blobs(50, 3, 2, 1.0, &mut rng(0)).unwrap();
    let splits = data
        .split(&SplitSpec::new(0.8, 0.2, 0.0), &mut rng(1))
        .unwrap();
    assert!(splits.test.is_empty());
    let test = generated::blobs(10, 3, 2, 1.0, &mut rng(0)).unwrap();
    let splits = splits.with_test_source(test.clone()).unwrap();
    assert_eq!(splits.test.len(), 30);
    // A second test source, or one of another width, is refused.
    assert!(splits.clone().with_test_source(test).is_err());
    let narrow = generated::blobs(10, 3, 5, 1.0, &mut rng(0)).unwrap();
    let fresh = data
        .split(&SplitSpec::new(0.8, 0.2, 0.0), &mut rng(1))
        .unwrap();
    assert!(fresh.clone().with_test_source(narrow).is_err());
    // String classes in another order are refused (read the test file with `classes`).
    let train = parse_csv(
        b"x,y\n1,cat\n2,dog\n3,cat\n4,dog\n",
        "train.csv",
        &CsvOptions::default(),
    )
    .unwrap();
    let test = parse_csv(b"x,y\n1,dog\n", "test.csv", &CsvOptions::default()).unwrap();
    let s = train.split(&SplitSpec::default(), &mut rng(0)).unwrap();
    let e = s.clone().with_test_source(test).unwrap_err();
    assert!(e.to_string().contains("test class 0 is `dog`"), "{e}");
    let opts = CsvOptions {
        classes: Some(train.class_names().to_vec()),
        ..CsvOptions::default()
    };
    let test = parse_csv(b"x,y\n1,dog\n", "test.csv", &opts).unwrap();
    let s = s.with_test_source(test).unwrap();
    assert_eq!(s.test.labels(), &[1]);
}

#[test]
fn batches_fill_caller_buffers_without_reallocating() {
    let ds = digits_csv();
    let mut batcher = Batcher::new(ds.len(), BatchSize::Rows(128), true, 42).unwrap();
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut seen = vec![false; ds.len()];
    let mut capacity = None;
    for epoch in 0..3 {
        for indices in batcher.epoch(epoch) {
            ds.fill_batch(indices, &mut x, &mut y).unwrap();
            assert_eq!(x.len(), indices.len() * 64);
            assert_eq!(y[0], ds.labels()[indices[0]]);
            assert_eq!(&x[..64], ds.row(indices[0]));
            if epoch == 0 {
                indices.iter().for_each(|&i| seen[i] = true);
            }
            let cap = *capacity.get_or_insert(x.capacity());
            assert_eq!(x.capacity(), cap, "the buffer grew after the first batch");
        }
    }
    assert!(seen.iter().all(|&s| s));
    // The owned-batch iterator yields the same rows.
    let first: Vec<usize> = batcher.epoch(0).next().unwrap().to_vec();
    let batch = batcher.batches(&ds, 0).unwrap().next().unwrap().unwrap();
    assert_eq!(batch.inputs.shape(), &[128, 64]);
    assert_eq!(
        batch.labels,
        first.iter().map(|&i| ds.labels()[i]).collect::<Vec<_>>()
    );
    assert_eq!(batcher.batches(&ds, 0).unwrap().count(), 15);
    assert!(batcher.batches(&wine(), 0).is_err());
}

#[test]
fn split_indices_are_reproducible_across_calls() {
    let y: Vec<usize> = (0..1000).map(|i| i % 7).collect();
    let spec = SplitSpec::new(0.6, 0.2, 0.2).stratified();
    let a = nnc_data::split_indices(&y, &spec, &mut rng(3)).unwrap();
    let b = nnc_data::split_indices(&y, &spec, &mut rng(3)).unwrap();
    assert_eq!(a, b);
    let folds = kfold(&y, 10, false, &mut rng(3)).unwrap();
    assert!(folds.iter().all(|f| f.val.len() == 100));
}
