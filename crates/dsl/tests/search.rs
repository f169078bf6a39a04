//! Cross-validation in a search, in the language crate that runs the trials: the folds
//! partition the training rows and keep the test rows out, every fold is trained, and a
//! trial's metric is the mean of its folds' metrics with their spread.

use nnc_dsl::lower::FileProbe;
use nnc_dsl::search::{TrialRunner, search_space, validation_folds};
use nnc_train::search::{Strategy, TrialSpec, TrialStatus, Value, fold_mean_and_spread};
use std::path::Path;

/// A spiral search over `lr`, validated as `validate` says.
fn source(validate: &str) -> String {
    format!(
        "data {{ source spiral(points: 40, classes: 3); split train: 70%, val: 10%, test: 20%; seed 3 }}\n\
         model {{ dense 8 -> relu; dense data.classes; loss softmax }}\n\
         train {{ optimizer sgd(lr: lr); batch full; steps 5 }}\n\
         param lr = 0.5\n\
         search random(seed: 1) {{ lr ~ loguniform(1e-2, 1); metric val.accuracy; trials 2{validate} }}\n"
    )
}

fn check(source: &str) -> nnc_dsl::Checked {
    nnc_dsl::check(source, Path::new("folds.nn"), &[], &nnc_dsl::NoDataProbe).expect("checks")
}

#[test]
fn validation_folds_put_every_training_row_in_exactly_one_fold_and_keep_test_rows_out() {
    let checked = check(&source("; validate kfold(5)"));
    let experiment = &checked.experiment;
    let compiled = nnc_dsl::lower::compile(experiment, &Default::default()).unwrap();
    let (train, val, test) = (
        compiled.raw.splits.train.len(),
        compiled.raw.splits.val.len(),
        compiled.raw.splits.test.len(),
    );
    let raw = validation_folds(&compiled.raw, experiment, 5).unwrap();
    let folds = raw.folds.as_ref().unwrap();
    assert_eq!(folds.len(), 5);
    // The pool is the training and validation rows; the test rows are untouched.
    let pool = raw.splits.train.len();
    assert_eq!(pool, train + val);
    assert_eq!(raw.splits.test.len(), test);
    let mut seen = vec![0usize; pool];
    for f in folds {
        for &i in &f.val {
            seen[i] += 1;
        }
        // A fold trains on everything but its own rows.
        assert_eq!(f.train.len() + f.val.len(), pool);
        assert!(f.train.iter().all(|i| !f.val.contains(i)));
    }
    assert!(seen.iter().all(|&n| n == 1), "{seen:?}");
    // Prepared folds: preprocessing fitted per fold, validation rows as the fold says.
    let prepared = raw.prepare(&experiment.data, Some(2)).unwrap();
    assert_eq!(prepared.splits.val.len(), folds[2].val.len());
    assert_eq!(prepared.splits.test.len(), test);
}

/// Runs one trial of `source` with `lr = 0.3`.
fn run_trial(source: &str) -> (nnc_train::search::TrialOutcome, Option<u64>) {
    let checked = check(source);
    let space = search_space(&checked.experiment).expect("a search");
    let probe = FileProbe::new();
    let runner = TrialRunner {
        path: "folds.nn".into(),
        text: source.to_string(),
        base: Vec::new(),
        probe: &probe,
        kfold: space.kfold,
        train_seed: None,
        memory_limit: None,
        events: None,
    };
    let spec = TrialSpec {
        id: 0,
        stage: "search".into(),
        params: vec![("lr".into(), Value::Number(0.3))],
        budget_epochs: None,
        promoted_from: None,
    };
    (runner.run(&spec), space.kfold)
}

#[test]
fn a_kfold_trial_trains_every_fold_and_reports_their_mean_and_spread() {
    let (outcome, kfold) = run_trial(&source("; validate kfold(4)"));
    assert_eq!(kfold, Some(4));
    assert_eq!(outcome.status, TrialStatus::Ok, "{outcome:?}");
    assert_eq!(outcome.fold_metrics.len(), 4, "one metric per fold");
    assert!(outcome.fold_metrics.iter().all(|m| (0.0..=1.0).contains(m)));
    let (mean, spread) = fold_mean_and_spread(&outcome.fold_metrics);
    assert_eq!(outcome.metric, mean);
    assert_eq!(outcome.spread, Some(spread));
    assert!(outcome.seconds > 0.0);
}

