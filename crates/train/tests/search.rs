//! The search engine: grids, determinism for any number of jobs, resumption, coarse-to-fine,
//! and the textbook's warnings — on real training runs on digits.

use nnc_data::{BatchSize, CsvOptions, Dataset, Pipeline, SplitSpec, Splits, Step, load_csv};
use nnc_ops::{Activation, Init, LayerSpec, Loss, Penalty, Sequential};
use nnc_tape::rng;
use nnc_train::events::{Silent, StopReason};
use nnc_train::search::{
    Choice, Dim, Dist, Goal, SearchPlan, Stage, Strategy, TrialExecutor, TrialOutcome, TrialRecord,
    TrialSpec, TrialStatus, Value, run_search, run_search_with, run_trial,
};
use nnc_train::{Duration, OptimizerConfig, TrainConfig, TrainData, train};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

fn digits() -> &'static Splits {
    static SPLITS: OnceLock<Splits> = OnceLock::new();
    SPLITS.get_or_init(|| {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/data/digits.csv");
        let data: Dataset = load_csv(path, &CsvOptions::default()).unwrap();
        let s = data
            .split(&SplitSpec::new(0.8, 0.2, 0.0).stratified(), &mut rng(0))
            .unwrap();
        Pipeline::new(vec![Step::Center, Step::Normalize])
            .unwrap()
            .fit_splits(&s)
            .unwrap()
            .1
    })
}

fn param(spec: &TrialSpec, name: &str) -> f64 {
    spec.params
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| v.as_f64())
        .unwrap()
}

/// Trains a small MLP on digits with the trial's `lr` (and `reg`, if searched).
fn digits_trial(spec: &TrialSpec) -> TrialOutcome {
    let s = digits();
    let mut model = Sequential::from_specs(
        64,
        &[
            LayerSpec::dense(64, Init::He),
            LayerSpec::Activation(Activation::Relu),
            LayerSpec::dense(10, Init::Small { std: 0.01 }),
        ],
        &mut rng(1),
    )
    .unwrap();
    let mut c = TrainConfig::sgd(
        param(spec, "lr"),
        Duration::Epochs(spec.budget_epochs.unwrap_or(5)),
    );
    c.optimizer = OptimizerConfig::Sgd {
        momentum: 0.9,
        dampening: 0.0,
        nesterov: false,
    };
    c.batch = BatchSize::Rows(64);
    if spec.params.iter().any(|(n, _)| n == "reg") {
        c.penalty = Some(Penalty::L2(param(spec, "reg")));
    }
    let r = train(
        &mut model,
        Loss::SoftmaxCrossEntropy,
        TrainData::new(&s.train, Some(&s.val)),
        &c,
        &mut Silent,
        None,
    )
    .unwrap();
    let val = r.val.unwrap();
    TrialOutcome {
        status: if matches!(r.stop, StopReason::Diverged { .. }) {
            TrialStatus::Diverged
        } else {
            TrialStatus::Ok
        },
        metric: val.accuracy,
        spread: None,
        fold_metrics: Vec::new(),
        train_accuracy: Some(r.train.accuracy),
        val_accuracy: Some(val.accuracy),
        initial_loss: r.initial_loss,
        final_loss: Some(r.train.loss),
        val_loss: Some(val.loss),
        epochs_run: r.epochs,
        kept_epoch: None,
        seconds: 0.0, // kept out of comparisons
    }
}

fn lr_plan(lo: f64, hi: f64, trials: u64, with_reg: bool) -> SearchPlan {
    let mut space = vec![Dim {
        name: "lr".into(),
        dist: Dist::LogUniform { lo, hi },
    }];
    if with_reg {
        space.push(Dim {
            name: "reg".into(),
            dist: Dist::LogUniform { lo: 1e-6, hi: 1e-2 },
        });
    }
    SearchPlan {
        strategy: Strategy::Random { seed: 7 },
        space,
        stages: vec![Stage {
            name: "main".into(),
            trials: Some(trials),
            epochs: Some(5),
            keep: 1,
            shrink: 1.0,
        }],
        metric: "val.accuracy".into(),
        goal: Goal::Max,
    }
}

