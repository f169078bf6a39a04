//! CSV tables: one row per example, numeric feature columns and one label column.
//!
//! * The first row is a header (unless `header: false`, when columns are named `column1`,
//!   `column2`, ...). The label column is chosen by name; by default it is the last column.
//!   Feature columns are all the others, or the ones listed in [`CsvOptions::columns`].
//! * Cells are trimmed. A feature cell must be a finite number: an empty cell or a
//!   missing-value marker (`NA`, `N/A`, `?`, `null`) is a [`DataError::MissingValue`], `NaN`
//!   and `inf` are [`DataError::NonFinite`], anything else is [`DataError::NotNumeric`].
//! * Labels: when every label is a non-negative integer (below 1,000,000) the integers are the
//!   class indices as they are, and the classes are named `"0"` to `"max"` (so a file with
//!   labels 0..9 has 10 classes even if one is absent). Otherwise labels are names, mapped to
//!   indices in [`LabelOrder`] (sorted by default), and the mapping is kept as the dataset's
//!   class names. A fixed class list ([`CsvOptions::classes`]) overrides both, so a separate
//!   test file can be read with the training file's mapping.
//! * Every error names the file, the line (1-based as an editor shows it; the header is
//!   line 1) and the column.

use crate::dataset::Dataset;
use crate::error::{DataError, Result, did_you_mean};
use nnc_tape::Tensor;
use std::collections::HashMap;
use std::path::Path;

/// How string labels are numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelOrder {
    /// Class `c` is the `c`-th distinct label in byte-wise sorted order (the default: the
    /// mapping does not depend on the order of the rows).
    #[default]
    Sorted,
    /// Class `c` is the `c`-th distinct label met reading the file top to bottom.
    FirstSeen,
}

/// Options of [`load_csv`] and [`parse_csv`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CsvOptions {
    /// The label column's name; `None` means the last column.
    pub label: Option<String>,
    /// Whether the first row is a header (default `true`).
    pub header: bool,
    /// The feature columns, in this order; `None` means every column but the label.
    pub columns: Option<Vec<String>>,
    /// The numbering of string labels.
    pub label_order: LabelOrder,
    /// A fixed class list: label `classes[c]` is class `c`, any other label is an error.
    pub classes: Option<Vec<String>>,
    /// The field separator (default `b','`).
    pub delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            label: None,
            header: true,
            columns: None,
            label_order: LabelOrder::Sorted,
            classes: None,
            delimiter: b',',
        }
    }
}

impl CsvOptions {
    /// Default options with the label column named `label`.
    pub fn label(name: &str) -> Self {
        CsvOptions {
            label: Some(name.to_string()),
            ..CsvOptions::default()
        }
    }
}

/// Reads the CSV file at `path` (see the module docs for the rules).
pub fn load_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Dataset> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| DataError::io(&name, e))?;
    parse_csv(&bytes, &name, options)
}

pub(crate) const MISSING: [&str; 5] = ["", "NA", "N/A", "?", "null"];
const MAX_INTEGER_LABEL: u64 = 1_000_000;

/// Parses CSV text held in memory; `name` is used in error messages.
pub fn parse_csv(bytes: &[u8], name: &str, options: &CsvOptions) -> Result<Dataset> {
    let mut rows = Rows::open(bytes, name, options)?;
    let columns = column_names(&rows.record, name, options.header)?;
    let chosen = choose_columns(&columns, &rows.record, name, options)?;
    let (x, raw_labels) = read_rows(&mut rows, &columns, &chosen)?;
    let label_name = &columns[chosen.label];
    let (labels, class_names) = map_labels(&raw_labels, options, name, label_name)?;
    let n = labels.len();
    Dataset::new(
        Tensor::from_vec(x, &[n, chosen.features.len()])?,
        labels,
        class_names,
        chosen
            .features
            .iter()
            .map(|&j| columns[j].clone())
            .collect(),
    )
    .map(|d| d.with_label_name(label_name))
}

/// A CSV reader over the file's bytes, holding the first row (which fixes the width) until
/// it is known whether that row is a header or data.
struct Rows<'a> {
    bytes: &'a [u8],
    name: &'a str,
    reader: ::csv::Reader<&'a [u8]>,
    /// The row last read: the first row after [`Rows::open`].
    record: ::csv::ByteRecord,
    /// Whether `record` is a data row not yet handed out (a file without a header).
    pending_first: bool,
    /// The number of cells of the first row, which every row must have.
    width: usize,
}

