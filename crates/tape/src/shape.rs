//! Tensor shapes: a small inline vector of dimensions, row-major.

use smallvec::SmallVec;
use std::fmt;

/// The dimensions of a tensor, outermost first. Up to four dimensions are stored inline.
pub type Shape = SmallVec<[usize; 4]>;

/// Builds a [`Shape`] from a slice of dimensions.
pub fn shape(dims: &[usize]) -> Shape {
    SmallVec::from_slice(dims)
}

/// The number of elements of a shape (1 for a scalar of shape `[]`).
#[inline]
pub fn numel(dims: &[usize]) -> usize {
    dims.iter().product()
}

/// Formats a shape as `[2, 3]`, the notation every error message uses.
pub struct ShowShape<'a>(pub &'a [usize]);

impl fmt::Display for ShowShape<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("]")
    }
}
