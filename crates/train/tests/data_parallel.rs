//! Data-parallel training: `N` ranks (here threads of one process, joined by a
//! [`ThreadGroup`]; the MPI ranks of `nnc run` under `mpirun` sum the same way) train the model
//! one process trains — same batches, dropout masks, global batch-norm statistics, penalty
//! counted once — up to the rounding of the f32 sums, and bit-identically from run to run.

use nnc_data::{BatchSize, generated};
use nnc_ops::{Activation, Init, LayerSpec, Loss, Penalty, Sequential};
use nnc_tape::collective::{Collective, ThreadGroup};
use nnc_tape::rng;
use nnc_train::events::Silent;
use nnc_train::{
    Duration, OptimizerConfig, RunSummary, TrainConfig, TrainData, train, train_data_parallel,
};
use std::sync::Arc;

fn model() -> Sequential<f32> {
    Sequential::from_specs(
        2,
        &[
            LayerSpec::dense(32, Init::He),
            LayerSpec::batchnorm(),
            LayerSpec::Activation(Activation::Relu),
            LayerSpec::dropout(0.2),
            LayerSpec::dense(3, Init::Small { std: 0.01 }),
        ],
        &mut rng(11),
    )
    .unwrap()
}

fn config(batch: usize) -> TrainConfig {
    let mut c = TrainConfig::sgd(0.1, Duration::Epochs(4));
    c.optimizer = OptimizerConfig::Sgd {
        momentum: 0.9,
        dampening: 0.0,
        nesterov: false,
    };
    c.batch = BatchSize::Rows(batch);
    c.penalty = Some(Penalty::L2(1e-3));
    c.seed = 5;
    c
}

/// Every parameter and buffer's values, in order.
fn state(m: &Sequential<f32>) -> Vec<f32> {
    let p = m.params();
    let mut out: Vec<f32> = p.ids().flat_map(|id| p.value(id).data().to_vec()).collect();
    out.extend(m.buffers().flat_map(|b| b.value.data().to_vec()));
    out
}

fn one_process(batch: usize) -> (Vec<f32>, RunSummary) {
    let data = generated::spiral(100, 3, 0.2, &mut rng(0)).unwrap();
    let mut m = model();
    let s = train(
        &mut m,
        Loss::SoftmaxCrossEntropy,
        TrainData::new(&data, None),
        &config(batch),
        &mut Silent,
        None,
    )
    .unwrap();
    (state(&m), s)
}

fn ranks(n: usize, batch: usize) -> Vec<(Vec<f32>, RunSummary)> {
    let data = generated::spiral(100, 3, 0.2, &mut rng(0)).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = ThreadGroup::new(n)
            .into_iter()
            .map(|c: Arc<dyn Collective>| {
                let data = &data;
                s.spawn(move || {
                    let mut m = model();
                    let summary = train_data_parallel(
                        &mut m,
                        Loss::SoftmaxCrossEntropy,
                        TrainData::new(data, None),
                        &config(batch),
                        &mut Silent,
                        None,
                        c,
                    )
                    .unwrap();
                    (state(&m), summary)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn two_and_three_ranks_train_the_model_one_process_trains() {
    let (single, summary) = one_process(32);
    for n in [2, 3] {
        let runs = ranks(n, 32);
        for (rank, (weights, s)) in runs.iter().enumerate() {
            // Every rank holds the same weights, bit for bit.
            assert_eq!(
                weights, &runs[0].0,
                "rank {rank} of {n} differs from rank 0"
            );
            assert_eq!(s.steps, summary.steps);
        }
        let worst = runs[0]
            .0
            .iter()
            .zip(&single)
            .map(|(a, b)| (a - b).abs() / b.abs().max(1e-2))
            .fold(0.0f32, f32::max);
        assert!(
            worst < 1e-3,
            "{n} ranks: weights differ by {worst:e} (relative)"
        );
        let (a, b) = (runs[0].1.train.loss, summary.train.loss);
        assert!((a - b).abs() < 1e-4 * b, "{n} ranks: final loss {a} vs {b}");
        assert!((runs[0].1.train.accuracy - summary.train.accuracy).abs() < 0.02);
    }
}

#[test]
fn data_parallel_runs_are_bit_identical_from_run_to_run() {
    let a = ranks(3, 32);
    let b = ranks(3, 32);
    assert_eq!(a[0].0, b[0].0);
}

#[test]
fn more_ranks_than_rows_in_a_batch_is_an_error() {
    // 300 rows in batches of 32: the epoch's last batch has 12 rows.
    let data = generated::spiral(100, 3, 0.2, &mut rng(0)).unwrap();
    let c = ThreadGroup::new(13).remove(0);
    let err = train_data_parallel(
        &mut model(),
        Loss::SoftmaxCrossEntropy,
        TrainData::new(&data, None),
        &config(32),
        &mut Silent,
        None,
        c,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("13 ranks") && err.contains("12 rows"), "{err}");
}
