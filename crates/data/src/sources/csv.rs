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
//!
//! [`load_csv`] reads the file a block at a time straight into the f32 features: no copy of
//! the text and no f64 table is held, so the peak memory is about the features' size plus a
//! few MB. Blocks without quotes are split here (`csv_plain`), long ones on two threads;
//! from the first block with a quote (or a lone `\r` line end) on, the csv reader reads. The
//! result, errors included, is the same either way.

use crate::dataset::Dataset;
use crate::error::{DataError, Result, did_you_mean};
use crate::sources::csv_cell::{parse_feature, simple_decimal};
use crate::sources::csv_labels::LabelColumn;
use crate::sources::csv_plain::{self, Blocks};
use crate::sources::csv_reader::{self, LineBreaks};
use nnc_tape::Tensor;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

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

/// Reads the CSV file at `path` (see the module docs for the rules). The file is read a
/// buffer at a time, straight into the f32 features: no copy of its text is held.
pub fn load_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Dataset> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| DataError::io(&name, e))?;
    let size = file.metadata().ok().map(|m| m.len());
    read_csv(file, size, &name, options)
}

/// Parses CSV text held in memory; `name` is used in error messages.
pub fn parse_csv(bytes: &[u8], name: &str, options: &CsvOptions) -> Result<Dataset> {
    read_csv(bytes, Some(bytes.len() as u64), name, options)
}

/// Reads a CSV table from `input` of `size` bytes (when known, to reserve the features'
/// memory once); `name` is used in error messages. Plain blocks of lines are split here
/// ([`csv_plain`]); from the first block that is not plain on, the csv reader reads.
fn read_csv<R: Read>(
    input: R,
    size: Option<u64>,
    name: &str,
    options: &CsvOptions,
) -> Result<Dataset> {
    let mut table = Table::new(name, options, size);
    let mut blocks = Blocks::new(input);
    let mut at = PlainAt {
        lines: 0,
        bom: false,
    };
    let plain =
        std::thread::scope(|scope| read_plain_blocks(scope, &mut table, &mut blocks, &mut at))?;
    if !plain {
        let base = blocks.offset();
        read_with_csv_reader(&mut table, blocks.rest(), at.lines, base, at.bom)?;
    }
    table.finish()
}

/// The second half of a block, read on another thread into its own part.
type Pending<'scope> = std::thread::ScopedJoinHandle<'scope, Result<Part>>;

/// Reads the plain blocks of the input: `Ok(true)` at its end, `Ok(false)` at the first block
/// that is not plain (or must be read by the csv reader from its start), which `blocks` then
/// hands on. Once the columns are known, a long block is read in two halves, the second on
/// another thread; the next block is read while that thread still works, and its rows are
/// appended before the next block's.
fn read_plain_blocks<'scope, 'env, R: Read>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    table: &mut Table<'env>,
    blocks: &mut Blocks<R>,
    at: &mut PlainAt,
) -> Result<bool> {
    let name = table.name;
    let two = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    let mut shared: Option<Arc<Layout>> = None;
    let mut pending: Option<Pending<'scope>> = None;
    while let Some((offset, block)) = blocks.next_block().map_err(|e| DataError::io(name, e))? {
        if !csv_plain::is_plain(block, table.options.delimiter) {
            table.join(pending.take())?;
            return Ok(false);
        }
        let middle = block[block.len() / 2..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| block.len() / 2 + i + 1)
            .filter(|&m| two && block.len() >= TWO_THREADS && m < block.len());
        let (Some(layout), Some(middle)) = (&table.first, middle) else {
            table.join(pending.take())?;
            if !table.plain_lines(block, offset, at)? {
                return Ok(false);
            }
            continue;
        };
        let layout = Arc::clone(shared.get_or_insert_with(|| Arc::new(layout.clone())));
        let (a, b) = block.split_at(middle);
        let b = b.to_vec();
        let b_lines = at.lines + a.iter().filter(|&&c| c == b'\n').count() as u64;
        let end_lines = b_lines + b.iter().filter(|&&c| c == b'\n').count() as u64;
        table.join(pending.take())?;
        table.reserve_for(block.len() as u64, offset);
        // The second half's room is allocated here, not on the worker: memory a short-lived
        // thread allocates may stay in an arena of its own after it is freed.
        let rows_b = table.estimate_rows(b.len() as u64, offset);
        let mut part = Part::default();
        part.x.reserve(rows_b * table.width());
        part.labels.reserve(rows_b);
        let delimiter = table.options.delimiter;
        let worker_layout = Arc::clone(&layout);
        pending = Some(scope.spawn(move || {
            plain_data_lines(&worker_layout, &mut part, &b, b_lines, name, delimiter).map(|()| part)
        }));
        plain_data_lines(&layout, &mut table.part, a, at.lines, name, delimiter)?;
        at.lines = end_lines;
    }
    table.join(pending.take())?;
    Ok(true)
}

