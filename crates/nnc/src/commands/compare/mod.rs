//! `nnc compare RUN_DIR…`: the runs side by side — the params that differ between them, the
//! final and best metrics, the findings and the time — read from each run's `summary.json`;
//! the quick look before opening TensorBoard. A search directory stands for its refit run
//! (`refit/`). [`table`] lays the table out.

pub mod table;

use crate::exit::{BAD_MODEL, CommandResult, Failure, OK, USAGE};
use crate::output::Output;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A split's final metrics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SplitMetrics {
    /// Mean data loss.
    pub loss: f64,
    /// Accuracy (absent for regression).
    pub accuracy: Option<f64>,
}

/// The best validation evaluation of a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Best {
    /// Epochs completed at the evaluation.
    pub epoch: f64,
    /// Its validation metrics.
    pub val: SplitMetrics,
}

/// Findings by severity, as `summary.json` counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    /// Errors.
    pub errors: u64,
    /// Warnings.
    pub warnings: u64,
    /// Notes (information with advice).
    pub notes: u64,
}

/// One run, as `nnc compare` reads it from its `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunInfo {
    /// The run directory, as given (a search directory's is its `refit/`).
    pub dir: PathBuf,
    /// The model's name.
    pub model: String,
    /// Every param of the model file, its value as written (`0.01`, `relu`).
    pub params: BTreeMap<String, String>,
    /// The training seed.
    pub seed: Option<u64>,
    /// How the run ended (`completed`, `early_stopped`, `diverged`, `interrupted`).
    pub stop: String,
    /// Steps done.
    pub steps: u64,
    /// Epochs done.
    pub epochs: f64,
    /// Training time in seconds.
    pub seconds: f64,
    /// Final metrics per split (`train`, `val`, `test`), of the splits the run has.
    pub last: BTreeMap<String, SplitMetrics>,
    /// The best validation evaluation, if the run validated.
    pub best: Option<Best>,
    /// Findings by severity.
    pub findings: Counts,
}

/// Runs `nnc compare`.
pub fn compare(dirs: &[PathBuf], out: &Output) -> CommandResult {
    let runs = dirs
        .iter()
        .map(|d| read_run(d))
        .collect::<Result<Vec<_>, _>>()?;
    let same = |a: &Path, b: &Path| a.canonicalize().ok() == b.canonicalize().ok();
    if let Some((i, j)) = (0..runs.len())
        .flat_map(|j| (0..j).map(move |i| (i, j)))
        .find(|&(i, j)| same(&runs[i].dir, &runs[j].dir))
    {
        return Err(Failure::new(
            USAGE,
            format!(
                "`{}` and `{}` are the same run",
                dirs[i].display(),
                dirs[j].display()
            ),
        )
        .hint("give each run directory once"));
    }
    let differing = differing_params(&runs);
    let width = crate::output::terminal_width(false).unwrap_or(80);
    out.result(&table::render(&runs, &differing, width));
    out.record(
        "compare",
        &serde_json::json!({ "differing_params": differing, "runs": runs }),
    );
    Ok(OK)
}

/// The names of the params (and `seed`) whose values are not the same in every run.
pub fn differing_params(runs: &[RunInfo]) -> Vec<String> {
    let mut names: Vec<&String> = runs.iter().flat_map(|r| r.params.keys()).collect();
    names.sort();
    names.dedup();
    let mut out: Vec<String> = names
        .into_iter()
        .filter(|n| {
            runs.windows(2)
                .any(|w| w[0].params.get(*n) != w[1].params.get(*n))
        })
        .cloned()
        .collect();
    if runs.windows(2).any(|w| w[0].seed != w[1].seed) {
        out.push("seed".to_string());
    }
    out
}

