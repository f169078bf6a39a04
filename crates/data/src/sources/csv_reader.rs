//! The pieces the CSV readers ([`crate::sources::csv`], [`crate::sources::csv_stream`])
//! share: the csv reader's settings, line numbers from byte offsets, and syntax errors.

use crate::error::DataError;
use std::collections::VecDeque;
use std::io::Read;

/// The csv reader's buffer: large enough that reads from a file are few, small enough that
/// the line breaks [`LineBreaks`] holds for it stay bounded.
const BUFFER: usize = 256 * 1024;

/// A csv reader over `input` with the settings every nnc CSV reader uses: no header handling
/// (the caller reads the first row), rows of any width (checked by the caller, with the
/// line), cells trimmed, fields separated by `delimiter`. Its input notes its line breaks;
/// `lines` lines of the file come before it (0 for a whole file).
pub(crate) fn reader<R: Read>(input: R, delimiter: u8, lines: u64) -> ::csv::Reader<LineBreaks<R>> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .trim(::csv::Trim::All)
        .buffer_capacity(BUFFER)
        .from_reader(LineBreaks::new(input, lines))
}

/// The error for a record the csv reader could not read: a read failure of the file, or a
/// syntax error (bad quoting, invalid UTF-8, ...) at the line the reader gives, after the
/// `lines` lines before the reader's input.
pub(crate) fn read_error(name: &str, e: ::csv::Error, lines: u64) -> DataError {
    let line = lines + e.position().map_or(0, ::csv::Position::line);
    let message = e.to_string();
    match e.into_kind() {
        ::csv::ErrorKind::Io(io) => DataError::io(name, io),
        _ => DataError::CsvSyntax {
            path: name.to_string(),
            line,
            message,
        },
    }
}

/// A reader that notes where its line breaks are, so that a record's line can be told from
/// its byte offset. (The csv reader's own line count can lag a line behind: it may report a
/// record as starting on the terminator of the line before.) Only the breaks the csv reader
/// has read ahead are kept, so memory stays bounded.
pub(crate) struct LineBreaks<R> {
    inner: R,
    /// Bytes handed out so far.
    offset: u64,
    /// `\r` and `\n` bytes handed out and not yet behind a record: `(offset, byte)`.
    breaks: VecDeque<(u64, u8)>,
    /// `\n` bytes behind the last record asked about.
    lines_before: u64,
    /// Whether a byte other than ASCII whitespace has been handed out.
    text_seen: bool,
    /// Whether the input starts inside the file: then the first read hands out one byte, so
    /// that the csv reader, which drops a UTF-8 byte order mark at the start of its input
    /// when its first read has the whole mark, keeps one in the middle of the file.
    inside: bool,
}

impl<R> LineBreaks<R> {
    /// `inner`, which starts after `lines` lines of the file.
    fn new(inner: R, lines: u64) -> Self {
        LineBreaks {
            inner,
            offset: 0,
            breaks: VecDeque::new(),
            lines_before: lines,
            text_seen: false,
            inside: lines > 0,
        }
    }

    /// The 1-based line of the record whose bytes start at `start` (at or after every
    /// earlier record's start): line breaks before it, plus those it begins with (blank lines
    /// and the previous line's terminator, which the csv reader may count as the record's).
    pub(crate) fn line_at(&mut self, start: u64) -> u64 {
        while let Some(&(at, byte)) = self.breaks.front() {
            if at >= start {
                break;
            }
            self.lines_before += u64::from(byte == b'\n');
            self.breaks.pop_front();
        }
        let leading = (start..)
            .zip(&self.breaks)
            .take_while(|(cursor, (at, _))| at == cursor)
            .filter(|(_, (_, byte))| *byte == b'\n')
            .count() as u64;
        1 + self.lines_before + leading
    }

    /// Whether every byte handed out so far is ASCII whitespace.
    pub(crate) fn only_whitespace(&self) -> bool {
        !self.text_seen
    }
}

impl<R: Read> Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let buf = match (self.inside && self.offset == 0, buf.len()) {
            (true, 2..) => &mut buf[..1],
            _ => buf,
        };
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                self.breaks.push_back((self.offset + i as u64, b));
            }
        }
        if !self.text_seen {
            self.text_seen = buf[..n].iter().any(|b| !b.is_ascii_whitespace());
        }
        self.offset += n as u64;
        Ok(n)
    }
}
