//! `nnc predict`: new rows through a trained model, against `nnc eval` on the same rows.

mod common;

use common::{nnc, nnc_in, scratch};
use std::path::{Path, PathBuf};

/// The wine table split by row into a training file and a test file (every fifth row), and
/// a model file that trains on the first and tests on the second with the preprocessing
/// fitted on its training split.
fn wine_experiment(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(common::root().join("models/data/wine.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut train, mut test) = (vec![header], vec![header]);
    for (i, line) in lines.enumerate() {
        if i % 5 == 0 { &mut test } else { &mut train }.push(line);
    }
    std::fs::write(dir.join("train.csv"), train.join("\n") + "\n").unwrap();
    std::fs::write(dir.join("test.csv"), test.join("\n") + "\n").unwrap();
    let model = dir.join("wine.nn");
    std::fs::write(
        &model,
        "nn 0.1\n\
         data {\n  source csv(\"train.csv\")\n  test csv(\"test.csv\")\n  \
         split train: 80%, val: 20%, shuffle: true, stratify: true\n  \
         preprocess center, whiten\n  seed 0\n}\n\
         model wine_mlp {\n  dense 16 -> tanh\n  dense data.classes, init: small(0.01)\n  loss softmax\n}\n\
         train {\n  optimizer sgd(lr: 0.05, momentum: 0.9)\n  batch 16\n  epochs 30\n  seed 1\n}\n",
    )
    .unwrap();
    nnc_in(dir, &["run", "wine.nn", "--quiet", "--out", "run"]).expect(0);
    model
}

/// The table with its columns in reverse order.
fn reversed_columns(text: &str) -> String {
    text.lines()
        .map(|l| l.split(',').rev().collect::<Vec<_>>().join(","))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Predicting the test file's rows (columns in another order) gives exactly `nnc eval`'s
/// confusion matrix on the test split: the saved preprocessing is applied as in training.
/// The table has a row per input with the label, the class and probabilities summing to 1.
#[test]
fn predictions_agree_with_eval_on_the_same_rows() {
    let dir = scratch("predict-wine");
    wine_experiment(&dir);
    let eval = nnc_in(
        &dir,
        &[
            "eval",
            "wine.nn",
            "--weights",
            "run/weights.safetensors",
            "--split",
            "test",
            "--format",
            "json",
        ],
    )
    .expect(0);
    let eval: serde_json::Value =
        serde_json::from_str(eval.stdout.lines().last().unwrap()).unwrap();
    let test = std::fs::read_to_string(dir.join("test.csv")).unwrap();
    std::fs::write(dir.join("shuffled.csv"), reversed_columns(&test)).unwrap();
    let ran = nnc_in(
        &dir,
        &[
            "predict",
            "wine.nn",
            "shuffled.csv",
            "--weights",
            "run/weights.safetensors",
            "--out",
            "pred.csv",
            "--format",
            "json",
        ],
    )
    .expect(0);
    let record: serde_json::Value =
        serde_json::from_str(ran.stdout.lines().last().unwrap()).unwrap();
    let labelled = &record["labelled"];
    assert_eq!(labelled["confusion"], eval["confusion"], "{}", ran.stdout);
    assert_eq!(labelled["accuracy"], eval["metrics"]["accuracy"]);
    assert!(labelled["accuracy"].as_f64().unwrap() > 0.85, "{labelled}");
    let rows = test.lines().count() - 1;
    assert_eq!(record["rows"], rows);
    let pred = std::fs::read_to_string(dir.join("pred.csv")).unwrap();
    let mut lines = pred.lines();
    let classes = ["0", "1", "2"];
    assert_eq!(
        lines.next().unwrap(),
        "label,predicted,predicted_index,prob_0,prob_1,prob_2"
    );
    let mut correct = 0;
    for line in lines.by_ref() {
        let cells: Vec<&str> = line.split(',').collect();
        let p: Vec<f64> = cells[3..].iter().map(|c| c.parse().unwrap()).collect();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-5, "{line}");
        let best = (0..classes.len())
            .max_by(|&a, &b| p[a].total_cmp(&p[b]))
            .unwrap();
        assert_eq!(cells[2], best.to_string(), "{line}");
        assert_eq!(cells[1], classes[best]);
        correct += usize::from(cells[0] == cells[1]);
    }
    assert_eq!(pred.lines().count(), rows + 1);
    let accuracy = correct as f64 / rows as f64;
    assert!((accuracy - labelled["accuracy"].as_f64().unwrap()).abs() < 1e-12);
    // The per-class report: supports add up to the rows, F1 between precision and recall.
    let report = &labelled["report"];
    let support: u64 = report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["support"].as_u64().unwrap())
        .sum();
    assert_eq!(support as usize, rows);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Without the label column: the same predictions, no accuracy. With a missing, extra or
/// renamed column: an error naming it (exit code 1), and an earlier predictions file is kept
/// when a later row is bad.
#[test]
fn columns_are_matched_by_name() {
    let dir = scratch("predict-columns");
    wine_experiment(&dir);
    let test = std::fs::read_to_string(dir.join("test.csv")).unwrap();
    let no_label: String = test
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    std::fs::write(dir.join("nolabel.csv"), &no_label).unwrap();
    let predict = |input: &str, extra: &[&str]| {
        let mut args = vec![
            "predict",
            "wine.nn",
            input,
            "--weights",
            "run/weights.safetensors",
        ];
        args.extend_from_slice(extra);
        nnc_in(&dir, &args)
    };
    let ran = predict("nolabel.csv", &[]).expect(0);
    let ran_stdout = ran.stdout.clone();
    assert!(
        ran.stdout
            .starts_with("predicted,predicted_index,prob_0,prob_1")
    );
    assert_eq!(ran.stdout.lines().count(), test.lines().count());
    assert!(!ran.stderr.contains("accuracy"), "{}", ran.stderr);
    // Standard input works too, and gives the same table.
    let piped = std::process::Command::new(env!("CARGO_BIN_EXE_nnc"))
        .args([
            "predict",
            "wine.nn",
            "-",
            "--weights",
            "run/weights.safetensors",
        ])
        .current_dir(&dir)
        .stdin(std::fs::File::open(dir.join("nolabel.csv")).unwrap())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&piped.stdout), ran.stdout);

    let renamed = no_label.replacen("hue", "Hue", 1);
    std::fs::write(dir.join("renamed.csv"), renamed).unwrap();
    let ran = predict("renamed.csv", &[]).expect(1);
    assert!(
        ran.stderr.contains("`hue` is missing") && ran.stderr.contains("`Hue` is not a feature"),
        "{}",
        ran.stderr
    );
    let dropped: String = no_label
        .lines()
        .map(|l| l.split_once(',').unwrap().1.to_string() + "\n")
        .collect();
    std::fs::write(dir.join("dropped.csv"), dropped).unwrap();
    let first = no_label.split([',', '\n']).next().unwrap();
    let ran = predict("dropped.csv", &[]).expect(1);
    assert!(
        ran.stderr.contains(&format!("`{first}` is missing")),
        "{}",
        ran.stderr
    );
    // Line 21 (the header is line 1) has a word in its first cell.
    let broken: Vec<String> = no_label
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 20 {
                l.replacen(',', "x,", 1)
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(dir.join("broken.csv"), broken.join("\n") + "\n").unwrap();
    std::fs::write(dir.join("kept.csv"), "what the user had\n").unwrap();
    let ran = predict("broken.csv", &["--out", "kept.csv"]).expect(1);
    assert!(ran.stderr.contains("broken.csv:21"), "{}", ran.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("kept.csv")).unwrap(),
        "what the user had\n"
    );
    assert!(!dir.join("kept.csv.partial").exists());
    // JSON records and the predictions cannot share standard output.
    predict("nolabel.csv", &["--format", "json"]).expect(2);
    // `--out -` is standard output; a header without rows is an error, not 0 % accuracy.
    assert_eq!(
        predict("nolabel.csv", &["--out", "-"]).expect(0).stdout,
        ran_stdout
    );
    assert!(!dir.join("-").exists());
    let header = test.lines().next().unwrap().to_string() + "\n";
    std::fs::write(dir.join("header.csv"), header).unwrap();
    let ran = predict("header.csv", &["--out", "none.csv"]).expect(1);
    assert!(ran.stderr.contains("no rows"), "{}", ran.stderr);
    assert!(!dir.join("none.csv").exists());
    // The command's own inputs are never overwritten.
    predict("nolabel.csv", &["--out", "run/weights.safetensors"]).expect(2);
    predict("nolabel.csv", &["--out", "nolabel.csv"]).expect(2);
    assert_eq!(
        std::fs::read_to_string(dir.join("nolabel.csv")).unwrap(),
        no_label
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `eval` prints the per-class report and a run's summary.json holds the test split's.
#[test]
fn per_class_metrics_in_eval_and_summary() {
    let dir = scratch("predict-report");
    wine_experiment(&dir);
    let summary = common::json(&dir.join("run/summary.json"));
    let report = &summary["test_report"];
    assert_eq!(report["classes"].as_array().unwrap().len(), 3);
    let weighted = report["weighted_avg"]["recall"].as_f64().unwrap();
    let accuracy = summary["test"]["accuracy"].as_f64().unwrap();
    assert!((weighted - accuracy).abs() < 1e-12, "{report}");
    let ran = nnc(&[
        "eval",
        dir.join("wine.nn").to_str().unwrap(),
        "--weights",
        dir.join("run/weights.safetensors").to_str().unwrap(),
    ])
    .expect(0);
    for word in [
        "precision",
        "recall",
        "f1-score",
        "support",
        "macro avg",
        "weighted avg",
    ] {
        assert!(ran.stdout.contains(word), "{}", ran.stdout);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A `test csv(...)` without `label:` takes the training source's label column by name,
/// not its own last column.
#[test]
fn a_test_file_inherits_the_label_column() {
    let dir = scratch("predict-test-label");
    let text = std::fs::read_to_string(common::root().join("models/data/wine.csv")).unwrap();
    let label_first: Vec<String> = text
        .lines()
        .map(|l| {
            let (features, label) = l.rsplit_once(',').unwrap();
            format!("{label},{features}")
        })
        .collect();
    // The header and 139 rows to train on, 39 rows to test.
    let (train, test) = label_first.split_at(140);
    std::fs::write(dir.join("train.csv"), train.join("\n") + "\n").unwrap();
    let test_text = format!("{}\n{}\n", label_first[0], test.join("\n"));
    std::fs::write(dir.join("test.csv"), test_text).unwrap();
    std::fs::write(
        dir.join("m.nn"),
        "nn 0.1\ndata {\n  source csv(\"train.csv\", label: \"label\")\n  test csv(\"test.csv\")\n  \
         split train: 100%, shuffle: true\n  preprocess center, normalize\n}\n\
         model m {\n  dense data.classes\n  loss softmax\n}\n\
         train {\n  optimizer sgd(lr: 0.1)\n  epochs 2\n}\n",
    )
    .unwrap();
    nnc_in(&dir, &["run", "m.nn", "--quiet", "--out", "run"]).expect(0);
    let summary = common::json(&dir.join("run/summary.json"));
    assert_eq!(summary["test"]["examples"], 178 - 139, "{summary}");
    std::fs::remove_dir_all(&dir).unwrap();
}
