//! Learning-rate schedules, named as in the CS231n notes.
//!
//! A schedule maps training progress to a multiplier of the base rate `η0`. Progress is counted
//! in steps and in (fractional) epochs; each schedule says which unit it uses.
//!
//! | schedule | `η(t)` |
//! |---|---|
//! | constant | `η0` |
//! | step | `η0 · factor^⌊t / every⌋` |
//! | exponential | `η0 · e^(−k·t)` |
//! | inverse (1/t) | `η0 / (1 + k·t)^power` |
//! | multistep | `η0 · factor^(number of milestones ≤ t)` |
//! | cosine | `η_min + ½(η0 − η_min)(1 + cos(π·t/T))` |
//!
//! An optional linear warm-up multiplies by `(s + 1) / W` during the first `W` steps.

use serde::{Deserialize, Serialize};

/// A duration in steps or in epochs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Every {
    /// Counted in optimisation steps (batches).
    Steps(f64),
    /// Counted in passes over the training set.
    Epochs(f64),
}

/// Where training is: steps done and epochs done (fractional inside an epoch).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Optimisation steps completed.
    pub step: u64,
    /// Epochs completed, fractional: `step / steps_per_epoch`.
    pub epoch: f64,
}

impl Progress {
    /// Progress measured in the unit of `every`.
    fn in_unit_of(&self, every: Every) -> f64 {
        match every {
            Every::Steps(_) => self.step as f64,
            Every::Epochs(_) => self.epoch,
        }
    }
}

impl Every {
    fn value(self) -> f64 {
        match self {
            Every::Steps(v) | Every::Epochs(v) => v,
        }
    }
}

/// A learning-rate schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Schedule {
    /// `η0` throughout.
    Constant,
    /// Multiply by `factor` every `every` (steps or epochs, counted in whole periods).
    Step {
        /// The period.
        every: Every,
        /// The multiplier per period.
        factor: f64,
    },
    /// `η0 · e^(−k·t)`, `t` in `unit`.
    Exponential {
        /// The decay constant.
        k: f64,
        /// The unit of `t` (`Epochs(1)` or `Steps(1)`).
        unit: Every,
    },
    /// `η0 / (1 + k·t)^power`, `t` in `unit` (`power` 1 is the textbook 1/t decay).
    Inverse {
        /// The decay constant.
        k: f64,
        /// The exponent (1 when absent from saved configurations).
        #[serde(default = "one")]
        power: f64,
        /// The unit of `t`.
        unit: Every,
    },
    /// Multiply by `factor` at each milestone passed (milestones in `unit`).
    MultiStep {
        /// Milestones, increasing.
        at: Vec<f64>,
        /// The multiplier per milestone.
        factor: f64,
        /// The unit of the milestones.
        unit: Every,
    },
    /// Cosine annealing from `η0` to `min_lr` over `period`.
    Cosine {
        /// The length of the anneal (after it, the rate stays at `min_lr`).
        period: Every,
        /// The final rate.
        min_lr: f64,
    },
}

fn one() -> f64 {
    1.0
}

/// A schedule with an optional linear warm-up over the first steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrSchedule {
    /// The base rate `η0`.
    pub base_lr: f64,
    /// The decay.
    pub schedule: Schedule,
    /// Steps of linear warm-up (0 for none).
    pub warmup_steps: u64,
}

impl LrSchedule {
    /// A constant rate.
    pub fn constant(base_lr: f64) -> Self {
        LrSchedule {
            base_lr,
            schedule: Schedule::Constant,
            warmup_steps: 0,
        }
    }

    /// The learning rate at `p`.
    pub fn lr(&self, p: Progress) -> f64 {
        let eta0 = self.base_lr;
        let lr = match &self.schedule {
            Schedule::Constant => eta0,
            Schedule::Step { every, factor } => {
                let periods = (p.in_unit_of(*every) / every.value()).floor();
                eta0 * factor.powf(periods)
            }
            Schedule::Exponential { k, unit } => eta0 * (-k * p.in_unit_of(*unit)).exp(),
            Schedule::Inverse { k, power, unit } => {
                eta0 / (1.0 + k * p.in_unit_of(*unit)).powf(*power)
            }
            Schedule::MultiStep { at, factor, unit } => {
                let t = p.in_unit_of(*unit);
                let passed = at.iter().filter(|&&m| t >= m).count();
                eta0 * factor.powi(passed as i32)
            }
            Schedule::Cosine { period, min_lr } => {
                let frac = (p.in_unit_of(*period) / period.value()).min(1.0);
                min_lr + 0.5 * (eta0 - min_lr) * (1.0 + (std::f64::consts::PI * frac).cos())
            }
        };
        if p.step < self.warmup_steps {
            lr * (p.step + 1) as f64 / self.warmup_steps as f64
        } else {
            lr
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_epoch(epoch: f64) -> Progress {
        Progress {
            step: (epoch * 10.0) as u64,
            epoch,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn step_decay_halves_every_five_epochs() {
        let s = LrSchedule {
            base_lr: 0.1,
            schedule: Schedule::Step {
                every: Every::Epochs(5.0),
                factor: 0.5,
            },
            warmup_steps: 0,
        };
        assert!(close(s.lr(at_epoch(0.0)), 0.1));
        assert!(close(s.lr(at_epoch(4.9)), 0.1));
        assert!(close(s.lr(at_epoch(5.0)), 0.05));
        assert!(close(s.lr(at_epoch(12.0)), 0.025));
    }

    #[test]
    fn exponential_inverse_multistep_and_cosine_follow_their_formulas() {
        let e = |schedule| LrSchedule {
            base_lr: 2.0,
            schedule,
            warmup_steps: 0,
        };
        let epochs = Every::Epochs(1.0);
        let exp = e(Schedule::Exponential {
            k: 0.1,
            unit: epochs,
        });
        assert!(close(exp.lr(at_epoch(3.0)), 2.0 * (-0.3f64).exp()));
        let inv = e(Schedule::Inverse {
            k: 0.5,
            power: 1.0,
            unit: epochs,
        });
        assert!(close(inv.lr(at_epoch(4.0)), 2.0 / 3.0));
        let inv2 = e(Schedule::Inverse {
            k: 0.5,
            power: 2.0,
            unit: epochs,
        });
        assert!(close(inv2.lr(at_epoch(4.0)), 2.0 / 9.0));
        let ms = e(Schedule::MultiStep {
            at: vec![2.0, 5.0],
            factor: 0.1,
            unit: epochs,
        });
        assert!(close(ms.lr(at_epoch(1.0)), 2.0));
        assert!(close(ms.lr(at_epoch(2.0)), 0.2));
        assert!(close(ms.lr(at_epoch(7.0)), 0.02));
        let cos = e(Schedule::Cosine {
            period: Every::Epochs(10.0),
            min_lr: 0.0,
        });
        assert!(close(cos.lr(at_epoch(0.0)), 2.0));
        assert!(close(cos.lr(at_epoch(5.0)), 1.0));
        assert!(cos.lr(at_epoch(10.0)).abs() < 1e-12);
        assert!(cos.lr(at_epoch(20.0)).abs() < 1e-12);
    }

    #[test]
    fn warmup_ramps_linearly_over_the_first_steps() {
        let s = LrSchedule {
            base_lr: 1.0,
            schedule: Schedule::Constant,
            warmup_steps: 4,
        };
        let at = |step| Progress { step, epoch: 0.0 };
        assert!(close(s.lr(at(0)), 0.25));
        assert!(close(s.lr(at(3)), 1.0));
        assert!(close(s.lr(at(100)), 1.0));
    }
}
