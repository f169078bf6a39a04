//! Mini-batches: the row order of each epoch (shuffled from the seed and the epoch number) cut
//! into batches of a fixed size, or the full batch.

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use nnc_tape::{Tensor, rng};
use rand::seq::SliceRandom;
use std::ops::Range;

/// The size of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "size", rename_all = "lowercase")]
pub enum BatchSize {
    /// Every row in one batch (`batch full`).
    Full,
    /// This many rows per batch (the last batch of an epoch may be smaller, or one row larger:
    /// see [`batch_ranges`]).
    Rows(usize),
}

/// The row ranges of an epoch's batches over `rows` rows (positions in the epoch's order).
///
/// Batches have the requested size; a last batch of a single row is merged into the one
/// before it, because a one-row batch has no batch statistics (batch norm cannot train on it)
/// and gives a gradient ten or a hundred times noisier than the others. So 201 rows in
/// batches of 100 are two steps, `0..100` and `100..201`, and 202 rows are three.
///
/// This is the one place the epoch's length is decided: [`Batcher`], the trainer, the
/// language's lowering of epochs into steps and the benchmarks all count these ranges.
pub fn batch_ranges(rows: usize, batch: BatchSize) -> Vec<Range<usize>> {
    let size = match batch {
        BatchSize::Full => rows,
        BatchSize::Rows(b) => b.clamp(1, rows.max(1)),
    };
    let mut out: Vec<Range<usize>> = (0..rows)
        .step_by(size.max(1))
        .map(|s| s..(s + size).min(rows))
        .collect();
    if out.len() >= 2 && out.last().is_some_and(|r| r.len() == 1) {
        let last = out.pop().expect("two batches");
        out.last_mut().expect("one batch").end = last.end;
    }
    out
}

/// Optimisation steps per epoch: the number of [`batch_ranges`] (at least 1).
pub fn steps_per_epoch(rows: usize, batch: BatchSize) -> u64 {
    (batch_ranges(rows, batch).len() as u64).max(1)
}

/// Produces each epoch's batches of row indices.
///
/// The order of epoch `e` is a pure function of `(seed, e)`: the rows `0..n` shuffled by a
/// ChaCha8 generator seeded with `seed` on stream `e`. So epoch 3 is the same whether or not
/// epochs 0–2 were run, and a resumed run sees the same batches. The order is cut into the
/// [`batch_ranges`].
#[derive(Debug, Clone)]
pub struct Batcher {
    order: Vec<usize>,
    ranges: Vec<Range<usize>>,
    batch: usize,
    shuffle: bool,
    seed: u64,
}

impl Batcher {
    /// A batcher over `rows` rows. Fails on zero rows or a zero batch size.
    pub fn new(rows: usize, size: BatchSize, shuffle: bool, seed: u64) -> Result<Batcher> {
        let batch = match size {
            BatchSize::Full => rows,
            BatchSize::Rows(b) => b.min(rows),
        };
        if rows == 0 || batch == 0 {
            return Err(DataError::invalid(
                "batch",
                format!(
                    "needs at least one row and a batch size of at least 1 (rows {rows}, size {size:?})"
                ),
            ));
        }
        Ok(Batcher {
            order: (0..rows).collect(),
            ranges: batch_ranges(rows, size),
            batch,
            shuffle,
            seed,
        })
    }

    /// Drops the last, smaller batch of each epoch (so every batch has the full size, and a
    /// leftover single row is dropped rather than merged).
    pub fn drop_last(mut self, drop: bool) -> Batcher {
        let rows = self.order.len();
        self.ranges = if drop {
            (0..rows / self.batch)
                .map(|i| i * self.batch..(i + 1) * self.batch)
                .collect()
        } else {
            batch_ranges(rows, BatchSize::Rows(self.batch))
        };
        self
    }

    /// Rows per batch (the last batch of an epoch may have fewer, or one more).
    pub fn batch_size(&self) -> usize {
        self.batch
    }

    /// Batches per epoch.
    pub fn batches_per_epoch(&self) -> usize {
        self.ranges.len()
    }

    /// The positions of each batch in the epoch's order: [`batch_ranges`], or only the full
    /// batches after [`Batcher::drop_last`].
    pub fn ranges(&self) -> &[Range<usize>] {
        &self.ranges
    }

    /// The row indices of each batch of `epoch`, in order.
    pub fn epoch(&mut self, epoch: u64) -> EpochRows<'_> {
        for (i, slot) in self.order.iter_mut().enumerate() {
            *slot = i;
        }
        if self.shuffle {
            let mut r = rng(self.seed);
            r.set_stream(epoch);
            self.order.shuffle(&mut r);
        }
        EpochRows {
            order: &self.order,
            ranges: self.ranges.iter(),
        }
    }

    /// The batches of `epoch` as owned tensors, taken from `dataset` (which must have the
    /// batcher's number of rows). For a loop that allocates nothing, use
    /// [`Batcher::epoch`] with [`Dataset::fill_batch`] instead.
    pub fn batches<'a>(&'a mut self, dataset: &'a Dataset, epoch: u64) -> Result<EpochBatches<'a>> {
        if dataset.len() != self.order.len() {
            return Err(DataError::invalid(
                "batch",
                format!(
                    "the batcher was made for {} rows but the dataset has {}",
                    self.order.len(),
                    dataset.len()
                ),
            ));
        }
        Ok(EpochBatches {
            dataset,
            chunks: self.epoch(epoch),
        })
    }
}