#[test]
fn a_holdout_trial_has_one_metric_and_no_spread() {
    let (outcome, kfold) = run_trial(&source(""));
    assert_eq!(kfold, None);
    assert_eq!(outcome.status, TrialStatus::Ok, "{outcome:?}");
    assert!(outcome.fold_metrics.is_empty() && outcome.spread.is_none());
    assert!((0.0..=1.0).contains(&outcome.metric));
}

#[test]
fn the_data_s_own_kfold_split_validates_the_search() {
    let source = "data { source spiral(points: 40, classes: 3); split kfold(3); seed 3 }\n\
                  model { dense 8 -> relu; dense data.classes; loss softmax }\n\
                  train { optimizer sgd(lr: lr); batch full; steps 5 }\n\
                  param lr = 0.5\n\
                  search random(seed: 1) { lr ~ loguniform(1e-2, 1); metric val.accuracy; trials 2 }\n";
    let (outcome, kfold) = run_trial(source);
    assert_eq!(kfold, Some(3));
    assert_eq!(outcome.fold_metrics.len(), 3, "{outcome:?}");
}

#[test]
fn an_experiment_with_a_choice_serialises_its_search_in_the_engine_s_shape() {
    let source = "data { source spiral(points: 40, classes: 3); split train: 80%, val: 20% }\n\
                  model { dense width; act; dense data.classes; loss softmax }\n\
                  train { optimizer sgd(lr: 0.5); batch full; steps 5 }\n\
                  param width = 8\n\
                  param act = relu\n\
                  search { width ~ choice(4, int(6, 8)); act ~ choice(relu, tanh); trials 2 }\n";
    let checked = check(source);
    let json = serde_json::to_value(&checked.experiment).expect("serialises");
    let search = &json["search"];
    assert_eq!(
        search["strategy"],
        serde_json::json!({"kind": "random", "seed": 0})
    );
    assert_eq!(search["goal"], "max");
    assert_eq!(
        search["space"][0]["dist"],
        serde_json::json!({"kind": "choice", "args": [
            {"value": 4.0},
            {"dist": {"kind": "int", "args": {"lo": 6, "hi": 8}}},
        ]})
    );
    assert_eq!(
        search["space"][1]["dist"]["args"],
        serde_json::json!([{"value": "relu"}, {"value": "tanh"}])
    );
}

/// A spiral search of `lr` with the given strategy header and statements.
fn searched(header: &str, statements: &str) -> String {
    format!(
        "data {{ source spiral(points: 40, classes: 3); split train: 70%, val: 10%, test: 20%; seed 3 }}\n\
         model {{ dense 8 -> relu; dense data.classes; loss softmax }}\n\
         train {{ optimizer sgd(lr: lr); batch full; steps 5 }}\n\
         param lr = 0.5\n\
         search {header} {{ lr ~ loguniform(1e-2, 1); metric val.accuracy{statements} }}\n"
    )
}

#[test]
fn successive_halving_lowers_into_its_rungs() {
    let checked = check(&searched(
        "halving(seed: 1, eta: 3, min: 1 epoch, max: 9 epochs)",
        "; trials 10",
    ));
    let space = search_space(&checked.experiment).expect("a search");
    assert_eq!(
        space.plan.strategy,
        Strategy::Halving {
            seed: 1,
            eta: 3,
            min_epochs: 1,
            max_epochs: 9
        }
    );
    let rungs: Vec<(&str, Option<u64>, Option<u64>)> = space
        .plan
        .stages
        .iter()
        .map(|s| (s.name.as_str(), s.trials, s.epochs))
        .collect();
    assert_eq!(
        rungs,
        [
            ("rung 1", Some(10), Some(1)),
            ("rung 2", Some(3), Some(3)),
            ("rung 3", Some(1), Some(9)),
        ]
    );
}

#[test]
fn successive_halving_needs_no_trials_and_takes_bare_epochs_and_default_eta() {
    // No `trials`: the first rung has eta^s trials; `min`/`max` may be bare integers; a
    // continuous space is fine (it is no grid).
    let checked = check(&searched("halving(min: 1, max: 27)", ""));
    assert!(
        !checked.diagnostics.has_errors(),
        "{:?}",
        checked.diagnostics
    );
    let space = search_space(&checked.experiment).expect("a search");
    assert_eq!(
        space.plan.strategy,
        Strategy::Halving {
            seed: nnc_dsl::ir::DEFAULT_SAMPLER_SEED,
            eta: nnc_dsl::ir::DEFAULT_ETA,
            min_epochs: 1,
            max_epochs: 27
        }
    );
    let trials: Vec<Option<u64>> = space.plan.stages.iter().map(|s| s.trials).collect();
    let epochs: Vec<Option<u64>> = space.plan.stages.iter().map(|s| s.epochs).collect();
    assert_eq!(trials, [Some(27), Some(9), Some(3), Some(1)]);
    assert_eq!(epochs, [Some(1), Some(3), Some(9), Some(27)]);
}

