//! The learning-rate range test (Smith 2017, "Cyclical learning rates for training neural
//! networks"): train for a few hundred steps while the learning rate grows exponentially from
//! tiny to huge, and watch the smoothed loss. The upper bound is the rate where the loss stops
//! falling (above it, the loss turns ragged and explodes). The lower bound is the steepest
//! descent or a decade below the minimum, whichever is lower (the usual rule of thumb: the
//! best fixed rate is about a tenth of the rate at the minimum). The start of the descent is a
//! poor lower bound for models that start slowly from small weights, because the sweep has
//! not yet accumulated enough steps there.

use super::probe::step;
use crate::optim::OptimizerConfig;
use crate::trainer::TrainError;
use nnc_data::{BatchSize, Batcher, Dataset};
use nnc_ops::{Loss, Sequential};
use nnc_tape::Tape;

/// The result of a range test.
#[derive(Debug, Clone, PartialEq)]
pub struct LrRange {
    /// `(lr, smoothed loss)` per step, until the stop.
    pub curve: Vec<(f64, f64)>,
    /// The rate where the smoothed loss falls fastest (per decade of rate).
    pub steepest: f64,
    /// The rate with the lowest smoothed loss.
    pub at_minimum: f64,
    /// The suggested range of rates: `[min(steepest, at_minimum / 10), at_minimum]`.
    pub suggested: (f64, f64),
}

/// Sweeps the rate from `lr_min` to `lr_max` over `steps` steps (geometrically), smoothing the
/// loss with an exponential average (β = 0.9, bias-corrected), stopping once the smoothed loss
/// exceeds 4× its best or becomes non-finite.
#[allow(clippy::too_many_arguments)]
pub fn lr_range_test(
    model: &mut Sequential<f32>,
    loss: Loss,
    data: &Dataset,
    batch: BatchSize,
    optimizer: &OptimizerConfig,
    (lr_min, lr_max): (f64, f64),
    steps: u64,
    seed: u64,
) -> Result<LrRange, TrainError> {
    let mut batcher = Batcher::new(data.len(), batch, true, seed)?;
    let mut opt = optimizer.build::<f32>();
    let mut tape = Tape::new();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let ratio = (lr_max / lr_min).powf(1.0 / (steps.max(2) - 1) as f64);
    let beta = 0.9;
    let (mut avg, mut best) = (0.0, f64::INFINITY);
    let mut curve = Vec::new();
    let mut epoch = 0;
    let mut k = 0u64;
    'sweep: loop {
        for indices in batcher.epoch(epoch) {
            if k >= steps {
                break 'sweep;
            }
            data.fill_batch(indices, &mut x, &mut y)?;
            let lr = lr_min * ratio.powi(k as i32);
            let (l, _) = step(model, &mut *opt, &mut tape, loss, (&x, &y), lr, (seed, k))?;
            k += 1;
            if !l.is_finite() {
                break 'sweep;
            }
            avg = beta * avg + (1.0 - beta) * l;
            let smoothed = avg / (1.0 - beta.powi(k as i32));
            curve.push((lr, smoothed));
            best = best.min(smoothed);
            if smoothed > 4.0 * best {
                break 'sweep;
            }
        }
        epoch += 1;
    }
    Ok(analyse(curve))
}

/// Finds the steepest descent and the minimum of a `(lr, smoothed loss)` curve.
pub fn analyse(curve: Vec<(f64, f64)>) -> LrRange {
    let at_minimum = curve
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(f64::NAN, |p| p.0);
    // Slope over a window of ±w points, in loss per decade of rate.
    let w = (curve.len() / 20).max(2);
    let mut steepest = (f64::NAN, 0.0);
    for i in w..curve.len().saturating_sub(w) {
        let (a, b) = (curve[i - w], curve[i + w]);
        let slope = (b.1 - a.1) / (b.0.log10() - a.0.log10());
        if slope < steepest.1 && curve[i].0 <= at_minimum {
            steepest = (curve[i].0, slope);
        }
    }
    let steepest = if steepest.0.is_nan() {
        at_minimum / 10.0
    } else {
        steepest.0
    };
    LrRange {
        curve,
        steepest,
        at_minimum,
        suggested: (steepest.min(at_minimum / 10.0), at_minimum),
    }
}
