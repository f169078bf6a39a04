//! Cross-validation in a search, in the language crate that runs the trials: the folds
//! partition the training rows and keep the test rows out, every fold is trained, and a
//! trial's metric is the mean of its folds' metrics with their spread.

use nnc_dsl::lower::FileProbe;
use nnc_dsl::search::{TrialRunner, search_space, validation_folds};
use nnc_train::search::{TrialSpec, TrialStatus, Value, fold_mean_and_spread};
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
