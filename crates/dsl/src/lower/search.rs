//! The `search` section lowered into the search engine's [`SearchPlan`], and the `--set`
//! overrides that make a trial: each trial is a full check of the experiment with the sampled
//! `param` values, so structural params (widths, depth, pieces) work.

use crate::check::Override;
use crate::ir::{ChoiceOption, Distribution, Goal, Literal, MetricKind, SearchSpec, SplitName};
use nnc_train::search::{
    Choice, Dim, Dist, Goal as SearchGoal, SearchPlan, Stage, Strategy as SearchStrategy,
    TrialSpec, Value,
};

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
}

/// A value written in the file as the engine's value: numbers stay numbers; everything else
/// becomes the source text a `--set` override parses back (`relu`, `leaky_relu(0.1)`,
/// `5 epochs`).
pub fn value(literal: &Literal) -> Value {
    match literal {
        Literal::Number(n) => Value::Number(*n),
        other => Value::Name(source_text(other)),
    }
}

fn source_text(literal: &Literal) -> String {
    match literal {
        Literal::Number(n) => number_text(*n),
        Literal::Bool(b) => b.to_string(),
        Literal::Str(s) | Literal::Name(s) | Literal::Call(s) => s.clone(),
        Literal::Quantity(crate::ir::Interval::Epochs(e)) => format!("{} epochs", number_text(*e)),
        Literal::Quantity(crate::ir::Interval::Steps(s)) => format!("{s} steps"),
        Literal::Percent(p) => format!("{}%", number_text(*p)),
        Literal::List(items) => format!(
            "[{}]",
            items.iter().map(source_text).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// A number as the shortest text that reads back to the same `f64`: plain decimals from 1e-4
/// to 1e15 (`0.04216454286861573`), scientific notation outside (`1.37e-5`).
fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else if (1e-4..1e15).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// The engine's distribution.
pub fn dist(d: &Distribution) -> Dist {
    match d {
        Distribution::Uniform { lo, hi } => Dist::Uniform { lo: *lo, hi: *hi },
        Distribution::LogUniform { lo, hi } => Dist::LogUniform { lo: *lo, hi: *hi },
        Distribution::Int { lo, hi } => Dist::Int { lo: *lo, hi: *hi },
        Distribution::LogInt { lo, hi } => Dist::LogInt { lo: *lo, hi: *hi },
        Distribution::Log1m { lo, hi } => Dist::Log1m { lo: *lo, hi: *hi },
        Distribution::Choice(options) => Dist::Choice(
            options
                .iter()
                .map(|o| match o {
                    ChoiceOption::Value(l) => Choice::Value(value(l)),
                    ChoiceOption::Dist(d) => Choice::Dist(dist(d)),
                })
                .collect(),
        ),
    }
}

/// The search plan of a `search` section. A single-stage search becomes one stage named
/// `search`; later stages default to keeping the best [`DEFAULT_KEEP`] trials and shrinking
/// by [`DEFAULT_SHRINK`].
pub fn space(spec: &SearchSpec) -> SearchSpace {
    let strategy = match spec.strategy {
        crate::ir::Strategy::Random { seed } => SearchStrategy::Random {
            seed: seed.unwrap_or(0),
        },
        crate::ir::Strategy::Grid => SearchStrategy::Grid,
    };
    let stages = if spec.stages.is_empty() {
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
    };
    let split = match spec.metric.split {
        SplitName::Train => "train",
        SplitName::Val => "val",
        SplitName::Test => "test",
    };
    let kind = match spec.metric.kind {
        MetricKind::Loss => "loss",
        MetricKind::Accuracy => "accuracy",
    };
    SearchSpace {
        plan: SearchPlan {
            strategy,
            space: spec
                .space
                .iter()
                .map(|d| Dim {
                    name: d.param.clone(),
                    dist: dist(&d.dist),
                })
                .collect(),
            stages,
            metric: format!("{split}.{kind}"),
            goal: match spec.goal {
                Goal::Max => SearchGoal::Max,
                Goal::Min => SearchGoal::Min,
            },
        },
        kfold: spec.validate.map(|v| match v {
            crate::ir::Validation::KFold { k } => k,
        }),
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
