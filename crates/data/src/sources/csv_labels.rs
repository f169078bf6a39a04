//! The label column of a CSV table as it is read: each distinct label once, then the mapping
//! to classes when the whole column is known (see [`crate::sources::csv`]'s module docs for
//! the rules: integer labels by value, text labels sorted or first-seen, or a fixed class
//! list).

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::sources::csv::{CsvOptions, LabelOrder};
use crate::sources::csv_cell::missing_value;
use std::collections::HashMap;

/// Integer labels at or above this are read as text.
const MAX_INTEGER_LABEL: u64 = 1_000_000;

/// The label column as read: each distinct label once (first-seen order, with its first
/// line) and each row as the index of its label. Labels are mapped to classes at the end,
/// when all are known ([`LabelColumn::classes`]).
#[derive(Default)]
pub(crate) struct LabelColumn {
    /// For each row, the index of its label in `distinct`.
    rows: Vec<usize>,
    /// The distinct labels with the line of their first row.
    distinct: Vec<(String, u64)>,
    /// Index of each label in `distinct`.
    index: HashMap<String, usize>,
}

impl LabelColumn {
    /// The rows read.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Makes room for `rows` more rows.
    pub(crate) fn reserve(&mut self, rows: usize) {
        self.rows.reserve_exact(rows);
    }

    /// Adds a row's label cell; a missing label is an error.
    pub(crate) fn push(&mut self, cell: &[u8], line: u64, path: &str, column: &str) -> Result<()> {
        // Few classes: a look at each is quicker than hashing. (A label is never a missing
        // marker, and a cell equal to one is valid UTF-8.)
        if self.distinct.len() <= 8
            && let Some(id) = self.distinct.iter().position(|(l, _)| l.as_bytes() == cell)
        {
            self.rows.push(id);
            return Ok(());
        }
        let text = String::from_utf8_lossy(cell);
        if let Some(e) = missing_value(&text, path, line, column) {
            return Err(e);
        }
        let id = self.intern(&text, line);
        self.rows.push(id);
        Ok(())
    }

    /// The index of `text` (first met on line `line`) in `distinct`, added if new.
    pub(crate) fn intern(&mut self, text: &str, line: u64) -> usize {
        if let Some(&id) = self.index.get(text) {
            return id;
        }
        let id = self.distinct.len();
        self.index.insert(text.to_string(), id);
        self.distinct.push((text.to_string(), line));
        id
    }

    /// Appends the rows of `later`, read after these.
    pub(crate) fn append(&mut self, later: LabelColumn) {
        let ids: Vec<usize> = later
            .distinct
            .iter()
            .map(|(text, line)| self.intern(text, *line))
            .collect();
        self.rows.reserve_exact(later.rows.len());
        self.rows.extend(later.rows.iter().map(|&id| ids[id]));
    }

    /// Class indices and class names of the rows (see the module docs).
    pub(crate) fn classes(
        self,
        options: &CsvOptions,
        path: &str,
        column: &str,
    ) -> Result<(Vec<usize>, Vec<String>)> {
        let (class_of, names) = self.class_of_distinct(options, path, column)?;
        let mut rows = self.rows;
        for r in &mut rows {
            *r = class_of[*r];
        }
        Ok((rows, names))
    }

    /// The class of each distinct label, and the class names.
    pub(crate) fn class_of_distinct(
        &self,
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
            // Distinct labels are in first-seen order: the first unknown one is on the
            // earliest row with an unknown label.
            let class_of = self
                .distinct
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
            return Ok((class_of, known.clone()));
        }
        let integers: Option<Vec<usize>> = self
            .distinct
            .iter()
            .map(|(l, _)| {
                l.parse::<u64>()
                    .ok()
                    .filter(|v| *v < MAX_INTEGER_LABEL && l.bytes().all(|b| b.is_ascii_digit()))
                    .map(|v| v as usize)
            })
            .collect();
        if let Some(values) = integers {
            return Ok(Dataset::integer_classes(&values));
        }
        let mut order: Vec<usize> = (0..self.distinct.len()).collect();
        if options.label_order == LabelOrder::Sorted {
            order.sort_by(|&a, &b| self.distinct[a].0.cmp(&self.distinct[b].0));
        }
        let mut class_of = vec![0; order.len()];
        for (class, &id) in order.iter().enumerate() {
            class_of[id] = class;
        }
        let names = order
            .iter()
            .map(|&id| self.distinct[id].0.clone())
            .collect();
        Ok((class_of, names))
    }
}
