//! The fast path of [`load_csv`](crate::load_csv): text without quotes split into rows and
//! cells directly, as the csv reader would split it (with the settings of
//! [`csv_reader::reader`](super::csv_reader::reader)), at a fraction of the cost.
//!
//! The input is read in blocks that end at a line break. A block is *plain* when it has no
//! quote character and every `\r` in it ends a line (`\r\n`): then a row is a line, cells are
//! separated by the delimiter and trimmed of ASCII whitespace, and empty lines are skipped,
//! exactly as the csv reader does. The first block that is not plain, and everything after
//! it, goes through the csv reader instead.

use std::io::{Cursor, Read};

/// Bytes read per block.
pub(crate) const BLOCK: usize = 1 << 20;

/// The input read a block of whole lines at a time.
pub(crate) struct Blocks<R> {
    inner: R,
    buf: Vec<u8>,
    /// `buf[..handed]` is the block last handed out.
    handed: usize,
    /// Byte offset in the input of `buf[0]`.
    offset: u64,
    eof: bool,
}

impl<R: Read> Blocks<R> {
    /// Blocks of `inner`.
    pub(crate) fn new(inner: R) -> Self {
        Blocks {
            inner,
            buf: Vec::new(),
            handed: 0,
            offset: 0,
            eof: false,
        }
    }

    /// The next block: whole lines (the last line of the input may lack its break), and
    /// the offset of its first byte in the input; `None` at the end of the input.
    pub(crate) fn next_block(&mut self) -> std::io::Result<Option<(u64, &[u8])>> {
        self.buf.drain(..self.handed);
        self.offset += self.handed as u64;
        self.handed = 0;
        let mut searched = 0;
        loop {
            if let Some(last) = self.buf[searched..].iter().rposition(|&b| b == b'\n') {
                if self.buf.len() >= BLOCK || self.eof {
                    self.handed = searched + last + 1;
                    break;
                }
            } else {
                searched = self.buf.len();
            }
            if self.eof {
                self.handed = self.buf.len();
                break;
            }
            self.fill()?;
        }
        Ok((self.handed > 0).then(|| (self.offset, &self.buf[..self.handed])))
    }

    /// Reads up to [`BLOCK`] more bytes into the buffer, noting the end of the input.
    fn fill(&mut self) -> std::io::Result<()> {
        let want = BLOCK as u64;
        let got = (&mut self.inner).take(want).read_to_end(&mut self.buf)?;
        self.eof = (got as u64) < want;
        Ok(())
    }

    /// The offset in the input of the block last handed out.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// The rest of the input from the start of the block last handed out.
    pub(crate) fn rest(self) -> std::io::Chain<Cursor<Vec<u8>>, R> {
        Cursor::new(self.buf).chain(self.inner)
    }
}

/// Whether `block` can be split without the csv reader (see the module docs).
pub(crate) fn is_plain(block: &[u8], delimiter: u8) -> bool {
    if matches!(delimiter, b'"' | b'\r' | b'\n') || block.contains(&b'"') {
        return false;
    }
    if !block.contains(&b'\r') {
        return true;
    }
    let mut rest = block;
    while let Some(i) = rest.iter().position(|&b| b == b'\r') {
        if rest.get(i + 1) != Some(&b'\n') {
            return false;
        }
        rest = &rest[i + 2..];
    }
    true
}

/// Splits the line of a plain block that starts at `block[start]`: the bounds of its cells
/// (trimmed, into `block`) go to `cells`. Returns the end of the line's text (before the
/// `\r\n` or `\n` ending it) and the start of the next line.
pub(crate) fn split_line(
    block: &[u8],
    start: usize,
    delimiter: u8,
    cells: &mut Vec<(usize, usize)>,
) -> (usize, usize) {
    cells.clear();
    let mut cell = start;
    let mut end = block.len();
    for (i, &b) in (start..).zip(&block[start..]) {
        if b == delimiter {
            cells.push(trim(block, cell, i));
            cell = i + 1;
        } else if b == b'\n' {
            end = i;
            break;
        }
    }
    let next = (end + 1).min(block.len());
    if end > cell && block[end - 1] == b'\r' {
        end -= 1;
    }
    cells.push(trim(block, cell, end.max(cell)));
    (end, next)
}

/// `line[start..end]` without leading and trailing ASCII whitespace, as bounds.
#[inline]
fn trim(line: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    while start < end && line[start].is_ascii_whitespace() {
        start += 1;
    }
    while end > start && line[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_end_at_line_breaks_and_cover_the_input() {
        let mut text = Vec::new();
        for i in 0..300_000 {
            text.extend_from_slice(format!("{i},{}\n", i * 3).as_bytes());
        }
        text.extend_from_slice(b"last,line");
        let mut blocks = Blocks::new(&text[..]);
        let mut joined = Vec::new();
        while let Some((offset, block)) = blocks.next_block().unwrap() {
            assert_eq!(offset as usize, joined.len());
            assert!(block.ends_with(b"\n") || block.ends_with(b"line"));
            joined.extend_from_slice(block);
        }
        assert_eq!(joined, text);
    }

    #[test]
    fn plain_blocks_and_cells() {
        assert!(is_plain(b"a,b\r\n1,2\n", b','));
        assert!(!is_plain(b"a,\"b\"\n", b','));
        assert!(!is_plain(b"a,b\r1,2\n", b','));
        assert!(!is_plain(b"a,b\r", b','));
        let mut cells = Vec::new();
        let block = b"a\n 1 ,\t2,,x \r\n\r\nend";
        assert_eq!(split_line(block, 2, b',', &mut cells), (12, 14));
        let got: Vec<&[u8]> = cells.iter().map(|&(s, e)| &block[s..e]).collect();
        assert_eq!(got, [&b"1"[..], b"2", b"", b"x"]);
        assert_eq!(split_line(block, 14, b',', &mut cells), (14, 16));
        assert_eq!(split_line(block, 16, b',', &mut cells), (19, 19));
        assert_eq!(cells, [(16, 19)]);
    }
}