#[test]
fn random_search_on_digits_finds_95_percent_with_the_best_lr_inside_the_range() {
    let plan = lr_plan(1e-4, 1.0, 16, true);
    let result = run_search(&plan, 2, &[], &digits_trial, None, &mut |_, _| {}).unwrap();
    let best = &result.records[result.best.unwrap()];
    let lr = param(&best.spec, "lr");
    println!(
        "{}",
        nnc_train::search::leaderboard(&plan, &result.records, 5)
    );
    for w in &result.warnings {
        println!("{w}");
    }
    assert_eq!(result.records.len(), 16);
    assert!(best.outcome.metric >= 0.95, "best {}", best.outcome.metric);
    assert!((1e-4..=1.0).contains(&lr));
    assert!(
        !result
            .warnings
            .iter()
            .any(|w| w.subject.as_deref() == Some("lr")),
        "the best lr {lr} should not sit on an edge"
    );
}

#[test]
fn a_range_that_is_too_low_warns_that_the_best_is_at_the_upper_edge() {
    let plan = lr_plan(1e-7, 1e-5, 8, false);
    let result = run_search(&plan, 2, &[], &digits_trial, None, &mut |_, _| {}).unwrap();
    let w = result
        .warnings
        .iter()
        .find(|w| w.subject.as_deref() == Some("lr"))
        .expect("no edge warning");
    println!("{w}");
    assert!(w.message.contains("upper edge"));
    assert!(w.advice.contains("loguniform(1e-7, 0.001)"), "{}", w.advice);
}

fn synthetic(spec: &TrialSpec) -> TrialOutcome {
    let x = param(spec, "x");
    let w = spec
        .params
        .iter()
        .find(|(n, _)| n == "w")
        .map_or(0.0, |(_, v)| v.as_f64().unwrap_or(0.0));
    TrialOutcome {
        status: TrialStatus::Ok,
        metric: -(x.log10() + 2.0).powi(2) + w * 1e-3,
        spread: None,
        fold_metrics: Vec::new(),
        train_accuracy: None,
        val_accuracy: None,
        initial_loss: None,
        final_loss: None,
        val_loss: None,
        epochs_run: 1.0,
        kept_epoch: None,
        seconds: 0.0,
    }
}

fn staged_plan() -> SearchPlan {
    SearchPlan {
        strategy: Strategy::Random { seed: 3 },
        space: vec![
            Dim {
                name: "x".into(),
                dist: Dist::LogUniform { lo: 1e-5, hi: 1.0 },
            },
            Dim {
                name: "w".into(),
                dist: Dist::Choice(vec![
                    Choice::Value(Value::Number(128.0)),
                    Choice::Value(Value::Number(256.0)),
                ]),
            },
        ],
        stages: vec![
            Stage {
                name: "coarse".into(),
                trials: Some(20),
                epochs: Some(1),
                keep: 1,
                shrink: 1.0,
            },
            Stage {
                name: "fine".into(),
                trials: Some(10),
                epochs: Some(3),
                keep: 4,
                shrink: 0.2,
            },
        ],
        metric: "score".into(),
        goal: Goal::Max,
    }
}

#[test]
fn coarse_to_fine_narrows_around_the_best_in_log_space() {
    let plan = staged_plan();
    let r = run_search(&plan, 1, &[], &synthetic, None, &mut |_, _| {}).unwrap();
    assert_eq!(r.records.len(), 30);
    let fine: Vec<f64> = r.records[20..]
        .iter()
        .map(|t| param(&t.spec, "x"))
        .collect();
    // The fine stage spans a fifth of the 5 decades (one decade) around the best coarse values.
    let (lo, hi) = fine
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
    assert!(hi / lo <= 10.0 + 1e-9, "fine values span {lo}..{hi}");
    assert!(
        r.records[20..]
            .iter()
            .all(|t| t.spec.budget_epochs == Some(3))
    );
    // Fine trials are better on average than coarse ones.
    let mean = |t: &[TrialRecord]| t.iter().map(|r| r.outcome.metric).sum::<f64>() / t.len() as f64;
    assert!(mean(&r.records[20..]) > mean(&r.records[..20]));
}

