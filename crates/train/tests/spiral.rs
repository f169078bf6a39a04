//! The CS231n case study: a 2-layer net on the spiral, trained with the textbook recipe.

use nnc_data::generated;
use nnc_ops::{Activation, Init, LayerSpec, Loss, Penalty, Sequential};
use nnc_tape::rng;
use nnc_train::babysit::Severity;
use nnc_train::events::Silent;
use nnc_train::{Duration, TrainConfig, TrainData, train};

fn spiral_model(seed: u64) -> Sequential<f32> {
    Sequential::from_specs(
        2,
        &[
            LayerSpec::dense(100, Init::Small { std: 0.01 }),
            LayerSpec::Activation(Activation::Relu),
            LayerSpec::dense(3, Init::Small { std: 0.01 }),
        ],
        &mut rng(seed),
    )
    .unwrap()
}

#[test]
fn the_textbook_recipe_fits_the_spiral_for_five_seeds() {
    for seed in 0..5 {
        let data = generated::spiral(100, 3, 0.2, &mut rng(seed)).unwrap();
        let mut model = spiral_model(seed + 100);
        let mut config = TrainConfig::sgd(1.0, Duration::Steps(10_000));
        config.penalty = Some(Penalty::L2(1e-3));
        config.seed = seed;
        let summary = train(
            &mut model,
            Loss::SoftmaxCrossEntropy,
            TrainData::new(&data, None),
            &config,
            &mut Silent,
            None,
        )
        .unwrap();
        let initial = summary.initial_loss.unwrap();
        assert!(
            (initial - 3f64.ln()).abs() <= 0.01 * 3f64.ln(),
            "seed {seed}: initial loss {initial}"
        );
        assert!(
            summary.train.accuracy >= 0.98,
            "seed {seed}: training accuracy {}",
            summary.train.accuracy
        );
        let warnings: Vec<_> = summary
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .collect();
        assert!(warnings.is_empty(), "seed {seed}: {warnings:#?}");
        println!(
            "seed {seed}: accuracy {:.4}, loss {:.4}, {:.2} s",
            summary.train.accuracy, summary.train.loss, summary.seconds
        );
    }
}
