//! The output directories and writing files into them: `--out` directories, the numbered run
//! and search directories under `runs/<model>/`, and whole-file writes with errors that name
//! the file.
//!
//! ```text
//! runs/<model>/<n>/           a run (see crate::run)
//! runs/<model>/search-<n>/    a search (see crate::search::files)
//! ```

use crate::exit::failure;
use crate::exit::{Failure, USAGE};
use std::path::{Path, PathBuf};

/// The files a run writes into its directory.
const RUN_FILES: [&str; 10] = [
    "model.nn",
    "experiment.json",
    "metrics.jsonl",
    "summary.json",
    "weights.safetensors",
    "checkpoints/last.safetensors",
    "checkpoints/best.safetensors",
    "loss.svg",
    "accuracy.svg",
    "activations.svg",
];

/// The search header's file name: what a search was started with.
pub const SEARCH_HEADER: &str = "search.json";
/// The search's trial records' file name.
pub const SEARCH_TRIALS: &str = "trials.jsonl";
/// The files a search writes at its end, which a new search must not overwrite.
const SEARCH_RESULTS: [&str; 3] = ["leaderboard.txt", "best.nn", "summary.json"];
/// The prefix of the numbered search directories.
const SEARCH_PREFIX: &str = "search-";

/// Writes `text` to `path`.
pub fn write(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text)
        .map_err(|e| failure(format!("cannot write `{}`: {e}", path.display())))
}

/// Creates the output directory `dir` that `flag` names, with its parents. A path that is (or
/// lies under) an existing file is bad usage (exit code 2) naming that file, rather than the
/// bare "File exists" or "Not a directory" of the file system; other errors exit with code 1.
pub fn create_out_dir(dir: &Path, flag: &str) -> Result<(), Failure> {
    if let Some(file) = dir.ancestors().find(|p| p.exists() && !p.is_dir()) {
        return Err(Failure::new(
            USAGE,
            format!(
                "cannot create `{}`: `{}` is a file, not a directory",
                dir.display(),
                file.display()
            ),
        )
        .hint(format!(
            "give {flag} a directory: a new one is created, an existing one is reused"
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| failure(format!("cannot create `{}`: {e}", dir.display())))
}

/// A model name usable as a directory name.
pub fn sanitize(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "model".into() } else { s }
}

/// `runs/<model>/`, where a model's runs and searches are numbered.
fn runs_dir(model: &str) -> PathBuf {
    Path::new("runs").join(sanitize(model))
}

/// The highest `n` of the `<prefix><n>` directories in `parent`.
fn latest_number(parent: &Path, prefix: &str) -> Option<u64> {
    std::fs::read_dir(parent)
        .ok()?
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_prefix(prefix)?
                .parse::<u64>()
                .ok()
        })
        .max()
}

/// Creates the first free `<parent>/<prefix><n>/` after the highest existing `n` (n = 1, 2,
/// …), and `parent` with it.
fn create_numbered(parent: &Path, prefix: &str) -> Result<PathBuf, Failure> {
    create_out_dir(parent, "--out")?;
    let mut n = latest_number(parent, prefix).unwrap_or(0) + 1;
    loop {
        let dir = parent.join(format!("{prefix}{n}"));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            // Another run took this number at the same moment: take the next one.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => return Err(failure(format!("cannot create `{}`: {e}", dir.display()))),
        }
    }
}

/// The first of `files` that `dir` holds, as the error that `what` (a run, a search) would
/// overwrite it, with `hint`.
fn refuse_overwrite(dir: &Path, files: &[&str], what: &str, hint: &str) -> Result<(), Failure> {
    match files.iter().find(|f| dir.join(f).exists()) {
        Some(file) => Err(Failure::new(
            USAGE,
            format!(
                "`{}` already holds `{file}`, which the {what} would overwrite",
                dir.display()
            ),
        )
        .hint(hint)),
        None => Ok(()),
    }
}

/// Creates the run directory: `out` when given (it may exist, but not hold another run or any
/// file a run writes), else the first free `runs/<model>/<n>/` (n = 1, 2, ...).
pub fn create_run_dir(out: Option<&Path>, model: &str) -> Result<PathBuf, Failure> {
    let Some(dir) = out else {
        return create_numbered(&runs_dir(model), "");
    };
    if dir.join("summary.json").exists() || dir.join("metrics.jsonl").exists() {
        return Err(
            Failure::new(USAGE, format!("`{}` already holds a run", dir.display())).hint(
                "choose another --out directory, or leave it out to number runs automatically",
            ),
        );
    }
    // Never overwrite what the user keeps there (`--out .` next to a `model.nn`).
    refuse_overwrite(
        dir,
        &RUN_FILES,
        "run",
        "choose a new or empty --out directory, or leave it out to number runs automatically",
    )?;
    create_out_dir(dir, "--out")?;
    Ok(dir.to_path_buf())
}

/// The directory of a new search: `out` when given (it must not hold a search already, nor a
/// leaderboard, best.nn or summary), else the first free `runs/<model>/search-<n>/`.
pub fn new_search_dir(out: Option<&Path>, model: &str) -> Result<PathBuf, Failure> {
    let Some(dir) = out else {
        return create_numbered(&runs_dir(model), SEARCH_PREFIX);
    };
    if dir.join(SEARCH_HEADER).exists() || dir.join(SEARCH_TRIALS).exists() {
        return Err(
            Failure::new(USAGE, format!("`{}` already holds a search", dir.display()))
                .hint("add --resume to continue it, or choose another --out directory"),
        );
    }
    // Never overwrite what the user keeps there (`--out .` next to a `best.nn`).
    refuse_overwrite(
        dir,
        &SEARCH_RESULTS,
        "search",
        "choose a new or empty --out directory",
    )?;
    create_out_dir(dir, "--out")?;
    Ok(dir.to_path_buf())
}

/// The directory of a search to resume: `out` when given, else the latest
/// `runs/<model>/search-<n>/`.
pub fn resume_dir(out: Option<&Path>, model: &str) -> Result<PathBuf, Failure> {
    let dir = match out {
        Some(dir) => dir.to_path_buf(),
        None => {
            let parent = runs_dir(model);
            let n = latest_number(&parent, SEARCH_PREFIX).ok_or_else(|| {
                Failure::new(
                    USAGE,
                    format!(
                        "there is no search of `{model}` to resume in `{}`",
                        parent.display()
                    ),
                )
                .hint("start one without --resume, or give its directory with --out")
            })?;
            parent.join(format!("{SEARCH_PREFIX}{n}"))
        }
    };
    if !dir.join(SEARCH_HEADER).exists() {
        return Err(Failure::new(
            USAGE,
            format!(
                "`{}` holds no search to resume (no {SEARCH_HEADER})",
                dir.display()
            ),
        )
        .hint("give the directory of an earlier `nnc search` with --out"));
    }
    Ok(dir)
}

/// Refuses an `--out` that is one of the command's own input files (the same file by any
/// path), so a slip of the flag cannot destroy what the user had.
pub fn refuse_overwriting(target: &Path, inputs: &[&Path]) -> Result<(), Failure> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if let Some(input) = inputs.iter().find(|i| same(target, i)) {
        return Err(Failure::new(
            USAGE,
            format!(
                "--out `{}` is an input of this command (`{}`); it would be overwritten",
                target.display(),
                input.display()
            ),
        )
        .hint("give --out a new file"));
    }
    Ok(())
}
