//! Determinism: the same seed gives bit-identical weights on every run and thread count, and a
//! run resumed from a checkpoint ends exactly where an uninterrupted run ends.

use nnc_data::{BatchSize, generated};
use nnc_ops::{Activation, Init, LayerSpec, Loss, Penalty, Sequential};
use nnc_tape::{Tensor, rng};
use nnc_train::events::Silent;
use nnc_train::{Duration, OptimizerConfig, TrainConfig, TrainData, train};
use std::path::Path;

fn model() -> Sequential<f32> {
    Sequential::from_specs(
        2,
        &[
            LayerSpec::dense(64, Init::He),
            LayerSpec::batchnorm(),
            LayerSpec::Activation(Activation::Relu),
            LayerSpec::dropout(0.2),
            LayerSpec::dense(3, Init::Small { std: 0.01 }),
        ],
        &mut rng(11),
    )
    .unwrap()
}

fn config(epochs: u64, checkpoints: Option<&Path>, resume: Option<&Path>) -> TrainConfig {
    let mut c = TrainConfig::sgd(0.1, Duration::Epochs(epochs));
    c.optimizer = OptimizerConfig::Sgd {
        momentum: 0.9,
        dampening: 0.0,
        nesterov: true,
    };
    c.batch = BatchSize::Rows(32);
    c.penalty = Some(Penalty::L2(1e-3));
    c.seed = 5;
    c.checkpoint_dir = checkpoints.map(Path::to_path_buf);
    c.resume_from = resume.map(Path::to_path_buf);
    c
}

/// Every parameter and buffer, by name.
fn state(m: &Sequential<f32>) -> Vec<(String, Tensor<f32>)> {
    let p = m.params();
    let mut out: Vec<_> = p
        .ids()
        .map(|id| (p.name(id).to_string(), p.value(id).clone()))
        .collect();
    out.extend(m.buffers().map(|b| (b.name.clone(), b.value.clone())));
    out
}

fn bits(s: &[(String, Tensor<f32>)]) -> Vec<(String, Vec<u32>)> {
    s.iter()
        .map(|(n, t)| (n.clone(), t.data().iter().map(|x| x.to_bits()).collect()))
        .collect()
}

fn fit(m: &mut Sequential<f32>, c: &TrainConfig) {
    let data = generated::spiral(100, 3, 0.2, &mut rng(0)).unwrap();
    train(
        m,
        Loss::SoftmaxCrossEntropy,
        TrainData::new(&data, None),
        c,
        &mut Silent,
        None,
    )
    .unwrap();
}

#[test]
fn same_seed_same_bits_on_one_and_two_threads() {
    // Every matrix product takes the threaded path, however small.
    nnc_tape::kernels::matmul::set_parallel_threshold(1);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut m = model();
            fit(&mut m, &config(4, None, None));
            bits(&state(&m))
        })
    };
    let a = run(1);
    assert_eq!(a, run(1), "two runs differ");
    assert_eq!(a, run(2), "1 and 2 threads differ");
}

#[test]
fn resuming_from_a_checkpoint_is_bit_identical_to_an_uninterrupted_run() {
    let dir = std::env::temp_dir().join(format!("nnc-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut whole = model();
    fit(&mut whole, &config(6, None, None));

    let mut first = model();
    fit(&mut first, &config(3, Some(&dir), None));
    let checkpoint = dir.join("last.safetensors");
    assert!(checkpoint.exists());
    // A fresh process would start from a freshly built model: the checkpoint restores it.
    let mut resumed = model();
    fit(&mut resumed, &config(6, None, Some(&checkpoint)));

    assert_eq!(bits(&state(&resumed)), bits(&state(&whole)));
    assert_ne!(bits(&state(&first)), bits(&state(&whole)));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A step budget that ends inside an epoch still records the partial epoch and checkpoints it,
/// and resuming from there continues inside that epoch.
#[test]
fn a_step_budget_inside_an_epoch_checkpoints_and_resumes_mid_epoch() {
    let dir = std::env::temp_dir().join(format!("nnc-midepoch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let steps = |n: u64, ck: Option<&Path>, resume: Option<&Path>| {
        let mut c = config(1, ck, resume);
        c.duration = Duration::Steps(n);
        c
    };
    // 300 rows in batches of 32: 10 steps per epoch (the last has 12 rows).
    let mut whole = model();
    fit(&mut whole, &steps(25, None, None));
    let mut first = model();
    fit(&mut first, &steps(13, Some(&dir), None));
    let ck = nnc_train::checkpoint::load_tensors::<f32>(&dir.join("last.safetensors")).unwrap();
    assert_eq!(ck.metadata.get("step").map(String::as_str), Some("13"));
    let mut resumed = model();
    fit(
        &mut resumed,
        &steps(25, None, Some(&dir.join("last.safetensors"))),
    );
    assert_eq!(bits(&state(&resumed)), bits(&state(&whole)));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Batch norm with a leftover batch of one row: the row joins the previous batch.
#[test]
fn a_single_leftover_row_does_not_break_batch_norm() {
    let data = generated::spiral(67, 3, 0.2, &mut rng(0)).unwrap(); // 201 rows
    let mut m = model();
    let mut c = config(2, None, None);
    c.batch = BatchSize::Rows(100);
    let s = train(
        &mut m,
        Loss::SoftmaxCrossEntropy,
        TrainData::new(&data, None),
        &c,
        &mut Silent,
        None,
    )
    .unwrap();
    assert_eq!(s.steps, 4);
}

/// Weights of another architecture are refused with the tensor's name and both shapes, not a
/// bare shape mismatch.
#[test]
fn weights_of_another_width_name_the_tensor_that_does_not_fit() {
    let dir = std::env::temp_dir().join(format!("nnc-otherwidth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("weights.safetensors");
    nnc_train::trainer::save_weights(&path, &model(), &[], &Default::default()).unwrap();
    let mut narrower = Sequential::from_specs(
        2,
        &[
            LayerSpec::dense(32, Init::He),
            LayerSpec::batchnorm(),
            LayerSpec::Activation(Activation::Relu),
            LayerSpec::dense(3, Init::Small { std: 0.01 }),
        ],
        &mut rng(11),
    )
    .unwrap();
    let err = nnc_train::trainer::load_weights(&path, &mut narrower)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`dense1.weight` has shape [2, 64]") && err.contains("[2, 32]"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
