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