#[test]
fn grid_enumerates_exactly_the_product() {
    let plan = SearchPlan {
        strategy: Strategy::Grid,
        space: vec![
            Dim {
                name: "x".into(),
                dist: Dist::Choice(vec![
                    Choice::Value(Value::Number(0.01)),
                    Choice::Value(Value::Number(0.1)),
                    Choice::Value(Value::Number(1.0)),
                ]),
            },
            Dim {
                name: "w".into(),
                dist: Dist::Int { lo: 2, hi: 3 },
            },
        ],
        stages: vec![Stage {
            name: "grid".into(),
            trials: None,
            epochs: None,
            keep: 1,
            shrink: 1.0,
        }],
        metric: "score".into(),
        goal: Goal::Max,
    };
    let r = run_search(&plan, 2, &[], &synthetic, None, &mut |_, _| {}).unwrap();
    let mut seen: Vec<(String, String)> = r
        .records
        .iter()
        .map(|t| {
            (
                t.spec.params[0].1.to_string(),
                t.spec.params[1].1.to_string(),
            )
        })
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(r.records.len(), 6);
    assert_eq!(seen.len(), 6);
}

fn jsonl(records: &[TrialRecord]) -> String {
    records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect()
}

#[test]
fn one_and_two_jobs_give_identical_trials() {
    let plan = lr_plan(1e-3, 1.0, 6, false);
    let mut lines1 = Vec::new();
    let r1 = run_search(&plan, 1, &[], &digits_trial, None, &mut |r, _| {
        lines1.push(r.clone())
    })
    .unwrap();
    let mut lines2 = Vec::new();
    let r2 = run_search(&plan, 2, &[], &digits_trial, None, &mut |r, _| {
        lines2.push(r.clone())
    })
    .unwrap();
    assert_eq!(jsonl(&lines1), jsonl(&lines2));
    assert_eq!(r1.records, r2.records);
}

#[test]
fn an_interrupted_search_resumes_to_the_same_trials() {
    let plan = staged_plan();
    let whole = run_search(&plan, 2, &[], &synthetic, None, &mut |_, _| {}).unwrap();

    // Interrupt after 7 trials have run.
    let stop = AtomicBool::new(false);
    let ran = AtomicUsize::new(0);
    let counting = |s: &TrialSpec| {
        if ran.fetch_add(1, Ordering::SeqCst) + 1 >= 7 {
            stop.store(true, Ordering::SeqCst);
        }
        synthetic(s)
    };
    let mut saved = Vec::new();
    let partial = run_search(&plan, 2, &[], &counting, Some(&stop), &mut |r, fresh| {
        assert!(fresh);
        saved.push(r.clone());
    })
    .unwrap();
    assert!(partial.interrupted);
    assert!(saved.len() < 30);

    // Resume from what was saved (as read back from trials.jsonl).
    let text = jsonl(&saved);
    let restored: Vec<TrialRecord> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut fresh_count = 0;
    let resumed = run_search(&plan, 2, &restored, &synthetic, None, &mut |_, fresh| {
        fresh_count += usize::from(fresh);
    })
    .unwrap();
    assert!(!resumed.interrupted);
    assert_eq!(fresh_count, 30 - saved.len());
    assert_eq!(jsonl(&resumed.records), jsonl(&whole.records));
}

/// An executor that runs a stage's trials last first, as another process might finish them,
/// and counts the trials it was asked for.
struct Backwards {
    asked: Vec<usize>,
}

