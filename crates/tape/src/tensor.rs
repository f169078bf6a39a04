//! The tensor: contiguous row-major storage of `f32` or `f64` with a shape.

use crate::Float;
use crate::error::{Result, TensorError};
use crate::kernels::broadcast::Broadcast;
use crate::kernels::matmul::{MatRef, matmul_into};
use crate::kernels::reduce::{self, AxisSplit};
use crate::shape::{Shape, ShowShape, numel};
use rand_distr::{Distribution, StandardNormal, Uniform};
use std::fmt;

/// The random generator every seeded operation takes: ChaCha8, portable and reproducible across
/// platforms and versions, so a seed means the same numbers everywhere.
pub type Rng = rand_chacha::ChaCha8Rng;

/// A generator seeded with `seed`.
pub fn rng(seed: u64) -> Rng {
    use rand::SeedableRng;
    Rng::seed_from_u64(seed)
}

/// A dense tensor: `data[i]` is the element at row-major position `i` of `shape`.
#[derive(Clone, PartialEq)]
pub struct Tensor<T: Float> {
    data: Vec<T>,
    shape: Shape,
}

impl<T: Float> Tensor<T> {
    /// A tensor from its elements in row-major order; fails unless `data.len()` equals the
    /// number of elements of `shape`.
    pub fn from_vec(data: Vec<T>, shape: &[usize]) -> Result<Self> {
        let expected = numel(shape);
        if data.len() != expected {
            return Err(TensorError::ElementCount {
                op: "from_vec",
                shape: shape.into(),
                expected,
                got: data.len(),
            });
        }
        Ok(Tensor {
            data,
            shape: shape.into(),
        })
    }

    /// Builds from parts already known to agree (internal).
    pub(crate) fn from_parts(data: Vec<T>, shape: Shape) -> Self {
        debug_assert_eq!(data.len(), numel(&shape));
        Tensor { data, shape }
    }

