//! Every file in models/ runs end to end in the shortened forms its `# quick:` comments give and
//! meets the bands they state; the README quick start trains the spiral with plots; run
//! directories hold what they promise (weights with canonical names, metrics, valid SVG plots),
//! and `nnc eval` reproduces a run's test metric from its saved weights.

mod common;

use common::{json, model_files, nnc, nnc_in, root, scratch};
use std::collections::BTreeSet;
use std::path::Path;

/// One `# quick: ARGS => CONDITION, CONDITION` line of a model file.
struct Quick {
    args: Vec<String>,
    conditions: Vec<String>,
}

fn quick_lines(text: &str) -> Vec<Quick> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# quick:"))
        .map(|l| {
            let (args, conds) = l.split_once("=>").expect("`# quick: ARGS => CONDITIONS`");
            Quick {
                args: args.split_whitespace().map(str::to_string).collect(),
                conditions: conds.split(',').map(|c| c.trim().to_string()).collect(),
            }
        })
        .collect()
}

/// The value of `split.kind` (e.g. `val.accuracy`) in a summary.
fn metric(summary: &serde_json::Value, name: &str) -> f64 {
    let (split, kind) = name.split_once('.').expect("split.kind");
    summary[split][kind]
        .as_f64()
        .unwrap_or_else(|| panic!("no `{name}` in the summary"))
}

/// Checks one condition of a quick line against a run.
fn holds(condition: &str, code: i32, summary: &serde_json::Value) -> Result<(), String> {
    let words: Vec<&str> = condition.split_whitespace().collect();
    let findings = summary["findings"].as_array().cloned().unwrap_or_default();
    match words.as_slice() {
        ["diverged"] => (code == 3 && summary["stop"].get("diverged").is_some())
            .then_some(())
            .ok_or(format!(
                "did not diverge (exit {code}, stop {})",
                summary["stop"]
            )),
        ["finding", check] => findings
            .iter()
            .any(|f| f["check"] == *check && f["severity"] != "info")
            .then_some(())
            .ok_or(format!("no `{check}` finding")),
        ["warnings", "<=", n] => {
            let count = findings.iter().filter(|f| f["severity"] != "info").count();
            (count <= n.parse::<usize>().unwrap())
                .then_some(())
                .ok_or(format!("{count} warnings: {findings:#?}"))
        }
        [name, op, value] => {
            let (x, v) = (metric(summary, name), value.parse::<f64>().unwrap());
            let ok = match *op {
                ">=" => x >= v,
                "<=" => x <= v,
                _ => panic!("unknown comparison `{op}`"),
            };
            ok.then_some(())
                .ok_or(format!("{name} is {x:.4}, wanted {op} {v}"))
        }
        _ => panic!("cannot read the condition `{condition}`"),
    }
}

