//! New rows for a trained model, read from a CSV table a batch at a time.
//!
//! The table must have a header. Its columns are matched to the model's by name, in any
//! order: every feature the model was trained on must be there, the label column may be
//! (then each row's class is read too), and nothing else may be — a missing, extra or renamed
//! column is an error naming it. Cells follow the rules of [`crate::sources::csv`]; every
//! error names the file, the line and the column. Only one batch is held in memory, so a
//! table of any length is read in bounded memory.

use crate::error::{DataError, Result, did_you_mean};
use crate::sources::csv_cell::{missing_value, parse_feature};
use crate::sources::csv_reader::{self, LineBreaks};
use std::collections::HashMap;
use std::io::Read;

/// The columns a trained model expects.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedColumns {
    /// The feature columns' names, in the model's order.
    pub features: Vec<String>,
    /// The label column's name.
    pub label: String,
    /// The class names: label `classes[c]` is class `c`.
    pub classes: Vec<String>,
    /// The field separator.
    pub delimiter: u8,
}

/// A CSV table read a batch of rows at a time (see the module docs).
pub struct CsvRowStream<R: Read> {
    name: String,
    reader: ::csv::Reader<LineBreaks<R>>,
    record: ::csv::ByteRecord,
    /// For each model feature, its column in the file.
    feature_columns: Vec<usize>,
    feature_names: Vec<String>,
    /// The label column in the file, if there is one, and the name of each class.
    label: Option<(usize, String)>,
    class_index: HashMap<String, usize>,
    classes: Vec<String>,
    width: usize,
    rows: usize,
}

impl<R: Read> CsvRowStream<R> {
    /// Reads the header of `reader` (named `name` in errors) and matches it to `expected`.
    pub fn open(reader: R, name: &str, expected: &ExpectedColumns) -> Result<Self> {
        let mut reader = csv_reader::reader(reader, expected.delimiter, 0);
        let mut record = ::csv::ByteRecord::new();
        let got = reader
            .read_byte_record(&mut record)
            .map_err(|e| csv_reader::read_error(name, e, 0))?;
        if !got || record.is_empty() {
            return Err(DataError::Empty {
                path: name.to_string(),
                what: "no header row".into(),
            });
        }
        let header: Vec<String> = record
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        if header.len() == 1 && expected.features.len() > 1 {
            return Err(DataError::invalid(
                "csv",
                crate::sources::csv::single_column(name, &record[0], expected.delimiter),
            ));
        }
        let (feature_columns, label) = match_columns(&header, name, expected)?;
        Ok(CsvRowStream {
            name: name.to_string(),
            reader,
            width: header.len(),
            record,
            feature_columns,
            feature_names: expected.features.clone(),
            label: label.map(|j| (j, expected.label.clone())),
            class_index: expected
                .classes
                .iter()
                .enumerate()
                .map(|(c, n)| (n.clone(), c))
                .collect(),
            classes: expected.classes.clone(),
            rows: 0,
        })
    }

    /// The table's name in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The label column's name, when the table has it.
    pub fn label_column(&self) -> Option<&str> {
        self.label.as_ref().map(|(_, name)| name.as_str())
    }

    /// Whether the table has the label column.
    pub fn has_labels(&self) -> bool {
        self.label.is_some()
    }

    /// Data rows read so far.
    pub fn rows_read(&self) -> usize {
        self.rows
    }