impl<'a> Rows<'a> {
    /// Reads the first row; an empty file, or a first row without cells, is an error.
    fn open(bytes: &'a [u8], name: &'a str, options: &CsvOptions) -> Result<Rows<'a>> {
        let empty = |what: &str| DataError::Empty {
            path: name.to_string(),
            what: what.into(),
        };
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(empty("no header row and no data"));
        }
        let mut rows = Rows {
            bytes,
            name,
            reader: ::csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(options.delimiter)
                .trim(::csv::Trim::All)
                .from_reader(bytes),
            record: ::csv::ByteRecord::new(),
            pending_first: !options.header,
            width: 0,
        };
        if !rows.read()? {
            return Err(empty("no header row and no data"));
        }
        rows.width = rows.record.len();
        if rows.width == 0 {
            return Err(empty("the first row has no cells"));
        }
        Ok(rows)
    }

    /// Reads the next record into `record`; `false` at the end of the file.
    fn read(&mut self) -> Result<bool> {
        self.reader
            .read_byte_record(&mut self.record)
            .map_err(|e| DataError::CsvSyntax {
                path: self.name.to_string(),
                line: e.position().map_or(0, |p| p.line()),
                message: e.to_string(),
            })
    }

    /// Moves to the next data row (the held first row of a file without a header comes
    /// first); `Ok(Some(line))` with its 1-based line, `Ok(None)` at the end. A row of
    /// another width than the first is an error.
    fn next_data_row(&mut self) -> Result<Option<u64>> {
        if self.pending_first {
            self.pending_first = false;
        } else if !self.read()? {
            return Ok(None);
        }
        let line = record_line(self.bytes, self.record.position());
        if self.record.len() != self.width {
            return Err(DataError::RaggedRow {
                path: self.name.to_string(),
                line,
                expected: self.width,
                got: self.record.len(),
            });
        }
        Ok(Some(line))
    }
}

/// The column names: the header's cells (each name once), or `column1`, `column2`, ...
fn column_names(first: &::csv::ByteRecord, name: &str, header: bool) -> Result<Vec<String>> {
    if !header {
        return Ok((1..=first.len()).map(|j| format!("column{j}")).collect());
    }
    let mut columns: Vec<String> = Vec::with_capacity(first.len());
    for (j, cell) in first.iter().enumerate() {
        let text = String::from_utf8_lossy(cell).into_owned();
        if let Some(earlier) = columns.iter().position(|c| *c == text) {
            return Err(DataError::DuplicateColumn {
                path: name.to_string(),
                name: text,
                first: earlier + 1,
                second: j + 1,
            });
        }
        columns.push(text);
    }
    Ok(columns)
}

/// The label column and the feature columns, by index.
struct ChosenColumns {
    label: usize,
    features: Vec<usize>,
}

/// Picks the label column (by name, else the last) and the feature columns (those listed,
/// else all others); at least one feature column is needed. `first` is the first row, shown
/// when the file seems to have a single column.
fn choose_columns(
    columns: &[String],
    first: &::csv::ByteRecord,
    name: &str,
    options: &CsvOptions,
) -> Result<ChosenColumns> {
    let find = |wanted: &str| -> Result<usize> {
        columns
            .iter()
            .position(|c| c == wanted)
            .ok_or_else(|| DataError::UnknownColumn {
                path: name.to_string(),
                name: wanted.to_string(),
                suggestion: did_you_mean(wanted, columns),
                available: columns.to_vec(),
            })
    };
    let width = columns.len();
    let label = match &options.label {
        Some(l) => find(l)?,
        None => width - 1,
    };
    let features: Vec<usize> = match &options.columns {
        Some(list) => {
            let mut features = Vec::with_capacity(list.len());
            for c in list {
                let j = find(c)?;
                if j == label {
                    return Err(DataError::invalid(
                        "csv",
                        format!("`{name}`: column `{c}` is the label; it cannot also be a feature"),
                    ));
                }
                features.push(j);
            }
            features
        }
        None => (0..width).filter(|&j| j != label).collect(),
    };
    if features.is_empty() && width == 1 && options.columns.is_none() {
        return Err(DataError::invalid(
            "csv",
            single_column(name, &first[0], options.delimiter),
        ));
    }
    if features.is_empty() {
        return Err(DataError::invalid(
            "csv",
            format!("`{name}` has no feature columns besides the label"),
        ));
    }
    Ok(ChosenColumns { label, features })
}

/// A label cell as read, with its 1-based line.
type LabelCell = (String, u64);

