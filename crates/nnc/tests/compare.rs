//! `nnc compare`: two short runs that differ in one param, side by side — the differing param
//! shown, the equal ones not, the metrics those of each `summary.json`, the table within 80
//! columns — and clear errors for what is not a run directory.

mod common;

use common::{json, nnc, scratch};

#[test]
fn two_runs_show_the_param_that_differs_and_their_metrics() {
    let dir = scratch("compare");
    let (a, b) = (dir.join("a"), dir.join("b"));
    for (out, lr) in [(&a, "lr=0.01"), (&b, "lr=0.05")] {
        let out = out.to_str().unwrap();
        nnc(&[
            "run",
            "models/wine.nn",
            "--set",
            lr,
            "--set",
            "n_epochs=2",
            "-q",
            "--out",
            out,
        ])
        .expect(0);
    }
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let ran = nnc(&["compare", a, b]).expect(0);
    let text = &ran.stdout;
    let row = |label: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no `{label}` row:\n{text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(row("lr"), "lr 0.01 0.05", "{text}");
    assert!(
        !text.contains("n_epochs"),
        "an equal param is shown:\n{text}"
    );
    assert!(text.contains("(1 equal, not shown)"), "{text}");
    let (sa, sb) = (
        json(&dir.join("a/summary.json")),
        json(&dir.join("b/summary.json")),
    );
    let loss = |s: &serde_json::Value, k: &str| format!("{:.4}", s[k]["loss"].as_f64().unwrap());
    assert_eq!(
        row("val loss"),
        format!("val loss {} {}", loss(&sa, "val"), loss(&sb, "val"))
    );
    assert_eq!(
        row("test loss"),
        format!("test loss {} {}", loss(&sa, "test"), loss(&sb, "test"))
    );
    assert_eq!(row("steps"), "steps 16 16");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");

    // JSON: one record with the differing params and each run's metrics.
    let ran = nnc(&["compare", a, b, "--format", "json"]).expect(0);
    let record: serde_json::Value = serde_json::from_str(ran.stdout.trim()).unwrap();
    assert_eq!(record["type"], "compare");
    assert_eq!(record["differing_params"], serde_json::json!(["lr"]));
    assert_eq!(record["runs"][1]["params"]["lr"], "0.05");
    assert_eq!(
        record["runs"][0]["last"]["val"],
        sa["val"]
            .as_object()
            .map(|m| { serde_json::json!({"loss": m["loss"], "accuracy": m["accuracy"]}) })
            .unwrap()
    );

    // Six columns do not fit 80: the table continues in a second block.
    let copies: Vec<String> = (1..=4)
        .map(|i| {
            let copy = dir.join(format!("copy{i}"));
            std::fs::create_dir_all(&copy).unwrap();
            std::fs::copy(format!("{a}/summary.json"), copy.join("summary.json")).unwrap();
            copy.to_str().unwrap().to_string()
        })
        .collect();
    let mut args = vec!["compare", a, b];
    args.extend(copies.iter().map(String::as_str));
    let ran = nnc(&args).expect(0);
    assert!(
        ran.stdout.lines().all(|l| l.chars().count() <= 80),
        "{}",
        ran.stdout
    );
    let blocks = ran
        .stdout
        .lines()
        .filter(|l| l.starts_with("model"))
        .count();
    assert_eq!(blocks, 2, "{}", ran.stdout);
    // A run's summary.json stands for its directory; one run given twice is refused.
    let summary = format!("{a}/summary.json");
    let by_file = nnc(&["compare", &summary, b]).expect(0);
    assert_eq!(by_file.stdout, nnc(&["compare", a, b]).expect(0).stdout);
    let twice = nnc(&["compare", a, b, &summary]).expect(2);
    assert!(
        twice.stderr.contains("are the same run"),
        "{}",
        twice.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn what_is_not_a_run_is_refused_with_a_hint() {
    let dir = scratch("compare-errors");
    let missing = dir.join("missing");
    let ran = nnc(&["compare", missing.to_str().unwrap()]).expect(2);
    assert!(ran.stderr.contains("does not exist"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("help: give run directories"),
        "{}",
        ran.stderr
    );
    let ran = nnc(&["compare", dir.to_str().unwrap()]).expect(2);
    assert!(
        ran.stderr
            .contains("is not a run directory (no summary.json)"),
        "{}",
        ran.stderr
    );
    std::fs::write(dir.join("summary.json"), "{\"steps\": ").unwrap();
    let ran = nnc(&["compare", dir.to_str().unwrap(), "--format", "json"]).expect(1);
    let record: serde_json::Value = serde_json::from_str(ran.stdout.trim()).unwrap();
    assert_eq!(record["type"], "error");
    assert!(
        record["hint"]
            .as_str()
            .unwrap()
            .contains("not written by `nnc run`")
    );
    nnc(&["compare"]).expect(2);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A search directory stands for its refit run, which is compared like any other run.
#[test]
fn a_search_directory_stands_for_its_refit() {
    let dir = scratch("compare-search");
    let search = dir.join("s");
    let model = "crates/nnc/tests/search_files/kfold.nn";
    nnc(&[
        "search",
        model,
        "--quiet",
        "--out",
        search.to_str().unwrap(),
    ])
    .expect(0);
    let ran = nnc(&["compare", search.to_str().unwrap(), "--format", "json"]).expect(0);
    let record: serde_json::Value = serde_json::from_str(ran.stdout.trim()).unwrap();
    let refit = json(&search.join("refit/summary.json"));
    assert_eq!(
        record["runs"][0]["dir"],
        search.join("refit").to_str().unwrap()
    );
    assert_eq!(
        record["runs"][0]["last"]["test"]["loss"],
        refit["test"]["loss"]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
