//! The step arithmetic of a run: how many optimisation steps an epoch and a run take, from the
//! batch size, the training rows and the run's length. The trainer, the language's lowering
//! (epochs, warm-up, logging and evaluation written in epochs become steps), `nnc run` and the
//! benchmarks all count with [`StepPlan`], so they agree on where every epoch ends.

use super::config::{Duration, TrainConfig};
use nnc_data::BatchSize;
pub use nnc_data::{batch_ranges, steps_per_epoch};

/// A run's length in optimisation steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepPlan {
    /// Steps per epoch: the number of [`batch_ranges`] (a one-row leftover joins the last
    /// batch, so 201 rows in batches of 100 are 2 steps).
    pub per_epoch: u64,
    /// Steps of the whole run: `epochs · per_epoch`, or the steps asked for.
    pub total: u64,
}

impl StepPlan {
    /// The plan of a run of `duration` over `rows` training rows in batches of `batch`.
    pub fn new(rows: usize, batch: BatchSize, duration: Duration) -> StepPlan {
        let per_epoch = steps_per_epoch(rows, batch);
        let total = match duration {
            Duration::Epochs(e) => e.saturating_mul(per_epoch),
            Duration::Steps(s) => s,
        };
        StepPlan { per_epoch, total }
    }

    /// The plan of `config` over `rows` training rows.
    pub fn of(config: &TrainConfig, rows: usize) -> StepPlan {
        StepPlan::new(rows, config.batch, config.duration)
    }

    /// Epochs the run begins: `⌈total / per_epoch⌉` (the last may be partial).
    pub fn epochs(&self) -> u64 {
        self.total.div_ceil(self.per_epoch)
    }

    /// A length written in (possibly fractional) epochs, in steps: `round(e · per_epoch)`.
    pub fn steps_in(&self, epochs: f64) -> u64 {
        (epochs * self.per_epoch as f64).round().max(0.0) as u64
    }

    /// A run length written in (possibly fractional) epochs, in steps: `⌈e · per_epoch⌉`, so
    /// that a run of 0.5 epochs over an epoch of 3 steps takes 2 steps, not 1.
    pub fn run_steps_in(&self, epochs: f64) -> u64 {
        (epochs * self.per_epoch as f64).ceil().max(0.0) as u64
    }

    /// A period written in steps, in whole epochs (at least 1): `⌈s / per_epoch⌉`.
    pub fn epochs_in(&self, steps: u64) -> u64 {
        steps.div_ceil(self.per_epoch).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leftover_row_does_not_add_a_step() {
        let plan = StepPlan::new(201, BatchSize::Rows(100), Duration::Epochs(3));
        assert_eq!((plan.per_epoch, plan.total, plan.epochs()), (2, 6, 3));
        assert_eq!(plan.steps_in(0.5), 1);
        assert_eq!(plan.run_steps_in(1.5), 3);
        assert_eq!(plan.epochs_in(3), 2);
        let steps = StepPlan::new(202, BatchSize::Rows(100), Duration::Steps(7));
        assert_eq!((steps.per_epoch, steps.total, steps.epochs()), (3, 7, 3));
        let full = StepPlan::new(10, BatchSize::Full, Duration::Epochs(4));
        assert_eq!((full.per_epoch, full.total), (1, 4));
    }
}