/// Reads every data row: the feature values (row-major) and each row's label cell with its
/// line. A missing label or no data row at all is an error.
fn read_rows(
    rows: &mut Rows<'_>,
    columns: &[String],
    chosen: &ChosenColumns,
) -> Result<(Vec<f32>, Vec<LabelCell>)> {
    let name = rows.name;
    let mut x: Vec<f32> = Vec::new();
    let mut raw_labels: Vec<LabelCell> = Vec::new();
    while let Some(line) = rows.next_data_row()? {
        for &j in &chosen.features {
            x.push(parse_feature(&rows.record[j], name, line, &columns[j])?);
        }
        let label = String::from_utf8_lossy(&rows.record[chosen.label]).into_owned();
        if MISSING.contains(&label.as_str()) {
            return Err(DataError::MissingValue {
                path: name.to_string(),
                line,
                column: columns[chosen.label].clone(),
            });
        }
        raw_labels.push((label, line));
    }
    if raw_labels.is_empty() {
        return Err(DataError::Empty {
            path: name.to_string(),
            what: "the header is there but no data rows follow".into(),
        });
    }
    Ok((x, raw_labels))
}

/// The 1-based line where a record starts. The csv reader reports the position before any
/// blank lines it skipped, so those are counted here.
fn record_line(bytes: &[u8], pos: Option<&::csv::Position>) -> u64 {
    let Some(pos) = pos else { return 0 };
    let start = usize::try_from(pos.byte())
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let skipped = bytes[start..]
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .filter(|&&b| b == b'\n')
        .count();
    pos.line() + skipped as u64
}

/// A feature cell as a finite f32 (parsed as f64, rounded once), or the error naming the
/// file, line and column.
pub(crate) fn parse_feature(cell: &[u8], path: &str, line: u64, column: &str) -> Result<f32> {
    let text = String::from_utf8_lossy(cell);
    if MISSING.contains(&text.as_ref()) {
        return Err(DataError::MissingValue {
            path: path.to_string(),
            line,
            column: column.to_string(),
        });
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && (v as f32).is_finite() => Ok(v as f32),
        Ok(_) => Err(DataError::NonFinite {
            path: path.to_string(),
            line,
            column: column.to_string(),
            value: text.into_owned(),
        }),
        Err(_) => Err(DataError::NotNumeric {
            path: path.to_string(),
            line,
            column: column.to_string(),
            value: text.into_owned(),
        }),
    }
}

