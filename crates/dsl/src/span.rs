//! Byte spans into the model file or into a `--set` override.

use serde::Serialize;
use std::fmt;

/// Which text a span points into: the model file, or one `--set name=value` override.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct SourceId(pub u16);

impl SourceId {
    /// The model file itself.
    pub const MODEL: SourceId = SourceId(0);

    /// The `index`-th `--set` override (0-based).
    pub fn override_text(index: usize) -> SourceId {
        SourceId(u16::try_from(index + 1).unwrap_or(u16::MAX))
    }

    /// The override index, when this is not the model file.
    pub fn override_index(self) -> Option<usize> {
        (self.0 > 0).then(|| usize::from(self.0) - 1)
    }
}

impl fmt::Debug for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.override_index() {
            None => write!(f, "model"),
            Some(i) => write!(f, "set#{i}"),
        }
    }
}

/// A half-open byte range `start..end` in one source text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    /// The text the offsets refer to.
    pub source: SourceId,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span in the model file.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            source: SourceId::MODEL,
            start,
            end,
        }
    }

    /// A span in the given source.
    pub fn in_source(source: SourceId, start: usize, end: usize) -> Span {
        Span { source, start, end }
    }

    /// The smallest span covering `self` and `other` (same source assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            source: self.source,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The empty span at the end of this one.
    pub fn end_point(self) -> Span {
        Span {
            start: self.end,
            ..self
        }
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no byte.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.source == SourceId::MODEL {
            write!(f, "{}..{}", self.start, self.end)
        } else {
            write!(f, "{:?}:{}..{}", self.source, self.start, self.end)
        }
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`. LF, CRLF and a
/// lone CR each end a line.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut line = 1;
    let mut line_start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < offset {
        match bytes[i] {
            b'\n' => {
                line += 1;
                line_start = i + 1;
            }
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => {
                line += 1;
                line_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let column = text
        .get(line_start..offset)
        .map_or(1, |s| s.chars().count() + 1);
    (line, column)
}
