//! The run directory's layout, and the model file as run. The directory itself is made by
//! [`crate::shared::files::create_run_dir`]; the weights are written by
//! [`crate::shared::weights::write_weights`].
//!
//! ```text
//! runs/<model>/<n>/
//!   model.nn              the model file as run (overridden params rewritten, a header comment)
//!   experiment.json       the resolved experiment (every default filled in)
//!   metrics.jsonl         one JSON object per logged step and per (thinned) epoch
//!   summary.json          metrics, timings, findings, data and run settings
//!   weights.safetensors   parameters, buffers and preprocessing statistics
//!   checkpoints/          last.safetensors and best.safetensors (resumable)
//!   loss.svg accuracy.svg activations.svg
//! ```

use crate::load::Loaded;
use nnc_dsl::{Experiment, Override};
use std::path::Path;

/// The model file as run: overridden `param` declarations rewritten with their values, and a
/// header comment saying how it was run.
pub fn resolved_model(loaded: &Loaded, seed: Option<u64>, command: &str, dest: &Path) -> String {
    resolved_text(
        &loaded.path,
        &loaded.text,
        &loaded.overrides,
        &loaded.checked.experiment,
        seed,
        command,
        dest,
    )
}

/// [`resolved_model`] from its parts: the file's path and text, the overrides, and the
/// experiment they checked into; `dest` is the directory the file is written to.
pub fn resolved_text(
    path: &Path,
    source: &str,
    overrides: &[Override],
    e: &Experiment,
    seed: Option<u64>,
    command: &str,
    dest: &Path,
) -> String {
    // Data paths are rewritten relative to `dest` where they are written: in the data
    // sources and in `param`s (a path may be a param); nowhere else (comments, labels).
    let base = &e.base_dir;
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for p in &e.params {
        let range = p.span.start..p.span.end;
        let overridden = p
            .overridden
            .then(|| overrides.iter().rev().find(|o| o.name == p.name))
            .flatten();
        match overridden {
            Some(o) => {
                let value = rebase_paths(o.text[o.value_start..].trim(), base, dest);
                edits.push((
                    range,
                    format!(
                        "param {} = {value}  # --set (default: {})",
                        p.name, p.default_source
                    ),
                ));
            }
            None => edits.extend(path_edits(source, range, base, dest)),
        }
    }
    for s in std::iter::once(&e.data.source).chain(e.data.test.as_ref()) {
        edits.extend(path_edits(source, s.span.start..s.span.end, base, dest));
    }
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    let mut text = source.to_string();
    let mut applied_from = usize::MAX;
    for (range, replacement) in edits {
        // Overlapping edits cannot happen (items do not nest); skip one rather than garble.
        if range.end <= applied_from
            && range.end <= text.len()
            && text.is_char_boundary(range.start)
            && text.is_char_boundary(range.end)
        {
            applied_from = range.start;
            text.replace_range(range, &replacement);
        }
    }
    let mut header = format!(
        "# Resolved by `{command}` from {} (data paths rewritten relative to this file).\n",
        path.display()
    );
    if !overrides.is_empty() {
        let sets: Vec<String> = overrides
            .iter()
            .map(|o| format!("--set {}", o.text))
            .collect();
        header.push_str(&format!("# Overrides: {}\n", sets.join(" ")));
    }
    if let Some(s) = seed {
        header.push_str(&format!("# Training seed: --seed {s}\n"));
    }
    // Keep a leading `nn` version line (and BOM) first.
    let body = text.trim_start_matches('\u{feff}');
    match body.split_once('\n') {
        Some((first, rest)) if first.trim_start().starts_with("nn ") => {
            format!("{first}\n{header}{rest}")
        }
        _ => format!("{header}{body}"),
    }
}

/// Edits rewriting the string literals in `text[range]` that name existing files relative to
/// `from`, relative to `to` instead.
fn path_edits(
    text: &str,
    range: std::ops::Range<usize>,
    from: &Path,
    to: &Path,
) -> Vec<(std::ops::Range<usize>, String)> {
    let Some(part) = text.get(range.clone()) else {
        return Vec::new();
    };
    let rebased = rebase_paths(part, from, to);
    if rebased == part {
        Vec::new()
    } else {
        vec![(range, rebased)]
    }
}

/// `text` with every string literal that names an existing file relative to `from` (the
/// original model file's directory) rewritten relative to `to`, so the file runs from there.
pub fn rebase_paths(text: &str, from: &Path, to: &Path) -> String {
    let (Ok(to), Ok(from)) = (to.canonicalize(), from.canonicalize()) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        let Some(len) = rest[open + 1..].find(['"', '\n']) else {
            break;
        };
        let close = open + 1 + len;
        out.push_str(&rest[..=open]);
        let literal = &rest[open + 1..close];
        let target = from.join(literal);
        let rebased = (!literal.is_empty() && Path::new(literal).is_relative() && target.is_file())
            .then(|| target.canonicalize().ok())
            .flatten()
            .map(|t| relative_path(&to, &t))
            .filter(|p| !p.contains(['"', '\\', '\n']));
        out.push_str(rebased.as_deref().unwrap_or(literal));
        if rest.as_bytes()[close] == b'\n' {
            out.push('\n');
        } else {
            out.push('"');
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The path of `file` relative to the directory `dir` (both absolute), with `/` separators;
/// the absolute path when they share nothing but the root.
fn relative_path(dir: &Path, file: &Path) -> String {
    let d: Vec<_> = dir.components().collect();
    let f: Vec<_> = file.components().collect();
    let common = d.iter().zip(&f).take_while(|(a, b)| a == b).count();
    if common <= 1 {
        return file.display().to_string();
    }
    let mut parts: Vec<String> = vec!["..".to_string(); d.len() - common];
    parts.extend(
        f[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_paths_are_rewritten_relative_to_the_new_directory() {
        let root = std::env::temp_dir().join(format!("nnc-rebase-{}", std::process::id()));
        let (models, runs) = (root.join("models"), root.join("runs/m/search-1"));
        std::fs::create_dir_all(models.join("data")).unwrap();
        std::fs::create_dir_all(&runs).unwrap();
        std::fs::write(models.join("data/d.csv"), "x,label\n1,a\n").unwrap();
        let text = "data {\n  source csv(\"data/d.csv\", label: \"label\")  # \"data/d.csv\"\n}\n";
        let rebased = rebase_paths(text, &models, &runs);
        assert_eq!(
            rebased,
            "data {\n  source csv(\"../../../models/data/d.csv\", label: \"label\")  # \"../../../models/data/d.csv\"\n}\n"
        );
        // Strings that name no file, and an unterminated string, are left alone.
        let odd = "let s = \"nothing here\"\nlet t = \"open\n";
        assert_eq!(rebase_paths(odd, &models, &runs), odd);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
