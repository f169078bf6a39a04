//! Errors of loading, splitting and preprocessing data.
//!
//! Every message names the file and the place in it — the line and column name of a CSV cell
//! (lines are 1-based as an editor shows them, the header is line 1), or the byte offset in an
//! IDX or CIFAR file — and ends with a hint on what to do about it. Loading never panics on bad
//! input: every problem becomes one of these variants.

use thiserror::Error;

/// An error from a data source, a split, the batcher or the preprocessing pipeline.
#[derive(Error)]
pub enum DataError {
    /// A file that could not be opened or read.
    #[error("cannot read `{path}`: {source}{hint}")]
    Io {
        /// The file.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
        /// Extra advice (empty or starting with `; `).
        hint: String,
    },

    /// A file (or a CSV without data rows) with nothing to load.
    #[error("`{path}` is empty: {what}")]
    Empty {
        /// The file.
        path: String,
        /// What was missing, e.g. "no header row".
        what: String,
    },

    /// A CSV cell that is empty or a missing-value marker.
    #[error(
        "{path}:{line}: missing value in column `{column}`; fill in or drop the incomplete rows"
    )]
    MissingValue {
        /// The file.
        path: String,
        /// 1-based line of the row (the header is line 1).
        line: u64,
        /// The column's name.
        column: String,
    },

    /// A feature cell that is not a number.
    #[error(
        "{path}:{line}: column `{column}` holds `{value}`, which is not a number; feature columns must be numeric (choose them with `columns: [...]`)"
    )]
    NotNumeric {
        /// The file.
        path: String,
        /// 1-based line of the row (the header is line 1).
        line: u64,
        /// The column's name.
        column: String,
        /// The cell as written.
        value: String,
    },

    /// A feature cell that reads as NaN or infinity.
    #[error(
        "{path}:{line}: column `{column}` holds `{value}`, which is not finite; a network can neither learn from nor predict NaN or infinity: fill in or drop the row"
    )]
    NonFinite {
        /// The file.
        path: String,
        /// 1-based line of the row (the header is line 1).
        line: u64,
        /// The column's name.
        column: String,
        /// The cell as written.
        value: String,
    },

    /// A CSV row whose number of cells differs from the header's.
    #[error(
        "{path}:{line}: row has {got} cells but the header has {expected} columns; check for a missing or extra separator"
    )]
    RaggedRow {
        /// The file.
        path: String,
        /// 1-based line of the row (the header is line 1).
        line: u64,
        /// Cells in the header.
        expected: usize,
        /// Cells in this row.
        got: usize,
    },

    /// A column name (label or feature) that is not in the header.
    #[error("no column `{name}` in `{path}`{}", suggest_text(suggestion.as_deref(), available))]
    UnknownColumn {
        /// The file.
        path: String,
        /// The name asked for.
        name: String,
        /// The closest header name, when one is close enough.
        suggestion: Option<String>,
        /// The header's column names.
        available: Vec<String>,
    },

    /// Two header columns with the same name.
    #[error(
        "`{path}`: column `{name}` appears twice in the header (columns {first} and {second}); rename one so columns can be chosen by name"
    )]
    DuplicateColumn {
        /// The file.
        path: String,
        /// The repeated name.
        name: String,
        /// 1-based position of the first occurrence.
        first: usize,
        /// 1-based position of the second occurrence.
        second: usize,
    },

    /// A label outside the class list given to the loader.
    #[error(
        "{path}:{line}: label `{value}` in column `{column}` is not one of the known classes [{}]; the class list comes from the training source", known.join(", ")
    )]
    UnknownClass {
        /// The file.
        path: String,
        /// 1-based line of the row (the header is line 1).
        line: u64,
        /// The label column's name.
        column: String,
        /// The label as written.
        value: String,
        /// The classes the loader was told about.
        known: Vec<String>,
    },

    /// A CSV file the csv reader could not parse (bad quoting, invalid UTF-8, ...).
    #[error("{path}:{line}: {message}")]
    CsvSyntax {
        /// The file.
        path: String,
        /// 1-based line where the problem was found.
        line: u64,
        /// What the reader said.
        message: String,
    },

    /// An IDX file whose first four bytes are not an IDX magic number.
    #[error(
        "`{path}`: bytes 0..4 are {}, not an IDX magic number (00 00 <type> <dims>){hint}",
        hex(found)
    )]
    IdxMagic {
        /// The file.
        path: String,
        /// The bytes found at offset 0.
        found: Vec<u8>,
        /// Extra advice (empty or starting with `; `).
        hint: String,
    },

    /// An IDX type code (byte 2) that is not one of the format's six types.
    #[error(
        "`{path}`: byte 2 is the IDX type code 0x{code:02x}, expected 0x08 ubyte, 0x09 sbyte, 0x0b i16, 0x0c i32, 0x0d f32 or 0x0e f64"
    )]
    IdxType {
        /// The file.
        path: String,
        /// The code found.
        code: u8,
    },

    /// An IDX file whose number of dimensions (byte 3) is not supported.
    #[error("`{path}`: byte 3 says {dims} dimensions; {expected}")]
    IdxDims {
        /// The file.
        path: String,
        /// The number of dimensions found.
        dims: u8,
        /// What the caller accepts, e.g. "images need 1 to 3 dimensions".
        expected: String,
    },

    /// An IDX file that ends before its header or the data its header declares.
    #[error(
        "`{path}` is truncated: the {part} needs {needed} bytes from byte offset {offset}, but the file ends at byte offset {file_len} ({missing} bytes missing); was the download interrupted?"
    )]
    IdxTruncated {
        /// The file.
        path: String,
        /// Which part is cut short: `"header"` or `"data"`.
        part: &'static str,
        /// Bytes that part needs.
        needed: u64,
        /// Byte offset where that part starts.
        offset: u64,
        /// Length of the (decompressed) file.
        file_len: u64,
        /// Bytes missing.
        missing: u64,
    },

    /// An IDX file with bytes after its declared data.
    #[error(
        "`{path}`: {extra} unexpected bytes after the data, from byte offset {offset}; the header's sizes do not describe this file"
    )]
    IdxTrailing {
        /// The file.
        path: String,
        /// Byte offset where the extra bytes start.
        offset: u64,
        /// Number of extra bytes.
        extra: u64,
    },

    /// An IDX header whose sizes multiply past what memory can hold.
    #[error("`{path}`: the sizes {dims:?} in the header are too large to load")]
    IdxTooLarge {
        /// The file.
        path: String,
        /// The sizes found.
        dims: Vec<u64>,
    },

    /// An images file and a labels file that disagree on the number of examples.
    #[error(
        "`{images}` holds {image_count} images but `{labels}` holds {label_count} labels (the counts are at byte offset 4 of each file); are these files from the same set?"
    )]
    CountMismatch {
        /// The images file.
        images: String,
        /// The labels file.
        labels: String,
        /// Images declared at offset 4 of the images file.
        image_count: u64,
        /// Labels declared at offset 4 of the labels file.
        label_count: u64,
    },

    /// A label value that cannot be a class index.
    #[error("`{path}`: byte offset {offset}: label {value} {problem}")]
    BadLabel {
        /// The file.
        path: String,
        /// Byte offset of the value.
        offset: u64,
        /// The value found.
        value: f64,
        /// Why it is not a class index.
        problem: String,
    },

    /// A gzip stream that could not be decompressed.
    #[error("`{path}`: gzip stream is corrupt or truncated: {message}")]
    Gzip {
        /// The file.
        path: String,
        /// What the decompressor said.
        message: String,
    },

    /// A CIFAR-10 batch whose length is not a whole number of rows.
    #[error(
        "`{path}` is truncated: row {row} starts at byte offset {offset} but only {remaining} of its {row_len} bytes follow; a CIFAR-10 row is 1 label byte + 3072 pixel bytes"
    )]
    CifarTruncated {
        /// The file.
        path: String,
        /// 0-based index of the incomplete row.
        row: u64,
        /// Byte offset where the row starts.
        offset: u64,
        /// Bytes left in the file.
        remaining: u64,
        /// Bytes a row needs.
        row_len: u64,
    },

    /// A table whose header does not match the columns a model was trained on.
    #[error("`{path}`: {message}")]
    Columns {
        /// The file.
        path: String,
        /// Which columns are missing or extra, with a hint.
        message: String,
    },

    /// Invalid arguments to a generator, split, batcher or preprocessing step.
    #[error("{what}: {message}")]
    Invalid {
        /// The function or step that refused.
        what: &'static str,
        /// What was wrong and what to do.
        message: String,
    },

    /// An error from a tensor operation.
    #[error(transparent)]
    Tensor(#[from] nnc_tape::TensorError),
}

