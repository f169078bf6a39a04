//! The workloads W1–W3 (issue 9, DESIGN.md §8), built with the library crates.
//!
//! Data are seeded and generated in-process; PyTorch's script `bench/pytorch_workloads.py`
//! builds the same shapes with the same step structure.

use crate::run::{BenchError, Prepared};
use nnc_data::generated::{random, spiral};
use nnc_data::{BatchSize, Dataset};
use nnc_ops::{Activation, Init, LayerSpec, Loss, Penalty, Sequential};
use nnc_tape::rng;
use nnc_train::{Duration, OptimizerConfig, TrainConfig};
use std::fmt;
use std::str::FromStr;

/// One of the benchmark workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Workload {
    /// Spiral: 2 → 100 ReLU → 3, softmax + L2 1e-3, full batch 300, SGD lr 1.0.
    W1,
    /// MNIST-shaped MLP on random data: 784 → 512 ReLU → 512 ReLU → 10, batch 128, SGD
    /// momentum 0.9.
    W2,
    /// Deep batch-norm net: 32 → 20 × (dense 128 → batch norm → ReLU) → 10, batch 64, SGD.
    W3,
}

/// A workload's definition: the architecture, the data and the training configuration.
#[derive(Debug, Clone)]
pub struct WorkloadSpec {
    /// Short name (`w1`).
    pub name: &'static str,
    /// What it is, in a few words.
    pub title: &'static str,
    /// Input features.
    pub features: usize,
    /// The layers.
    pub layers: Vec<LayerSpec>,
    /// The training data.
    pub data: Dataset,
    /// The data loss.
    pub loss: Loss,
    /// Optimiser, learning rate, penalty, batch size (duration is set by the harness).
    pub config: TrainConfig,
    /// The step count the issue defines a run by.
    pub default_steps: u64,
}

impl Workload {
    /// All workloads in order.
    pub const ALL: [Workload; 3] = [Workload::W1, Workload::W2, Workload::W3];

    /// Short name: `w1`, `w2`, `w3`.
    pub fn name(self) -> &'static str {
        match self {
            Workload::W1 => "w1",
            Workload::W2 => "w2",
            Workload::W3 => "w3",
        }
    }

    /// Rows of the generated data set of W2 (8 batches of 128) and W3 (10 batches of 64).
    pub const W2_ROWS: usize = 1024;
    /// Rows of W3's data set.
    pub const W3_ROWS: usize = 640;

    /// The workload's definition, with its data generated from fixed seeds.
    pub fn spec(self) -> Result<WorkloadSpec, BenchError> {
        let relu = LayerSpec::Activation(Activation::Relu);
        Ok(match self {
            Workload::W1 => {
                let mut config = TrainConfig::sgd(1.0, Duration::Steps(1000));
                config.penalty = Some(Penalty::L2(1e-3));
                config.batch = BatchSize::Full;
                WorkloadSpec {
                    name: "w1",
                    title: "spiral 2-100-3, full batch 300, softmax + L2, SGD",
                    features: 2,
                    layers: vec![
                        LayerSpec::dense(100, Init::Small { std: 0.01 }),
                        relu,
                        LayerSpec::dense(3, Init::Small { std: 0.01 }),
                    ],
                    data: spiral(100, 3, 0.2, &mut rng(1))?,
                    loss: Loss::SoftmaxCrossEntropy,
                    config,
                    default_steps: 1000,
                }
            }
            Workload::W2 => {
                let mut config = TrainConfig::sgd(0.01, Duration::Steps(200));
                config.optimizer = OptimizerConfig::Sgd {
                    momentum: 0.9,
                    dampening: 0.0,
                    nesterov: false,
                };
                config.batch = BatchSize::Rows(128);
                WorkloadSpec {
                    name: "w2",
                    title: "mlp 784-512-512-10, batch 128, SGD momentum",
                    features: 784,
                    layers: vec![
                        LayerSpec::dense(512, Init::He),
                        relu,
                        LayerSpec::dense(512, Init::He),
                        relu,
                        LayerSpec::dense(10, Init::Xavier),
                    ],
                    data: random(Self::W2_ROWS, 784, 10, &mut rng(2))?,
                    loss: Loss::SoftmaxCrossEntropy,
                    config,
                    default_steps: 200,
                }
            }
            Workload::W3 => {
                let mut config = TrainConfig::sgd(0.01, Duration::Steps(300));
                config.batch = BatchSize::Rows(64);
                let mut layers = Vec::with_capacity(61);
                for _ in 0..20 {
                    layers.push(LayerSpec::dense(128, Init::He));
                    layers.push(LayerSpec::batchnorm());
                    layers.push(relu);
                }
                layers.push(LayerSpec::dense(10, Init::Xavier));
                WorkloadSpec {
                    name: "w3",
                    title: "32 -> 20 x (dense 128, batchnorm, relu) -> 10, batch 64, SGD",
                    features: 32,
                    layers,
                    data: random(Self::W3_ROWS, 32, 10, &mut rng(3))?,
                    loss: Loss::SoftmaxCrossEntropy,
                    config,
                    default_steps: 300,
                }
            }
        })
    }

    /// The workload ready to run: the model built with weights from seed 0, the data and the
    /// configuration.
    pub fn prepare(self) -> Result<Prepared, BenchError> {
        let spec = self.spec()?;
        let model = Sequential::<f32>::from_specs(spec.features, &spec.layers, &mut rng(0))?;
        Ok(Prepared {
            name: spec.name.to_string(),
            model,
            data: spec.data,
            loss: spec.loss,
            config: spec.config,
        })
    }

    /// The issue's step count for one run of this workload.
    pub fn default_steps(self) -> u64 {
        match self {
            Workload::W1 => 1000,
            Workload::W2 => 200,
            Workload::W3 => 300,
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Workload {
    type Err = BenchError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "w1" | "spiral" => Ok(Workload::W1),
            "w2" | "mnist-mlp" => Ok(Workload::W2),
            "w3" | "deep-bn" => Ok(Workload::W3),
            _ => Err(BenchError::Usage(format!(
                "unknown workload `{s}` (expected w1, w2 or w3)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_have_the_issue_shapes() {
        let w1 = Workload::W1.prepare().unwrap();
        assert_eq!((w1.data.len(), w1.data.features()), (300, 2));
        assert_eq!(w1.model.num_params(), 2 * 100 + 100 + 100 * 3 + 3);
        let w2 = Workload::W2.prepare().unwrap();
        assert_eq!(w2.data.features(), 784);
        assert_eq!(
            w2.model.num_params(),
            784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10
        );
        let w3 = Workload::W3.prepare().unwrap();
        assert_eq!(w3.model.len(), 61);
        assert_eq!(
            w3.model.num_params(),
            (32 * 128 + 128) + 19 * (128 * 128 + 128) + 20 * 2 * 128 + 128 * 10 + 10
        );
        assert_eq!("W2".parse::<Workload>().unwrap(), Workload::W2);
        assert!("w4".parse::<Workload>().is_err());
    }
}
