//! The SVG plots nnc writes (`nnc run`, `nnc doctor --out`, `nnc search`): every tick label is
//! a short decimal (no float noise, no `.0` on whole numbers), none repeats on its axis, and
//! each lies inside the image.

mod common;

use common::{nnc, scratch};
use std::path::{Path, PathBuf};

/// A text of an SVG: its words, position, anchor and font size.
struct Label {
    text: String,
    x: f64,
    y: f64,
    anchor: String,
    size: f64,
    rotated: bool,
}

fn labels(svg: &Path) -> (f64, Vec<Label>) {
    let text = std::fs::read_to_string(svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("valid SVG");
    let width: f64 = doc
        .root_element()
        .attribute("width")
        .unwrap()
        .parse()
        .unwrap();
    let number = |n: &roxmltree::Node, a: &str| n.attribute(a).and_then(|v| v.parse().ok());
    let labels = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| Label {
            text: n.text().unwrap_or("").trim().to_string(),
            x: number(&n, "x").unwrap_or(f64::NAN),
            y: number(&n, "y").unwrap_or(f64::NAN),
            anchor: n.attribute("text-anchor").unwrap_or("start").to_string(),
            size: number(&n, "font-size").unwrap_or(12.0),
            rotated: n.attribute("transform").is_some(),
        })
        .collect();
    (width, labels)
}

/// Whether `s` is a short decimal: `0.25`, `-3`, `1000`, `1e-5`, `2.5e6` (no trailing zero after
/// a point, at most 7 characters).
fn short_decimal(s: &str) -> bool {
    let mantissa_ok = |m: &str| {
        let m = m.strip_prefix('-').unwrap_or(m);
        let (int, frac) = m.split_once('.').unwrap_or((m, ""));
        !int.is_empty()
            && int.chars().all(|c| c.is_ascii_digit())
            && (int == "0" || !int.starts_with('0'))
            && frac.chars().all(|c| c.is_ascii_digit())
            && (frac.is_empty() || !frac.ends_with('0'))
            && !m.ends_with('.')
    };
    let ok = match s.split_once('e') {
        Some((m, e)) => mantissa_ok(m) && e.trim_start_matches('-').parse::<u32>().is_ok(),
        None => mantissa_ok(s),
    };
    ok && s.len() <= 7
}

/// Checks every tick label of `svg`; `categories` are the names a categorical axis may show.
fn check_ticks(svg: &Path, categories: &[&str]) {
    let (width, labels) = labels(svg);
    let name = svg.display();
    // The y axis's ticks are right-aligned beside it; the x axis's are centred on one row,
    // below the plot (the title is centred too, at the top; the axis descriptions are rotated
    // or alone on their row).
    let y_ticks: Vec<&Label> = labels.iter().filter(|l| l.anchor == "end").collect();
    let mut rows: Vec<(i64, Vec<&Label>)> = Vec::new();
    for l in labels.iter().filter(|l| l.anchor == "middle" && !l.rotated) {
        match rows.iter_mut().find(|(y, _)| *y == l.y.round() as i64) {
            Some((_, row)) => row.push(l),
            None => rows.push((l.y.round() as i64, vec![l])),
        }
    }
    let x_ticks: Vec<&Label> = rows
        .into_iter()
        .filter(|(_, row)| row.len() >= 2)
        .flat_map(|(_, row)| row)
        .collect();
    assert!(y_ticks.len() >= 3, "{name}: y ticks {:?}", texts(&y_ticks));
    assert!(x_ticks.len() >= 2, "{name}: x ticks {:?}", texts(&x_ticks));
    for axis in [&y_ticks, &x_ticks] {
        let mut seen = texts(axis);
        seen.sort();
        seen.dedup();
        assert_eq!(
            seen.len(),
            axis.len(),
            "{name}: a repeated tick in {:?}",
            texts(axis)
        );
        for l in axis.iter() {
            assert!(
                short_decimal(&l.text) || categories.contains(&l.text.as_str()),
                "{name}: tick `{}` is not a short decimal",
                l.text
            );
            // Sans-serif digits are at most about 0.6 em wide.
            let w = l.text.chars().count() as f64 * l.size * 0.6;
            let (left, right) = match l.anchor.as_str() {
                "end" => (l.x - w, l.x),
                "middle" => (l.x - w / 2.0, l.x + w / 2.0),
                _ => (l.x, l.x + w),
            };
            assert!(
                left >= 0.0 && right <= width && l.y >= 0.0,
                "{name}: tick `{}` at x {} runs out of the image ({left:.0}..{right:.0} of {width})",
                l.text,
                l.x
            );
        }
    }
}

fn texts(labels: &[&Label]) -> Vec<String> {
    labels.iter().map(|l| l.text.clone()).collect()
}

fn svgs(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    found.sort();
    found
}

#[test]
fn every_tick_of_every_plot_is_a_short_decimal_inside_the_image() {
    let dir = scratch("plots-ticks");
    let out = |name: &str| dir.join(name).to_string_lossy().into_owned();
    // Runs: with a validation split; without one, diverging (a loss spanning decades).
    let wine = out("wine");
    nnc(&[
        "run",
        "models/wine.nn",
        "--set",
        "n_epochs=20",
        "--out",
        &wine,
    ])
    .expect(0);
    let spiral = out("spiral");
    nnc(&[
        "run",
        "models/spiral.nn",
        "--set",
        "lr=100",
        "--out",
        &spiral,
    ])
    .expect(3);
    let short = out("short");
    nnc(&[
        "run",
        "models/spiral.nn",
        "--set",
        "iters=300",
        "--out",
        &short,
    ])
    .expect(0);
    let doctor = out("doctor");
    nnc(&["doctor", "models/spiral.nn", "--out", &doctor]);
    // Searches: a log axis of tiny rates; categorical axes.
    let too_low = out("too_low");
    let fixture = |f: &str| format!("crates/nnc/tests/search_files/{f}.nn");
    nnc(&["search", &fixture("too_low"), "--out", &too_low]).expect(0);
    let grid = out("grid");
    nnc(&["search", &fixture("grid"), "--out", &grid]).expect(0);
    let mut checked = Vec::new();
    for run in [&wine, &spiral, &short, &doctor] {
        for svg in svgs(Path::new(run)) {
            check_ticks(&svg, &[]);
            checked.push(svg);
        }
    }
    for search in [&too_low, &grid] {
        for svg in svgs(&Path::new(search).join("plots")) {
            check_ticks(&svg, &["relu", "tanh"]);
            checked.push(svg);
        }
    }
    let names: Vec<String> = checked
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "loss.svg",
        "accuracy.svg",
        "activations.svg",
        "lr_range.svg",
        "overfit.svg",
        "lr.svg",
        "width.svg",
        "act.svg",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not drawn: {names:?}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_short_decimal_rule_refuses_float_noise() {
    for good in ["0", "0.3", "-2", "1000", "1e-5", "2.5e6", "0.0125"] {
        assert!(short_decimal(good), "{good}");
    }
    for bad in [
        "0.30000000000000004",
        "1.0",
        "1000.0",
        "0.50",
        "1e-5.0",
        "",
        "abc",
    ] {
        assert!(!short_decimal(bad), "{bad}");
    }
}
