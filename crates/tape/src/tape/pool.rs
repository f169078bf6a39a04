//! Recycled element buffers, so a steady-state training step allocates (almost) nothing.
//!
//! Buffers are kept in buckets by capacity class: bucket `k` holds vectors with capacity at
//! least `2^k`. A request for `len` elements looks in bucket `⌈log2 len⌉` and, if it is empty,
//! allocates exactly `2^⌈log2 len⌉`, so the buffer lands in the same bucket when given back.
//!
//! The pool is bounded: at the end of every generation (a tape reset) each bucket keeps at
//! most the largest number of buffers ever requested from it within one generation. Buffers
//! no op asks for — the tensors a caller hands the tape as constants every step, say — are
//! freed instead of piling up, while a steady training step still finds every buffer it needs.

use crate::shape::{Shape, numel};
use crate::{Float, Tensor};

/// A free list of element buffers, bucketed by power-of-two capacity.
pub(crate) struct Pool<T> {
    buckets: Vec<Vec<Vec<T>>>,
    /// Requests per bucket in the current generation.
    requested: Vec<usize>,
    /// The most requests per bucket in any generation: the buffers worth keeping.
    peak: Vec<usize>,
}

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool {
            buckets: Vec::new(),
            requested: Vec::new(),
            peak: Vec::new(),
        }
    }
}

#[inline]
fn ceil_log2(n: usize) -> usize {
    if n <= 1 {
        0
    } else {
        (usize::BITS - (n - 1).leading_zeros()) as usize
    }
}

impl<T: Float> Pool<T> {
    /// A vector with capacity for at least `len` elements, holding whatever it held when it
    /// was given back (possibly nothing).
    #[inline]
    fn take_any(&mut self, len: usize) -> Vec<T> {
        let k = ceil_log2(len);
        if self.requested.len() <= k {
            self.requested.resize(k + 1, 0);
        }
        self.requested[k] += 1;
        if let Some(v) = self.buckets.get_mut(k).and_then(|b| b.pop()) {
            return v;
        }
        Vec::with_capacity(1usize << k)
    }

    /// An empty vector with capacity for at least `len` elements.
    #[inline]
    pub(crate) fn take_vec(&mut self, len: usize) -> Vec<T> {
        let mut v = self.take_any(len);
        v.clear();
        v
    }

    /// A tensor of `shape` whose elements are unspecified (values left from an earlier use, or
    /// zeros): for outputs that are overwritten completely. Skips the fill of
    /// [`Pool::zeros`] when a recycled buffer is long enough.
    #[inline]
    pub(crate) fn for_overwrite(&mut self, shape: &[usize]) -> Tensor<T> {
        let n = numel(shape);
        let mut v = self.take_any(n);
        if v.len() >= n {
            v.truncate(n);
        } else {
            v.resize(n, T::ZERO);
        }
        Tensor::from_parts(v, Shape::from_slice(shape))
    }

    /// A tensor of `shape` filled with `value`.
    #[inline]
    pub(crate) fn full(&mut self, shape: &[usize], value: T) -> Tensor<T> {
        let n = numel(shape);
        let mut v = self.take_vec(n);
        v.resize(n, value);
        Tensor::from_parts(v, Shape::from_slice(shape))
    }

    /// A tensor of `shape` filled with zeros.
    #[inline]
    pub(crate) fn zeros(&mut self, shape: &[usize]) -> Tensor<T> {
        self.full(shape, T::ZERO)
    }

    /// A tensor of `shape` with elements from `iter` (which must yield exactly `numel` items).
    #[inline]
    pub(crate) fn collect(&mut self, shape: &[usize], iter: impl Iterator<Item = T>) -> Tensor<T> {
        let n = numel(shape);
        let mut v = self.take_vec(n);
        v.extend(iter);
        debug_assert_eq!(v.len(), n);
        Tensor::from_parts(v, Shape::from_slice(shape))
    }

    /// A copy of `src` in a recycled buffer.
    #[inline]
    pub(crate) fn copy_of(&mut self, src: &[T], shape: &[usize]) -> Tensor<T> {
        let mut v = self.take_vec(src.len());
        v.extend_from_slice(src);
        Tensor::from_parts(v, Shape::from_slice(shape))
    }