/// Class indices and class names for the raw label cells (see the module docs).
fn map_labels(
    raw: &[LabelCell],
    options: &CsvOptions,
    path: &str,
    column: &str,
) -> Result<(Vec<usize>, Vec<String>)> {
    if let Some(known) = &options.classes {
        let index: HashMap<&str, usize> = known
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let labels = raw
            .iter()
            .map(|(l, line)| {
                index
                    .get(l.as_str())
                    .copied()
                    .ok_or_else(|| DataError::UnknownClass {
                        path: path.to_string(),
                        line: *line,
                        column: column.to_string(),
                        value: l.clone(),
                        known: known.clone(),
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok((labels, known.clone()));
    }
    let integers: Option<Vec<u64>> = raw
        .iter()
        .map(|(l, _)| {
            l.parse::<u64>()
                .ok()
                .filter(|v| *v < MAX_INTEGER_LABEL && l.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    if let Some(ints) = integers {
        let values: Vec<usize> = ints.into_iter().map(|v| v as usize).collect();
        return Ok(Dataset::integer_classes(&values));
    }
    let mut names: Vec<String> = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (l, _) in raw {
        if !seen.contains_key(l.as_str()) {
            seen.insert(l.as_str(), names.len());
            names.push(l.clone());
        }
    }
    if options.label_order == LabelOrder::Sorted {
        names.sort();
        seen = names
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
    }
    let labels = raw.iter().map(|(l, _)| seen[l.as_str()]).collect();
    Ok((labels, names))
}

/// The error for a file whose first row is a single cell: usually another separator (`;`,
/// tabs) or not a CSV file at all. Shows the start of the cell and guesses the separator.
pub(crate) fn single_column(name: &str, cell: &[u8], delimiter: u8) -> String {
    let text = String::from_utf8_lossy(cell);
    let mut shown: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        shown.push('…');
    }
    let sep = char::from(delimiter);
    let guess = [
        (b';', "`;`"),
        (b'\t', "tabs"),
        (b'|', "`|`"),
        (b' ', "spaces"),
    ]
    .iter()
    .find(|(c, _)| cell.contains(c))
    .map_or(String::new(), |(_, what)| {
        format!(": it looks separated by {what}; replace them with `{sep}`")
    });
    format!(
        "`{name}` has a single column ({shown:?}), so no feature columns besides the label; \
         nnc reads cells separated by `{sep}`{guess}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, options: &CsvOptions) -> Result<Dataset> {
        parse_csv(text.as_bytes(), "t.csv", options)
    }

    #[test]
    fn reads_features_and_integer_labels() {
        let ds = parse("a,b,label\n1,2,0\n3.5, -4 ,2\n", &CsvOptions::default()).unwrap();
        assert_eq!(ds.inputs().data(), &[1.0, 2.0, 3.5, -4.0]);
        // Integer labels with a gap are mapped densely (no empty class), named by value.
        assert_eq!(ds.labels(), &[0, 1]);
        assert_eq!(ds.class_names(), &["0", "2"]);
        assert_eq!(ds.feature_names(), &["a", "b"]);
    }

    #[test]
    fn string_labels_sorted_or_first_seen() {
        let text = "x,kind\n1,pear\n2,apple\n3,pear\n4,fig\n";
        let ds = parse(text, &CsvOptions::default()).unwrap();
        assert_eq!(ds.class_names(), &["apple", "fig", "pear"]);
        assert_eq!(ds.labels(), &[2, 0, 2, 1]);
        let opts = CsvOptions {
            label_order: LabelOrder::FirstSeen,
            ..CsvOptions::default()
        };
        let ds = parse(text, &opts).unwrap();
        assert_eq!(ds.class_names(), &["pear", "apple", "fig"]);
        assert_eq!(ds.labels(), &[0, 1, 0, 2]);
    }

    #[test]
    fn fixed_classes_map_and_reject_unknown_labels() {
        let opts = CsvOptions {
            classes: Some(vec!["b".into(), "a".into()]),
            ..CsvOptions::default()
        };
        let ds = parse("x,y\n1,a\n2,b\n", &opts).unwrap();
        assert_eq!(ds.labels(), &[1, 0]);
        let e = parse("x,y\n1,a\n2,c\n", &opts).unwrap_err();
        assert!(matches!(e, DataError::UnknownClass { line: 3, .. }), "{e}");
    }

    #[test]
    fn label_by_name_and_column_selection() {
        let text = "label,a,b,c\n1,10,20,30\n0,11,21,31\n";
        let opts = CsvOptions {
            label: Some("label".into()),
            columns: Some(vec!["c".into(), "a".into()]),
            ..CsvOptions::default()
        };
        let ds = parse(text, &opts).unwrap();
        assert_eq!(ds.inputs().data(), &[30.0, 10.0, 31.0, 11.0]);
        assert_eq!(ds.labels(), &[1, 0]);
        let bad = CsvOptions {
            columns: Some(vec!["label".into()]),
            ..opts
        };
        assert!(parse(text, &bad).is_err());
    }

    #[test]
    fn headerless_files_name_columns_by_position() {
        let opts = CsvOptions {
            header: false,
            label: Some("column1".into()),
            ..CsvOptions::default()
        };
        let ds = parse("1,5,6\n0,7,8\n", &opts).unwrap();
        assert_eq!(ds.feature_names(), &["column2", "column3"]);
        assert_eq!(ds.labels(), &[1, 0]);
        assert_eq!(ds.len(), 2);
    }

    #[test]
    fn lines_count_from_the_header_as_one() {
        let e = parse("a,label\n1,0\n2,0\n\n3,x,9\n", &CsvOptions::default()).unwrap_err();
        match e {
            DataError::RaggedRow {
                line,
                expected,
                got,
                ..
            } => {
                assert_eq!((line, expected, got), (5, 2, 3));
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn missing_markers_and_label_cells() {
        let e = parse("a,label\n1,0\nNA,1\n", &CsvOptions::default()).unwrap_err();
        assert!(matches!(e, DataError::MissingValue { line: 3, .. }), "{e}");
        let e = parse("a,label\n1,\n", &CsvOptions::default()).unwrap_err();
        assert!(
            matches!(&e, DataError::MissingValue { line: 2, column, .. } if column == "label"),
            "{e}"
        );
        let e = parse("a,label\n1e39,0\n", &CsvOptions::default()).unwrap_err();
        assert!(matches!(e, DataError::NonFinite { .. }), "{e}");
    }

    #[test]
    fn bom_crlf_and_quotes() {
        let text = "\u{feff}a,\"b c\",label\r\n1,\"2\",x\r\n\r\n3,4,y\r\n5,oops,x\r\n";
        let e = parse(text, &CsvOptions::default()).unwrap_err();
        match &e {
            DataError::NotNumeric { line, column, .. } => {
                assert_eq!((*line, column.as_str()), (5, "b c"));
            }
            other => panic!("unexpected {other}"),
        }
        let ds = parse(&text[..text.len() - 12], &CsvOptions::default()).unwrap();
        assert_eq!(ds.feature_names(), &["a", "b c"]);
        assert_eq!(ds.inputs().data(), &[1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn duplicate_header_names_are_refused() {
        let e = parse("a,a,label\n1,2,0\n", &CsvOptions::default()).unwrap_err();
        assert!(
            matches!(
                e,
                DataError::DuplicateColumn {
                    first: 1,
                    second: 2,
                    ..
                }
            ),
            "{e}"
        );
    }
}