    /// A tensor filled with `value`.
    pub fn full(shape: &[usize], value: T) -> Self {
        Tensor {
            data: vec![value; numel(shape)],
            shape: shape.into(),
        }
    }

    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Self::full(shape, T::ZERO)
    }

    /// A tensor of ones.
    pub fn ones(shape: &[usize]) -> Self {
        Self::full(shape, T::ONE)
    }

    /// A scalar (shape `[]`).
    pub fn scalar(value: T) -> Self {
        Tensor {
            data: vec![value],
            shape: Shape::new(),
        }
    }

    /// Samples of `std · N(0, 1)`, drawn in row-major order from `rng`.
    pub fn randn(shape: &[usize], std: f64, rng: &mut Rng) -> Self {
        let data = (0..numel(shape))
            .map(|_| {
                let z: f64 = StandardNormal.sample(rng);
                T::from_f64(std * z)
            })
            .collect();
        Tensor {
            data,
            shape: shape.into(),
        }
    }

    /// Samples of `U(low, high)`, drawn in row-major order from `rng`. Fails unless
    /// `low < high` and both are finite.
    pub fn uniform(shape: &[usize], low: f64, high: f64, rng: &mut Rng) -> Result<Self> {
        let dist = Uniform::new(low, high).map_err(|_| {
            TensorError::invalid("uniform", format!("needs low < high, got {low} and {high}"))
        })?;
        let data = (0..numel(shape))
            .map(|_| T::from_f64(dist.sample(rng)))
            .collect();
        Ok(Tensor {
            data,
            shape: shape.into(),
        })
    }

    /// `n` values evenly spaced from `start` to `end` inclusive (numpy's `linspace`).
    pub fn linspace(start: f64, end: f64, n: usize) -> Self {
        let step = if n > 1 {
            (end - start) / (n - 1) as f64
        } else {
            0.0
        };
        let data = (0..n)
            .map(|i| T::from_f64(start + step * i as f64))
            .collect();
        Tensor {
            data,
            shape: Shape::from_slice(&[n]),
        }
    }

    /// The dimensions.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// The elements in row-major order, mutably.
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// The element storage, consuming the tensor.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    /// The element storage and the shape, consuming the tensor.
    pub fn into_parts(self) -> (Vec<T>, Shape) {
        (self.data, self.shape)
    }

    /// The single value of a one-element tensor.
    pub fn item(&self) -> Result<T> {
        if self.data.len() == 1 {
            Ok(self.data[0])
        } else {
            Err(TensorError::invalid(
                "item",
                format!(
                    "needs a tensor with one element, got shape {}",
                    ShowShape(&self.shape)
                ),
            ))
        }
    }

    /// Rows and columns of a rank-2 tensor.
    pub fn dims2(&self, op: &'static str) -> Result<(usize, usize)> {
        match self.shape[..] {
            [r, c] => Ok((r, c)),
            _ => Err(TensorError::Rank {
                op,
                expected: 2,
                shape: self.shape.clone(),
            }),
        }
    }

    /// Row `i` of a rank-2 tensor.
    pub fn row(&self, i: usize) -> &[T] {
        let cols = self.shape.last().copied().unwrap_or(1);
        &self.data[i * cols..(i + 1) * cols]
    }

    /// The same elements with another shape of equal element count.
    pub fn reshape(self, shape: &[usize]) -> Result<Self> {
        if numel(shape) != self.data.len() {
            return Err(TensorError::ShapeMismatch {
                op: "reshape",
                lhs: self.shape,
                rhs: shape.into(),
                hint: ": the element counts differ".into(),
            });
        }
        Ok(Tensor {
            data: self.data,
            shape: shape.into(),
        })
    }

    /// Converts every element to another float type.
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        Tensor {
            data: self.data.iter().map(|&x| U::from_f64(x.to_f64())).collect(),
            shape: self.shape.clone(),
        }
    }

    /// `f` applied to every element.
    pub fn map(&self, f: impl Fn(T) -> T) -> Self {
        Tensor {
            data: self.data.iter().map(|&x| f(x)).collect(),
            shape: self.shape.clone(),
        }
    }

    /// `f(self[i], other[j])` elementwise, where `other` has the same shape or broadcasts as a
    /// row `[n]`, a column `[m, 1]` or a scalar (see [`Broadcast`]).
    pub fn zip_map(&self, other: &Tensor<T>, f: impl Fn(T, T) -> T) -> Result<Self> {
        let b = Broadcast::infer("zip_map", &self.shape, &other.shape)?;
        let mut out = vec![T::ZERO; self.data.len()];
        b.zip(&self.data, &other.data, &mut out, f);
        Ok(Tensor {
            data: out,
            shape: self.shape.clone(),
        })
    }

    /// Matrix product of two rank-2 tensors, `[m, k] · [k, n] → [m, n]`.
    pub fn matmul(&self, other: &Tensor<T>) -> Result<Self> {
        let (m, k) = self.dims2("matmul")?;
        let (k2, n) = other.dims2("matmul")?;
        if k != k2 {
            return Err(TensorError::ShapeMismatch {
                op: "matmul",
                lhs: self.shape.clone(),
                rhs: other.shape.clone(),
                hint: format!(": the left has {k} columns but the right has {k2} rows"),
            });
        }
        let mut out = vec![T::ZERO; m * n];
        matmul_into(
            &mut out,
            MatRef::new(&self.data, m, k),
            MatRef::new(&other.data, k, n),
            false,
        );
        Ok(Tensor::from_parts(out, Shape::from_slice(&[m, n])))
    }

    /// The transpose of a rank-2 tensor.
    pub fn transpose(&self) -> Result<Self> {
        let (r, c) = self.dims2("transpose")?;
        let mut out = vec![T::ZERO; r * c];
        transpose_into(&self.data, r, c, &mut out);
        Ok(Tensor::from_parts(out, Shape::from_slice(&[c, r])))
    }

    /// Sum over `axis` (the axis is removed from the shape).
    pub fn sum_axis(&self, axis: usize) -> Result<Self> {
        let s = AxisSplit::new("sum_axis", &self.shape, axis)?;
        let mut out = vec![T::ZERO; s.outer * s.inner];
        reduce::sum_axis(&self.data, s, &mut out);
        Ok(Tensor::from_parts(
            out,
            AxisSplit::reduced_shape(&self.shape, axis),
        ))
    }

    /// Mean over `axis` (the axis is removed from the shape).
    pub fn mean_axis(&self, axis: usize) -> Result<Self> {
        let len = *self.shape.get(axis).unwrap_or(&1);
        let mut t = self.sum_axis(axis)?;
        let inv = T::ONE / T::from_usize(len.max(1));
        t.data.iter_mut().for_each(|x| *x *= inv);
        Ok(t)
    }

    /// Maximum over `axis` and, for each output, the index of the first maximum.
    pub fn max_axis(&self, axis: usize) -> Result<(Self, Vec<usize>)> {
        let s = AxisSplit::new("max_axis", &self.shape, axis)?;
        if s.len == 0 {
            return Err(TensorError::invalid(
                "max_axis",
                format!("axis {axis} of shape {} is empty", ShowShape(&self.shape)),
            ));
        }
        let mut out = vec![T::ZERO; s.outer * s.inner];
        let mut arg = vec![0; s.outer * s.inner];
        reduce::max_axis(&self.data, s, &mut out, &mut arg);
        Ok((
            Tensor::from_parts(out, AxisSplit::reduced_shape(&self.shape, axis)),
            arg,
        ))
    }

    /// Sum of all elements.
    pub fn sum(&self) -> T {
        reduce::sum_all(&self.data)
    }

    /// Mean of all elements (0 for an empty tensor).
    pub fn mean(&self) -> T {
        if self.data.is_empty() {
            T::ZERO
        } else {
            self.sum() / T::from_usize(self.data.len())
        }
    }

    /// True if every element is finite.
    pub fn all_finite(&self) -> bool {
        self.data.iter().all(|x| x.is_finite())
    }
}

