//! The corpus of bad `.nn` files: each file is named after the diagnostic it demonstrates
//! (`E101_unknown_layer.nn`), and its rendered diagnostics are pinned by a snapshot.
//!
//! Directives in comments: `# set: name=value` adds a `--set` override, `# purpose: run`
//! checks the file for `nnc run`.

mod common;

use common::{FakeProbe, tests_dir};
use nnc_dsl::{CheckOptions, Code, Diagnostics, Override, Purpose, Sources};
use std::collections::BTreeSet;
use std::path::Path;

struct Outcome {
    rendered: String,
    codes: Vec<Code>,
}

fn run(path: &Path) -> Outcome {
    let text = std::fs::read_to_string(path).expect("fixture");
    let overrides: Vec<Override> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# set: "))
        .map(Override::parse)
        .collect();
    let purpose = if text.contains("# purpose: run") {
        Purpose::Run
    } else {
        Purpose::Check
    };
    let name = format!("bad/{}", path.file_name().expect("name").to_string_lossy());
    let options = CheckOptions {
        overrides: &overrides,
        probe: &FakeProbe,
        purpose,
    };
    let diagnostics: Diagnostics = match nnc_dsl::check_with(&text, Path::new(&name), &options) {
        Ok(checked) => checked.diagnostics,
        Err(d) => d,
    };
    let sources = Sources::new(name, text.clone()).with_overrides(&overrides);
    Outcome {
        rendered: nnc_dsl::render::render_text(&diagnostics, &sources),
        codes: diagnostics.codes(),
    }
}

fn corpus() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(tests_dir().join("bad"))
        .expect("tests/bad")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "nn"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_bad_file_reports_its_code_and_matches_its_snapshot() {
    let files = corpus();
    assert!(files.len() >= 40, "the corpus has {} files", files.len());
    for path in files {
        let stem = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let outcome = run(&path);
        assert!(!outcome.codes.is_empty(), "{stem}: no diagnostic at all");
        if let Some(code) = stem.split('_').next().and_then(Code::parse) {
            assert!(
                outcome.codes.contains(&code),
                "{stem}: expected {code}, got {:?}\n{}",
                outcome.codes,
                outcome.rendered
            );
        }
        insta::assert_snapshot!(stem, outcome.rendered);
    }
}

#[test]
fn the_corpus_covers_every_front_end_code() {
    let seen: BTreeSet<Code> = corpus().iter().flat_map(|p| run(p).codes).collect();
    let missing: Vec<Code> = Code::ALL
        .iter()
        .copied()
        .filter(|c| !seen.contains(c) && *c != Code::W506)
        .collect();
    assert!(missing.is_empty(), "no bad file demonstrates {missing:?}");
}

#[test]
fn many_errors_are_all_reported_at_once() {
    let outcome = run(&tests_dir().join("bad/many_errors_at_once.nn"));
    for code in [Code::E101, Code::E202, Code::E103] {
        assert!(outcome.codes.contains(&code), "{:?}", outcome.codes);
    }
}

#[test]
fn json_rendering_carries_positions() {
    let path = tests_dir().join("bad/E101_unknown_layer.nn");
    let text = std::fs::read_to_string(&path).expect("fixture");
    let diagnostics = nnc_dsl::check(&text, &path, &[], &FakeProbe).expect_err("bad file");
    let sources = Sources::new("E101_unknown_layer.nn", text);
    let json: serde_json::Value =
        serde_json::from_str(&nnc_dsl::render::render_json(&diagnostics, &sources))
            .expect("valid JSON");
    let first = &json[0];
    assert_eq!(first["code"], "E101");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["primary"]["line"], 7);
    assert_eq!(first["primary"]["column"], 3);
    assert_eq!(first["help"][0], "did you mean `dense`?");
}