/// Where the plain blocks read so far leave off.
struct PlainAt {
    /// Lines before the next block.
    lines: u64,
    /// Whether a byte order mark was dropped (then the input is not all whitespace).
    bom: bool,
}

/// Blocks at least this long are split between two threads, once the columns are known.
const TWO_THREADS: usize = 64 * 1024;

/// Reads the lines of a plain block whose columns are known into `part`: `lines` lines come
/// before it. It does not start the input (no byte order mark).
fn plain_data_lines(
    layout: &Layout,
    part: &mut Part,
    block: &[u8],
    lines: u64,
    name: &str,
    delimiter: u8,
) -> Result<()> {
    let mut cells = Vec::new();
    let (mut line, mut start) = (lines, 0);
    while start < block.len() {
        line += 1;
        let (end, next) = csv_plain::split_line(block, start, delimiter, &mut cells);
        if end > start {
            let row = PlainRow {
                text: block,
                cells: &cells,
            };
            part.row(layout, &row, line, name)?;
        }
        start = next;
    }
    Ok(())
}

/// Reads the rest of the table with the csv reader: `input` starts at byte `base` of the
/// whole input, after `lines` lines (`text_before` if they hold more than whitespace).
fn read_with_csv_reader<R: Read>(
    table: &mut Table<'_>,
    input: R,
    lines: u64,
    base: u64,
    text_before: bool,
) -> Result<()> {
    let mut rows = Rows::new(input, table.name, table.options.delimiter, lines);
    rows.text_before = text_before;
    while rows.read()? {
        if table.first.is_none() && rows.only_whitespace()? {
            return Err(table.empty("no header row and no data"));
        }
        let start = rows.row_start();
        let line = rows.reader.get_mut().line_at(start);
        table.row(&rows.record, line, base + start)?;
    }
    Ok(())
}

/// The rows of a table read with the csv reader.
struct Rows<'a, R: Read> {
    name: &'a str,
    reader: ::csv::Reader<LineBreaks<R>>,
    /// The row last read.
    record: ::csv::ByteRecord,
    /// Lines before the input.
    lines: u64,
    /// Whether the lines before the input hold more than whitespace.
    text_before: bool,
}

impl<'a, R: Read> Rows<'a, R> {
    /// Rows of `input`, which starts after `lines` lines of the file named `name`.
    fn new(input: R, name: &'a str, delimiter: u8, lines: u64) -> Self {
        Rows {
            name,
            reader: csv_reader::reader(input, delimiter, lines),
            record: ::csv::ByteRecord::new(),
            lines,
            text_before: false,
        }
    }

