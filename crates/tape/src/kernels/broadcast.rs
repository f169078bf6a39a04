//! How the right operand of a binary elementwise op is broadcast against the left one.
//!
//! Only the right operand broadcasts, in the three ways a network needs: a bias row added to
//! every row (`[m, n] + [n]`), a per-row column (`[m, n] - [m, 1]`), and a scalar.

use crate::Float;
use crate::error::{Result, TensorError};
use crate::shape::numel;

/// The broadcast of a right operand, decided once when an op is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broadcast {
    /// Same shape: element `i` pairs with element `i`.
    Same,
    /// Right operand of `cols` elements repeated for every row of the left (`[.., n]` with `[n]`
    /// or `[1, n]`).
    Row {
        /// Length of the repeated row.
        cols: usize,
    },
    /// Right operand `[m, 1]`: one value per row of a `[m, n]` left operand.
    Col {
        /// Row length of the left operand.
        cols: usize,
    },
    /// Right operand with one element, applied everywhere.
    Scalar,
}

impl Broadcast {
    /// Decides how `rhs` broadcasts against `lhs`, or explains why it cannot.
    pub fn infer(op: &'static str, lhs: &[usize], rhs: &[usize]) -> Result<Broadcast> {
        if lhs == rhs {
            return Ok(Broadcast::Same);
        }
        if numel(rhs) == 1 && rhs.iter().all(|&d| d == 1) {
            return Ok(Broadcast::Scalar);
        }
        let last = lhs.last().copied();
        let is_row = match rhs {
            [n] => Some(*n) == last,
            [1, n] => lhs.len() >= 2 && Some(*n) == last,
            _ => false,
        };
        if is_row {
            return Ok(Broadcast::Row {
                cols: last.unwrap_or(1),
            });
        }
        if let ([m, n], [rm, 1]) = (lhs, rhs)
            && m == rm
        {
            return Ok(Broadcast::Col { cols: *n });
        }
        Err(TensorError::ShapeMismatch {
            op,
            lhs: lhs.into(),
            rhs: rhs.into(),
            hint: ": the right operand must have the same shape, be a row [n] or [1, n] matching \
                   the last dimension, a column [m, 1], or a single value"
                .into(),
        })
    }

    /// The index into the right operand that pairs with element `i` of the left operand.
    #[inline(always)]
    pub fn rhs_index(self, i: usize) -> usize {
        match self {
            Broadcast::Same => i,
            Broadcast::Row { cols } => i % cols,
            Broadcast::Col { cols } => i / cols,
            Broadcast::Scalar => 0,
        }
    }

    /// Applies `f(a, b)` elementwise into `out` (same length as `a`).
    #[inline]
    pub fn zip<T: Float>(self, a: &[T], b: &[T], out: &mut [T], f: impl Fn(T, T) -> T) {
        debug_assert_eq!(a.len(), out.len());
        match self {
            Broadcast::Same => {
                for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                    *o = f(x, y);
                }
            }
            Broadcast::Scalar => {
                let y = b[0];
                for (o, &x) in out.iter_mut().zip(a) {
                    *o = f(x, y);
                }
            }
            Broadcast::Row { cols } => {
                for (orow, arow) in out.chunks_exact_mut(cols).zip(a.chunks_exact(cols)) {
                    for ((o, &x), &y) in orow.iter_mut().zip(arow).zip(b) {
                        *o = f(x, y);
                    }
                }
            }
            Broadcast::Col { cols } => {
                for ((orow, arow), &y) in
                    out.chunks_exact_mut(cols).zip(a.chunks_exact(cols)).zip(b)
                {
                    for (o, &x) in orow.iter_mut().zip(arow) {
                        *o = f(x, y);
                    }
                }
            }
        }
    }

    /// Reduces a full-size gradient onto the right operand's shape:
    /// `acc[rhs_index(i)] += h(i)` for every element `i < n`, in a fixed order.
    #[inline]
    pub fn reduce_into<T: Float>(self, n: usize, acc: &mut [T], h: impl Fn(usize) -> T) {
        match self {
            Broadcast::Same => {
                for (i, a) in acc.iter_mut().enumerate().take(n) {
                    *a += h(i);
                }
            }
            Broadcast::Scalar => {
                let mut s = T::ZERO;
                for i in 0..n {
                    s += h(i);
                }
                acc[0] += s;
            }
            Broadcast::Row { cols } => {
                for row in 0..n / cols {
                    let base = row * cols;
                    for (j, a) in acc.iter_mut().enumerate().take(cols) {
                        *a += h(base + j);
                    }
                }
            }
            Broadcast::Col { cols } => {
                for (row, a) in acc.iter_mut().enumerate().take(n / cols.max(1)) {
                    let base = row * cols;
                    let mut s = T::ZERO;
                    for j in 0..cols {
                        s += h(base + j);
                    }
                    *a += s;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_every_supported_broadcast() {
        assert_eq!(
            Broadcast::infer("add", &[2, 3], &[2, 3]),
            Ok(Broadcast::Same)
        );
        assert_eq!(
            Broadcast::infer("add", &[2, 3], &[3]),
            Ok(Broadcast::Row { cols: 3 })
        );
        assert_eq!(
            Broadcast::infer("add", &[2, 3], &[1, 3]),
            Ok(Broadcast::Row { cols: 3 })
        );
        assert_eq!(
            Broadcast::infer("add", &[2, 3], &[2, 1]),
            Ok(Broadcast::Col { cols: 3 })
        );
        assert_eq!(Broadcast::infer("add", &[2, 3], &[]), Ok(Broadcast::Scalar));
        assert!(Broadcast::infer("add", &[2, 3], &[2]).is_err());
        assert!(Broadcast::infer("add", &[2, 3], &[3, 2]).is_err());
    }
}
