//! Preprocessing fitted on the training split only, then applied to every split.

mod common;

use common::{covariance, digits_csv, mean_std, wine};
use nnc_data::{
    Dataset, FittedPipeline, FittedStep, PcaKeep, Pipeline, SplitSpec, Step, generated,
};
use nnc_tape::{Tensor, rng};

fn pipeline(steps: Vec<Step>) -> Pipeline {
    Pipeline::new(steps).unwrap()
}

fn pca(keep: PcaKeep) -> Step {
    Step::Pca { keep }
}

#[test]
fn center_normalize_uses_train_statistics_only() {
    let splits = wine()
        .split(&SplitSpec::new(0.6, 0.2, 0.2).stratified(), &mut rng(11))
        .unwrap();
    let (fitted, out) = pipeline(vec![Step::Center, Step::Normalize])
        .fit_splits(&splits)
        .unwrap();
    let (mean, std) = mean_std(out.train.inputs());
    for j in 0..13 {
        assert!(
            mean[j].abs() < 1e-6,
            "train mean of feature {j}: {}",
            mean[j]
        );
        assert!(
            (std[j] - 1.0).abs() < 1e-6,
            "train std of feature {j}: {}",
            std[j]
        );
    }
    // Val and test went through the training statistics, so theirs are not exactly 0 and 1.
    for part in [&out.val, &out.test] {
        let (m, s) = mean_std(part.inputs());
        let worst_mean = m.iter().fold(0f64, |a, v| a.max(v.abs()));
        let worst_std = s.iter().fold(0f64, |a, v| a.max((v - 1.0).abs()));
        assert!(
            worst_mean > 1e-3 && worst_std > 1e-3,
            "{worst_mean} {worst_std}"
        );
    }
    // The fitted statistics are those of the raw training split.
    let (raw_mean, raw_std) = mean_std(splits.train.inputs());
    let stats = fitted.statistics().unwrap();
    let names: Vec<&str> = stats.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["preprocess.0.center.mean", "preprocess.1.normalize.std"]
    );
    for j in 0..13 {
        assert!((stats[0].1.data()[j] - raw_mean[j]).abs() < 1e-9 * raw_mean[j].abs().max(1.0));
        assert!((stats[1].1.data()[j] - raw_std[j]).abs() < 1e-9 * raw_std[j].max(1.0));
    }
    // Labels and names pass through.
    assert_eq!(out.val.labels(), splits.val.labels());
    assert_eq!(out.val.feature_names(), splits.val.feature_names());
}

#[test]
fn normalize_leaves_constant_digits_pixels_finite() {
    let ds = digits_csv();
    let out = pipeline(vec![Step::Center, Step::Normalize])
        .fit(&ds)
        .unwrap()
        .transform(&ds)
        .unwrap();
    assert!(out.inputs().all_finite());
    let (_, std_raw) = mean_std(ds.inputs());
    let (mean, std) = mean_std(out.inputs());
    let constant = std_raw.iter().filter(|s| **s == 0.0).count();
    assert!(constant >= 1, "digits has pixels that are always 0");
    for j in 0..64 {
        let want = if std_raw[j] == 0.0 { 0.0 } else { 1.0 };
        assert!(
            (std[j] - want).abs() < 1e-6 && mean[j].abs() < 1e-6,
            "pixel {j}"
        );
    }
}

fn assert_identity(c: &[f64], d: usize, tol: f64) {
    for a in 0..d {
        for b in 0..d {
            let want = if a == b { 1.0 } else { 0.0 };
            assert!(
                (c[a * d + b] - want).abs() < tol,
                "covariance[{a}][{b}] = {}",
                c[a * d + b]
            );
        }
    }
}

/// Correlated Gaussian features with very different scales.
fn correlated(rows: usize, seed: u64) -> Dataset {
    let base = generated::random(rows, 4, 2, &mut rng(seed)).unwrap();
    let mix = Tensor::from_vec(
        vec![
            3.0, 1.0, 0.0, 0.5, //
            0.0, 2.0, 1.0, 0.0, //
            0.0, 0.0, 50.0, 10.0, //
            1.0, 0.0, 0.0, 1.5,
        ],
        &[4, 4],
    )
    .unwrap();
    let x = base.inputs().matmul(&mix).unwrap().map(|v| v + 7.0);
    base.with_inputs(x, Dataset::numbered_features("f", 4))
        .unwrap()
}

