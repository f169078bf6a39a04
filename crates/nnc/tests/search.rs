//! `nnc search` end to end: the digits search, a range that is too low, grids,
//! k-fold, determinism across `--jobs`, and resuming after the process was killed.

mod common;

use common::{json, nnc, nnc_in, root, scratch};
use std::path::Path;

fn fixture(name: &str) -> String {
    format!("crates/nnc/tests/search_files/{name}.nn")
}

/// The records of `trials.jsonl`.
fn trials(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("trials.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `trials.jsonl` without the timings (the only thing that may differ between runs).
fn without_timings(dir: &Path) -> Vec<serde_json::Value> {
    trials(dir)
        .into_iter()
        .map(|mut r| {
            r.as_object_mut().unwrap().remove("seconds");
            r
        })
        .collect()
}

/// Starts `nnc search model --jobs 1 --out out` in the background (output captured).
fn spawn_search(model: &str, out: &Path) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_nnc"))
        .args(["search", model, "--jobs", "1", "--out"])
        .arg(out)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Lines in `trials.jsonl` of `dir` (0 if it is missing; it exists, empty, from the start).
fn finished_trials(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("trials.jsonl"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// Waits (at most two minutes) until the search in `dir` has finished a trial.
fn wait_for_a_finished_trial(dir: &Path) {
    let start = std::time::Instant::now();
    while finished_trials(dir) < 1 && start.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

fn param(record: &serde_json::Value, name: &str) -> f64 {
    record["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == name)
        .unwrap()[1]
        .as_f64()
        .unwrap()
}

#[test]
fn a_random_search_on_digits_finds_95_percent_with_the_best_lr_inside_its_range() {
    let dir = scratch("search-digits");
    let out = dir.join("s");
    let ran = nnc(&[
        "search",
        &fixture("digits_lr"),
        "--out",
        out.to_str().unwrap(),
    ])
    .expect(0);
    assert_eq!(trials(&out).len(), 16);
    let summary = json(&out.join("summary.json"));
    let best = &summary["best"];
    let accuracy = best["metric"].as_f64().unwrap();
    assert!(accuracy >= 0.95, "best val accuracy {accuracy}");
    let lr = param(best, "lr");
    assert!((1e-4..=1.0).contains(&lr), "best lr {lr}");
    // Inside, not on the edge: no range warning about lr.
    let edge_on_lr = summary["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["check"] == "range_edge" && w["subject"] == "lr");
    assert!(!edge_on_lr, "{}", summary["warnings"]);
    // The live table, the leaderboard and the pointers to the best model are printed.
    assert!(ran.stderr.contains("16/16"), "{}", ran.stderr);
    assert!(
        ran.stdout.contains("leaderboard (10 of 16 trials)"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("best.nn"), "{}", ran.stdout);
    // The leaderboard file ranks every trial.
    let board = std::fs::read_to_string(out.join("leaderboard.txt")).unwrap();
    assert_eq!(board.lines().count(), 1 + 16);
    // best.nn carries the best values and checks clean from the search directory.
    let best_nn = std::fs::read_to_string(out.join("best.nn")).unwrap();
    assert!(best_nn.contains("# Best of the search"), "{best_nn}");
    assert!(best_nn.contains("param lr = "), "{best_nn}");
    nnc(&["check", out.join("best.nn").to_str().unwrap()]).expect(0);
    // A scatter plot per hyperparameter, with a point per finished trial.
    for name in ["lr", "reg"] {
        let svg = std::fs::read_to_string(out.join("plots").join(format!("{name}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let circles = doc
            .descendants()
            .filter(|n| n.has_tag_name("circle"))
            .count();
        assert!(circles >= 16, "{name}.svg has {circles} points");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_range_that_is_too_low_warns_that_the_best_is_at_its_upper_edge() {
    let dir = scratch("search-too-low");
    let out = dir.join("s");
    let ran = nnc(&[
        "search",
        &fixture("too_low"),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ])
    .expect(0);
    let records: Vec<serde_json::Value> = ran
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let findings: Vec<&serde_json::Value> =
        records.iter().filter(|r| r["type"] == "finding").collect();
    let edge = findings
        .iter()
        .find(|f| f["check"] == "range_edge")
        .unwrap_or_else(|| panic!("no range-edge warning in {findings:?}"));
    assert_eq!(edge["subject"], "lr");
    assert!(
        edge["message"].as_str().unwrap().contains("upper edge"),
        "{edge}"
    );
    assert!(
        edge["advice"]
            .as_str()
            .unwrap()
            .contains("loguniform(1e-7, 0.001)"),
        "{edge}"
    );
    // And as the language's W506, pointing at the range in the file.
    let w506 = records
        .iter()
        .filter(|r| r["type"] == "diagnostics")
        .flat_map(|r| r["diagnostics"].as_array().unwrap().iter())
        .find(|d| d["code"] == "W506")
        .unwrap_or_else(|| panic!("no W506 in {records:?}"));
    assert_eq!(w506["primary"]["line"], 27, "{w506}");
    // The best is the largest learning rate tried: the loss falls faster the larger it is.
    let all = trials(&out);
    let largest = all.iter().map(|r| param(r, "lr")).fold(0.0, f64::max);
    let summary = records.iter().find(|r| r["type"] == "summary").unwrap();
    assert_eq!(param(&summary["best"], "lr"), largest);
    // And nothing trained at all: the search says so.
    assert!(
        findings.iter().any(|f| f["check"] == "flat_loss"),
        "{findings:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_grid_runs_exactly_the_product_each_trial_compiling_its_own_model() {
    let dir = scratch("search-grid");
    let out = dir.join("s");
    nnc(&["search", &fixture("grid"), "--out", out.to_str().unwrap()]).expect(0);
    let all = trials(&out);
    let mut combos: Vec<(f64, String)> = all
        .iter()
        .map(|r| {
            let p = r["params"].as_array().unwrap();
            (
                p[0][1].as_f64().unwrap(),
                p[1][1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    combos.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut want = Vec::new();
    for w in [8.0, 16.0, 32.0] {
        for a in ["relu", "tanh"] {
            want.push((w, a.to_string()));
        }
    }
    assert_eq!(combos, want);
    assert!(all.iter().all(|r| r["status"] == "ok"), "{all:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn k_fold_reports_the_fold_mean_and_its_spread() {
    let dir = scratch("search-kfold");
    let out = dir.join("s");
    nnc(&["search", &fixture("kfold"), "--out", out.to_str().unwrap()]).expect(0);
    for r in trials(&out) {
        let folds: Vec<f64> = r["fold_metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(folds.len(), 4, "{r}");
        let mean = folds.iter().sum::<f64>() / 4.0;
        let std = (folds.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0).sqrt();
        assert!((r["metric"].as_f64().unwrap() - mean).abs() < 1e-12, "{r}");
        assert!((r["spread"].as_f64().unwrap() - std).abs() < 1e-12, "{r}");
        // The folds differ (each validates on other rows).
        assert!(folds.iter().any(|&f| f != folds[0]), "{r}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_and_two_jobs_write_identical_trials() {
    let dir = scratch("search-jobs");
    let (one, two) = (dir.join("one"), dir.join("two"));
    for (jobs, out) in [("1", &one), ("2", &two)] {
        nnc(&[
            "search",
            "models/search.nn",
            "--trials",
            "4",
            "--jobs",
            jobs,
            "--out",
            out.to_str().unwrap(),
        ])
        .expect(0);
    }
    let a = without_timings(&one);
    assert_eq!(a.len(), 8, "two stages of 4 trials");
    assert_eq!(a, without_timings(&two));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_search_killed_midway_resumes_to_the_same_trials() {
    let dir = scratch("search-kill");
    let (whole, killed) = (dir.join("whole"), dir.join("killed"));
    let model = fixture("slow");
    nnc(&[
        "search",
        &model,
        "--jobs",
        "1",
        "--out",
        whole.to_str().unwrap(),
    ])
    .expect(0);
    let expected = without_timings(&whole);
    assert_eq!(expected.len(), 6);

    // Kill the process (SIGKILL: no chance to clean up) once it has finished a trial or two.
    let mut child = spawn_search(&model, &killed);
    wait_for_a_finished_trial(&killed);
    child.kill().unwrap();
    child.wait().unwrap();
    let done = finished_trials(&killed);
    assert!(
        (1..6).contains(&done),
        "killed after {done} of 6 trials: not mid-search"
    );

    let ran = nnc(&[
        "search",
        &model,
        "--jobs",
        "1",
        "--out",
        killed.to_str().unwrap(),
        "--resume",
    ])
    .expect(0);
    assert!(ran.stderr.contains("resuming:"), "{}", ran.stderr);
    assert_eq!(without_timings(&killed), expected);

    // Resuming with another plan is refused, with a hint.
    let other = nnc(&[
        "search",
        &model,
        "--trials",
        "3",
        "--out",
        killed.to_str().unwrap(),
        "--resume",
    ])
    .expect(2);
    assert!(
        other.stderr.contains("was started with another"),
        "{}",
        other.stderr
    );
    // Starting a new search in a directory that holds one is refused too.
    let again = nnc(&["search", &model, "--out", killed.to_str().unwrap()]).expect(2);
    assert!(again.stderr.contains("--resume"), "{}", again.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_uses_of_search_are_usage_errors() {
    // No search section.
    let ran = nnc(&["search", "models/spiral.nn", "--out", "/nonexistent/never"]).expect(2);
    assert!(ran.stderr.contains("no `search` section"), "{}", ran.stderr);
    // A --set on a searched param.
    let ran = nnc(&["search", "models/search.nn", "--set", "lr=0.1"]).expect(2);
    assert!(
        ran.stderr.contains("fixes a searched param"),
        "{}",
        ran.stderr
    );
    // Zero jobs or trials.
    nnc(&["search", "models/search.nn", "--jobs", "0"]).expect(2);
    nnc(&["search", "models/search.nn", "--trials", "0"]).expect(2);
    // An absurd trial count is refused before anything runs (it overflowed, or aborted for
    // memory), and no search directory is created.
    let never = scratch("search-too-many").join("never");
    let out = never.to_str().unwrap();
    for trials in ["18446744073709551615", "100001"] {
        let ran = nnc(&[
            "search",
            "models/search.nn",
            "--trials",
            trials,
            "--out",
            out,
        ])
        .expect(2);
        assert!(
            ran.stderr.contains("nnc runs at most 100000 in one search"),
            "{}",
            ran.stderr
        );
        assert!(!never.exists());
    }
    // The same from the file's own `trials`: a bad model file (exit code 1).
    let text = std::fs::read_to_string(root().join("models/search.nn"))
        .unwrap()
        .replace(
            "\"data/digits.csv\"",
            &format!("{:?}", root().join("models/data/digits.csv")),
        )
        .replace("stage coarse, trials: 30", "stage coarse, trials: 1e15");
    let model = never.with_file_name("many.nn");
    std::fs::write(&model, text).unwrap();
    let ran = nnc(&["search", model.to_str().unwrap(), "--out", out]).expect(1);
    assert!(
        ran.stderr.contains("plans 1000000000000010 trials"),
        "{}",
        ran.stderr
    );
    assert!(!never.exists());
    std::fs::remove_dir_all(never.parent().unwrap()).unwrap();
    // Resuming where there is no search.
    let dir = scratch("search-nothing");
    let ran = nnc(&[
        "search",
        "models/search.nn",
        "--resume",
        "--out",
        dir.to_str().unwrap(),
    ])
    .expect(2);
    assert!(ran.stderr.contains("holds no search"), "{}", ran.stderr);
    // A directory holding a file the search writes (the user's own best.nn) is refused and
    // the file kept.
    std::fs::write(dir.join("best.nn"), "mine").unwrap();
    let ran = nnc(&["search", "models/search.nn", "--out", dir.to_str().unwrap()]).expect(2);
    assert!(
        ran.stderr
            .contains("already holds `best.nn`, which the search would overwrite"),
        "{}",
        ran.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("best.nn")).unwrap(),
        "mine"
    );
    assert!(!dir.join("search.json").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ctrl_c_lets_the_running_trial_finish_and_keeps_every_finished_one() {
    let dir = scratch("search-ctrl-c");
    let out = dir.join("s");
    let child = spawn_search(&fixture("slow"), &out);
    // Interrupt once a trial has finished.
    wait_for_a_finished_trial(&out);
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let finished = trials(&out).len();
    assert!((1..6).contains(&finished), "{finished} trials kept");
    let summary = json(&out.join("summary.json"));
    assert_eq!(summary["interrupted"], true);
    assert_eq!(summary["trials"], finished);
    // The leaderboard of what finished was written, and --resume completes the search.
    assert!(out.join("leaderboard.txt").exists());
    nnc(&[
        "search",
        &fixture("slow"),
        "--jobs",
        "1",
        "--out",
        out.to_str().unwrap(),
        "--resume",
    ])
    .expect(0);
    assert_eq!(trials(&out).len(), 6);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A copy of a fixture in `dir`, with `edit` applied to its text.
fn copy_fixture(dir: &Path, name: &str, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join(fixture(name))).unwrap();
    let path = dir.join(format!("{name}.nn"));
    std::fs::write(&path, edit(text)).unwrap();
    path
}

#[test]
fn resuming_after_the_model_file_changed_is_refused() {
    let dir = scratch("search-changed");
    let out = dir.join("s");
    let model = copy_fixture(&dir, "kfold", |t| t);
    let model = model.to_str().unwrap();
    nnc(&["search", model, "--out", out.to_str().unwrap()]).expect(0);
    copy_fixture(&dir, "kfold", |t| t.replace("steps 100", "steps 50"));
    let ran = nnc(&["search", model, "--out", out.to_str().unwrap(), "--resume"]).expect(2);
    assert!(ran.stderr.contains("its text changed"), "{}", ran.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_grid_takes_no_trial_count_or_sampler_seed() {
    for flag in [["--trials", "2"], ["--seed", "3"]] {
        let ran = nnc(&["search", &fixture("grid"), flag[0], flag[1]]).expect(2);
        assert!(
            ran.stderr.contains("a grid runs every combination"),
            "{}",
            ran.stderr
        );
    }
}

#[test]
fn folds_follow_validate_kfold_or_else_the_data_split() {
    let dir = scratch("search-data-folds");
    for (validate, folds) in [("validate kfold(3)", 3), ("", 5)] {
        let model = copy_fixture(&dir, "kfold", |t| {
            t.replace("split train: 80%, test: 20%", "split kfold(5), test: 20%")
                .replace("validate kfold(4)", validate)
        });
        let out = dir.join(format!("s{folds}"));
        let ran = nnc(&[
            "search",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .expect(0);
        assert!(
            ran.stderr.contains(&format!("mean over {folds} folds")),
            "{}",
            ran.stderr
        );
        for r in trials(&out) {
            assert_eq!(r["fold_metrics"].as_array().unwrap().len(), folds, "{r}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The record of trial `number` (as the table numbers it) in `trials.jsonl`.
fn trial_number(dir: &Path, number: u64) -> serde_json::Value {
    trials(dir)
        .into_iter()
        .find(|r| r["trial"] == number)
        .unwrap_or_else(|| panic!("no trial {number} in trials.jsonl"))
}

#[test]
fn the_best_comes_from_the_last_stage_and_best_nn_reproduces_it_bit_for_bit() {
    let dir = scratch("search-stages");
    let out = dir.join("s");
    let ran = nnc(&[
        "search",
        &fixture("stages"),
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ])
    .expect(0);
    let records = trials(&out);
    assert_eq!(records.len(), 7);
    // The setup: a 5-epoch coarse trial has the lowest validation loss of all.
    let raw_best = records
        .iter()
        .min_by(|a, b| {
            a["metric"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["metric"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!(raw_best["stage"], "coarse", "{}", ran.stdout);

    let summary = json(&out.join("summary.json"));
    let best = &summary["best"];
    assert_eq!(best["stage"], "fine", "{}", ran.stdout);
    assert_eq!(summary["ranked_among"], "stage fine, 300 epochs");
    let fine_min = records
        .iter()
        .filter(|r| r["stage"] == "fine")
        .map(|r| r["metric"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert_eq!(best["metric"].as_f64().unwrap(), fine_min);
    // One trial number everywhere: summary, trials.jsonl, the printed best line.
    let number = best["trial"].as_u64().unwrap();
    assert_eq!(trial_number(&out, number)["metric"], best["metric"]);
    assert!(
        ran.stdout
            .contains(&format!("best: trial {number} (stage fine, 300 epochs)")),
        "{}",
        ran.stdout
    );
    // The printed leaderboard is the fine stage's; the coarse one is named, ranked apart.
    assert!(
        ran.stdout.contains("leaderboard, stage fine, 300 epochs"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains(
            "each ranked apart in leaderboard.txt:\n  stage coarse, 5 epochs: 4 trials\n"
        ),
        "{}",
        ran.stdout
    );
    let board = std::fs::read_to_string(out.join("leaderboard.txt")).unwrap();
    assert!(
        board.starts_with("stage fine, 300 epochs: 3 trials"),
        "{board}"
    );

    // best.nn trains the trial's 300 epochs with its values: the same validation loss, to the bit.
    let best_nn = std::fs::read_to_string(out.join("best.nn")).unwrap();
    assert!(best_nn.contains("epochs 300"), "{best_nn}");
    let rerun = dir.join("rerun");
    nnc(&[
        "run",
        out.join("best.nn").to_str().unwrap(),
        "--out",
        rerun.to_str().unwrap(),
    ])
    .expect(0);
    let run = json(&rerun.join("summary.json"));
    assert_eq!(
        run["val"]["loss"].as_f64().unwrap().to_bits(),
        best["metric"].as_f64().unwrap().to_bits(),
        "run {} vs trial {}",
        run["val"]["loss"],
        best["metric"]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn successive_halving_is_the_same_for_any_jobs_and_after_a_kill_and_resume() {
    let dir = scratch("search-halving");
    let (one, two, killed) = (dir.join("one"), dir.join("two"), dir.join("killed"));
    let model = fixture("halving");
    let ran = nnc(&[
        "search",
        &model,
        "--jobs",
        "1",
        "--out",
        one.to_str().unwrap(),
    ])
    .expect(0);
    assert!(
        ran.stderr.contains("successive halving, η = 3"),
        "{}",
        ran.stderr
    );
    nnc(&[
        "search",
        &model,
        "--jobs",
        "2",
        "--out",
        two.to_str().unwrap(),
    ])
    .expect(0);
    let expected = without_timings(&one);
    assert_eq!(without_timings(&two), expected);
    let per_rung: Vec<usize> = ["rung 1", "rung 2", "rung 3"]
        .iter()
        .map(|r| expected.iter().filter(|t| t["stage"] == *r).count())
        .collect();
    assert_eq!(per_rung, [9, 3, 1]);
    // A promoted trial names the trial it was promoted from, by the number people read.
    let last = &expected[12];
    let from = trial_number(&one, last["from"].as_u64().unwrap());
    assert_eq!(from["stage"], "rung 2");
    assert_eq!(from["params"], last["params"]);
    assert_eq!(json(&one.join("summary.json"))["best"]["stage"], "rung 3");

    // SIGKILL in the middle of a rung, then --resume: the same records.
    let mut child = spawn_search(&model, &killed);
    wait_for_a_finished_trial(&killed);
    child.kill().unwrap();
    child.wait().unwrap();
    let done = finished_trials(&killed);
    assert!((1..13).contains(&done), "killed after {done} of 13 trials");
    nnc(&[
        "search",
        &model,
        "--jobs",
        "2",
        "--out",
        killed.to_str().unwrap(),
        "--resume",
    ])
    .expect(0);
    assert_eq!(without_timings(&killed), expected);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_k_fold_search_refits_the_winner_on_all_training_rows_and_tests_it_once() {
    let dir = scratch("search-refit");
    let out = dir.join("s");
    // Run beside the model file, named bare (its directory is then the empty path): best.nn's
    // data path must still be rewritten for the search directory.
    let started = std::time::Instant::now();
    let ran = nnc_in(
        &root().join("crates/nnc/tests/search_files"),
        &["search", "refit.nn", "--out", out.to_str().unwrap()],
    )
    .expect(0);
    let wall = started.elapsed().as_secs_f64();
    let summary = json(&out.join("summary.json"));
    let refit = &summary["refit"];
    // 80 % of the 1797 digits (stratified) train the refit; 20 % are tested once.
    let train_rows = refit["train_rows"].as_u64().unwrap();
    let run = json(&out.join("refit/summary.json"));
    assert_eq!(run["data"]["train"].as_u64().unwrap(), train_rows);
    assert_eq!(run["data"]["val"], 0);
    let test_rows = run["data"]["test"].as_u64().unwrap();
    assert_eq!(train_rows + test_rows, 1797);
    assert!((355..=365).contains(&test_rows), "{test_rows} test rows");
    let accuracy = refit["test"]["accuracy"].as_f64().unwrap();
    assert_eq!(run["test"]["accuracy"].as_f64().unwrap(), accuracy);
    assert!(accuracy > 0.9, "refit test accuracy {accuracy}");
    // The refit's time to its first step counts from the refit's start, not the search's
    // (the trials, three folds each, take most of the command's time).
    let ready = run["seconds_to_first_step"].as_f64().unwrap();
    assert!(
        ready > 0.0 && ready < wall / 2.0,
        "ready after {ready} s of {wall} s"
    );
    // The summary line shows the cross-validated metric beside the refit's test metric.
    assert!(ran.stdout.contains("refit: trial"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("(cross-validated over 3 folds)"),
        "{}",
        ran.stdout
    );
    // best.nn is the refit's file: `nnc eval` loads the refit's weights with it.
    let eval = nnc(&[
        "eval",
        out.join("best.nn").to_str().unwrap(),
        "--weights",
        out.join("refit/weights.safetensors").to_str().unwrap(),
    ])
    .expect(0);
    assert!(
        eval.stdout
            .contains(&format!("accuracy {:.2}%", accuracy * 100.0)),
        "{}\nvs {accuracy}",
        eval.stdout
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