impl TrialExecutor for Backwards {
    fn run_trials(
        &mut self,
        todo: &[TrialSpec],
        interrupt: Option<&AtomicBool>,
        finished: &mut dyn FnMut(TrialRecord),
    ) {
        self.asked.push(todo.len());
        for spec in todo.iter().rev() {
            if interrupt.is_some_and(|f| f.load(Ordering::SeqCst)) {
                return;
            }
            let mut record = run_trial(&synthetic, spec);
            record.rank = Some(spec.id % 3);
            finished(record);
        }
    }
}

#[test]
fn any_executor_gives_the_records_of_the_threads_in_trial_order() {
    let plan = staged_plan();
    let threads = run_search(&plan, 2, &[], &synthetic, None, &mut |_, _| {}).unwrap();
    let mut executor = Backwards { asked: Vec::new() };
    let mut delivered = Vec::new();
    let other = run_search_with(&plan, &mut executor, &[], None, &mut |r, fresh| {
        assert!(fresh);
        delivered.push(r.spec.id);
    })
    .unwrap();
    // One call per stage, each once the stage before is in; records in trial order.
    assert_eq!(executor.asked, [20, 10]);
    assert_eq!(delivered, (0..30).collect::<Vec<_>>());
    let without_rank = |records: &[TrialRecord]| {
        let mut records = records.to_vec();
        records.iter_mut().for_each(|r| r.rank = None);
        records
    };
    assert_eq!(without_rank(&other.records), threads.records);
    assert_eq!(other.best, threads.best);
    // The rank is in the JSON only when known.
    let line = serde_json::to_string(&other.records[4]).unwrap();
    assert!(line.contains("\"rank\":1"), "{line}");
    assert!(!jsonl(&threads.records).contains("rank"));

    // Resumed from 25 records, the executor is asked for the 5 missing ones only.
    let mut executor = Backwards { asked: Vec::new() };
    let resumed = run_search_with(
        &plan,
        &mut executor,
        &threads.records[..25],
        None,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(executor.asked, [5]);
    assert_eq!(without_rank(&resumed.records), threads.records);
}

#[test]
fn a_diverged_trial_round_trips_through_json() {
    let record = TrialRecord {
        spec: TrialSpec {
            id: 3,
            stage: "coarse".into(),
            params: vec![("lr".into(), Value::Number(40.0))],
            budget_epochs: Some(2),
            promoted_from: None,
        },
        outcome: TrialOutcome {
            status: TrialStatus::Diverged,
            metric: f64::NAN,
            spread: None,
            fold_metrics: Vec::new(),
            train_accuracy: None,
            val_accuracy: None,
            initial_loss: Some(1.1),
            final_loss: None,
            val_loss: None,
            epochs_run: 0.5,
            kept_epoch: None,
            seconds: 0.1,
        },
        rank: None,
    };
    let line = serde_json::to_string(&record).unwrap();
    assert!(line.contains("\"metric\":null"), "{line}");
    let back: TrialRecord = serde_json::from_str(&line).unwrap();
    assert!(back.outcome.metric.is_nan());
    assert_eq!(back.outcome.status, TrialStatus::Diverged);
    assert_eq!(back.spec, record.spec);
}

#[test]
fn a_plan_with_nested_choices_round_trips_through_json() {
    let plan = SearchPlan {
        strategy: Strategy::Random { seed: 4 },
        space: vec![
            Dim {
                name: "lr".into(),
                dist: Dist::LogUniform { lo: 1e-4, hi: 1.0 },
            },
            Dim {
                name: "reg".into(),
                dist: Dist::Choice(vec![
                    Choice::Value(Value::Number(0.0)),
                    Choice::Dist(Dist::LogUniform { lo: 1e-6, hi: 1e-2 }),
                ]),
            },
            Dim {
                name: "act".into(),
                dist: Dist::Choice(vec![
                    Choice::Value(Value::Name("relu".into())),
                    Choice::Value(Value::Name("tanh".into())),
                ]),
            },
        ],
        stages: vec![Stage {
            name: "search".into(),
            trials: Some(3),
            epochs: None,
            keep: 0,
            shrink: 1.0,
        }],
        metric: "val.accuracy".into(),
        goal: Goal::Max,
    };
    let text = serde_json::to_string(&plan).unwrap();
    let back: SearchPlan = serde_json::from_str(&text).unwrap();
    assert_eq!(back, plan, "{text}");
}

#[test]
fn equal_metrics_are_ranked_by_validation_loss_and_unfinished_trials_last() {
    let record = |id: usize, status: TrialStatus, metric: f64, val_loss: Option<f64>| TrialRecord {
        spec: TrialSpec {
            id,
            stage: "s".into(),
            params: vec![],
            budget_epochs: None,
            promoted_from: None,
        },
        outcome: TrialOutcome {
            status,
            metric,
            spread: None,
            fold_metrics: Vec::new(),
            train_accuracy: None,
            val_accuracy: None,
            initial_loss: None,
            final_loss: None,
            val_loss,
            epochs_run: 1.0,
            kept_epoch: None,
            seconds: 0.0,
        },
        rank: None,
    };
    let mut records = [
        record(0, TrialStatus::Diverged, f64::NAN, None),
        record(1, TrialStatus::Ok, 0.95, Some(0.30)),
        record(2, TrialStatus::Ok, 0.97, Some(0.20)),
        record(3, TrialStatus::Ok, 0.97, Some(0.10)),
        record(4, TrialStatus::Ok, 0.97, None),
    ];
    records.sort_by(|a, b| nnc_train::search::rank(Goal::Max, a, b));
    let order: Vec<usize> = records.iter().map(|r| r.spec.id).collect();
    assert_eq!(order, [3, 2, 4, 1, 0]);
}

#[test]
fn records_of_another_search_are_refused_on_resume() {
    let plan = staged_plan();
    let whole = run_search(&plan, 2, &[], &synthetic, None, &mut |_, _| {}).unwrap();
    // Another search's trial 3 (other values) among the records.
    let mut foreign = whole.records[..5].to_vec();
    foreign[2].spec.params[0].1 = Value::Number(0.123);
    let err = run_search(&plan, 2, &foreign, &synthetic, None, &mut |_, _| {}).unwrap_err();
    assert_eq!(
        err,
        nnc_train::search::SearchError::ResumeMismatch { id: 2 }
    );
    // A record beyond the plan's trials.
    let mut beyond = whole.records.clone();
    let mut extra = beyond[0].clone();
    extra.spec.id = 999;
    beyond.push(extra);
    let err = run_search(&plan, 2, &beyond, &synthetic, None, &mut |_, _| {}).unwrap_err();
    assert_eq!(
        err,
        nnc_train::search::SearchError::ResumeMismatch { id: 999 }
    );
    // The message names the trial once (it used to say "trial 1000 … is not this search's
    // trial 1000").
    assert_eq!(
        err.to_string(),
        "the record of trial 1000 to resume from does not match this search's plan (its stage, \
         values or budget differ, or the plan has no such trial): the records come from another \
         search"
    );
}

#[test]
fn a_panicking_trial_is_recorded_as_failed_and_the_search_goes_on() {
    let plan = staged_plan();
    let flaky = |s: &TrialSpec| {
        if s.id == 2 {
            panic!("out of cheese");
        }
        synthetic(s)
    };
    let r = run_search(&plan, 2, &[], &flaky, None, &mut |_, _| {}).unwrap();
    assert_eq!(r.records.len(), 30);
    match &r.records[2].outcome.status {
        TrialStatus::Failed(m) => assert!(m.contains("out of cheese"), "{m}"),
        other => panic!("{other:?}"),
    }
    let ok = r
        .records
        .iter()
        .filter(|x| x.outcome.status == TrialStatus::Ok);
    assert_eq!(ok.count(), 29);
}

#[test]
fn an_enormous_grid_is_refused_before_anything_runs() {
    let plan = SearchPlan {
        strategy: Strategy::Grid,
        space: vec![Dim {
            name: "width".into(),
            dist: Dist::LogInt {
                lo: 1,
                hi: 100_000_000,
            },
        }],
        stages: vec![Stage {
            name: "search".into(),
            trials: None,
            epochs: None,
            keep: 0,
            shrink: 1.0,
        }],
        metric: "val.accuracy".into(),
        goal: Goal::Max,
    };
    let err = run_search(&plan, 1, &[], &synthetic, None, &mut |_, _| {
        panic!("nothing may run")
    })
    .unwrap_err();
    assert_eq!(
        err,
        nnc_train::search::SearchError::GridTooLarge {
            size: Some(100_000_000)
        }
    );
}

#[test]
fn trials_that_fail_are_named_in_the_warning() {
    let plan = lr_plan(1e-3, 1.0, 4, false);
    let broken = |_: &TrialSpec| TrialOutcome::failed("width must be positive");
    let r = run_search(&plan, 1, &[], &broken, None, &mut |_, _| {}).unwrap();
    assert!(r.best.is_none());
    let w = &r.warnings[0];
    assert!(w.message.contains("4 failed"), "{}", w.message);
    assert!(
        w.message.contains("width must be positive"),
        "{}",
        w.message
    );
    assert!(!w.advice.contains("learning rate"), "{}", w.advice);
}

/// A synthetic trial whose metric grows with its budget's *shortness*: a 1-epoch trial scores
/// higher than any longer one, as a noisy small-budget metric can.
fn short_budget_wins(spec: &TrialSpec) -> TrialOutcome {
    let mut o = synthetic(spec);
    if spec.budget_epochs == Some(1) {
        o.metric += 100.0;
    }
    o
}

#[test]
fn the_best_comes_from_the_last_stage_even_when_a_shorter_trial_scored_higher() {
    let plan = staged_plan();
    let r = run_search(&plan, 2, &[], &short_budget_wins, None, &mut |_, _| {}).unwrap();
    let raw_best = r
        .records
        .iter()
        .max_by(|a, b| a.outcome.metric.total_cmp(&b.outcome.metric))
        .unwrap();
    assert_eq!(
        raw_best.spec.stage, "coarse",
        "the setup: a coarse trial wins on raw metric"
    );
    let best = r.best_record().unwrap();
    assert_eq!(best.spec.stage, "fine");
    let fine_best = r.records[20..]
        .iter()
        .map(|t| t.outcome.metric)
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(best.outcome.metric, fine_best);
    // The leaderboard ranks each budget separately, the final stage first.
    let board = nnc_train::search::leaderboard(&plan, &r.records, 3);
    let fine_at = board.find("stage fine, 3 epochs: 10 trials").unwrap();
    let coarse_at = board.find("stage coarse, 1 epoch: 20 trials").unwrap();
    assert!(fine_at < coarse_at, "{board}");
}

fn halving_plan(trials: u64) -> SearchPlan {
    let (eta, min_epochs, max_epochs) = (3, 1, 9);
    SearchPlan {
        strategy: Strategy::Halving {
            seed: 5,
            eta,
            min_epochs,
            max_epochs,
        },
        space: vec![
            Dim {
                name: "lr".into(),
                dist: Dist::LogUniform { lo: 1e-3, hi: 1.0 },
            },
            Dim {
                name: "reg".into(),
                dist: Dist::LogUniform { lo: 1e-6, hi: 1e-2 },
            },
        ],
        stages: nnc_train::search::halving_rungs(Some(trials), eta, min_epochs, max_epochs),
        metric: "val.accuracy".into(),
        goal: Goal::Max,
    }
}

/// Records without their wall-clock times.
fn timeless(records: &[TrialRecord]) -> Vec<TrialRecord> {
    records
        .iter()
        .cloned()
        .map(|mut r| {
            r.outcome.seconds = 0.0;
            r
        })
        .collect()
}

#[test]
fn successive_halving_promotes_the_best_third_of_each_rung_on_digits() {
    let plan = halving_plan(9);
    let r1 = run_search(&plan, 1, &[], &digits_trial, None, &mut |_, _| {}).unwrap();
    let r2 = run_search(&plan, 2, &[], &digits_trial, None, &mut |_, _| {}).unwrap();
    assert_eq!(jsonl(&timeless(&r1.records)), jsonl(&timeless(&r2.records)));

    let rung = |name: &str| -> Vec<&TrialRecord> {
        r1.records.iter().filter(|t| t.spec.stage == name).collect()
    };
    let (first, second, third) = (rung("rung 1"), rung("rung 2"), rung("rung 3"));
    assert_eq!((first.len(), second.len(), third.len()), (9, 3, 1));
    for (trials, epochs) in [(&first, 1), (&second, 3), (&third, 9)] {
        assert!(trials.iter().all(|t| t.spec.budget_epochs == Some(epochs)));
    }
    // Each later rung retrains, in rank order, the best third of the rung before.
    for (before, after) in [(&first, &second), (&second, &third)] {
        let mut ranked: Vec<&TrialRecord> = before.to_vec();
        ranked.sort_by(|a, b| nnc_train::search::rank(Goal::Max, a, b));
        for (promoted, source) in after.iter().zip(&ranked) {
            assert_eq!(promoted.spec.promoted_from, Some(source.spec.id));
            assert_eq!(promoted.spec.params, source.spec.params);
        }
    }
    // The best is the last rung's single trial, trained longest.
    assert_eq!(r1.best_record().unwrap().spec.stage, "rung 3");
    assert!(r1.best_record().unwrap().outcome.metric >= 0.9);
}

#[test]
fn a_halving_search_interrupted_mid_rung_resumes_to_the_same_records() {
    let plan = halving_plan(9);
    let whole = run_search(&plan, 2, &[], &short_budget_wins_x, None, &mut |_, _| {}).unwrap();
    let stop = AtomicBool::new(false);
    let ran = AtomicUsize::new(0);
    let counting = |s: &TrialSpec| {
        if ran.fetch_add(1, Ordering::SeqCst) + 1 >= 10 {
            stop.store(true, Ordering::SeqCst);
        }
        short_budget_wins_x(s)
    };
    let mut saved = Vec::new();
    let partial = run_search(&plan, 2, &[], &counting, Some(&stop), &mut |r, _| {
        saved.push(r.clone())
    })
    .unwrap();
    assert!(partial.interrupted);
    assert!(saved.len() < whole.records.len());
    let restored: Vec<TrialRecord> = jsonl(&saved)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let resumed = run_search(
        &plan,
        1,
        &restored,
        &short_budget_wins_x,
        None,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(jsonl(&resumed.records), jsonl(&whole.records));
    assert_eq!(resumed.best, whole.best);
}

/// [`synthetic`] on the halving plan's `lr` dimension.
fn short_budget_wins_x(spec: &TrialSpec) -> TrialOutcome {
    let lr = param(spec, "lr");
    let mut o = synthetic(&TrialSpec {
        params: vec![("x".into(), Value::Number(lr))],
        ..spec.clone()
    });
    o.epochs_run = spec.budget_epochs.unwrap_or(0) as f64;
    o
}

#[test]
fn trial_numbers_in_json_are_the_numbers_people_read() {
    let record = TrialRecord {
        spec: TrialSpec {
            id: 27,
            stage: "rung 2".into(),
            params: vec![("lr".into(), Value::Number(0.1))],
            budget_epochs: Some(3),
            promoted_from: Some(4),
        },
        outcome: TrialOutcome::failed("x"),
        rank: None,
    };
    let line = serde_json::to_string(&record).unwrap();
    assert!(line.contains("\"trial\":28"), "{line}");
    assert!(line.contains("\"from\":5"), "{line}");
    let back: TrialRecord = serde_json::from_str(&line).unwrap();
    assert_eq!(back.spec, record.spec);
    assert!(
        serde_json::from_str::<TrialRecord>(&line.replace("\"trial\":28", "\"trial\":0")).is_err()
    );
}
