//! The babysitter names causes and keeps evidence: the planted data faults of
//! `tests/data/faults/` are named first with the fix to write, their healthy twins stay quiet,
//! the doctor leads with the data, and a run that diverges, is interrupted or loses its output
//! pipe still leaves a complete run directory whose weights say what they are.

mod common;

use common::{json, nnc, root, scratch};
use std::path::{Path, PathBuf};

/// The corpus files, by file name.
fn corpus() -> Vec<PathBuf> {
    let dir = root().join("tests/data/faults");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "nn"))
        .collect();
    files.sort();
    files
}

/// The values of the `# key: value` comments of a corpus file.
fn directives(text: &str, key: &str) -> Vec<String> {
    let prefix = format!("# {key}:");
    text.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim().to_string())
        .collect()
}

/// The findings a user reads as problems or notes (not the passed checks), in order.
fn problems(summary: &serde_json::Value) -> Vec<serde_json::Value> {
    summary["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info" || f["advice"] != "")
        .cloned()
        .collect()
}

#[test]
fn planted_data_faults_come_first_with_their_fix_and_healthy_twins_stay_quiet() {
    let files = corpus();
    assert!(files.len() >= 8, "{files:?}");
    let dir = scratch("corpus");
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).unwrap();
        let out = dir.join(&name);
        let ran = nnc(&[
            "run",
            file.to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(ran.code == 0 || ran.code == 3, "{name}: {}", ran.stderr);
        let summary = json(&out.join("summary.json"));
        let found = problems(&summary);
        if text.contains("# healthy") {
            if !found.is_empty() {
                failures.push(format!("{name} is healthy but: {found:#?}"));
            }
            continue;
        }
        let planted = directives(&text, "planted");
        assert_eq!(planted.len(), 1, "{name} plants one fault");
        let Some(first) = found.first() else {
            failures.push(format!("{name}: nothing found"));
            continue;
        };
        if first["check"] != planted[0].as_str() {
            failures.push(format!("{name}: the first finding is {first:#}"));
        }
        for advice in directives(&text, "advice") {
            if !first["advice"].as_str().unwrap().contains(&advice) {
                failures.push(format!("{name}: advice lacks `{advice}`: {first:#}"));
            }
        }
        for symptom in directives(&text, "symptom") {
            let (check, cause) = symptom.split_once(" <- ").expect("`check <- cause`");
            match found.iter().find(|f| f["check"] == check) {
                Some(f) if f["cause"] == cause => {}
                other => failures.push(format!("{name}: {check} not led by {cause}: {other:#?}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_doctor_leads_with_the_data() {
    let ran = nnc(&["doctor", "tests/data/faults/wine_raw.nn"]).expect(4);
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert!(
        lines[0].starts_with("1. [WARN] data: the inputs are not normalised"),
        "{}",
        ran.stdout
    );
    for step in [
        "initial loss",
        "learning-rate range",
        "overfit a tiny subset",
    ] {
        let line = lines
            .iter()
            .find(|l| l.contains(&format!("] {step}: ")))
            .unwrap_or_else(|| panic!("no `{step}` in {}", ran.stdout));
        assert!(
            line.contains("the inputs are not normalised (see [feature scales])"),
            "{line}"
        );
    }
    let healthy = nnc(&["doctor", "tests/data/faults/wine_normalized.nn"]);
    assert!(
        healthy.stdout.starts_with("1. [PASS] data:"),
        "{}",
        healthy.stdout
    );
}

/// Every tensor of a safetensors file, as f32 values.
fn tensors(path: &Path) -> Vec<(String, Vec<f32>)> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("a whole safetensors file");
    let mut out: Vec<(String, Vec<f32>)> = file
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            let values = view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            (name, values)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The model's parameters (not the preprocessing statistics or optimiser state) of a file.
fn parameters(path: &Path) -> Vec<(String, Vec<f32>)> {
    tensors(path)
        .into_iter()
        .filter(|(n, _)| n.ends_with(".weight") || n.ends_with(".bias"))
        .filter(|(n, _)| !n.starts_with("optimizer."))
        .collect()
}

fn all_finite(path: &Path) -> bool {
    parameters(path)
        .iter()
        .all(|(_, v)| v.iter().all(|x| x.is_finite()))
}

/// The `metrics.jsonl` records of a run.
fn records(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect()
}

#[test]
fn a_diverged_run_names_the_op_and_keeps_its_curve_and_its_last_finite_weights() {
    let dir = scratch("diverged");
    let out = dir.join("run");
    let ran = nnc(&[
        "run",
        "models/spiral.nn",
        "--set",
        "lr=100",
        "--out",
        out.to_str().unwrap(),
    ])
    .expect(3);
    // The run says where and names the op to blame.
    assert!(ran.stdout.contains("DIVERGED at step"), "{}", ran.stdout);
    assert!(ran.stderr.contains("error [divergence]"), "{}", ran.stderr);
    let summary = json(&out.join("summary.json"));
    assert!(summary["stop"]["diverged"]["op"].is_string(), "{summary:#}");
    let at = summary["stop"]["diverged"]["step"].as_u64().unwrap();
    // Every step up to the blow-up is in metrics.jsonl, the diverging one last.
    let steps: Vec<serde_json::Value> = records(&out)
        .into_iter()
        .filter(|r| r["kind"] == "step")
        .collect();
    let numbers: Vec<u64> = steps.iter().map(|r| r["step"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (1..=at).collect::<Vec<_>>(), "{steps:#?}");
    let last = steps.last().unwrap();
    assert!(last["loss"].as_f64().unwrap() > 100.0, "{last}");
    assert!(last["penalty"].is_number());
    // The plot draws those points (one polyline of `at` points for the batch loss).
    let svg = std::fs::read_to_string(out.join("loss.svg")).unwrap();
    assert!(svg.contains("train data loss (batch)"));
    assert!(
        svg.split("<polyline").skip(1).any(|p| {
            let points = p.split("points=\"").nth(1).unwrap_or("");
            points.split('"').next().unwrap_or("").split(' ').count() >= at as usize
        }),
        "no curve of {at} points in loss.svg"
    );
    // The last finite weights are kept, named for it, and the summary says so.
    let kept = out.join("checkpoints/last_finite.safetensors");
    assert!(all_finite(&kept));
    assert_eq!(summary["kept"]["which"], "last_finite");
    assert_eq!(summary["kept"]["step"].as_u64().unwrap(), at - 1);
    assert!(
        summary["files"]["checkpoints"]["checkpoints/last_finite.safetensors"].is_string(),
        "{:#}",
        summary["files"]
    );
    assert_eq!(
        parameters(&out.join("weights.safetensors")),
        parameters(&kept)
    );
    assert!(
        ran.stdout
            .contains("weights.safetensors: the last finite weights")
    );
    // One error, listed once, counted once.
    assert_eq!(summary["counts"]["errors"], 1);
    assert!(
        ran.stdout.contains("babysitter: 1 error\n"),
        "{}",
        ran.stdout
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn keep_best_and_keep_last_end_with_the_weights_they_name() {
    let dir = scratch("keep");
    let text = std::fs::read_to_string(root().join("models/digits.nn"))
        .unwrap()
        .replace(
            "data/digits.csv",
            &root().join("models/data/digits.csv").display().to_string(),
        );
    let mut summaries = Vec::new();
    for keep in ["", "keep best", "keep last"] {
        let model = dir.join(format!("digits{}.nn", keep.replace(' ', "_")));
        std::fs::write(
            &model,
            text.replace("  seed 1\n}", &format!("  seed 1\n  {keep}\n}}")),
        )
        .unwrap();
        let out = dir.join(format!("run{}", keep.replace(' ', "_")));
        let args = [
            "run",
            model.to_str().unwrap(),
            "--quiet",
            "--set",
            "n_epochs=12",
            "--set",
            "lr=0.3",
            "--out",
            out.to_str().unwrap(),
        ];
        let ran = nnc(&args).expect(0);
        let summary = json(&out.join("summary.json"));
        summaries.push((keep, out, summary, ran.stdout));
    }
    let (_, default_out, default, _) = &summaries[0];
    let (_, best_out, best, best_text) = &summaries[1];
    let (_, last_out, last, _) = &summaries[2];
    // `keep best` is the default with a validation split, and bit-identical to writing it.
    assert_eq!(default["kept"], best["kept"]);
    assert_eq!(
        parameters(&default_out.join("weights.safetensors")),
        parameters(&best_out.join("weights.safetensors"))
    );
    // keep best: the weights of the best evaluation, whose validation loss the summary reports.
    assert_eq!(best["kept"]["which"], "best");
    assert_eq!(best["kept"]["epoch"], best["best"]["epoch"]);
    assert_eq!(best["val"]["loss"], best["best"]["val"]["loss"]);
    assert_eq!(best["val"]["loss"], best["best_val"]);
    assert_eq!(
        parameters(&best_out.join("weights.safetensors")),
        parameters(&best_out.join("checkpoints/best.safetensors"))
    );
    assert!(
        best_text.contains(&format!(
            "weights.safetensors: the best validation weights, epoch {:.0}",
            best["kept"]["epoch"].as_f64().unwrap()
        )),
        "{best_text}"
    );
    // keep last: the last step's weights and the last evaluation's metrics.
    assert_eq!(last["kept"]["which"], "last");
    assert_eq!(last["kept"]["epoch"], 12.0);
    assert_eq!(last["val"], last["last_val"]);
    assert_eq!(
        parameters(&last_out.join("weights.safetensors")),
        parameters(&last_out.join("checkpoints/last.safetensors"))
    );
    // The runs trained alike: the same best evaluation, and a last one that differs from it.
    assert_eq!(best["best"], last["best"]);
    assert_ne!(
        best["best"]["epoch"], 12.0,
        "the best epoch is the last one: lr too low"
    );
    assert_ne!(best["val"], last["val"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `nnc run … 2>&1 | head -1`: the reader goes away after one line; the run finishes, exits
/// 0 and leaves a complete run directory.
#[cfg(unix)]
#[test]
fn a_closed_pipe_does_not_stop_the_run() {
    use std::io::{BufRead, BufReader};
    let dir = scratch("pipe");
    let out = dir.join("run");
    let mut child = common::spawn_run(&["run", "models/digits.nn", "--set", "n_epochs=8"], &out);
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("data:"), "{first}");
    // Both readers are gone: every later write fails with a broken pipe.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let summary = json(&out.join("summary.json"));
    assert_eq!(summary["stop"], "completed");
    assert!(all_finite(&out.join("weights.safetensors")));
    let epochs = records(&out)
        .iter()
        .filter(|r| r["kind"] == "epoch")
        .count();
    assert_eq!(epochs, 8);
    for file in ["loss.svg", "accuracy.svg", "activations.svg", "model.nn"] {
        assert!(out.join(file).exists(), "{file}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
