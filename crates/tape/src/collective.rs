//! Sums across the processes of a data-parallel job.
//!
//! In data-parallel training, `N` processes (ranks) each compute the step on their own
//! contiguous shard of the global batch; whatever the step needs over the *whole* batch is
//! summed across them: the gradients, the loss, and batch norm's column sums (its mean,
//! variance and backward sums are those of the global batch). A [`Collective`] does the
//! summing; the MPI one lives in the `nnc` crate (feature `mpi`), [`ThreadGroup`] runs ranks
//! as threads of one process (tests, and a reference for the MPI one).
//!
//! Ops deep in a forward or backward pass (batch norm) reach the collective of the step
//! being computed through [`sum_across`], which sums when a collective is [`scoped`] on the
//! calling thread and does nothing otherwise: a single process, a search trial, an
//! evaluation or the initial-loss probe (which see identical rows on every rank) never sum.
//!
//! Every implementation adds the ranks' values **in rank order**, `((v₀ + v₁) + v₂) + …`, in
//! f64, so the result has the same bits on every rank and every run for a given `N`.

use crate::float::Float;
use crate::params::Parameters;
use crate::tape::Gradients;
use std::cell::RefCell;
use std::sync::{Arc, Barrier, Mutex};

/// The ranks of a job and an element-wise sum across them.
pub trait Collective: Send + Sync {
    /// This process's rank, `0..size()`.
    fn rank(&self) -> usize;

    /// The number of ranks.
    fn size(&self) -> usize;

    /// Replaces each element of `values` with its sum over all ranks, added in rank order;
    /// every rank must call it with the same length, and gets the same bits.
    fn sum(&self, values: &mut [f64]);

    /// [`Collective::sum`] of f32 values, for the gradients of f32 training (half the bytes
    /// of f64). By default through f64, rounded once at the end; an implementation may add in
    /// f32 (and in another fixed order), as long as every rank gets the same bits.
    fn sum_f32(&self, values: &mut [f32]) {
        let mut wide: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
        self.sum(&mut wide);
        values
            .iter_mut()
            .zip(&wide)
            .for_each(|(v, &w)| *v = w as f32);
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<dyn Collective>>> = const { RefCell::new(None) };
}

/// Runs `f` with `collective` as the calling thread's current collective (restored after,
/// also on panic): the ops `f` records and differentiates sum across its ranks.
pub fn scoped<R>(collective: &Arc<dyn Collective>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Arc<dyn Collective>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = previous);
        }
    }
    let previous = CURRENT.with(|c| c.borrow_mut().replace(Arc::clone(collective)));
    let _restore = Restore(previous);
    f()
}

/// Runs `f` within `collective` ([`scoped`]) when there is one, else simply runs it.
pub fn within<R>(collective: Option<&Arc<dyn Collective>>, f: impl FnOnce() -> R) -> R {
    match collective {
        Some(c) => scoped(c, f),
        None => f(),
    }
}

/// The calling thread's current collective, if one is [`scoped`].
pub fn current() -> Option<Arc<dyn Collective>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Sums `values` across the ranks of the current collective (through f64, in rank order) and
/// returns `true`; returns `false` and leaves them alone when there is none.
pub fn sum_across<T: Float>(values: &mut [T]) -> bool {
    let Some(c) = current() else { return false };
    let mut wide: Vec<f64> = values.iter().map(|v| v.to_f64()).collect();
    c.sum(&mut wide);
    values
        .iter_mut()
        .zip(&wide)
        .for_each(|(v, &w)| *v = T::from_f64(w));
    true
}

/// Sums every parameter's gradient across the ranks of `c`, in the parameters' order, in one
/// exchange through `buffer`: in the gradients' own precision ([`Collective::sum_f32`] for
/// f32, [`Collective::sum`] for f64), the same bits on every rank.
pub fn sum_gradients<T: Float>(
    c: &dyn Collective,
    params: &Parameters<T>,
    grads: &mut Gradients<T>,
    buffer: &mut Vec<f64>,
) {
    buffer.clear();
    for id in params.ids() {
        if let Some(g) = grads.param(id) {
            buffer.extend(g.data().iter().map(|v| v.to_f64()));
        }
    }
    if T::DTYPE == crate::float::DType::F32 {
        // Every value is an f32, so the round trip through f64 is exact.
        let mut narrow: Vec<f32> = buffer.iter().map(|&v| v as f32).collect();
        c.sum_f32(&mut narrow);
        buffer
            .iter_mut()
            .zip(&narrow)
            .for_each(|(b, &v)| *b = f64::from(v));
    } else {
        c.sum(buffer);
    }
    let mut summed = buffer.iter();
    for id in params.ids() {
        if let Some(g) = grads.param_mut(id) {
            g.data_mut()
                .iter_mut()
                .zip(&mut summed)
                .for_each(|(v, &s)| *v = T::from_f64(s));
        }
    }
}

