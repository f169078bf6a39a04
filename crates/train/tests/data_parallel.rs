//! Data-parallel training: `N` ranks (here threads of one process, joined by a
//! [`ThreadGroup`]; the MPI ranks of `nnc run` under `mpirun` sum the same way) train the model
//! one process trains — same batches, dropout masks, global batch-norm statistics, penalty
//! counted once — up to the rounding of the f32 sums, and bit-identically from run to run.

use nnc_data::{BatchSize, generated};
use nnc_ops::{Activation, Init, LayerSpec, Loss, Penalty, Sequential};
use nnc_tape::collective::{Collective, ThreadGroup};
use nnc_tape::rng;
use nnc_train::events::{Event, Silent};
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
    config_for(batch, 4)
}

fn config_for(batch: usize, epochs: u64) -> TrainConfig {
    let mut c = TrainConfig::sgd(0.1, Duration::Epochs(epochs));
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

/// The activation statistics (layer, mean, dead fraction) of every evaluation event.
type Activations = Vec<(String, f64, Option<f64>)>;

fn activations_of(events: &mut Activations) -> impl FnMut(&Event) + '_ {
    |e: &Event| {
        if let Event::Evaluation { activations, .. } = e {
            events.extend(
                activations
                    .iter()
                    .map(|a| (a.layer.clone(), a.mean, a.dead_fraction)),
            );
        }
    }
}

fn one_process(batch: usize) -> (Vec<f32>, RunSummary, Activations) {
    let data = generated::spiral(100, 3, 0.2, &mut rng(0)).unwrap();
    let mut m = model();
    let mut seen = Vec::new();
    let s = train(
        &mut m,
        Loss::SoftmaxCrossEntropy,
        TrainData::new(&data, None),
        &config(batch),
        &mut activations_of(&mut seen),
        None,
    )
    .unwrap();
    (state(&m), s, seen)
}

fn ranks(n: usize, batch: usize) -> Vec<(Vec<f32>, RunSummary, Activations)> {
    ranks_with(n, &|_| config(batch))
}

/// `n` ranks training with the config `config(rank)` gives.
fn ranks_with(
    n: usize,
    config: &(dyn Fn(usize) -> TrainConfig + Sync),
) -> Vec<(Vec<f32>, RunSummary, Activations)> {
    let data = generated::spiral(100, 3, 0.2, &mut rng(0)).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = ThreadGroup::ranks(n)
            .into_iter()
            .map(|c: Arc<dyn Collective>| {
                let data = &data;
                let config = config(c.rank());
                s.spawn(move || {
                    let mut m = model();
                    let mut seen = Vec::new();
                    let summary = train_data_parallel(
                        &mut m,
                        Loss::SoftmaxCrossEntropy,
                        TrainData::new(data, None),
                        &config,
                        &mut activations_of(&mut seen),
                        None,
                        c,
                    )
                    .unwrap();
                    (state(&m), summary, seen)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn two_and_three_ranks_train_the_model_one_process_trains() {
    let (single, summary, single_activations) = one_process(32);
    assert!(!single_activations.is_empty());
    for n in [2, 3] {
        let runs = ranks(n, 32);
        for (rank, (weights, s, activations)) in runs.iter().enumerate() {
            // The babysitter's activation statistics are the global batches' on every rank.
            assert_eq!(activations.len(), single_activations.len());
            for (a, b) in activations.iter().zip(&single_activations) {
                assert_eq!((&a.0, a.2), (&b.0, b.2), "rank {rank} of {n}");
                assert!(
                    (a.1 - b.1).abs() <= 1e-3 * b.1.abs().max(1e-3),
                    "{a:?} vs {b:?}"
                );
            }
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
    let c = ThreadGroup::ranks(13).remove(0);
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

#[test]
fn a_data_parallel_run_resumed_from_rank_0s_checkpoint_ends_where_an_uninterrupted_one_does() {
    let dir = std::env::temp_dir().join(format!("nnc-dp-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let whole = ranks_with(2, &|_| config_for(32, 4));
    // Two epochs, checkpointed by rank 0 alone…
    ranks_with(2, &|rank| {
        let mut c = config_for(32, 2);
        c.checkpoint_dir = (rank == 0).then(|| dir.clone());
        c
    });
    // …then every rank resumes from that checkpoint to four.
    let resumed = ranks_with(2, &|_| {
        let mut c = config_for(32, 4);
        c.resume_from = Some(dir.join("last.safetensors"));
        c
    });
    assert_eq!(resumed[0].0, whole[0].0);
    assert_eq!(resumed[1].0, whole[1].0);
    let _ = std::fs::remove_dir_all(&dir);
}
