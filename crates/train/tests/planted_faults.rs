//! Planted faults: each must be caught by the babysitter, with the evidence; the healthy
//! counterparts stay quiet (see `spiral.rs` and `real_data.rs`).

use nnc_data::{BatchSize, Dataset, generated};
use nnc_ops::{Activation, Init, LayerSpec, Loss, Penalty, Sequential};
use nnc_tape::rng;
use nnc_train::babysit::{CheckKind, Finding, Severity};
use nnc_train::events::{Silent, StopReason};
use nnc_train::{Duration, RunSummary, TrainConfig, TrainData, train};

fn spiral() -> Dataset {
    generated::spiral(100, 3, 0.2, &mut rng(0)).unwrap()
}

fn spiral_model(hidden_init: Init, out_init: Init, bias: Init) -> Sequential<f32> {
    Sequential::from_specs(
        2,
        &[
            LayerSpec::Dense {
                units: 100,
                init: hidden_init,
                bias: Some(bias),
            },
            LayerSpec::Activation(Activation::Relu),
            LayerSpec::dense(3, out_init),
        ],
        &mut rng(7),
    )
    .unwrap()
}

fn run(model: &mut Sequential<f32>, data: &Dataset, config: &TrainConfig) -> RunSummary {
    train(
        model,
        Loss::SoftmaxCrossEntropy,
        TrainData::new(data, None),
        config,
        &mut Silent,
        None,
    )
    .unwrap()
}

fn finding(s: &RunSummary, check: CheckKind) -> Option<&Finding> {
    s.findings
        .iter()
        .find(|f| f.check == check && f.severity >= Severity::Warning)
}

#[test]
fn learning_rate_100_diverges_stops_names_the_op_and_keeps_the_checkpoint() {
    let data = spiral();
    let dir = std::env::temp_dir().join(format!("nnc-diverge-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut model = spiral_model(
        Init::Small { std: 0.01 },
        Init::Small { std: 0.01 },
        Init::Zeros,
    );
    let mut config = TrainConfig::sgd(100.0, Duration::Steps(1000));
    config.penalty = Some(Penalty::L2(1e-3));
    config.checkpoint_dir = Some(dir.clone());
    let s = run(&mut model, &data, &config);
    let StopReason::Diverged {
        step,
        op,
        non_finite,
    } = &s.stop
    else {
        panic!("not stopped as diverged: {:?}", s.stop);
    };
    assert!(*step < 1000, "stopped at {step}");
    let f = finding(&s, CheckKind::Divergence).expect("no divergence finding");
    assert_eq!(f.severity, Severity::Error);
    println!("{f}\nop: {op:?} (non-finite: {non_finite})");
    assert!(f.advice.contains("lower the learning rate"));
    let op = op.as_deref().expect("no op named");
    assert!(f.message.contains(&format!("`{op}`")));
    // The last checkpoint is from before the explosion: finite weights.
    let last = nnc_train::checkpoint::load_tensors::<f32>(&dir.join("last.safetensors")).unwrap();
    assert!(!last.tensors.is_empty());
    for (name, t) in &last.tensors {
        assert!(
            t.all_finite(),
            "{name} is not finite in the kept checkpoint"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn learning_rate_1e_minus_7_gives_a_flat_loss_finding() {
    let data = spiral();
    let mut model = spiral_model(
        Init::Small { std: 0.01 },
        Init::Small { std: 0.01 },
        Init::Zeros,
    );
    let config = TrainConfig::sgd(1e-7, Duration::Steps(300));
    let s = run(&mut model, &data, &config);
    let f = finding(&s, CheckKind::FlatLoss).expect("no flat-loss finding");
    println!("{f}");
    assert!(f.figure("relative_decrease").unwrap() < 0.01);
    assert!(f.advice.contains("too low"));
    let r = finding(&s, CheckKind::UpdateRatio).expect("no update-ratio finding");
    assert!(r.figure("median_ratio").unwrap() < 1e-4);
}

#[test]
fn unit_variance_init_saturates_a_deep_tanh_net() {
    let data = generated::blobs(100, 3, 20, 1.0, &mut rng(3)).unwrap();
    let mut specs = Vec::new();
    for _ in 0..6 {
        specs.push(LayerSpec::dense(64, Init::Small { std: 1.0 }));
        specs.push(LayerSpec::Activation(Activation::Tanh));
    }
    specs.push(LayerSpec::dense(3, Init::Small { std: 0.01 }));
    let mut model = Sequential::from_specs(20, &specs, &mut rng(1)).unwrap();
    let mut config = TrainConfig::sgd(0.01, Duration::Epochs(2));
    config.batch = BatchSize::Rows(50);
    let s = run(&mut model, &data, &config);
    let f = finding(&s, CheckKind::Saturation).expect("no saturation finding");
    println!("{f}");
    assert!(f.figure("saturated_fraction").unwrap() > 0.5);
    assert!(f.subject.as_deref().unwrap().starts_with("tanh"));
}

#[test]
fn a_huge_negative_bias_kills_the_relu_layer() {
    let data = spiral();
    let mut model = spiral_model(
        Init::Small { std: 0.01 },
        Init::Small { std: 0.01 },
        Init::Constant { value: -10.0 },
    );
    let config = TrainConfig::sgd(1.0, Duration::Steps(50));
    let s = run(&mut model, &data, &config);
    let f = finding(&s, CheckKind::DeadUnits).expect("no dead-unit finding");
    println!("{f}");
    assert_eq!(f.figure("dead_fraction"), Some(1.0));
    assert_eq!(f.subject.as_deref(), Some("relu1"));
}

/// A healthy Xavier-initialised net starts near ln 3; the same net with every weight ×10 (a
/// planted scale bug) starts far above it. (×10 of `small(0.01)` is still small and rightly
/// passes: its scores stay near zero.)
#[test]
fn weights_ten_times_too_large_fail_the_initial_loss_check() {
    let data = spiral();
    let config = TrainConfig::sgd(0.1, Duration::Steps(1));
    let mut healthy = spiral_model(Init::Xavier, Init::Xavier, Init::Zeros);
    let s = run(&mut healthy, &data, &config);
    let quiet = s.initial_loss.unwrap();
    assert!(
        finding(&s, CheckKind::InitialLoss).is_none(),
        "healthy loss {quiet}"
    );

    let mut model = spiral_model(Init::Xavier, Init::Xavier, Init::Zeros);
    let ids: Vec<_> = model.params().ids().collect();
    for id in ids {
        for v in model.params_mut().value_mut(id).unwrap().data_mut() {
            *v *= 10.0;
        }
    }
    let s = run(&mut model, &data, &config);
    let f = finding(&s, CheckKind::InitialLoss).expect("no initial-loss finding");
    println!("healthy {quiet:.4}; planted: {f}");
    assert!(f.figure("loss").unwrap() > 1.1 * 3f64.ln());
    // The advice names the layer that feeds the loss and the statement to write on it.
    assert!(
        f.advice.contains("`init: small(0.01)` on `dense2`"),
        "{}",
        f.advice
    );
}
