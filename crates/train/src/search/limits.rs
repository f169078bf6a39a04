//! How many trials a plan runs, and the limits on it: a grid of at most [`MAX_GRID`]
//! combinations, a random search of at most as many trials in all. A random search plans every
//! trial up front, so an absurd count (`trials: 1e15`) is refused before it overflows or aborts
//! for memory.

use super::{Dim, SearchError, SearchPlan, Stage, Strategy};

/// Trials of a random stage that gives no count.
pub const DEFAULT_TRIALS: u64 = 10;

/// The largest grid a search runs, and the most trials a random search plans.
pub const MAX_GRID: u64 = 100_000;

/// The number of combinations of a grid over `space` (`None` if a dimension is continuous
/// or the count overflows): the product of the dimensions' [`super::Dist::grid_len`].
pub fn grid_size(space: &[Dim]) -> Option<u64> {
    space
        .iter()
        .try_fold(1u64, |n, d| n.checked_mul(d.dist.grid_len()?))
}

/// The trials of one stage over `space`: a random stage's count (else [`DEFAULT_TRIALS`]); a
/// grid stage's every combination, cut to its count (0 for a grid that cannot be enumerated).
pub fn stage_trial_count(strategy: Strategy, space: &[Dim], stage: &Stage) -> u64 {
    match strategy {
        Strategy::Random { .. } | Strategy::Halving { .. } => {
            stage.trials.unwrap_or(DEFAULT_TRIALS)
        }
        Strategy::Grid => {
            let grid = grid_size(space).unwrap_or(0);
            stage.trials.map_or(grid, |t| grid.min(t))
        }
    }
}

impl SearchPlan {
    /// The trials of every stage together (`None` when the sum overflows a `u64`).
    pub fn planned_trials(&self) -> Option<u64> {
        self.stages.iter().try_fold(0u64, |sum, stage| {
            sum.checked_add(stage_trial_count(self.strategy, &self.space, stage))
        })
    }

    /// Checks the plan against the limits: [`SearchError::GridTooLarge`] for a grid of more
    /// than [`MAX_GRID`] combinations (or a continuous one), [`SearchError::TooManyTrials`] for
    /// a random search of more than [`MAX_GRID`] trials. Returns the planned trials.
    pub fn check_limits(&self) -> Result<u64, SearchError> {
        if self.strategy == Strategy::Grid {
            match grid_size(&self.space) {
                Some(n) if n <= MAX_GRID => {}
                size => return Err(SearchError::GridTooLarge { size }),
            }
        }
        match self.planned_trials() {
            Some(n) if n <= MAX_GRID => Ok(n),
            planned => Err(SearchError::TooManyTrials { planned }),
        }
    }

    /// The plan with the random sampler's seed replaced (a grid has none).
    pub fn set_sampler_seed(&mut self, seed: u64) {
        if let Strategy::Random { seed: s } | Strategy::Halving { seed: s, .. } = &mut self.strategy
        {
            *s = seed;
        }
    }

    /// The plan with every stage's trial count replaced; with successive halving, the first
    /// rung's (the later rungs keep 1/η each, [`super::halving_rungs`]).
    pub fn set_trials(&mut self, trials: u64) {
        if let Strategy::Halving {
            eta,
            min_epochs,
            max_epochs,
            ..
        } = self.strategy
        {
            self.stages = super::halving_rungs(Some(trials), eta, min_epochs, max_epochs);
            return;
        }
        for stage in &mut self.stages {
            stage.trials = Some(trials);
        }
    }
}