impl DataError {
    /// An invalid-argument error.
    pub fn invalid(what: &'static str, message: impl Into<String>) -> Self {
        DataError::Invalid {
            what,
            message: message.into(),
        }
    }

    /// An I/O error for `path`, with a hint for a missing file.
    pub fn io(path: &str, source: std::io::Error) -> Self {
        let hint = if source.kind() == std::io::ErrorKind::NotFound {
            match std::env::current_dir() {
                Ok(dir) => format!(
                    "; relative paths are resolved from the working directory `{}`",
                    dir.display()
                ),
                Err(_) => String::new(),
            }
        } else {
            String::new()
        };
        DataError::Io {
            path: path.to_string(),
            source,
            hint,
        }
    }
}

/// Result of a data operation.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

fn hex(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(" ")
}

fn suggest_text(suggestion: Option<&str>, available: &[String]) -> String {
    match suggestion {
        Some(s) => format!("; did you mean `{s}`?"),
        None if available.len() <= 12 => format!("; the columns are: {}", available.join(", ")),
        None => format!(
            "; the header has {} columns, starting {}, ...",
            available.len(),
            available[..5].join(", ")
        ),
    }
}

/// The similarity (normalised Damerau–Levenshtein, 0..1) a name needs to be suggested.
pub const MIN_SIMILARITY: f64 = 0.6;