    /// Whether the whole input is ASCII whitespace, when the row read has only empty cells
    /// (a row of blanks); the rows are read to find out, which is harmless as such a first
    /// row is an error anyway (its column names are all empty: one column and no feature, or
    /// duplicates).
    fn only_whitespace(&mut self) -> Result<bool> {
        if self.text_before || !self.record.iter().all(<[u8]>::is_empty) {
            return Ok(false);
        }
        let mut rest = ::csv::ByteRecord::new();
        while self.reader.get_ref().only_whitespace() {
            let more = self
                .reader
                .read_byte_record(&mut rest)
                .map_err(|e| csv_reader::read_error(self.name, e, self.lines))?;
            if !more {
                return Ok(self.reader.get_ref().only_whitespace());
            }
        }
        Ok(false)
    }

    /// Reads the next record into `record`; `false` at the end of the input.
    fn read(&mut self) -> Result<bool> {
        self.reader
            .read_byte_record(&mut self.record)
            .map_err(|e| csv_reader::read_error(self.name, e, self.lines))
    }

    /// The byte offset in this input where the current row starts.
    fn row_start(&self) -> u64 {
        self.record.position().map_or(0, ::csv::Position::byte)
    }
}

/// The cells of a row.
trait Cells {
    /// The number of cells.
    fn count(&self) -> usize;
    /// Cell `j`, trimmed.
    fn cell(&self, j: usize) -> &[u8];
    /// The row as a csv record.
    fn record(&self) -> ::csv::ByteRecord {
        (0..self.count()).map(|j| self.cell(j)).collect()
    }
}

impl Cells for ::csv::ByteRecord {
    fn count(&self) -> usize {
        self.len()
    }

    fn cell(&self, j: usize) -> &[u8] {
        &self[j]
    }
}

/// A row of a plain block: its text and the bounds of its cells.
struct PlainRow<'a> {
    text: &'a [u8],
    cells: &'a [(usize, usize)],
}

impl Cells for PlainRow<'_> {
    fn count(&self) -> usize {
        self.cells.len()
    }

    fn cell(&self, j: usize) -> &[u8] {
        let (start, end) = self.cells[j];
        &self.text[start..end]
    }
}

/// The columns a table's first row fixed.
#[derive(Clone)]
struct Layout {
    /// The column names.
    columns: Vec<String>,
    /// The label column and the feature columns.
    chosen: ChosenColumns,
    /// The number of cells of the first row, which every row must have.
    width: usize,
}

/// Data rows read: their features (row-major) and their labels.
#[derive(Default)]
struct Part {
    x: Vec<f32>,
    labels: LabelColumn,
}

impl Part {
    /// Adds the data row on line `line` of the file `name`, laid out as `layout` says.
    fn row<C: Cells>(&mut self, layout: &Layout, row: &C, line: u64, name: &str) -> Result<()> {
        if row.count() != layout.width {
            return Err(DataError::RaggedRow {
                path: name.to_string(),
                line,
                expected: layout.width,
                got: row.count(),
            });
        }
        for &j in &layout.chosen.features {
            let cell = row.cell(j);
            // The common case inline; anything else (and every error) through parse_feature.
            let value = match simple_decimal(cell) {
                Some(v) if (v as f32).is_finite() => v as f32,
                _ => parse_feature(cell, name, line, &layout.columns[j])?,
            };
            self.x.push(value);
        }
        let j = layout.chosen.label;
        self.labels
            .push(row.cell(j), line, name, &layout.columns[j])
    }

    /// Appends the rows of `later`, read after these.
    fn append(&mut self, later: Part) {
        // Exactly (no doubling) when the room reserved was short.
        self.x.reserve_exact(later.x.len());
        self.x.extend_from_slice(&later.x);
        self.labels.append(later.labels);
    }
}

/// A table as it is read: its layout (once the first row is read), its features and its
/// label column.
struct Table<'a> {
    name: &'a str,
    options: &'a CsvOptions,
    /// The input's length in bytes, when known.
    size: Option<u64>,
    first: Option<Layout>,
    /// Byte offset of the first data row.
    data_start: Option<u64>,
    part: Part,
}

impl<'a> Table<'a> {
    fn new(name: &'a str, options: &'a CsvOptions, size: Option<u64>) -> Self {
        Table {
            name,
            options,
            size,
            first: None,
            data_start: None,
            part: Part::default(),
        }
    }