/// The row indices of each batch of one epoch (see [`Batcher::epoch`]).
#[derive(Debug, Clone)]
pub struct EpochRows<'a> {
    order: &'a [usize],
    ranges: std::slice::Iter<'a, Range<usize>>,
}

impl<'a> Iterator for EpochRows<'a> {
    type Item = &'a [usize];

    fn next(&mut self) -> Option<&'a [usize]> {
        self.ranges.next().map(|r| &self.order[r.clone()])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ranges.size_hint()
    }
}

impl ExactSizeIterator for EpochRows<'_> {}

/// One batch: features `[b, d]` and the class of each row.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The features of the batch's rows.
    pub inputs: Tensor<f32>,
    /// The class index of each row.
    pub labels: Vec<usize>,
}

/// The batches of one epoch (see [`Batcher::batches`]).
#[derive(Debug)]
pub struct EpochBatches<'a> {
    dataset: &'a Dataset,
    chunks: EpochRows<'a>,
}

impl Iterator for EpochBatches<'_> {
    /// A batch, or why it could not be copied out of the dataset (never for a dataset of the
    /// batcher's length, which [`Batcher::batches`] checked; an error is still an error).
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        let idx = self.chunks.next()?;
        let mut x = Vec::new();
        let mut y = Vec::new();
        Some(
            self.dataset
                .fill_batch(idx, &mut x, &mut y)
                .and_then(|()| Ok(Tensor::from_vec(x, &[idx.len(), self.dataset.features()])?))
                .map(|inputs| Batch { inputs, labels: y }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch_rows(b: &mut Batcher, e: u64) -> Vec<Vec<usize>> {
        b.epoch(e).map(|c| c.to_vec()).collect()
    }

    #[test]
    fn each_epoch_covers_every_row_once() {
        let mut b = Batcher::new(10, BatchSize::Rows(4), true, 1).unwrap();
        assert_eq!(b.batches_per_epoch(), 3);
        let e0 = epoch_rows(&mut b, 0);
        assert_eq!(e0.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
        let mut all: Vec<usize> = e0.concat();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn epoch_order_depends_on_seed_and_epoch_only() {
        let mut a = Batcher::new(50, BatchSize::Rows(8), true, 7).unwrap();
        let mut b = Batcher::new(50, BatchSize::Rows(8), true, 7).unwrap();
        let a3 = epoch_rows(&mut a, 3);
        let _ = epoch_rows(&mut b, 0);
        let _ = epoch_rows(&mut b, 1);
        assert_eq!(epoch_rows(&mut b, 3), a3);
        assert_ne!(epoch_rows(&mut a, 4), a3);
        let mut c = Batcher::new(50, BatchSize::Rows(8), true, 8).unwrap();
        assert_ne!(epoch_rows(&mut c, 3), a3);
    }

    #[test]
    fn a_single_leftover_row_joins_the_last_batch() {
        assert_eq!(
            batch_ranges(201, BatchSize::Rows(100)),
            vec![0..100, 100..201]
        );
        assert_eq!(
            batch_ranges(202, BatchSize::Rows(100)),
            vec![0..100, 100..200, 200..202]
        );
        assert_eq!(batch_ranges(300, BatchSize::Full), vec![0..300]);
        assert_eq!(batch_ranges(1, BatchSize::Rows(4)), vec![0..1]);
        assert_eq!(steps_per_epoch(1797, BatchSize::Rows(128)), 15);
        let mut b = Batcher::new(201, BatchSize::Rows(100), true, 3).unwrap();
        assert_eq!(b.batches_per_epoch(), 2);
        let sizes: Vec<usize> = b.epoch(0).map(<[usize]>::len).collect();
        assert_eq!(sizes, vec![100, 101]);
    }

    #[test]
    fn full_batch_drop_last_and_no_shuffle() {
        let mut full = Batcher::new(5, BatchSize::Full, false, 0).unwrap();
        assert_eq!(epoch_rows(&mut full, 9), vec![vec![0, 1, 2, 3, 4]]);
        let mut d = Batcher::new(10, BatchSize::Rows(4), false, 0)
            .unwrap()
            .drop_last(true);
        assert_eq!(
            epoch_rows(&mut d, 0),
            vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7]]
        );
        assert!(Batcher::new(0, BatchSize::Full, true, 0).is_err());
        assert!(Batcher::new(3, BatchSize::Rows(0), true, 0).is_err());
    }
}
