//! Property tests: arbitrary bytes and mutated valid files never panic the parser, the
//! checker or the renderers. `PROPTEST_CASES` raises the number of cases for long runs.

mod common;

use common::{FakeProbe, tests_dir};
use nnc_dsl::{Code, Diagnostics, NoDataProbe, Override, SourceId, Sources};
use proptest::prelude::*;
use std::path::Path;

/// Runs the whole front end on `text` and renders whatever comes out; returns the diagnostics
/// of the check with each probe (a fake one that knows the data, and none).
fn front_end(text: &str, overrides: &[String]) -> Vec<Diagnostics> {
    let overrides: Vec<Override> = overrides
        .iter()
        .map(|o| Override::parse(o.as_str()))
        .collect();
    let _ = nnc_dsl::parse(text);
    let mut all = Vec::new();
    for probe in [&FakeProbe as &dyn nnc_dsl::DataProbe, &NoDataProbe] {
        let diagnostics = match nnc_dsl::check(text, Path::new("fuzz/model.nn"), &overrides, probe)
        {
            Ok(checked) => {
                let _ = checked.experiment.shapes.to_string();
                let _ = serde_json::to_string(&checked.experiment);
                checked.diagnostics
            }
            Err(d) => d,
        };
        let sources = Sources::new("model.nn", text).with_overrides(&overrides);
        let _ = nnc_dsl::render::render_text(&diagnostics, &sources);
        let _ = nnc_dsl::render::render_json(&diagnostics, &sources);
        all.push(diagnostics);
    }
    all
}

fn examples() -> Vec<String> {
    ["spiral.nn", "deep_bn_sweep.nn", "maxout.nn", "variant.nn"]
        .iter()
        .map(|n| std::fs::read_to_string(tests_dir().join("examples").join(n)).expect("fixture"))
        .collect()
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "->",
    ",",
    ":",
    "=",
    "~",
    ";",
    "\"",
    "\n",
    "\r\n",
    "\t",
    "#",
    "%",
    "1e",
    "1.",
    "10_",
    "0",
    "-1",
    "1e400",
    "0..4",
    "..=",
    "**",
    "/",
    "0 / 0",
    " epochs",
    " steps",
    "repeat 3 {",
    "repeat i in 0..1000000 {",
    "data.classes",
    "data.features",
    "relu",
    "dense",
    "hidden(",
    "block b(x) { b(x) }",
    "let a = a",
    "param p = 1",
    "model {",
    "data {",
    "train {",
    "search grid {",
    "p ~ choice(1, 2)",
    "loss softmax",
    "maxout 3, pieces: 1",
    "\u{feff}",
    "é",
    "nn 0.1\n",
    "csv(\"x.csv\", label: \"y\")",
    "idx(images: \"a\", labels: \"b\")",
    "kfold(0)",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(a, t)| Mutation::Insert(a, t)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, m: &Mutation) -> String {
    match *m {
        Mutation::Delete(at, n) => {
            let start = boundary(text, at);
            let end = boundary(text, (start + n).min(text.len()));
            let end = end.max(start);
            format!("{}{}", &text[..start], &text[end..])
        }
        Mutation::Insert(at, t) => {
            let at = boundary(text, at);
            format!("{}{}{}", &text[..at], TOKENS[t], &text[at..])
        }
        Mutation::DuplicateLine(i) => {
            let mut lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let i = i % lines.len();
                lines.insert(i, lines[i]);
            }
            lines.join("\n")
        }
        Mutation::SwapLines(a, b) => {
            let mut lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let n = lines.len();
                lines.swap(a % n, b % n);
            }
            lines.join("\n")
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        front_end(&String::from_utf8_lossy(&bytes), &[]);
    }

    #[test]
    fn arbitrary_token_soup_never_panics(tokens in proptest::collection::vec(0..TOKENS.len(), 0..80)) {
        let text: String = tokens.iter().map(|&t| TOKENS[t]).collect::<Vec<_>>().join(" ");
        front_end(&text, &[]);
    }

    #[test]
    fn mutated_examples_never_panic(
        which in 0usize..4,
        mutations in proptest::collection::vec(mutation(), 1..8),
        overrides in proptest::collection::vec("[a-z_]{1,6}=[ -~]{0,12}", 0..3),
    ) {
        let mut text = examples()[which].clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        front_end(&text, &overrides);
    }
}

/// Runs the front end on `text` and asserts that, with either probe, it reports the codes
/// `expected` (in order, repeats removed), each diagnostic with a location: a non-empty span
/// in the file, or the whole file for a missing section (E401, E402).
fn assert_reported(text: &str, expected: &[Code]) {
    for diagnostics in front_end(text, &[]) {
        let mut codes = diagnostics.codes();
        codes.dedup();
        assert_eq!(codes, expected, "{diagnostics:?}");
        for d in diagnostics.iter() {
            match &d.primary {
                Some(label) => {
                    let span = label.span;
                    assert!(
                        span.source == SourceId::MODEL
                            && span.start < span.end
                            && text.get(span.start..span.end).is_some(),
                        "{} is not located in the file: {d:?}",
                        d.code
                    );
                }
                None => assert!(
                    [Code::E401, Code::E402].contains(&d.code),
                    "{} has no location: {d:?}",
                    d.code
                ),
            }
        }
    }
}

#[test]
fn pathological_nesting_and_lengths_are_errors_not_crashes() {
    // Brackets nested 10,000 deep, 100,000 operators on one line: syntax limits (E001).
    let deep = format!("let a = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
    assert_reported(&deep, &[Code::E001]);
    let long = format!("let a = {}1\n", "-".repeat(100_000));
    assert_reported(&long, &[Code::E001]);
    let sum = format!("let a = 1{}\n", " + 1".repeat(100_000));
    assert_reported(&sum, &[Code::E001]);
    // 5,000 definitions each referring to the next: too deep (E108); no data, no model.
    let chain: String = (0..5_000)
        .map(|i| format!("let a{i} = a{}\n", i + 1))
        .collect();
    assert_reported(&chain, &[Code::E401, Code::E402, Code::E108]);
    // A statement after `}` on the same line is a syntax error before any expansion.
    let repeats = "model { repeat 100000 { repeat 100000 { } } dense 3; loss softmax }\n";
    assert_reported(repeats, &[Code::E001]);
    // 10^10 layers: the expansion stops at its limit (E202).
    let repeats =
        "model {\n  repeat 100000 { repeat 100000 { dense 3 } }\n  dense 3; loss softmax\n}\n";
    assert_reported(repeats, &[Code::E401, Code::E202]);
    // Blocks using each other (E109) leave a model without a trainable layer (E303).
    let blocks = "block a() { b() }\nblock b() { a() }\nmodel { a(); loss softmax }\n";
    assert_reported(blocks, &[Code::E401, Code::E109, Code::E303]);
}