#[test]
fn every_model_runs_its_quick_checks_and_meets_their_bands() {
    let files = model_files();
    let expected: BTreeSet<&str> = [
        "spiral",
        "digits",
        "wine",
        "deep_bn",
        "maxout",
        "activations",
        "init",
        "search",
    ]
    .into();
    let names: BTreeSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.is_superset(&expected), "models/ has {names:?}");
    let dir = scratch("quick");
    let mut failures = Vec::new();
    for (name, path) in &files {
        let text = std::fs::read_to_string(path).unwrap();
        for needle in ["Demonstrates:", "Expect", "# quick:"] {
            assert!(text.contains(needle), "{name}.nn has no `{needle}` comment");
        }
        for (i, q) in quick_lines(&text).into_iter().enumerate() {
            let out = dir.join(format!("{name}-{i}"));
            let model = format!("models/{name}.nn");
            let mut args = vec!["run", model.as_str(), "--quiet", "--out"];
            let out_text = out.display().to_string();
            args.push(&out_text);
            args.extend(q.args.iter().map(String::as_str));
            let ran = nnc(&args);
            if ran.code != 0 && ran.code != 3 {
                failures.push(format!(
                    "{name} {:?}: exit {}\n{}",
                    q.args, ran.code, ran.stderr
                ));
                continue;
            }
            let summary = json(&out.join("summary.json"));
            for c in &q.conditions {
                if let Err(e) = holds(c, ran.code, &summary) {
                    failures.push(format!("{name} {:?}: {c}: {e}", q.args));
                }
            }
            if !q.conditions.iter().any(|c| c == "diverged") {
                assert_eq!(ran.code, 0, "{name} {:?}: {}", q.args, ran.stderr);
            }
            // A run that expects no finding is silent: no warning, no error.
            let expects_findings = q
                .conditions
                .iter()
                .any(|c| c == "diverged" || c.starts_with("finding") || c.starts_with("warnings"));
            let loud: Vec<&serde_json::Value> = summary["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["severity"] != "info")
                .collect();
            if !expects_findings && !loud.is_empty() {
                failures.push(format!("{name} {:?} is not silent: {loud:#?}", q.args));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The README's first command, in a fresh directory: `nnc run models/spiral.nn` trains the
/// textbook recipe to its stated band without a warning and leaves `runs/spiral_mlp/1/`.
#[test]
fn the_quick_start_trains_the_spiral_with_plots() {
    let dir = scratch("quick-start");
    let model = root().join("models/spiral.nn");
    let ran = nnc_in(&dir, &["run", model.to_str().unwrap()]).expect(0);
    assert!(
        ran.stdout.contains("run `spiral_mlp` completed"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("babysitter: no warnings"),
        "{}",
        ran.stdout
    );
    let run = dir.join("runs/spiral_mlp/1");
    for f in [
        "model.nn",
        "experiment.json",
        "metrics.jsonl",
        "summary.json",
        "weights.safetensors",
        "loss.svg",
        "accuracy.svg",
        "activations.svg",
        "checkpoints/last.safetensors",
    ] {
        assert!(run.join(f).exists(), "no {f}");
    }
    let events = std::fs::read_dir(&run)
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with("events.out.tfevents.")
        })
        .count();
    assert_eq!(events, 1, "one TensorBoard event file");
    let summary = json(&run.join("summary.json"));
    assert!(metric(&summary, "train.accuracy") >= 0.97, "{summary:#}");
    assert_eq!(summary["steps"], 10_000);
    // The time to the first step: after the command started, before the run ended.
    let ready = summary["seconds_to_first_step"].as_f64().unwrap();
    let seconds = summary["seconds"].as_f64().unwrap();
    assert!(ready > 0.0 && ready < 60.0 + seconds, "{summary:#}");
    assert!(ran.stderr.contains("ready after "), "{}", ran.stderr);
    assert!(ran.stdout.contains("(first step after "), "{}", ran.stdout);
    assert_eq!(
        summary["initial_loss"].as_f64().map(|l| (l * 1e4).round()),
        Some(10986.0)
    );
    // The log lines: one per `log every: 1000 steps`.
    assert_eq!(
        ran.stderr.matches("\nstep ").count() + usize::from(ran.stderr.starts_with("step ")),
        10,
        "{}",
        ran.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn svg_texts(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not valid XML: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let lines = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .count();
    assert!(lines >= 1, "{}: no curve", path.display());
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect()
}

/// The full digits recipe: quiet, in its stated band; its run directory holds parseable
/// metrics, valid plots with the expected series, and weights that `nnc eval` turns back into
/// the run's test metric.
#[test]
fn the_digits_run_is_healthy_and_eval_reproduces_it() {
    let dir = scratch("digits");
    let out = dir.join("run");
    let ran = nnc(&["run", "models/digits.nn", "--out", out.to_str().unwrap()]).expect(0);
    assert!(
        ran.stdout.contains("babysitter: no warnings"),
        "{}",
        ran.stdout
    );
    let summary = json(&out.join("summary.json"));
    assert!(metric(&summary, "val.accuracy") >= 0.96, "{summary:#}");
    assert!(metric(&summary, "test.accuracy") >= 0.95, "{summary:#}");
    assert_eq!(summary["data"]["train"], 1259);
    assert_eq!(summary["stop"], "completed");

    // metrics.jsonl: one object per line, steps and epochs, every epoch evaluated.
    let text = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    let epochs: Vec<&serde_json::Value> = records.iter().filter(|r| r["kind"] == "epoch").collect();
    assert_eq!(epochs.len(), 40);
    assert!(epochs.iter().all(|e| e["val"]["accuracy"].is_number()));
    assert!(
        records
            .iter()
            .any(|r| r["kind"] == "step" && r["loss"].is_number())
    );

    // Plots.
    let loss = svg_texts(&out.join("loss.svg"));
    for series in [
        "train data loss (batch)",
        "train data loss + penalty (batch)",
        "train data loss (epoch mean)",
        "val data loss",
    ] {
        assert!(
            loss.iter().any(|t| t == series),
            "loss.svg lacks `{series}`: {loss:?}"
        );
    }
    let accuracy = svg_texts(&out.join("accuracy.svg"));
    assert!(
        accuracy.iter().any(|t| t.starts_with("train"))
            && accuracy.iter().any(|t| t == "validation"),
        "{accuracy:?}"
    );
    let activations = svg_texts(&out.join("activations.svg"));
    assert!(
        activations.iter().any(|t| t == "relu1 std")
            && activations.iter().any(|t| t == "relu2 std"),
        "{activations:?}"
    );

    // The resolved model file checks clean from where the original lives.
    let resolved = std::fs::read_to_string(out.join("model.nn")).unwrap();
    assert!(resolved.contains("# Resolved by `nnc run`"));

    // eval: the test metric of the run, from the saved weights.
    let weights = out.join("weights.safetensors");
    let ran = nnc(&[
        "eval",
        "models/digits.nn",
        "--weights",
        weights.to_str().unwrap(),
        "--format",
        "json",
    ])
    .expect(0);
    let record: serde_json::Value = serde_json::from_str(ran.stdout.trim()).unwrap();
    assert_eq!(record["type"], "eval");
    assert_eq!(record["split"], "test");
    assert_eq!(record["metrics"]["accuracy"], summary["test"]["accuracy"]);
    let (a, b) = (
        record["metrics"]["loss"].as_f64().unwrap(),
        summary["test"]["loss"].as_f64().unwrap(),
    );
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
    let confusion = record["confusion"].as_array().unwrap();
    assert_eq!(confusion.len(), 10);
    // Text form: the matrix with class names.
    let ran = nnc(&[
        "eval",
        "models/digits.nn",
        "--weights",
        weights.to_str().unwrap(),
        "--split",
        "val",
    ])
    .expect(0);
    assert!(ran.stdout.starts_with("val: loss"), "{}", ran.stdout);
    assert!(ran.stdout.contains("confusion matrix (val)"));
    // Weights of another architecture are refused, naming what is missing.
    let ran = nnc(&[
        "eval",
        "models/wine.nn",
        "--weights",
        weights.to_str().unwrap(),
    ])
    .expect(2);
    assert!(
        ran.stderr
            .contains("the weights do not belong to this model")
            && ran.stderr.contains("`models/wine.nn` builds `wine_mlp`"),
        "{}",
        ran.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `weights.safetensors` opens with the safetensors crate and holds every parameter and buffer
/// of the model under its canonical name (plus the preprocessing statistics).
#[test]
fn weights_hold_every_parameter_and_buffer_under_canonical_names() {
    let dir = scratch("weights");
    let out = dir.join("run");
    nnc(&[
        "run",
        "models/deep_bn.nn",
        "--quiet",
        "--set",
        "n_epochs=1",
        "--out",
        out.to_str().unwrap(),
    ])
    .expect(0);
    let bytes = std::fs::read(out.join("weights.safetensors")).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("a safetensors file");
    let names: BTreeSet<String> = file.names().into_iter().map(str::to_string).collect();

    // What the model file builds, by the library's own account.
    let text = std::fs::read_to_string(root().join("models/deep_bn.nn")).unwrap();
    let probe = nnc_dsl::lower::FileProbe::new();
    let checked =
        nnc_dsl::check(&text, &root().join("models/deep_bn.nn"), &[], &probe).expect("checks");
    let compiled = nnc_dsl::lower::compile(&checked.experiment, &Default::default()).unwrap();
    let model = compiled.model.build(0).unwrap();
    let mut expected: BTreeSet<String> = model
        .params()
        .ids()
        .map(|id| model.params().name(id).to_string())
        .collect();
    expected.extend(model.buffers().map(|b| b.name.to_string()));
    for stat in ["preprocess.0.center.mean", "preprocess.1.normalize.std"] {
        expected.insert(stat.to_string());
    }
    assert_eq!(names, expected);
    for (i, layer) in (1..=8).map(|i| (i, format!("batchnorm{i}"))) {
        for part in ["gamma", "beta", "running_mean", "running_var"] {
            assert!(
                names.contains(&format!("{layer}.{part}")),
                "batchnorm{i}.{part}"
            );
        }
        assert!(
            !names.contains(&format!("dense{i}.bias")),
            "no bias before batchnorm"
        );
    }
    assert!(names.contains("dense9.bias"));
    let w = file.tensor("dense1.weight").unwrap();
    assert_eq!(w.shape(), &[64, 64]);
    assert_eq!(w.dtype(), safetensors::Dtype::F32);
    // The metadata carries the preprocessing pipeline exactly.
    // (nnc keeps its metadata map as JSON under one key, so the file's bytes are stable.)
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap_or_default();
    let meta: serde_json::Value = serde_json::from_str(&meta["nnc"]).unwrap();
    assert!(meta["nnc.preprocess"].is_string(), "{meta:#}");
    assert_eq!(meta["nnc.model"], "deep_bn");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Ctrl-C stops a run cleanly: exit code 130, the last checkpoint and the weights are written,
/// and the summary says so.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_and_keeps_the_last_checkpoint() {
    use std::process::Command;
    use std::time::{Duration, Instant};
    let dir = scratch("ctrl-c");
    let out = dir.join("run");
    let child = common::spawn_run(&["run", "models/spiral.nn", "--set", "iters=1000000"], &out);
    // Wait until the run directory is written (training starts right after), then a little.
    let started = Instant::now();
    while !out.join("experiment.json").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(700));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = json(&out.join("summary.json"));
    assert_eq!(summary["stop"], "interrupted");
    assert!(summary["steps"].as_u64().unwrap() < 1_000_000);
    let last = std::fs::read(out.join("checkpoints/last.safetensors")).unwrap();
    let file = safetensors::SafeTensors::deserialize(&last).expect("a whole checkpoint");
    assert!(file.names().contains(&"dense1.weight"));
    // The weights are whole and finite, and every step record up to the interruption is in
    // metrics.jsonl (flushed as it goes).
    let weights = std::fs::read(out.join("weights.safetensors")).unwrap();
    let weights = safetensors::SafeTensors::deserialize(&weights).expect("whole weights");
    for (name, view) in weights.tensors() {
        assert!(
            view.data()
                .chunks_exact(4)
                .all(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]).is_finite()),
            "{name}"
        );
    }
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let logged: Vec<u64> = metrics
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["kind"] == "step")
        .map(|r| r["step"].as_u64().unwrap())
        .collect();
    let steps = summary["steps"].as_u64().unwrap();
    // Every 1000 steps: the file's `log every:`, rarer than the 500 points of the curve.
    let every = 1000;
    assert_eq!(
        logged.len() as u64,
        steps / every,
        "{steps} steps, logged {logged:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
