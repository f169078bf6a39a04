//! The `search` section lowered into the search engine's [`SearchPlan`], and the `--set`
//! overrides that make a trial: each trial is a full check of the experiment with the sampled
//! `param` values, so structural params (widths, depth, pieces) work.

use crate::check::Override;
use crate::ir::{MetricKind, SearchSpec, number_text};
use nnc_train::search::{Dim, SearchPlan, Stage, Strategy, TrialSpec, Value, halving_rungs};

/// Shrink factor of a later stage that does not give `shrink:`.
pub const DEFAULT_SHRINK: f64 = 0.5;
/// Best trials a later stage narrows around when it does not give `keep:`.
pub const DEFAULT_KEEP: usize = 5;

/// A search: the plan the engine runs, and how each trial is validated.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchSpace {
    /// Strategy, dimensions, stages, metric and goal.
    pub plan: SearchPlan,
    /// `validate kfold(k)`: every trial trains k folds and averages the metric.
    pub kfold: Option<u64>,
    /// Whether the winner trains again on all training rows after the search: `refit` as
    /// written, else whether the search cross-validates ([`space`] knows `validate kfold(k)`;
    /// [`crate::search::search_space`] also the data's own `split kfold(k)`).
    pub refit: bool,
}

/// The search plan of a `search` section. A single-stage search becomes one stage named
/// `search`; later stages default to keeping the best [`DEFAULT_KEEP`] trials and shrinking
/// by [`DEFAULT_SHRINK`]; successive halving's stages are its rungs ([`halving_rungs`], the
/// first with `trials` trials when given).
pub fn space(spec: &SearchSpec) -> SearchSpace {
    let split = spec.metric.split.name();
    let kind = match spec.metric.kind {
        MetricKind::Loss => "loss",
        MetricKind::Accuracy => "accuracy",
    };
    let kfold = spec.validate.map(|v| match v {
        crate::ir::Validation::KFold { k } => k,
    });
    SearchSpace {
        plan: SearchPlan {
            strategy: spec.strategy,
            space: spec
                .space
                .iter()
                .map(|d| Dim {
                    name: d.param.clone(),
                    dist: d.dist.clone(),
                })
                .collect(),
            stages: stages(spec),
            metric: format!("{split}.{kind}"),
            goal: spec.goal,
        },
        kfold,
        refit: spec.refit.unwrap_or(kfold.is_some()),
    }
}

/// The plan's stages: the rungs of successive halving, the `stage` lines, or one stage named
/// `search`.
fn stages(spec: &SearchSpec) -> Vec<Stage> {
    if let Strategy::Halving {
        eta,
        min_epochs,
        max_epochs,
        ..
    } = spec.strategy
    {
        return halving_rungs(spec.trials, eta, min_epochs, max_epochs);
    }
    if spec.stages.is_empty() {
        vec![Stage {
            name: "search".into(),
            trials: spec.trials,
            epochs: spec.epochs,
            keep: 0,
            shrink: 1.0,
        }]
    } else {
        spec.stages
            .iter()
            .enumerate()
            .map(|(i, s)| Stage {
                name: s.name.clone(),
                trials: Some(s.trials),
                epochs: s.epochs.or(spec.epochs),
                keep: if i == 0 {
                    0
                } else {
                    s.keep
                        .map_or(DEFAULT_KEEP, |k| usize::try_from(k).unwrap_or(usize::MAX))
                },
                shrink: if i == 0 {
                    1.0
                } else {
                    s.shrink.unwrap_or(DEFAULT_SHRINK)
                },
            })
            .collect()
    }
}

/// The `--set` overrides of a trial (numbers at full precision).
pub fn trial_overrides(trial: &TrialSpec) -> Vec<Override> {
    trial
        .params
        .iter()
        .map(|(name, v)| {
            let text = match v {
                Value::Number(x) => number_text(*x),
                Value::Name(s) => s.clone(),
            };
            Override::parse(format!("{name}={text}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_through_override_text() {
        for x in [0.1, 1e-3, 0.0012345678901234567, 3.0, 1e20, -2.5e-7] {
            let t = number_text(x);
            assert_eq!(t.parse::<f64>().unwrap(), x, "{t}");
        }
        let trial = TrialSpec {
            id: 0,
            stage: "coarse".into(),
            params: vec![
                ("lr".into(), Value::Number(0.0012345678901234567)),
                ("width".into(), Value::Number(256.0)),
                ("act".into(), Value::Name("leaky_relu(0.1)".into())),
            ],
            budget_epochs: Some(2),
            promoted_from: None,
        };
        let texts: Vec<String> = trial_overrides(&trial)
            .into_iter()
            .map(|o| o.text)
            .collect();
        assert_eq!(
            texts,
            [
                "lr=0.0012345678901234567",
                "width=256",
                "act=leaky_relu(0.1)"
            ]
        );
    }
}
