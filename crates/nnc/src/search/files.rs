//! The search directory's files: `search.json`, and `trials.jsonl`, which an interrupted search
//! resumes from. The directory itself is made (or found again) by
//! [`crate::shared::files::new_search_dir`] and [`crate::shared::files::resume_dir`].
//!
//! ```text
//! runs/<model>/search-<n>/
//!   search.json        what was searched: model file, --set overrides, the plan, k-fold
//!   trials.jsonl       one record per finished trial, appended as each finishes
//!   leaderboard.txt    every trial ranked, best first
//!   best.nn            the model file with the best trial's values written in
//!   summary.json       the best trial, counts and the warnings
//!   plots/<param>.svg  the metric of every trial against each numeric hyperparameter
//!   trials/<t>/        trial t's TensorBoard event file (trials/<t>/fold-<k>/ per fold)
//! ```

use crate::exit::failure;
use crate::exit::{Failure, USAGE};
use crate::shared::files::write;
use crate::shared::files::{SEARCH_HEADER, SEARCH_TRIALS};
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

/// A stable 64-bit FNV-1a hash of `text`, in hex.
pub fn content_hash(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Writes the header of a new search.
pub fn write_header(dir: &Path, header: &SearchHeader) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(header).map_err(|e| {
        failure(format!(
            "cannot describe the search in {SEARCH_HEADER}: {e}"
        ))
    })?;
    write(&dir.join(SEARCH_HEADER), &text)
}

/// Reads the header of a search to resume and checks that it describes this search.
pub fn check_header(dir: &Path, header: &SearchHeader) -> Result<(), Failure> {
    let path = dir.join(SEARCH_HEADER);
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
        "resume with the same model file and flags as it was started with (see {SEARCH_HEADER}), or start a new search without --resume"
    )))
}

/// The records of `trials.jsonl` (none if the file does not exist). A last line cut short (the
/// process was killed while writing it) is dropped, and the file rewritten without it, so
/// appending continues on a fresh line; any other bad line is an error naming it.
pub fn read_trials(dir: &Path) -> Result<Vec<TrialRecord>, Failure> {
    let path = dir.join(SEARCH_TRIALS);
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
        write(&path, &clean)?;
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
        let path = dir.join(SEARCH_TRIALS);
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