/// The closest of `candidates` to `name`, following the project's did-you-mean policy (the
/// one place it is written; the language's suggestions build on it): an exact match ignoring
/// case first, then the best normalised Damerau–Levenshtein similarity of at least
/// [`MIN_SIMILARITY`] (the first on ties).
pub fn closest_name<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let candidates: Vec<&'a str> = candidates.into_iter().collect();
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(name)) {
        return Some(c);
    }
    let mut best: Option<(f64, &'a str)> = None;
    for &c in &candidates {
        let score = strsim::normalized_damerau_levenshtein(name, c);
        if score >= MIN_SIMILARITY && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// [`closest_name`] over owned names.
pub fn did_you_mean(name: &str, candidates: &[String]) -> Option<String> {
    closest_name(name, candidates.iter().map(String::as_str)).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_prefers_case_then_similarity() {
        let cols: Vec<String> = ["alcohol", "label", "Hue"].map(String::from).to_vec();
        assert_eq!(did_you_mean("lable", &cols).as_deref(), Some("label"));
        assert_eq!(did_you_mean("hue", &cols).as_deref(), Some("Hue"));
        assert_eq!(did_you_mean("proline", &cols), None);
    }

    #[test]
    fn unknown_column_lists_short_headers() {
        let e = DataError::UnknownColumn {
            path: "a.csv".into(),
            name: "zzz".into(),
            suggestion: None,
            available: vec!["x".into(), "y".into()],
        };
        assert_eq!(
            e.to_string(),
            "no column `zzz` in `a.csv`; the columns are: x, y"
        );
    }
}

nnc_tape::debug_as_display!(DataError);