    fn empty(&self, what: &str) -> DataError {
        DataError::Empty {
            path: self.name.to_string(),
            what: what.into(),
        }
    }

    /// Waits for the rows a worker read (the half block after every row read so far) and
    /// appends them, or returns its error.
    fn join(&mut self, pending: Option<Pending<'_>>) -> Result<()> {
        let Some(worker) = pending else {
            return Ok(());
        };
        // A worker that panicked is a bug; pass its panic on.
        let part = worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        self.part.append(part);
        Ok(())
    }

    /// Reads the lines of a plain block starting at byte `offset` of the input, one by one.
    /// `Ok(false)`, with `at` as it was, when the block must be read by the csv reader from
    /// its start instead: a first row of blanks, as whether the input is all whitespace
    /// decides the error, which the csv reader's path finds out.
    fn plain_lines(&mut self, block: &[u8], offset: u64, at: &mut PlainAt) -> Result<bool> {
        let mut cells = Vec::new();
        let (mut line, mut bom, mut start) = (at.lines, at.bom, 0);
        while start < block.len() {
            let line_start = offset + start as u64;
            line += 1;
            // The csv reader drops a UTF-8 byte order mark at the start of the input.
            if line_start == 0 && block.starts_with(b"\xef\xbb\xbf") {
                bom = true;
                start = 3;
            }
            let (end, next) =
                csv_plain::split_line(block, start, self.options.delimiter, &mut cells);
            if end > start {
                if self.first.is_none() && cells.iter().all(|(s, e)| s == e) {
                    return Ok(false);
                }
                let row = PlainRow {
                    text: block,
                    cells: &cells,
                };
                self.row(&row, line, line_start)?;
            }
            start = next;
        }
        *at = PlainAt { lines: line, bom };
        Ok(true)
    }

    /// Takes the row on line `line` starting at byte `start`: the first row fixes the
    /// columns (and is data too in a file without a header); any other is a data row.
    fn row<C: Cells>(&mut self, row: &C, line: u64, start: u64) -> Result<()> {
        if self.first.is_none() {
            let record = row.record();
            if record.is_empty() {
                return Err(self.empty("the first row has no cells"));
            }
            let columns = column_names(&record, self.name, self.options.header)?;
            let chosen = choose_columns(&columns, &record, self.name, self.options)?;
            let width = chosen.features.len();
            self.part.x = Vec::with_capacity(FIRST_ROWS * width);
            self.first = Some(Layout {
                columns,
                chosen,
                width: record.len(),
            });
            if self.options.header {
                return Ok(());
            }
        }
        self.data_start.get_or_insert(start);
        if self.part.x.len() == self.part.x.capacity() {
            self.reserve_for(0, start);
        }
        let Some(layout) = &self.first else {
            return Ok(());
        };
        self.part.row(layout, row, line, self.name)
    }

    /// The data rows `bytes` bytes hold at the average length of the rows before byte
    /// `start`, with a margin of 1/4 (the rows of one block may be shorter than the average).
    fn estimate_rows(&self, bytes: u64, start: u64) -> usize {
        let rows = self.part.labels.len();
        let row_bytes = start - self.data_start.unwrap_or(start);
        (1.25 * bytes as f64 * rows as f64 / row_bytes.max(1) as f64) as usize + 1
    }

    /// Feature columns, once the first row is read.
    fn width(&self) -> usize {
        self.first.as_ref().map_or(0, |l| l.chosen.features.len())
    }

    /// Makes room for the rest of the input from byte `start` (its rows estimated from the
    /// rows' length so far) unless the room left holds the rows of the next `bytes` bytes.
    fn reserve_for(&mut self, bytes: u64, start: u64) {
        let (Some(layout), Some(first)) = (&self.first, self.data_start) else {
            return;
        };
        let width = layout.chosen.features.len().max(1);
        let rows = self.part.labels.len();
        let row_bytes = start - first;
        let room = (self.part.x.capacity() - self.part.x.len()) / width;
        let needed = self.estimate_rows(bytes, start);
        if bytes > 0 && rows > 0 && room > needed {
            return;
        }
        let more = more_rows(rows, row_bytes, start, self.size).max(needed);
        self.part.x.reserve_exact(more * width);
        self.part.labels.reserve(more);
    }