    /// Reads up to `max_rows` rows: their features (row-major, in the model's order) into
    /// `inputs` and, with a label column, their classes into `labels` (both cleared first).
    /// Returns the rows read: 0 at the end of the table.
    pub fn next_batch(
        &mut self,
        max_rows: usize,
        inputs: &mut Vec<f32>,
        labels: &mut Vec<usize>,
    ) -> Result<usize> {
        inputs.clear();
        labels.clear();
        let mut n = 0;
        while n < max_rows {
            let got = self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|e| csv_reader::read_error(&self.name, e, 0))?;
            if !got {
                break;
            }
            let start = self.record.position().map_or(0, |p| p.byte());
            let line = self.reader.get_mut().line_at(start);
            if self.record.len() != self.width {
                return Err(DataError::RaggedRow {
                    path: self.name.clone(),
                    line,
                    expected: self.width,
                    got: self.record.len(),
                });
            }
            for (&j, column) in self.feature_columns.iter().zip(&self.feature_names) {
                inputs.push(parse_feature(&self.record[j], &self.name, line, column)?);
            }
            if let Some((j, column)) = &self.label {
                labels.push(self.class_of(&self.record[*j], line, column)?);
            }
            n += 1;
        }
        self.rows += n;
        Ok(n)
    }

    /// The class of a label cell: one of the model's class names.
    fn class_of(&self, cell: &[u8], line: u64, column: &str) -> Result<usize> {
        let text = String::from_utf8_lossy(cell);
        if let Some(e) = missing_value(&text, &self.name, line, column) {
            return Err(e);
        }
        // A number written as a float (`3.0`, as pandas writes integer labels) names the
        // integer class `3`.
        let integer = text
            .parse::<f64>()
            .ok()
            .filter(|v| v.fract() == 0.0 && *v >= 0.0 && *v < 1e15)
            .map(|v| (v as u64).to_string());
        self.class_index
            .get(text.as_ref())
            .or_else(|| integer.and_then(|i| self.class_index.get(&i)))
            .copied()
            .ok_or_else(|| DataError::UnknownClass {
                path: self.name.clone(),
                line,
                column: column.to_string(),
                value: text.into_owned(),
                known: self.classes.clone(),
            })
    }
}

/// For each expected feature its column in `header`, and the label's column if present; a
/// duplicated, missing or extra column is an error naming it.
fn match_columns(
    header: &[String],
    name: &str,
    expected: &ExpectedColumns,
) -> Result<(Vec<usize>, Option<usize>)> {
    let mut position: HashMap<&str, usize> = HashMap::new();
    for (j, column) in header.iter().enumerate() {
        if let Some(first) = position.insert(column.as_str(), j) {
            return Err(DataError::DuplicateColumn {
                path: name.to_string(),
                name: column.clone(),
                first: first + 1,
                second: j + 1,
            });
        }
    }
    let missing: Vec<&String> = expected
        .features
        .iter()
        .filter(|f| !position.contains_key(f.as_str()))
        .collect();
    let extra: Vec<&String> = header
        .iter()
        .filter(|c| **c != expected.label && !expected.features.contains(c))
        .collect();
    if !missing.is_empty() || !extra.is_empty() {
        return Err(DataError::Columns {
            path: name.to_string(),
            message: mismatch_message(&missing, &extra, expected),
        });
    }
    let features = expected
        .features
        .iter()
        .map(|f| position[f.as_str()])
        .collect();
    Ok((features, position.get(expected.label.as_str()).copied()))
}

