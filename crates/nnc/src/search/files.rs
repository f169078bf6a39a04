//! The search directory, and `trials.jsonl`, which an interrupted search resumes from.
//!
//! ```text
//! runs/<model>/search-<n>/
//!   search.json        what was searched: model file, --set overrides, the plan, k-fold
//!   trials.jsonl       one record per finished trial, appended as each finishes
//!   leaderboard.txt    every trial ranked, best first
//!   best.nn            the model file with the best trial's values written in
//!   summary.json       the best trial, counts and the warnings
//!   plots/<param>.svg  the metric of every trial against each numeric hyperparameter
//! ```

use crate::commands::failure;
use crate::exit::{Failure, USAGE};
use nnc_train::search::{SearchPlan, TrialRecord};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a search directory was started with; a resumed search must match it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHeader {
    /// The model file, as given on the command line.
    pub model: String,
    /// A hash of its text ([`content_hash`]): a resumed search must run the same file.
    pub model_hash: String,
    /// The `--set` overrides.
    pub overrides: Vec<String>,
    /// The sampler seed given with `--seed`, if any.
    pub seed: Option<u64>,
    /// The plan (strategy and sampler seed, space, stages, metric, goal).
    pub plan: SearchPlan,
    /// `validate kfold(k)`.
    pub kfold: Option<u64>,
}

/// The directory of a new search: `out` when given (it must not hold a search already, nor a
/// leaderboard, best.nn or summary), else the first free `runs/<model>/search-<n>/`.
pub fn new_search_dir(out: Option<&Path>, model: &str) -> Result<PathBuf, Failure> {
    let cannot =
        |p: &Path, e: std::io::Error| failure(format!("cannot create `{}`: {e}", p.display()));
    if let Some(dir) = out {
        if dir.join(HEADER).exists() || dir.join(TRIALS).exists() {
            return Err(
                Failure::new(USAGE, format!("`{}` already holds a search", dir.display()))
                    .hint("add --resume to continue it, or choose another --out directory"),
            );
        }
        // Never overwrite what the user keeps there (`--out .` next to a `best.nn`).
        if let Some(file) = ["leaderboard.txt", "best.nn", "summary.json"]
            .iter()
            .find(|f| dir.join(f).exists())
        {
            return Err(Failure::new(
                USAGE,
                format!(
                    "`{}` already holds `{file}`, which the search would overwrite",
                    dir.display()
                ),
            )
            .hint("choose a new or empty --out directory"));
        }
        crate::commands::create_out_dir(dir, "--out")?;
        return Ok(dir.to_path_buf());
    }
    let parent = runs_dir(model);
    crate::commands::create_out_dir(&parent, "--out")?;
    let mut n = latest_number(&parent).unwrap_or(0) + 1;
    loop {
        let dir = parent.join(format!("search-{n}"));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => return Err(cannot(&dir, e)),
        }
    }
}

/// The directory of a search to resume: `out` when given, else the latest
/// `runs/<model>/search-<n>/`.
pub fn resume_dir(out: Option<&Path>, model: &str) -> Result<PathBuf, Failure> {
    let dir = match out {
        Some(dir) => dir.to_path_buf(),
        None => {
            let parent = runs_dir(model);
            let n = latest_number(&parent).ok_or_else(|| {
                Failure::new(
                    USAGE,
                    format!(
                        "there is no search of `{model}` to resume in `{}`",
                        parent.display()
                    ),
                )
                .hint("start one without --resume, or give its directory with --out")
            })?;
            parent.join(format!("search-{n}"))
        }
    };
    if !dir.join(HEADER).exists() {
        return Err(Failure::new(
            USAGE,
            format!(
                "`{}` holds no search to resume (no {HEADER})",
                dir.display()
            ),
        )
        .hint("give the directory of an earlier `nnc search` with --out"));
    }
    Ok(dir)
}

fn runs_dir(model: &str) -> PathBuf {
    Path::new("runs").join(crate::run::files::sanitize(model))
}