    /// The dataset read. A table without rows, or without data rows, is an error.
    fn finish(self) -> Result<Dataset> {
        if self.part.labels.is_empty() {
            return Err(self.empty(match self.first {
                None => "no header row and no data",
                Some(_) => "the header is there but no data rows follow",
            }));
        }
        let Some(layout) = self.first else {
            return Err(self.empty("no header row and no data"));
        };
        let mut x = self.part.x;
        // Give back a reservation that overshot by much (not worth a copy otherwise).
        if x.capacity() - x.len() > x.len() / 8 {
            x.shrink_to_fit();
        }
        let label_name = &layout.columns[layout.chosen.label];
        let labels = self.part.labels;
        let (labels, class_names) = labels.classes(self.options, self.name, label_name)?;
        let n = labels.len();
        let features = layout.chosen.features;
        Dataset::new(
            Tensor::from_vec(x, &[n, features.len()])?,
            labels,
            class_names,
            features
                .iter()
                .map(|&j| layout.columns[j].clone())
                .collect(),
        )
        .map(|d| d.with_label_name(label_name))
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
#[derive(Clone)]
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

/// Rows reserved before the rows' length is known.
const FIRST_ROWS: usize = 256;

/// How many more rows to make room for, when `rows` rows spanning `row_bytes` bytes have
/// filled the room there was and the next row starts at byte `next`: the rows the rest of
/// the input holds at the average length so far, with a margin of 1/16; without a known
/// `size`, as many rows again.
fn more_rows(rows: usize, row_bytes: u64, next: u64, size: Option<u64>) -> usize {
    let Some(size) = size.filter(|_| rows > 0 && row_bytes > 0) else {
        return rows.max(FIRST_ROWS);
    };
    let per_row = row_bytes as f64 / rows as f64;
    let estimate = (size.saturating_sub(next) as f64 / per_row) as usize;
    estimate + estimate / 16 + FIRST_ROWS
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

    /// A file in a fresh temporary folder, written with `text`; the folder is removed by
    /// the returned guard.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn new(test: &str, text: &str) -> TempFile {
            let dir = std::env::temp_dir().join(format!("nnc-csv-{test}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("t.csv");
            std::fs::write(&path, text).unwrap();
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            if let Some(dir) = self.0.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    /// Rows enough to span several of the blocks the file is read in.
    const LONG: usize = 150_000;

    fn fruit(i: usize) -> &'static str {
        ["pear", "apple", "fig", "kiwi"][(i * 7 + i / 3) % 4]
    }

    #[test]
    fn a_file_longer_than_the_buffer_reads_like_the_same_text_in_memory() {
        let mut text = String::from("x,y,kind\r\n");
        for i in 0..LONG {
            text.push_str(&format!("{},{}.25,{}\r\n", i, i % 97, fruit(i)));
            if i % 5000 == 0 {
                text.push_str("\r\n");
            }
        }
        assert!(text.len() > 2 * super::csv_plain::BLOCK);
        let file = TempFile::new("long", &text);
        for order in [LabelOrder::Sorted, LabelOrder::FirstSeen] {
            let opts = CsvOptions {
                label_order: order,
                ..CsvOptions::default()
            };
            let ds = load_csv(&file.0, &opts).unwrap();
            assert_eq!(ds, parse(&text, &opts).unwrap());
            assert_eq!(ds.len(), LONG);
            let names: Vec<&str> = ds.class_names().iter().map(String::as_str).collect();
            let want = match order {
                LabelOrder::Sorted => ["apple", "fig", "kiwi", "pear"],
                // Rows 0, 1, 2, 3 are pear, kiwi, fig, apple.
                LabelOrder::FirstSeen => ["pear", "kiwi", "fig", "apple"],
            };
            assert_eq!(names, want);
            for (i, &c) in ds.labels().iter().enumerate() {
                assert_eq!(names[c], fruit(i), "row {i}");
                let row = &ds.inputs().data()[2 * i..2 * i + 2];
                assert_eq!(row, [i as f32, (i % 97) as f32 + 0.25], "row {i}");
            }
        }
    }

    #[test]
    fn errors_deep_in_a_long_file_name_the_editor_line() {
        // Header on line 1, data rows on lines 2.., a blank line after every 1000th row.
        let mut text = String::from("a,b,label\r\n");
        let mut line = 1;
        for i in 0..LONG {
            line += 1;
            let b = if i == LONG - 10 { "oops" } else { "1" };
            text.push_str(&format!("{i},{b},0\r\n"));
            if i % 1000 == 0 && i < LONG - 10 {
                text.push_str("\r\n");
                line += 1;
            }
            if i == LONG - 10 {
                break;
            }
        }
        let file = TempFile::new("line", &text);
        match load_csv(&file.0, &CsvOptions::default()).unwrap_err() {
            DataError::NotNumeric {
                line: got, column, ..
            } => assert_eq!((got, column.as_str()), (line, "b")),
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn quotes_after_the_first_block_hand_over_to_the_csv_reader() {
        // Plain rows for two blocks, then a quoted cell with a line break in it, a blank
        // line, a lone `\r` line end, and a bad cell: its line counts every line break.
        let mut text = String::from("a,b,label\n");
        let mut lines = 1;
        let mut want = Vec::new();
        while text.len() < 2 * super::csv_plain::BLOCK + 1000 {
            let i = want.len() / 2;
            text.push_str(&format!("{i},0.5,1\n"));
            want.extend([i as f32, 0.5]);
            lines += 1;
        }
        text.push_str("\"7\",\"8\n\",0\n\n9,10,1\r11,12,0\n");
        want.extend([7.0, 8.0, 9.0, 10.0, 11.0, 12.0]);
        let file = TempFile::new("quotes", &text);
        let ds = load_csv(&file.0, &CsvOptions::default()).unwrap();
        assert_eq!(ds.inputs().data(), want);
        assert_eq!(ds.class_names(), &["0", "1"]);
        text.push_str("13,x,1\n");
        // The quoted cell spans 2 lines, then a blank line, then one line holding 2 rows (a
        // lone `\r` ends a row; lines are counted by `\n`, as the csv reader counts them).
        let bad = lines + 2 + 1 + 1 + 1;
        let file = TempFile::new("quotes-bad", &text);
        match load_csv(&file.0, &CsvOptions::default()).unwrap_err() {
            DataError::NotNumeric { line, value, .. } => {
                assert_eq!((line, value.as_str()), (bad, "x"))
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn the_first_bad_row_is_reported_when_halves_are_read_on_two_threads() {
        // Rows of 15 bytes; the second block is read in two halves. Bad cells in both halves
        // (and a new label in each): the first in the file is reported.
        let rows = 3 * super::csv_plain::BLOCK / 16;
        let first_bad = (super::csv_plain::BLOCK + super::csv_plain::BLOCK / 4) / 16;
        let second_bad = (super::csv_plain::BLOCK + 3 * super::csv_plain::BLOCK / 4) / 16;
        let mut text = String::from("a,b,label\n");
        for i in 0..rows {
            let label = if i == first_bad - 5 || i == second_bad - 5 {
                "z"
            } else {
                "y"
            };
            text.push_str(&format!("{:07},0.25,{label}\n", i % 10_000_000));
        }
        let file = TempFile::new("halves", &text);
        let ds = load_csv(&file.0, &CsvOptions::default()).unwrap();
        assert_eq!(ds.len(), rows);
        assert_eq!(ds, parse(&text, &CsvOptions::default()).unwrap());
        assert_eq!(ds.labels()[first_bad - 5], 1);
        for bad in [second_bad, first_bad] {
            let at = text.find(&format!("{bad:07},0.25")).unwrap();
            text.replace_range(at + 8..at + 12, "0.x5");
        }
        let file = TempFile::new("halves-bad", &text);
        match load_csv(&file.0, &CsvOptions::default()).unwrap_err() {
            // Line 1 is the header.
            DataError::NotNumeric { line, .. } => assert_eq!(line, first_bad as u64 + 2),
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn unknown_classes_name_the_first_row_that_has_one() {
        let opts = CsvOptions {
            classes: Some(vec!["a".into(), "b".into()]),
            ..CsvOptions::default()
        };
        let e = parse("x,y\n1,a\n2,c\n3,d\n4,c\n", &opts).unwrap_err();
        assert!(
            matches!(&e, DataError::UnknownClass { line: 3, value, .. } if value == "c"),
            "{e}"
        );
        // Labels are mapped once every row is read: a bad feature later in the file is
        // reported first.
        let e = parse("x,y\n1,c\nz,a\n", &opts).unwrap_err();
        assert!(matches!(e, DataError::NotNumeric { line: 3, .. }), "{e}");
    }

    #[test]
    fn integer_labels_are_read_by_value_and_text_labels_by_text() {
        // `07` and `7` are the class 7.
        let ds = parse("x,y\n1,07\n2,0\n3,7\n", &CsvOptions::default()).unwrap();
        assert_eq!(
            (ds.labels(), ds.class_names()),
            (&[1, 0, 1][..], &["0".to_string(), "7".to_string()][..])
        );
        // One label that is not an integer makes them all names: `07` and `7` differ.
        let ds = parse("x,y\n1,07\n2,b\n3,7\n", &CsvOptions::default()).unwrap();
        assert_eq!(ds.class_names(), &["07", "7", "b"]);
        assert_eq!(ds.labels(), &[0, 2, 1]);
        let ds = parse("x,y\n1,1000000\n2,3\n", &CsvOptions::default()).unwrap();
        assert_eq!(ds.class_names(), &["1000000", "3"]);
    }

    #[test]
    fn features_round_to_f32_once_from_f64() {
        // Just above the midpoint between 1 and the next f32: straight to f32 this rounds up,
        // but the nearest f64 is the midpoint itself, which rounds to even (1).
        let cell = "1.0000000596046447753906251";
        let ds = parse(
            &format!("x,y\n{cell},0\n0.1,0\n-3.4028235e38,0\n"),
            &CsvOptions::default(),
        )
        .unwrap();
        let want = [cell, "0.1", "-3.4028235e38"].map(|c| c.parse::<f64>().unwrap() as f32);
        assert_eq!(ds.inputs().data(), want);
        assert_eq!(ds.inputs().data()[0], 1.0);
        let e = parse("x,y\n3.5e38,0\n", &CsvOptions::default()).unwrap_err();
        assert!(matches!(e, DataError::NonFinite { .. }), "{e}");
    }

    #[test]
    fn whitespace_only_input_is_empty() {
        for text in ["", "\n\n", "  \n \t\n", " "] {
            let e = parse(text, &CsvOptions::default()).unwrap_err();
            assert!(matches!(e, DataError::Empty { .. }), "{text:?}: {e}");
        }
        let e = parse(" \na,b\n1,2\n", &CsvOptions::default()).unwrap_err();
        assert!(e.to_string().contains("single column"), "{e}");
    }

    #[test]
    fn reservation_follows_the_rows_length() {
        // 100 rows of 10 bytes read, the next starting at byte 1010 of 11010: 1000 more rows.
        let more = more_rows(100, 1000, 1010, Some(11_010));
        assert_eq!(more, 1000 + 1000 / 16 + FIRST_ROWS);
        assert_eq!(more_rows(500, 0, 0, None), 500);
    }
}
