//! The table of `nnc compare`: one column per run, one row per differing param and metric,
//! split into blocks of columns that fit the terminal (80 columns off a terminal).

use super::{RunInfo, SplitMetrics};

/// Longest column heading; longer run names keep their end (`…mlp/12`).
const MAX_HEADING: usize = 18;
/// Spaces between columns.
const GAP: usize = 2;

/// A line of the table.
enum Row {
    /// A section heading (`params that differ`).
    Section(String),
    /// A label and one value per run.
    Values(String, Vec<String>),
}

/// The table of `runs` with the params `differing`, no wider than `width` where possible.
pub fn render(runs: &[RunInfo], differing: &[String], width: usize) -> String {
    let rows = rows(runs, differing);
    let headings = headings(runs);
    let label_width = rows
        .iter()
        .map(|r| match r {
            Row::Section(_) => 0,
            Row::Values(l, _) => l.chars().count(),
        })
        .max()
        .unwrap_or(0);
    let widths: Vec<usize> = (0..runs.len())
        .map(|i| {
            rows.iter()
                .filter_map(|r| match r {
                    Row::Values(_, v) => Some(v[i].chars().count()),
                    Row::Section(_) => None,
                })
                .chain([headings[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for block in blocks(&widths, label_width, width) {
        if !out.is_empty() {
            out.push('\n');
        }
        let mut line = " ".repeat(label_width);
        for &i in &block {
            line.push_str(&format!("{:>w$}", headings[i], w = widths[i] + GAP));
        }
        out.push_str(line.trim_end());
        out.push('\n');
        for row in &rows {
            match row {
                Row::Section(title) => out.push_str(title),
                Row::Values(label, values) => {
                    out.push_str(&format!("{label:<label_width$}"));
                    for &i in &block {
                        out.push_str(&format!("{:>w$}", values[i], w = widths[i] + GAP));
                    }
                }
            }
            out.push('\n');
        }
    }
    out
}

/// The runs' columns in blocks whose lines fit `width` (at least one column per block).
fn blocks(widths: &[usize], label_width: usize, width: usize) -> Vec<Vec<usize>> {
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    let mut used = label_width;
    for (i, w) in widths.iter().enumerate() {
        match blocks.last_mut() {
            Some(block) if used + GAP + w <= width => block.push(i),
            _ => {
                blocks.push(vec![i]);
                used = label_width;
            }
        }
        used += GAP + w;
    }
    blocks
}

/// The column headings: each run directory's last two components (`wine_mlp/3`), or more
/// when two would read the same, its end kept when longer than [`MAX_HEADING`].
fn headings(runs: &[RunInfo]) -> Vec<String> {
    let tail = |run: &RunInfo, n: usize| -> String {
        let parts: Vec<String> = run
            .dir
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        parts[parts.len().saturating_sub(n)..].join("/")
    };
    let mut n = 2;
    let mut names: Vec<String> = runs.iter().map(|r| tail(r, n)).collect();
    while n < 8 && (1..names.len()).any(|i| names[..i].contains(&names[i])) {
        n += 1;
        names = runs.iter().map(|r| tail(r, n)).collect();
    }
    names
        .into_iter()
        .map(|name| {
            let len = name.chars().count();
            if len <= MAX_HEADING {
                name
            } else {
                let end: String = name.chars().skip(len - (MAX_HEADING - 1)).collect();
                format!("…{end}")
            }
        })
        .collect()
}

/// The rows: the model, the differing params, the results, the findings.
fn rows(runs: &[RunInfo], differing: &[String]) -> Vec<Row> {
    let each = |f: &dyn Fn(&RunInfo) -> String| runs.iter().map(f).collect::<Vec<_>>();
    let mut rows = vec![Row::Values("model".into(), each(&|r| r.model.clone()))];
    let params = runs.iter().map(|r| r.params.len()).max().unwrap_or(0);
    let equal = params.saturating_sub(differing.iter().filter(|d| *d != "seed").count());
    rows.push(Row::Section(format!(
        "params that differ ({equal} equal, not shown)"
    )));
    for name in differing {
        let values = if name == "seed" {
            each(&|r| r.seed.map_or("-".into(), |s| s.to_string()))
        } else {
            each(&|r| r.params.get(name).cloned().unwrap_or_else(|| "-".into()))
        };
        rows.push(Row::Values(format!("  {name}"), values));
    }
    rows.push(Row::Section("results".into()));
    rows.push(Row::Values(
        "  stop".into(),
        each(&|r| r.stop.replace('_', " ")),
    ));
    rows.push(Row::Values(
        "  steps".into(),
        each(&|r| r.steps.to_string()),
    ));
    rows.push(Row::Values(
        "  epochs".into(),
        each(&|r| {
            format!("{:.4}", r.epochs)
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        }),
    ));
    rows.push(Row::Values("  time".into(), each(&|r| time(r.seconds))));
    for split in ["train", "val", "test"] {
        if runs.iter().all(|r| !r.last.contains_key(split)) {
            continue;
        }
        let get = |r: &RunInfo| r.last.get(split).copied();
        rows.push(Row::Values(
            format!("  {split} loss"),
            each(&|r| loss(get(r))),
        ));
        rows.push(Row::Values(
            format!("  {split} acc"),
            each(&|r| accuracy(get(r))),
        ));
    }
    if runs.iter().any(|r| r.best.is_some()) {
        let best = |r: &RunInfo| r.best.map(|b| b.val);
        rows.push(Row::Values(
            "  best val loss".into(),
            each(&|r| loss(best(r))),
        ));
        rows.push(Row::Values(
            "  best val acc".into(),
            each(&|r| accuracy(best(r))),
        ));
        rows.push(Row::Values(
            "  best epoch".into(),
            each(&|r| r.best.map_or("-".into(), |b| format!("{:.0}", b.epoch))),
        ));
    }
    rows.push(Row::Section("findings".into()));
    if runs.iter().any(|r| r.findings.errors > 0) {
        rows.push(Row::Values(
            "  errors".into(),
            each(&|r| r.findings.errors.to_string()),
        ));
    }
    rows.push(Row::Values(
        "  warnings".into(),
        each(&|r| r.findings.warnings.to_string()),
    ));
    rows.push(Row::Values(
        "  notes".into(),
        each(&|r| r.findings.notes.to_string()),
    ));
    rows
}

/// A loss to four decimals (scientific when large), `-` when the split is missing.
fn loss(m: Option<SplitMetrics>) -> String {
    match m {
        None => "-".into(),
        Some(m) if m.loss.is_finite() && m.loss.abs() < 1e4 => format!("{:.4}", m.loss),
        Some(m) => format!("{:.3e}", m.loss),
    }
}

/// An accuracy as a percentage, `-` when missing (or for regression).
fn accuracy(m: Option<SplitMetrics>) -> String {
    m.and_then(|m| m.accuracy)
        .map_or("-".into(), |a| format!("{:.2}%", 100.0 * a))
}

/// Seconds as `0.04 s`, `3.2 s`, `2m05s` or `1h02m`.
fn time(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "-".into();
    }
    let s = seconds.round() as u64;
    if seconds < 1.0 {
        format!("{seconds:.2} s")
    } else if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    }
}