/// The highest `n` of the `search-<n>` directories in `parent`.
fn latest_number(parent: &Path) -> Option<u64> {
    std::fs::read_dir(parent)
        .ok()?
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_prefix("search-")?
                .parse::<u64>()
                .ok()
        })
        .max()
}

/// A stable 64-bit FNV-1a hash of `text`, in hex.
pub fn content_hash(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// The header file's name.
pub const HEADER: &str = "search.json";
/// The trial records' file name.
pub const TRIALS: &str = "trials.jsonl";

/// Writes the header of a new search.
pub fn write_header(dir: &Path, header: &SearchHeader) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(header)
        .map_err(|e| failure(format!("cannot describe the search in {HEADER}: {e}")))?;
    crate::run::files::write(&dir.join(HEADER), &text)
}

/// Reads the header of a search to resume and checks that it describes this search.
pub fn check_header(dir: &Path, header: &SearchHeader) -> Result<(), Failure> {
    let path = dir.join(HEADER);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| failure(format!("cannot read `{}`: {e}", path.display())))?;
    let saved: SearchHeader = serde_json::from_str(&text).map_err(|e| {
        failure(format!("`{}` is not a search header: {e}", path.display()))
            .hint("it was not written by `nnc search`, or was edited")
    })?;
    let differs = [
        (
            saved.model_hash != header.model_hash,
            "model file (its text changed)",
        ),
        (saved.overrides != header.overrides, "--set overrides"),
        (saved.seed != header.seed, "--seed"),
        (
            saved.plan != header.plan || saved.kfold != header.kfold,
            "search section or --trials",
        ),
    ];
    let what: Vec<&str> = differs
        .iter()
        .filter(|(d, _)| *d)
        .map(|(_, w)| *w)
        .collect();
    if what.is_empty() {
        return Ok(());
    }
    Err(Failure::new(
        USAGE,
        format!(
            "the search in `{}` was started with another {}",
            dir.display(),
            what.join(", ")
        ),
    )
    .hint(format!(
        "resume with the same model file and flags as it was started with (see {HEADER}), or start a new search without --resume"
    )))
}

/// The records of `trials.jsonl` (none if the file does not exist). A last line cut short (the
/// process was killed while writing it) is dropped, and the file rewritten without it, so
/// appending continues on a fresh line; any other bad line is an error naming it.
pub fn read_trials(dir: &Path) -> Result<Vec<TrialRecord>, Failure> {
    let path = dir.join(TRIALS);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(failure(format!("cannot read `{}`: {e}", path.display()))),
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut records = Vec::new();
    let mut cut = false;
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<TrialRecord>(line) {
            Ok(r) => records.push(r),
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => cut = true,
            Err(e) => {
                return Err(failure(format!(
                    "{}:{}: not a trial record: {e}",
                    path.display(),
                    i + 1
                ))
                .hint(
                    "the file was edited; remove the line (its trial will run again) and resume",
                ));
            }
        }
    }
    if cut || (!text.is_empty() && !text.ends_with('\n')) {
        let mut clean = String::new();
        for r in &records {
            clean.push_str(&record_line(r));
        }
        crate::run::files::write(&path, &clean)?;
    }
    Ok(records)
}

/// A record as one line of JSON, newline included.
pub fn record_line(record: &TrialRecord) -> String {
    let mut line = serde_json::to_string(record).unwrap_or_default();
    line.push('\n');
    line
}

/// Appends records to `trials.jsonl`, one whole line per write, synced, so an interrupted or
/// killed search keeps every finished trial.
pub struct TrialsWriter {
    file: std::fs::File,
    path: PathBuf,
}

impl TrialsWriter {
    /// Opens `trials.jsonl` of `dir` for appending.
    pub fn open(dir: &Path) -> Result<TrialsWriter, Failure> {
        let path = dir.join(TRIALS);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| failure(format!("cannot open `{}`: {e}", path.display())))?;
        Ok(TrialsWriter { file, path })
    }

    /// Appends one record.
    pub fn append(&mut self, record: &TrialRecord) -> Result<(), String> {
        self.file
            .write_all(record_line(record).as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| format!("cannot append to `{}`: {e}", self.path.display()))
    }
}
