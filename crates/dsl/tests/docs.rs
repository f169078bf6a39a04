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

/// §11 of docs/language.md lists every catalogue under its own name, with its entries as
/// `nnc list` shows them (required arguments starred, defaults given).
#[test]
fn the_vocabulary_at_a_glance_is_the_catalogue() {
    let tables: [(&str, &[catalogue::Signature]); 17] = [
        ("layers", catalogue::LAYERS),
        ("model statements", catalogue::MODEL_STATEMENTS),
        ("activations", catalogue::ACTIVATIONS),
        ("losses", catalogue::LOSSES),
        ("initializers", catalogue::INITIALIZERS),
        ("data sources", catalogue::SOURCES),
        ("preprocessing steps", catalogue::PREPROCESS),
        ("data statements", catalogue::DATA_STATEMENTS),
        ("optimizers", catalogue::OPTIMIZERS),
        ("schedules", catalogue::SCHEDULES),
        ("regularizers", catalogue::REGULARIZERS),
        ("constraints", catalogue::CONSTRAINTS),
        ("train statements", catalogue::TRAIN_STATEMENTS),
        ("search strategies", catalogue::STRATEGIES),
        ("distributions", catalogue::DISTRIBUTIONS),
        ("search statements", catalogue::SEARCH_STATEMENTS),
        ("validation methods", catalogue::VALIDATION),
    ];
    let mut expected = String::new();
    for (label, table) in tables {
        let entries: Vec<String> = table.iter().map(|s| format!("`{}`", s.display())).collect();
        expected.push_str(&format!("* **{label}**: {}\n", entries.join("; ")));
    }
    let metrics: Vec<String> = catalogue::METRICS
        .iter()
        .map(|m| format!("`{m}`"))
        .collect();
    expected.push_str(&format!("* **metrics**: {}\n", metrics.join(", ")));
    let doc = reference();
    let section = doc
        .split("## 11 The vocabulary at a glance")
        .nth(1)
        .expect("docs/language.md has §11");
    assert!(
        section.contains(&expected),
        "docs/language.md §11 should list:\n{expected}"
    );
}