/// What is wrong with the header, naming the columns, with a hint.
fn mismatch_message(missing: &[&String], extra: &[&String], expected: &ExpectedColumns) -> String {
    let list = |names: &[&String]| {
        let shown: Vec<String> = names.iter().take(5).map(|n| format!("`{n}`")).collect();
        let more = names.len().saturating_sub(5);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!("{}{tail}", shown.join(", "))
    };
    let mut parts = Vec::new();
    if !missing.is_empty() {
        let s = if missing.len() == 1 { "" } else { "s" };
        parts.push(format!(
            "the model's feature column{s} {} {} missing",
            list(missing),
            if missing.len() == 1 { "is" } else { "are" }
        ));
    }
    if !extra.is_empty() {
        let s = if extra.len() == 1 { "" } else { "s" };
        let what = if extra.len() == 1 {
            "is not a feature"
        } else {
            "are not features"
        };
        parts.push(format!("column{s} {} {what} of the model", list(extra)));
    }
    // A close name, or the only extra column standing in for the only missing one.
    let candidates: Vec<String> = extra.iter().map(|e| e.to_string()).collect();
    let renamed = missing
        .iter()
        .find_map(|m| did_you_mean(m, &candidates).map(|e| format!("`{e}` for `{m}`")))
        .or_else(|| match (missing, extra) {
            ([m], [e]) => Some(format!("`{e}` for `{m}`")),
            _ => None,
        });
    let hint = match renamed {
        Some(pair) => format!("renamed? ({pair}); give the columns the names they had in training"),
        None => format!(
            "the table needs the {} feature columns the model was trained on ({}), and \
             optionally the label column `{}`, in any order",
            expected.features.len(),
            list(&expected.features.iter().collect::<Vec<_>>()),
            expected.label
        ),
    };
    format!("{}; {hint}", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> ExpectedColumns {
        ExpectedColumns {
            features: vec!["a".into(), "b".into()],
            label: "y".into(),
            classes: vec!["cat".into(), "dog".into()],
            delimiter: b',',
        }
    }

    fn read_all(text: &str) -> Result<(Vec<f32>, Vec<usize>, bool)> {
        let mut s = CsvRowStream::open(text.as_bytes(), "t.csv", &expected())?;
        let (mut x, mut y) = (Vec::new(), Vec::new());
        let (mut all_x, mut all_y) = (Vec::new(), Vec::new());
        while s.next_batch(2, &mut x, &mut y)? > 0 {
            all_x.extend_from_slice(&x);
            all_y.extend_from_slice(&y);
        }
        Ok((all_x, all_y, s.has_labels()))
    }

    #[test]
    fn columns_are_matched_by_name_in_any_order() {
        let (x, y, labelled) = read_all("b,y,a\n2,dog,1\n4,cat,3\n6,dog,5\n").unwrap();
        assert_eq!(x, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(y, vec![1, 0, 1]);
        // Integer classes written as floats.
        let numbered = ExpectedColumns {
            classes: vec!["0".into(), "1".into(), "2".into(), "3".into()],
            ..expected()
        };
        let mut s =
            CsvRowStream::open("a,b,y\n1,2,3.0\n3,4,1\n".as_bytes(), "t.csv", &numbered).unwrap();
        let (mut x, mut labels) = (Vec::new(), Vec::new());
        s.next_batch(10, &mut x, &mut labels).unwrap();
        assert_eq!(labels, vec![3, 1]);
        assert!(labelled);
        let (x, y, labelled) = read_all("b,a\n2,1\n").unwrap();
        assert_eq!((x, y.len(), labelled), (vec![1.0, 2.0], 0, false));
    }

    #[test]
    fn a_missing_extra_or_renamed_column_is_named() {
        let e = read_all("a,bb,y\n1,2,cat\n").unwrap_err().to_string();
        assert!(e.contains("`b` is missing"), "{e}");
        assert!(e.contains("`bb` is not a feature"), "{e}");
        assert!(e.contains("renamed?"), "{e}");
        let e = read_all("a,b,z\n1,2,3\n").unwrap_err().to_string();
        assert!(
            e.contains("`z` is not a feature") && e.contains("label column `y`"),
            "{e}"
        );
    }

    #[test]
    fn bad_cells_name_the_line_and_column() {
        let e = read_all("a,b,y\n1,2,cat\n1,x,dog\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.csv:3") && e.contains("`b`"), "{e}");
        let e = read_all("a,b,y\n1,2,bird\n").unwrap_err().to_string();
        assert!(e.contains("bird") && e.contains("t.csv:2"), "{e}");
        let e = read_all("a,b\n1,2,3\n").unwrap_err().to_string();
        assert!(e.contains("t.csv:2"), "{e}");
        // Lines count from the header as line 1, across batches and blank lines.
        let e = read_all("a,b\n1,2\n3,4\n\n5,6\n7,?\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.csv:6") && e.contains("`b`"), "{e}");
        let e = read_all("a,b\r\n1,2\r\n3,4\r\n5,x\r\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.csv:4"), "{e}");
    }
}
