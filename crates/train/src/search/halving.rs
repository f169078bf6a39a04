//! Successive halving (Jamieson & Talwalkar, 2016): many trials on a small budget, the best
//! 1/η of them again on η times the budget, and so on up to the largest budget. Each rung is a
//! [`Stage`] of the plan; a promoted trial keeps its values and trains again from scratch for
//! the rung's epochs, so every trial of a rung ran the same budget and its record is what
//! `nnc run` of its values gives.
//!
//! With budgets `r, ηr, …, R` (`s + 1` rungs, `s = ⌊log_η(R / r)⌋`) and `n` first-rung trials
//! (default `η^s`), rung `i` runs `max(1, ⌊n / η^i⌋)` trials for `round(R / η^(s−i))` epochs.

use super::Stage;

/// The epochs of each rung from `min` to `max` (`eta ≥ 2`, `1 ≤ min ≤ max`): the last rung is
/// `max`, each rung before it `1/eta` of the next (rounded, at least `min`), as many rungs as
/// fit (`⌊log_eta(max / min)⌋ + 1`).
pub fn rung_epochs(eta: u64, min: u64, max: u64) -> Vec<u64> {
    let eta = eta.max(2);
    let min = min.max(1);
    let mut rungs = 0u32;
    // The largest s with min · η^s ≤ max.
    while min
        .checked_mul(eta.saturating_pow(rungs + 1))
        .is_some_and(|e| e <= max)
    {
        rungs += 1;
    }
    (0..=rungs)
        .map(|i| {
            let divisor = eta.saturating_pow(rungs - i) as f64;
            ((max as f64 / divisor).round() as u64).max(min)
        })
        .collect()
}

/// The rungs of a successive-halving search as stages `rung 1`, `rung 2`, …: the first with
/// `trials` trials (default `η^s`, one per promotion path down to a single last trial), rung
/// `i` with `max(1, ⌊trials / η^i⌋)`.
pub fn halving_rungs(trials: Option<u64>, eta: u64, min: u64, max: u64) -> Vec<Stage> {
    let epochs = rung_epochs(eta, min, max);
    let first = trials.unwrap_or_else(|| eta.max(2).saturating_pow(epochs.len() as u32 - 1));
    epochs
        .iter()
        .enumerate()
        .map(|(i, &e)| Stage {
            name: format!("rung {}", i + 1),
            trials: Some((first / eta.max(2).saturating_pow(i as u32)).max(1)),
            epochs: Some(e),
            keep: 0,
            shrink: 1.0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rungs_follow_eta_from_min_to_max() {
        assert_eq!(rung_epochs(3, 1, 27), [1, 3, 9, 27]);
        assert_eq!(rung_epochs(3, 2, 27), [3, 9, 27]);
        assert_eq!(rung_epochs(2, 5, 5), [5]);
        assert_eq!(rung_epochs(4, 1, 20), [1, 5, 20]);
        let stages = halving_rungs(None, 3, 1, 27);
        let trials: Vec<u64> = stages.iter().filter_map(|s| s.trials).collect();
        assert_eq!(trials, [27, 9, 3, 1]);
        let stages = halving_rungs(Some(10), 3, 1, 9);
        let trials: Vec<u64> = stages.iter().filter_map(|s| s.trials).collect();
        assert_eq!(trials, [10, 3, 1]);
        assert_eq!(stages[2].name, "rung 3");
    }
}
