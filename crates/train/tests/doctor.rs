//! The doctor protocol on the spiral: verdicts, the tiny-subset test against a planted label
//! bug, and the learning-rate range test.

use nnc_data::{BatchSize, generated};
use nnc_ops::{Activation, Init, LayerSpec, Loss, Penalty, Sequential};
use nnc_tape::rng;
use nnc_train::babysit::CheckKind;
use nnc_train::doctor::{self, DoctorOptions, OverfitSettings, Verdict, overfit_tiny_subset};
use nnc_train::{Duration, OptimizerConfig, TrainConfig, TrainData};
use rand::seq::SliceRandom;

fn spiral_model() -> Sequential<f32> {
    Sequential::from_specs(
        2,
        &[
            LayerSpec::dense(100, Init::Small { std: 0.01 }),
            LayerSpec::Activation(Activation::Relu),
            LayerSpec::dense(3, Init::Small { std: 0.01 }),
        ],
        &mut rng(3),
    )
    .unwrap()
}

fn spiral_config() -> TrainConfig {
    let mut c = TrainConfig::sgd(1.0, Duration::Steps(10_000));
    c.penalty = Some(Penalty::L2(1e-3));
    c
}

#[test]
fn the_doctor_passes_the_textbook_spiral_recipe() {
    let data = generated::spiral(100, 3, 0.2, &mut rng(0)).unwrap();
    let report = doctor::run(
        &|| Ok(spiral_model()),
        Loss::SoftmaxCrossEntropy,
        TrainData::new(&data, None),
        &spiral_config(),
        &DoctorOptions::default(),
    )
    .unwrap();
    println!("{report}");
    for s in &report.steps {
        assert_eq!(
            s.verdict,
            Verdict::Pass,
            "{}: {}",
            s.check.title(),
            s.summary
        );
    }
    assert_eq!(report.steps.len(), 7);
    let lr = report.step(CheckKind::LearningRateRange).unwrap();
    let f = &lr.findings[0];
    let (lo, hi) = (
        f.figure("suggested_low").unwrap(),
        f.figure("suggested_high").unwrap(),
    );
    assert!(
        lo <= 1.0 && 1.0 <= hi,
        "suggested {lo} .. {hi} does not contain 1.0"
    );
}

#[test]
fn a_tiny_subset_is_fitted_unless_labels_are_shuffled_every_step() {
    let data = generated::spiral(100, 3, 0.2, &mut rng(0)).unwrap();
    let idx: Vec<usize> = (0..300).step_by(15).collect();
    let subset = data.subset(&idx).unwrap();
    assert_eq!(subset.len(), 20);
    let settings = OverfitSettings {
        optimizer: OptimizerConfig::sgd(),
        lr: 1.0,
        max_steps: 2000,
        seed: 0,
    };
    let healthy = overfit_tiny_subset(
        &mut spiral_model(),
        Loss::SoftmaxCrossEntropy,
        &subset,
        &settings,
        |_, y, out| out.extend_from_slice(y),
    )
    .unwrap();
    println!(
        "healthy: {} steps, accuracy {}, loss {}",
        healthy.steps, healthy.accuracy, healthy.loss
    );
    assert!(healthy.passed());
    assert!(healthy.loss < 0.1);

    // Planted bug: the labels are shuffled at every step (a data pipeline that misaligns them).
    let broken = overfit_tiny_subset(
        &mut spiral_model(),
        Loss::SoftmaxCrossEntropy,
        &subset,
        &settings,
        |step, y, out| {
            out.extend_from_slice(y);
            out.shuffle(&mut rng(step));
        },
    )
    .unwrap();
    println!(
        "broken: {} steps, accuracy {}, loss {}",
        broken.steps, broken.accuracy, broken.loss
    );
    assert!(!broken.passed());
    assert_eq!(broken.steps, 2000);
}

#[test]
fn the_doctor_flags_a_learning_rate_far_too_low_and_a_collapsing_init() {
    let data = generated::blobs(100, 3, 10, 1.0, &mut rng(1)).unwrap();
    let build = || {
        let mut specs = Vec::new();
        for _ in 0..8 {
            specs.push(LayerSpec::dense(64, Init::Small { std: 0.01 }));
            specs.push(LayerSpec::Activation(Activation::Tanh));
        }
        specs.push(LayerSpec::dense(3, Init::Small { std: 0.01 }));
        Ok(Sequential::from_specs(10, &specs, &mut rng(2)).unwrap())
    };
    let mut config = TrainConfig::sgd(1e-6, Duration::Epochs(10));
    config.batch = BatchSize::Rows(50);
    let options = DoctorOptions {
        overfit_steps: 300,
        ..DoctorOptions::default()
    };
    let report = doctor::run(
        &build,
        Loss::SoftmaxCrossEntropy,
        TrainData::new(&data, None),
        &config,
        &options,
    )
    .unwrap();
    println!("{report}");
    assert_eq!(report.overall(), Verdict::Fail);
    assert_eq!(
        report.step(CheckKind::OverfitTinySubset).unwrap().verdict,
        Verdict::Fail
    );
    let lr = report.step(CheckKind::LearningRateRange).unwrap();
    assert_eq!(lr.verdict, Verdict::Warn);
    assert!(lr.summary.contains("too low"));
    let depth = report.step(CheckKind::ActivationStatistics).unwrap();
    assert_eq!(depth.verdict, Verdict::Warn);
    assert!(depth.summary.contains("collapse"), "{}", depth.summary);
}