#[test]
fn whiten_makes_the_train_covariance_the_identity() {
    let splits = correlated(2000, 5)
        .split(&SplitSpec::new(0.8, 0.2, 0.0), &mut rng(6))
        .unwrap();
    let (_, out) = pipeline(vec![Step::Center, Step::Whiten { eps: 1e-5 }])
        .fit_splits(&splits)
        .unwrap();
    assert_identity(&covariance(out.train.inputs()), 4, 1e-4);
    // Validation data, whitened with the training basis, is close to but not exactly white.
    let cv = covariance(out.val.inputs());
    let off = (0..16).map(|i| (cv[i] - f64::from(u8::from(i % 5 == 0))).abs());
    assert!(off.fold(0.0, f64::max) > 1e-3);

    // ZCA: also white, on the original axes (feature names kept).
    let (_, zca) = pipeline(vec![Step::Zca { eps: 1e-5 }])
        .fit_splits(&splits)
        .unwrap();
    assert_identity(&covariance(zca.train.inputs()), 4, 1e-4);
    assert_eq!(zca.train.feature_names()[0], "f0");
}

#[test]
fn whiten_after_pca_on_digits() {
    let ds = digits_csv();
    let fitted = pipeline(vec![
        Step::Center,
        pca(PcaKeep::Variance(0.99)),
        Step::Whiten { eps: 1e-5 },
    ])
    .fit(&ds)
    .unwrap();
    let out = fitted.transform(&ds).unwrap();
    assert_eq!(out.features(), 41);
    assert_eq!(out.feature_names()[0], "pc0");
    assert_identity(&covariance(out.inputs()), 41, 1e-4);
}

/// Number of components `pca(variance: 0.99)` keeps on the full digits set (1797 rows,
/// 64 pixels): 41. (0.95 keeps 29, 0.90 keeps 21.)
const DIGITS_PCA_99: usize = 41;

#[test]
fn pca_variance_099_on_digits_keeps_41_components() {
    let ds = digits_csv();
    let fitted = pipeline(vec![pca(PcaKeep::Variance(0.99))])
        .fit(&ds)
        .unwrap();
    assert_eq!(fitted.output_features(), DIGITS_PCA_99);
    let FittedStep::Projection(p) = &fitted.fitted_steps()[0] else {
        panic!("pca is a projection")
    };
    assert!(p.explained_variance() >= 0.99);
    let without_last: f64 = p.eigenvalues[..DIGITS_PCA_99 - 1].iter().sum::<f64>()
        / p.all_eigenvalues.iter().sum::<f64>();
    assert!(without_last < 0.99, "40 components would have been enough");
    assert!(p.eigenvalues.windows(2).all(|w| w[0] >= w[1]));
    // Components are orthonormal.
    let k = p.kept();
    for a in 0..k {
        for b in 0..k {
            let dot: f64 = (0..64)
                .map(|r| p.components[r * k + a] * p.components[r * k + b])
                .sum();
            let want = if a == b { 1.0 } else { 0.0 };
            assert!((dot - want).abs() < 1e-10, "U[{a}]·U[{b}] = {dot}");
        }
    }
    let pcs = fitted.transform(&ds).unwrap();
    let (_, std) = mean_std(pcs.inputs());
    assert!((std[0].powi(2) - p.eigenvalues[0]).abs() < 1e-3 * p.eigenvalues[0]);
}

#[test]
fn pca_with_every_component_reconstructs_the_data() {
    let ds = digits_csv();
    for steps in [
        vec![pca(PcaKeep::Components(64))],
        vec![
            Step::Scale { factor: 1.0 / 16.0 },
            Step::Center,
            pca(PcaKeep::Components(64)),
        ],
        vec![Step::Zca { eps: 1e-2 }],
        vec![Step::MinMax { lo: -1.0, hi: 1.0 }, Step::Normalize],
    ] {
        let fitted = pipeline(steps.clone()).fit(&ds).unwrap();
        let y = fitted.transform_inputs(ds.inputs()).unwrap();
        let back = fitted.inverse_transform_inputs(&y).unwrap();
        let worst = back
            .data()
            .iter()
            .zip(ds.inputs().data())
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            worst < 1e-4,
            "{steps:?}: worst reconstruction error {worst}"
        );
    }
    // With fewer components the reconstruction loses detail.
    let fitted = pipeline(vec![pca(PcaKeep::Components(10))])
        .fit(&ds)
        .unwrap();
    let back = fitted
        .inverse_transform_inputs(&fitted.transform_inputs(ds.inputs()).unwrap())
        .unwrap();
    let worst = back
        .data()
        .iter()
        .zip(ds.inputs().data())
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(worst > 1.0, "{worst}");
}