#[test]
fn refit_defaults_to_on_exactly_when_the_search_cross_validates() {
    let refit = |source: &str| {
        search_space(&check(source).experiment)
            .expect("a search")
            .refit
    };
    let random = "random(seed: 1)";
    assert!(refit(&searched(random, "; trials 2; validate kfold(3)")));
    assert!(!refit(&searched(random, "; trials 2")));
    assert!(!refit(&searched(
        random,
        "; trials 2; validate kfold(3); refit false"
    )));
    assert!(refit(&searched(random, "; trials 2; refit true")));
    // The data's own k-fold split cross-validates the search too.
    let own_folds = searched(random, "; trials 2")
        .replace("split train: 70%, val: 10%, test: 20%", "split kfold(3)");
    assert!(refit(&own_folds));
    let checked = check(&searched(random, "; trials 2; refit false"));
    assert_eq!(
        checked.experiment.search.as_ref().unwrap().refit,
        Some(false)
    );
}

/// A coarse-to-fine search whose stages train 2 and 6 steps' worth of epochs on the spiral.
const STAGED: &str = "nn 0.1\n\
    param lr = 0.5\n\
    data { source spiral(points: 40, classes: 3); split train: 70%, val: 30%; seed 3 }\n\
    model { dense 16 -> relu; dense data.classes; loss softmax }\n\
    train { optimizer sgd(lr: lr, momentum: 0.9); batch 16; epochs 20; seed 4 }\n\
    search random(seed: 2) { lr ~ loguniform(1e-2, 1); metric val.loss\n\
      stage coarse, trials: 4, epochs: 1\n\
      stage fine, trials: 3, epochs: 6, keep: 2 }\n";

#[test]
fn the_library_writes_a_best_file_whose_training_reproduces_the_trial() {
    let dir = std::env::temp_dir().join(format!("nnc-dsl-best-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = nnc_dsl::ModelFile::from_text(dir.join("staged.nn"), STAGED, &[]).unwrap();
    let result = file.search(1, &mut |_| {}).unwrap();
    let best = result.best_record().unwrap();
    // Ranked at equal budgets: the best is a 6-epoch fine trial.
    assert_eq!(best.spec.stage, "fine");
    assert_eq!(best.spec.budget_epochs, Some(6));

    let text = file.best_file(best, false, "# the best\n", &dir).unwrap();
    assert!(text.contains("epochs 6"), "{text}");
    let path = dir.join("best.nn");
    std::fs::write(&path, &text).unwrap();
    let rerun = nnc_dsl::ModelFile::open(&path, &[]).unwrap();
    let (_, summary) = rerun.train(&mut nnc_train::events::Silent).unwrap();
    let val = summary.val.unwrap();
    assert_eq!(val.loss.to_bits(), best.outcome.metric.to_bits());
    assert_eq!(summary.epochs, best.outcome.epochs_run);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_refit_of_an_early_stopped_trial_trains_to_its_best_epoch() {
    use nnc_train::search::{TrialOutcome, TrialRecord};
    let checked = check(&source("; validate kfold(3)"));
    let record = |epochs_run: f64, kept_epoch: Option<f64>| TrialRecord {
        spec: TrialSpec {
            id: 4,
            stage: "search".into(),
            params: vec![("lr".into(), Value::Number(0.3))],
            budget_epochs: Some(20),
            promoted_from: None,
        },
        outcome: TrialOutcome {
            status: TrialStatus::Ok,
            metric: 0.9,
            epochs_run,
            kept_epoch,
            ..TrialOutcome::failed("")
        },
        rank: None,
    };
    let refit = |r: &TrialRecord| nnc_dsl::search::refit_length(r, &checked.experiment);
    // Trained the whole budget: the refit trains it too.
    assert_eq!(refit(&record(20.0, Some(14.0))), (Some(20), None));
    // Stopped early (the mean over folds 3.8 epochs), best evaluation at 1.6 epochs: 2 epochs.
    let (epochs, why) = refit(&record(3.8, Some(1.6)));
    assert_eq!(epochs, Some(2));
    assert!(
        why.unwrap().contains("best validation evaluation"),
        "{why:?}"
    );
    // Without the kept epoch, as long as the trial ran.
    assert_eq!(refit(&record(3.8, None)).0, Some(4));
}