/// Writes the transpose of the row-major `rows × cols` matrix `x` into `out` (`cols × rows`).
pub fn transpose_into<T: Float>(x: &[T], rows: usize, cols: usize, out: &mut [T]) {
    // Blocked so that both reads and writes stay in cache for large matrices.
    const B: usize = 32;
    for i0 in (0..rows).step_by(B) {
        for j0 in (0..cols).step_by(B) {
            for i in i0..(i0 + B).min(rows) {
                for j in j0..(j0 + B).min(cols) {
                    out[j * rows + i] = x[i * cols + j];
                }
            }
        }
    }
}

impl<T: Float> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 16;
        write!(f, "Tensor<{}>{} [", T::DTYPE, ShowShape(&self.shape))?;
        for (i, x) in self.data.iter().take(SHOWN).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{x}")?;
        }
        if self.data.len() > SHOWN {
            write!(f, ", … {} more", self.data.len() - SHOWN)?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_vec_checks_the_element_count() {
        let err = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0], &[2, 2]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "from_vec: shape [2, 2] needs 4 elements, got 3"
        );
    }

    #[test]
    fn reductions_over_each_axis() {
        let t = Tensor::<f64>::from_vec(vec![1., 5., 3., 4., 2., 6.], &[2, 3]).unwrap();
        assert_eq!(t.sum_axis(0).unwrap().data(), &[5., 7., 9.]);
        assert_eq!(t.sum_axis(1).unwrap().data(), &[9., 12.]);
        assert_eq!(t.mean_axis(1).unwrap().data(), &[3., 4.]);
        let (m, arg) = t.max_axis(1).unwrap();
        assert_eq!(m.data(), &[5., 6.]);
        assert_eq!(arg, vec![1, 2]);
        assert!(matches!(t.sum_axis(2), Err(TensorError::Axis { .. })));
    }

    #[test]
    fn transpose_and_matmul_agree_with_definitions() {
        let a = Tensor::<f64>::from_vec((0..6).map(f64::from).collect(), &[2, 3]).unwrap();
        let at = a.transpose().unwrap();
        assert_eq!(at.shape(), &[3, 2]);
        assert_eq!(at.data(), &[0., 3., 1., 4., 2., 5.]);
        let p = a.matmul(&at).unwrap();
        assert_eq!(p.data(), &[5., 14., 14., 50.]);
        let err = a.matmul(&a).unwrap_err();
        assert_eq!(
            err.to_string(),
            "matmul: shapes [2, 3] and [2, 3] do not match: the left has 3 columns but the right has 2 rows"
        );
    }

    #[test]
    fn seeded_sampling_is_reproducible() {
        let a = Tensor::<f32>::randn(&[3, 4], 1.0, &mut rng(7));
        let b = Tensor::<f32>::randn(&[3, 4], 1.0, &mut rng(7));
        let c = Tensor::<f32>::randn(&[3, 4], 1.0, &mut rng(8));
        assert_eq!(a, b);
        assert_ne!(a, c);
        let u = Tensor::<f64>::uniform(&[1000], -2.0, 3.0, &mut rng(1)).unwrap();
        assert!(u.data().iter().all(|&x| (-2.0..3.0).contains(&x)));
        assert!(Tensor::<f64>::uniform(&[2], 1.0, 1.0, &mut rng(1)).is_err());
    }
}