#[test]
fn fitted_pipeline_round_trips_through_json() {
    let ds = digits_csv();
    let splits = ds
        .split(&SplitSpec::new(0.8, 0.2, 0.0), &mut rng(2))
        .unwrap();
    let fitted = pipeline(vec![
        Step::Scale { factor: 1.0 / 16.0 },
        Step::Center,
        Step::Normalize,
        pca(PcaKeep::Variance(0.95)),
        Step::Whiten { eps: 1e-5 },
    ])
    .fit(&splits.train)
    .unwrap();
    let json = fitted.to_json();
    let loaded = FittedPipeline::from_json(&json).unwrap();
    assert_eq!(loaded, fitted);
    assert_eq!(
        loaded.transform(&splits.val).unwrap(),
        fitted.transform(&splits.val).unwrap()
    );
    assert!(FittedPipeline::from_json("{\"steps\": 3}").is_err());
    // Wrong width at predict time is an error, not a panic.
    let e = loaded
        .transform_inputs(&Tensor::zeros(&[2, 10]))
        .unwrap_err();
    assert!(e.to_string().contains("fitted on 64 features"), "{e}");
    let names: Vec<String> = fitted
        .statistics()
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(
        names.contains(&"preprocess.3.pca.components".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"preprocess.4.whiten.scale".to_string()),
        "{names:?}"
    );
}

#[test]
fn preprocessing_is_deterministic() {
    let ds = digits_csv();
    let p = pipeline(vec![
        Step::Center,
        pca(PcaKeep::Components(20)),
        Step::Whiten { eps: 1e-5 },
    ]);
    let a = p.fit(&ds).unwrap().transform(&ds).unwrap();
    let b = p.fit(&ds).unwrap().transform(&ds).unwrap();
    assert_eq!(a, b);
}

#[test]
fn channel_centering_of_images() {
    let ds = common::digits_idx();
    let fitted = pipeline(vec![Step::ChannelCenter]).fit(&ds).unwrap();
    let out = fitted.transform(&ds).unwrap();
    let overall = out
        .inputs()
        .data()
        .iter()
        .map(|&v| f64::from(v))
        .sum::<f64>()
        / out.inputs().numel() as f64;
    assert!(overall.abs() < 1e-5, "{overall}");
    assert!(out.image_shape().is_some());
    // A table has no channels.
    let e = pipeline(vec![Step::ChannelCenter])
        .fit(&wine())
        .unwrap_err();
    assert!(e.to_string().contains("needs image rows"), "{e}");
}

#[test]
fn bad_steps_are_refused() {
    for step in [
        Step::Scale { factor: 0.0 },
        Step::MinMax { lo: 1.0, hi: 0.0 },
        pca(PcaKeep::Variance(1.5)),
        pca(PcaKeep::Components(0)),
        Step::Whiten { eps: -1.0 },
        Step::Zca { eps: f64::NAN },
    ] {
        assert!(Pipeline::new(vec![step.clone()]).is_err(), "{step:?}");
    }
    let e = pipeline(vec![pca(PcaKeep::Components(14))])
        .fit(&wine())
        .unwrap_err();
    assert!(
        e.to_string().contains("between 1 and the 13 features"),
        "{e}"
    );
}

/// Elementwise steps transform long tables a slice of rows at a time: the result is the one
/// of transforming the whole table in f64 at once, bit for bit.
#[test]
fn long_tables_transform_in_slices_with_the_same_bits() {
    let data = generated::random(10_000, 7, 3, &mut rng(5)).unwrap();
    let steps = vec![
        Step::Scale { factor: 0.37 },
        Step::Center,
        Step::Normalize,
        Step::MinMax { lo: -1.0, hi: 2.0 },
    ];
    let fitted = pipeline(steps).fit(&data).unwrap();
    let sliced = fitted.transform_inputs(data.inputs()).unwrap();
    let whole: Tensor<f32> = fitted.transform_f64(data.inputs().cast()).unwrap().cast();
    assert_eq!(sliced.shape(), whole.shape());
    let bits = |t: &Tensor<f32>| t.data().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&sliced), bits(&whole));
}