    /// Returns a buffer for reuse. Its elements are kept (not cleared): [`Pool::for_overwrite`]
    /// hands them out again without writing them.
    #[inline]
    pub(crate) fn give_vec(&mut self, v: Vec<T>) {
        let cap = v.capacity();
        if cap == 0 {
            return;
        }
        // Bucket ⌊log2 cap⌋: every vector in bucket k has capacity ≥ 2^k.
        let k = (usize::BITS - 1 - cap.leading_zeros()) as usize;
        if self.buckets.len() <= k {
            self.buckets.resize_with(k + 1, Vec::new);
        }
        self.buckets[k].push(v);
    }

    /// Returns a tensor's buffer for reuse.
    #[inline]
    pub(crate) fn give(&mut self, t: Tensor<T>) {
        self.give_vec(t.into_vec());
    }

    /// Ends a generation: each bucket keeps at most the most buffers requested from it in
    /// one generation so far; the rest are freed.
    pub(crate) fn end_generation(&mut self) {
        if self.peak.len() < self.requested.len() {
            self.peak.resize(self.requested.len(), 0);
        }
        for (peak, requested) in self.peak.iter_mut().zip(&mut self.requested) {
            *peak = (*peak).max(*requested);
            *requested = 0;
        }
        for (k, bucket) in self.buckets.iter_mut().enumerate() {
            bucket.truncate(self.peak.get(k).copied().unwrap_or(0));
        }
    }

    /// Total elements held, for memory accounting.
    pub(crate) fn held_elements(&self) -> usize {
        self.buckets
            .iter()
            .flat_map(|b| b.iter())
            .map(|v| v.capacity())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_returned_buffer_is_reused_for_the_same_length() {
        let mut pool = Pool::<f32>::default();
        for len in [1usize, 2, 3, 7, 100, 128, 129] {
            let v = pool.take_vec(len);
            let ptr = v.as_ptr();
            assert!(v.capacity() >= len);
            pool.give_vec(v);
            let again = pool.take_vec(len);
            assert_eq!(again.as_ptr(), ptr, "length {len} was not recycled");
            assert!(again.is_empty());
            pool.give_vec(again);
        }
        assert_eq!(ceil_log2(1), 0);
        assert_eq!(ceil_log2(2), 1);
        assert_eq!(ceil_log2(3), 2);
        assert_eq!(ceil_log2(1024), 10);
        assert_eq!(ceil_log2(1025), 11);
    }

    #[test]
    fn buffers_nobody_asks_for_do_not_pile_up() {
        let mut pool = Pool::<f32>::default();
        for _ in 0..100 {
            // A step asks for two buffers of 1000 and is handed one of 4096 from outside.
            let (a, b) = (pool.take_vec(1000), pool.take_vec(1000));
            pool.give_vec(vec![0.0; 4096]);
            pool.give_vec(a);
            pool.give_vec(b);
            pool.end_generation();
        }
        assert_eq!(pool.held_elements(), 2 * 1024);
        // The buffers a step needs are still there: no allocation in the next step.
        let held: Vec<*const f32> = pool.buckets[10].iter().map(|v| v.as_ptr()).collect();
        let (a, b) = (pool.take_vec(1000), pool.take_vec(1000));
        assert!(held.contains(&a.as_ptr()) && held.contains(&b.as_ptr()));
    }

    #[test]
    fn buffers_for_overwrite_are_recycled_without_a_fill_and_zeros_are_zeros() {
        let mut pool = Pool::<f32>::default();
        let mut t = pool.zeros(&[3, 5]);
        t.data_mut().fill(7.0);
        let ptr = t.data().as_ptr();
        pool.give(t);
        // Same buffer, old values kept, right length.
        let t = pool.for_overwrite(&[2, 6]);
        assert_eq!((t.data().as_ptr(), t.numel()), (ptr, 12));
        assert!(t.data().iter().all(|&v| v == 7.0));
        pool.give(t);
        let z = pool.zeros(&[4, 4]);
        assert_eq!(z.data().as_ptr(), ptr);
        assert!(z.data().iter().all(|&v| v == 0.0));
        // A fresh buffer longer than anything recycled is zero-filled.
        let big = pool.for_overwrite(&[100]);
        assert!(big.data().iter().all(|&v| v == 0.0));
    }
}
