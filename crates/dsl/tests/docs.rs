//! docs/language.md stays the living reference: it documents every diagnostic code and every
//! word of the vocabulary.

use nnc_dsl::{Code, catalogue};
use std::path::Path;

fn reference() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/language.md");
    std::fs::read_to_string(path).expect("docs/language.md")
}

/// The catalogue of codes in docs/language.md is the `nnc explain` texts
/// (`crates/dsl/explain/CODE.md`) word for word, each under a `#### ` heading: one text per
/// code, written once and shown in both places.
#[test]
fn every_code_is_documented_with_its_explain_text() {
    let doc = reference();
    for code in Code::ALL {
        let text = code.explanation();
        assert!(
            doc.contains(&format!("#### {}", text.trim_end())),
            "{code}: docs/language.md does not hold crates/dsl/explain/{code}.md word for word"
        );
    }
}

#[test]
fn every_catalogue_word_is_documented() {
    let doc = reference();
    let tables = [
        catalogue::LAYERS,
        catalogue::MODEL_STATEMENTS,
        catalogue::ACTIVATIONS,
        catalogue::LOSSES,
        catalogue::INITIALIZERS,
        catalogue::SOURCES,
        catalogue::PREPROCESS,
        catalogue::DATA_STATEMENTS,
        catalogue::OPTIMIZERS,
        catalogue::SCHEDULES,
        catalogue::REGULARIZERS,
        catalogue::CONSTRAINTS,
        catalogue::TRAIN_STATEMENTS,
        catalogue::STRATEGIES,
        catalogue::DISTRIBUTIONS,
        catalogue::SEARCH_STATEMENTS,
        catalogue::VALIDATION,
    ];
    for table in tables {
        for signature in table {
            assert!(
                doc.contains(&format!("`{}", signature.name)),
                "`{}` is not documented",
                signature.name
            );
            for arg in signature.args {
                assert!(
                    doc.contains(arg.name),
                    "argument `{}` of `{}` is not documented",
                    arg.name,
                    signature.name
                );
            }
        }
    }
}

/// docs/language.md's Rust example is the crate doc's doctest, line for line (the doctest's
/// hidden `# ` lines aside), so it compiles and runs in CI.
#[test]
fn the_rust_example_is_the_crates_doctest() {
    let doc = reference();
    let shown = doc
        .split("```rust\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a rust block in docs/language.md");
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("src/lib.rs");
    let tested: String = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .skip_while(|l| *l != "```rust")
        .skip(1)
        .take_while(|l| *l != "```")
        .filter(|l| !l.starts_with("# "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(shown, tested);
}
