//! The corpus of broken data files in `tests/data/broken/`: each gives its specific error,
//! naming the file and the line/column or byte offset. And random bytes never panic a parser.

use nnc_data::{CsvOptions, DataError, load_cifar10, load_csv, load_idx, load_idx_file};
use proptest::prelude::*;

fn broken(name: &str) -> String {
    format!(
        "{}/../../tests/data/broken/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn csv_error(name: &str, options: &CsvOptions) -> (DataError, String) {
    let e = load_csv(broken(name), options).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(name), "message does not name the file: {msg}");
    (e, msg)
}

#[test]
fn missing_file_says_where_it_looked() {
    let e = load_csv(broken("no-such-file.csv"), &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(&e, DataError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    );
    let msg = e.to_string();
    assert!(
        msg.contains("no-such-file.csv") && msg.contains("working directory"),
        "{msg}"
    );
}

#[test]
fn truncated_idx_gives_the_byte_offsets() {
    let e = load_idx_file(broken("truncated-images.idx3-ubyte")).unwrap_err();
    match &e {
        DataError::IdxTruncated {
            part,
            needed,
            offset,
            file_len,
            missing,
            ..
        } => assert_eq!(
            (*part, *needed, *offset, *file_len, *missing),
            ("data", 640, 16, 240, 416)
        ),
        other => panic!("unexpected {other}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("truncated-images.idx3-ubyte") && msg.contains("byte offset 16"),
        "{msg}"
    );
}

#[test]
fn wrong_magic_shows_the_bytes() {
    let e = load_idx_file(broken("wrong-magic.idx1-ubyte")).unwrap_err();
    assert!(
        matches!(&e, DataError::IdxMagic { found, .. } if found == &[3, 8, 0, 0]),
        "{e}"
    );
    assert!(e.to_string().contains("bytes 0..4 are 03 08 00 00"), "{e}");
}

#[test]
fn unknown_type_code() {
    let e = load_idx_file(broken("bad-type.idx1-ubyte")).unwrap_err();
    assert!(matches!(e, DataError::IdxType { code: 7, .. }), "{e}");
    assert!(e.to_string().contains("byte 2"), "{e}");
}

#[test]
fn images_and_labels_counts_must_agree() {
    let e = load_idx(
        broken("count-images.idx3-ubyte"),
        broken("count-labels.idx1-ubyte"),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            DataError::CountMismatch {
                image_count: 5,
                label_count: 4,
                ..
            }
        ),
        "{e}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("count-images.idx3-ubyte")
            && msg.contains("count-labels.idx1-ubyte")
            && msg.contains("byte offset 4"),
        "{msg}"
    );
}

#[test]
fn corrupt_gzip() {
    let e = load_idx_file(broken("truncated-labels.idx1-ubyte.gz")).unwrap_err();
    assert!(matches!(e, DataError::Gzip { .. }), "{e}");
    assert!(
        e.to_string().contains("truncated-labels.idx1-ubyte.gz"),
        "{e}"
    );
}

#[test]
fn empty_files() {
    let e = load_idx_file(broken("empty.idx3-ubyte")).unwrap_err();
    assert!(matches!(e, DataError::Empty { .. }), "{e}");
    let (e, _) = csv_error("empty.csv", &CsvOptions::default());
    assert!(matches!(e, DataError::Empty { .. }), "{e}");
    let (e, msg) = csv_error("header-only.csv", &CsvOptions::default());
    assert!(matches!(e, DataError::Empty { .. }), "{e}");
    assert!(msg.contains("no data rows"), "{msg}");
}

/// A file separated by something else than commas (or not a CSV at all) is one column: the
/// error shows the cell and guesses the separator (it said only "no feature columns besides
/// the label").
#[test]
fn a_single_column_file_shows_the_cell_and_guesses_the_separator() {
    let dir = std::env::temp_dir().join(format!("nnc-data-semicolons-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("semicolons.csv");
    std::fs::write(&path, "a;b;label\n1;2;x\n3;4;y\n").unwrap();
    let msg = load_csv(&path, &CsvOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("has a single column (\"a;b;label\")")
            && msg.contains("nnc reads cells separated by `,`: it looks separated by `;`"),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ragged_row() {
    let (e, msg) = csv_error("ragged.csv", &CsvOptions::default());
    assert!(
        matches!(
            e,
            DataError::RaggedRow {
                line: 4,
                expected: 3,
                got: 4,
                ..
            }
        ),
        "{e}"
    );
    assert!(msg.contains("ragged.csv:4:"), "{msg}");
}

#[test]
fn non_numeric_cell() {
    let (e, msg) = csv_error("non-numeric.csv", &CsvOptions::default());
    assert!(
        matches!(&e, DataError::NotNumeric { line: 4, column, value, .. } if column == "b" && value == "six"),
        "{e}"
    );
    assert!(
        msg.contains("non-numeric.csv:4:") && msg.contains("column `b`"),
        "{msg}"
    );
}

#[test]
fn nan_and_infinity() {
    let (e, msg) = csv_error("nan.csv", &CsvOptions::default());
    assert!(
        matches!(&e, DataError::NonFinite { line: 3, column, .. } if column == "b"),
        "{e}"
    );
    assert!(msg.contains("nan.csv:3:") && msg.contains("`NaN`"), "{msg}");
    let (e, _) = csv_error("inf.csv", &CsvOptions::default());
    assert!(
        matches!(&e, DataError::NonFinite { line: 4, column, value, .. } if column == "a" && value == "-inf"),
        "{e}"
    );
}

#[test]
fn missing_value() {
    let (e, msg) = csv_error("missing-value.csv", &CsvOptions::default());
    assert!(
        matches!(&e, DataError::MissingValue { line: 3, column, .. } if column == "a"),
        "{e}"
    );
    assert!(msg.contains("missing-value.csv:3:"), "{msg}");
}

#[test]
fn label_column_typo_gets_did_you_mean() {
    let (e, msg) = csv_error("label-typo.csv", &CsvOptions::label("label"));
    assert!(
        matches!(&e, DataError::UnknownColumn { name, suggestion: Some(s), .. } if name == "label" && s == "lable"),
        "{e}"
    );
    assert!(msg.contains("did you mean `lable`?"), "{msg}");
    let (e, msg) = csv_error("label-typo.csv", &CsvOptions::label("species"));
    assert!(
        matches!(
            &e,
            DataError::UnknownColumn {
                suggestion: None,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        msg.contains("the columns are: sepal, petal, lable"),
        "{msg}"
    );
}

#[test]
fn truncated_cifar_row() {
    let e = load_cifar10(&[broken("cifar-truncated.bin")]).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::CifarTruncated {
                row: 2,
                offset: 6146,
                remaining: 1000,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("cifar-truncated.bin"), "{e}");
}

/// IDX-like byte strings: random tails after a plausible or random header.
fn idx_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![0u8, 0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x1f]),
        0u8..5,
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(code, dims, tail)| {
            let mut v = vec![0, 0, code, dims];
            v.extend(tail);
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic_the_idx_parser(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = nnc_data::parse_idx(bytes, "fuzz");
    }

    #[test]
    fn idx_like_bytes_never_panic(bytes in idx_bytes()) {
        if let Ok(a) = nnc_data::parse_idx(bytes, "fuzz") {
            prop_assert_eq!(a.to_f32().len(), a.numel());
            let _ = a.to_labels();
            let _ = nnc_data::sources::idx::idx_dataset(&a, &a);
        }
    }

    #[test]
    fn random_bytes_never_panic_the_csv_parser(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = nnc_data::parse_csv(&bytes, "fuzz.csv", &CsvOptions::default());
    }

    #[test]
    fn csv_like_text_never_panics(text in "[a-c0-9,.\"\n\r\t -]{0,120}", label in "[a-c]{0,2}") {
        let _ = nnc_data::parse_csv(text.as_bytes(), "fuzz.csv", &CsvOptions::default());
        let _ = nnc_data::parse_csv(text.as_bytes(), "fuzz.csv", &CsvOptions::label(&label));
    }

    #[test]
    fn random_bytes_never_panic_the_cifar_parser(bytes in prop::collection::vec(any::<u8>(), 0..8000)) {
        let _ = nnc_data::parse_cifar10(&[("fuzz.bin", &bytes)]);
    }
}
