//! Property tests: arbitrary bytes and mutated valid files never panic the parser, the
//! checker or the renderers. `PROPTEST_CASES` raises the number of cases for long runs.

mod common;

use common::{FakeProbe, tests_dir};
use nnc_dsl::{NoDataProbe, Override, Sources};
use proptest::prelude::*;
use std::path::Path;

/// Runs the whole front end on `text` and renders whatever comes out.
fn front_end(text: &str, overrides: &[String]) {
    let overrides: Vec<Override> = overrides
        .iter()
        .map(|o| Override::parse(o.as_str()))
        .collect();
    let _ = nnc_dsl::parse(text);
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
    }
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

#[test]
fn pathological_nesting_and_lengths_are_errors_not_crashes() {
    let deep = format!("let a = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
    front_end(&deep, &[]);
    let long = format!("let a = {}1\n", "-".repeat(100_000));
    front_end(&long, &[]);
    let sum = format!("let a = 1{}\n", " + 1".repeat(100_000));
    front_end(&sum, &[]);
    let chain: String = (0..5_000)
        .map(|i| format!("let a{i} = a{}\n", i + 1))
        .collect();
    front_end(&chain, &[]);
    let repeats = "model { repeat 100000 { repeat 100000 { } } dense 3; loss softmax }\n";
    front_end(repeats, &[]);
    let blocks = "block a() { b() }\nblock b() { a() }\nmodel { a(); loss softmax }\n";
    front_end(blocks, &[]);
}