/// The run directory `dir` stands for: itself, or a search directory's refit run.
fn run_dir(dir: &Path) -> Result<PathBuf, Failure> {
    // A run's summary.json given for its directory.
    if dir.file_name().is_some_and(|n| n == "summary.json") && dir.is_file() {
        return run_dir(dir.parent().unwrap_or(Path::new(".")));
    }
    let hint = "give run directories (`nnc run` prints its run directory at the end), e.g. \
                runs/<model>/1";
    if !dir.exists() {
        return Err(Failure::new(USAGE, format!("`{}` does not exist", dir.display())).hint(hint));
    }
    let is_search = dir.join(crate::shared::files::SEARCH_HEADER).exists();
    if is_search {
        let refit = dir.join("refit");
        if refit.join("summary.json").is_file() {
            return Ok(refit);
        }
        return Err(Failure::new(
            USAGE,
            format!(
                "`{}` is a search directory without a refit run",
                dir.display()
            ),
        )
        .hint("its trials are ranked in leaderboard.txt; compare run directories"));
    }
    if !dir.join("summary.json").is_file() {
        let why = if dir.join("metrics.jsonl").is_file() {
            "no summary.json: the run did not finish"
        } else {
            "no summary.json"
        };
        return Err(Failure::new(
            USAGE,
            format!("`{}` is not a run directory ({why})", dir.display()),
        )
        .hint(hint));
    }
    Ok(dir.to_path_buf())
}

/// Reads the run in `dir` (a run directory, or a search directory's refit).
pub fn read_run(dir: &Path) -> Result<RunInfo, Failure> {
    let dir = run_dir(dir)?;
    let path = dir.join("summary.json");
    let bad = |why: String| {
        Failure::new(
            BAD_MODEL,
            format!("cannot read `{}`: {why}", path.display()),
        )
        .hint("it was not written by `nnc run`, or was edited; run the model again")
    };
    let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
    let s: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let (Some(steps), Some(model)) = (s["steps"].as_u64(), s["model"].as_str()) else {
        return Err(bad("it is not the summary of a run".to_string()));
    };
    let last = ["train", "val", "test"]
        .into_iter()
        .filter_map(|split| Some((split.to_string(), split_metrics(&s[split])?)))
        .collect();
    let best = split_metrics(&s["best"]["val"]).map(|val| Best {
        epoch: s["best"]["epoch"].as_f64().unwrap_or(f64::NAN),
        val,
    });
    let count = |k: &str| s["counts"][k].as_u64().unwrap_or(0);
    Ok(RunInfo {
        dir,
        model: model.to_string(),
        params: params(&s["params"]),
        seed: s["seed"].as_u64(),
        stop: stop_name(&s["stop"]),
        steps,
        epochs: s["epochs"].as_f64().unwrap_or(f64::NAN),
        seconds: s["seconds"].as_f64().unwrap_or(f64::NAN),
        last,
        best,
        findings: Counts {
            errors: count("errors"),
            warnings: count("warnings"),
            notes: count("notes"),
        },
    })
}

/// A split's metrics from `{"loss": …, "accuracy": …}` (`None` for `null`; a non-number
/// loss, as JSON writes NaN, is NaN).
fn split_metrics(v: &serde_json::Value) -> Option<SplitMetrics> {
    let m = v.as_object()?;
    Some(SplitMetrics {
        loss: m.get("loss").and_then(|l| l.as_f64()).unwrap_or(f64::NAN),
        accuracy: m.get("accuracy").and_then(|a| a.as_f64()),
    })
}

/// `"completed"`, or the name of a stop with details (`{"diverged": {…}}` → `diverged`).
fn stop_name(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(m) => m.keys().next().cloned().unwrap_or_default(),
        _ => "unknown".to_string(),
    }
}

/// The params of `summary.json` (`{"lr": {"type": "number", "value": 0.01}}`), each value
/// as written.
fn params(v: &serde_json::Value) -> BTreeMap<String, String> {
    let Some(map) = v.as_object() else {
        return BTreeMap::new();
    };
    map.iter()
        .map(|(name, p)| (name.clone(), param_text(&p["value"])))
        .collect()
}

/// A param's value as written: numbers in their shortest form (`0.01`, `5`, `1e-5`), strings
/// bare, anything else as JSON.
pub fn param_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
            Some(x) if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e6) => format!("{x:e}"),
            Some(x) => format!("{x}"),
            None => n.to_string(),
        },
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::param_text;
    use serde_json::json;

    #[test]
    fn param_values_read_as_written() {
        assert_eq!(param_text(&json!(0.01)), "0.01");
        assert_eq!(param_text(&json!(5.0)), "5");
        assert_eq!(param_text(&json!(1e-5)), "1e-5");
        assert_eq!(param_text(&json!("relu")), "relu");
        assert_eq!(param_text(&json!({"kind": "relu"})), r#"{"kind":"relu"}"#);
    }
}