/// The rows `[start, end)` of a global batch of `rows` that rank `rank` of `size` computes:
/// contiguous shards, the first `rows mod size` one row longer.
///
/// ```
/// assert_eq!(nnc_tape::collective::shard(10, 0, 3), 0..4);
/// assert_eq!(nnc_tape::collective::shard(10, 2, 3), 7..10);
/// ```
pub fn shard(rows: usize, rank: usize, size: usize) -> std::ops::Range<usize> {
    let (base, extra) = (rows / size, rows % size);
    let start = rank * base + rank.min(extra);
    start..start + base + usize::from(rank < extra)
}

/// `size` ranks as threads of one process: [`ThreadGroup::ranks`] gives one handle per rank, to
/// be moved to its thread. A sum waits until every rank has called it.
pub struct ThreadGroup {
    rank: usize,
    shared: Arc<GroupState>,
}

struct GroupState {
    slots: Mutex<Vec<Vec<f64>>>,
    arrived: Barrier,
    summed: Barrier,
}

impl ThreadGroup {
    /// Handles for ranks `0..size`, in rank order.
    pub fn ranks(size: usize) -> Vec<Arc<dyn Collective>> {
        let shared = Arc::new(GroupState {
            slots: Mutex::new(vec![Vec::new(); size]),
            arrived: Barrier::new(size),
            summed: Barrier::new(size),
        });
        (0..size)
            .map(|rank| {
                Arc::new(ThreadGroup {
                    rank,
                    shared: Arc::clone(&shared),
                }) as Arc<dyn Collective>
            })
            .collect()
    }
}

impl Collective for ThreadGroup {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.shared.slots.lock().map_or(0, |s| s.len())
    }

    fn sum(&self, values: &mut [f64]) {
        let lock = || self.shared.slots.lock().unwrap_or_else(|p| p.into_inner());
        lock()[self.rank] = values.to_vec();
        self.shared.arrived.wait();
        {
            let slots = lock();
            for (i, v) in values.iter_mut().enumerate() {
                *v = slots.iter().skip(1).fold(slots[0][i], |acc, s| acc + s[i]);
            }
        }
        // Nobody overwrites a slot before every rank has read them all.
        self.shared.summed.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_batch_in_order() {
        for rows in 1..20 {
            for size in 1..=rows {
                let shards: Vec<_> = (0..size).map(|r| shard(rows, r, size)).collect();
                assert_eq!(shards[0].start, 0);
                assert_eq!(shards[size - 1].end, rows);
                for w in shards.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                    assert!(w[0].len() >= w[1].len() && w[0].len() - w[1].len() <= 1);
                }
            }
        }
    }

    #[test]
    fn a_thread_group_sums_in_rank_order_on_every_rank() {
        let group = ThreadGroup::ranks(3);
        let results: Vec<Vec<f64>> = std::thread::scope(|s| {
            let handles: Vec<_> = group
                .into_iter()
                .map(|c| {
                    s.spawn(move || {
                        let r = c.rank() as f64;
                        let first = [1.0, 1e16, -1e16][c.rank()];
                        let mut v = vec![first, 1.0 + r, r];
                        scoped(&c, || assert!(sum_across(&mut v[..])));
                        v
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // In rank order (1 + 1e16) − 1e16 = 0: the 1 is lost, as it is in no other order.
        let expected = vec![0.0, (1.0 + 2.0) + 3.0, (0.0 + 1.0) + 2.0];
        for r in &results {
            assert_eq!(r, &expected);
        }
    }

    #[test]
    fn without_a_collective_nothing_is_summed() {
        let mut v = [1.0f32, 2.0];
        assert!(!sum_across(&mut v));
        assert_eq!(v, [1.0, 2.0]);
    }
}
