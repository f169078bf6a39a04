//! Reductions over one axis, in a fixed order (so results never depend on threads).
//!
//! A tensor of shape `[d0, .., d(a-1), da, d(a+1), ..]` reduced over axis `a` is viewed as
//! `outer × len × inner` with `len = da`; the result has shape `outer × inner`.

use crate::Float;
use crate::error::{Result, TensorError};
use crate::shape::{Shape, numel};

/// The `outer × len × inner` view of a reduction over `axis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AxisSplit {
    /// Product of the dimensions before the axis.
    pub outer: usize,
    /// Length of the reduced axis.
    pub len: usize,
    /// Product of the dimensions after the axis.
    pub inner: usize,
}

impl AxisSplit {
    /// Splits `dims` around `axis`, or fails if the axis does not exist.
    pub fn new(op: &'static str, dims: &[usize], axis: usize) -> Result<Self> {
        if axis >= dims.len() {
            return Err(TensorError::Axis {
                op,
                axis,
                shape: dims.into(),
            });
        }
        Ok(AxisSplit {
            outer: numel(&dims[..axis]),
            len: dims[axis],
            inner: numel(&dims[axis + 1..]),
        })
    }

    /// The shape after removing the axis.
    pub fn reduced_shape(dims: &[usize], axis: usize) -> Shape {
        dims.iter()
            .enumerate()
            .filter(|&(i, _)| i != axis)
            .map(|(_, &d)| d)
            .collect()
    }

    /// Index into the full tensor of element `j` along the axis for output position `(o, i)`.
    #[inline(always)]
    pub fn index(&self, o: usize, j: usize, i: usize) -> usize {
        (o * self.len + j) * self.inner + i
    }
}

/// `out[o, i] = Σ_j x[o, j, i]` (summed in increasing `j`).
pub fn sum_axis<T: Float>(x: &[T], s: AxisSplit, out: &mut [T]) {
    out.fill(T::ZERO);
    for o in 0..s.outer {
        let orow = &mut out[o * s.inner..(o + 1) * s.inner];
        for j in 0..s.len {
            let start = s.index(o, j, 0);
            for (acc, &v) in orow.iter_mut().zip(&x[start..start + s.inner]) {
                *acc += v;
            }
        }
    }
}

/// `out[o, i] = max_j x[o, j, i]` and `arg[o, i]` = the first `j` attaining it.
///
/// NaN compares false, so a NaN never becomes the maximum unless it is first; the
/// divergence monitor reports NaNs separately.
pub fn max_axis<T: Float>(x: &[T], s: AxisSplit, out: &mut [T], arg: &mut [usize]) {
    for o in 0..s.outer {
        for i in 0..s.inner {
            let mut best = x[s.index(o, 0, i)];
            let mut best_j = 0;
            for j in 1..s.len {
                let v = x[s.index(o, j, i)];
                if v > best {
                    best = v;
                    best_j = j;
                }
            }
            out[o * s.inner + i] = best;
            arg[o * s.inner + i] = best_j;
        }
    }
}

/// Sum of all elements, in index order.
pub fn sum_all<T: Float>(x: &[T]) -> T {
    let mut s = T::ZERO;
    for &v in x {
        s += v;
    }
    s
}
