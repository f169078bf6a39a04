//! Where each batch of an epoch begins and ends.

use nnc_data::BatchSize;
use std::ops::Range;

/// The row ranges of an epoch's batches over `rows` rows (in the epoch's shuffled order).
///
/// Batches have the requested size; a last batch of a single row is merged into the one
/// before it, because a one-row batch has no batch statistics (batch norm cannot train on it)
/// and gives a gradient ten or a hundred times noisier than the others.
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

/// Optimisation steps per epoch: the number of [`batch_ranges`].
pub fn steps_per_epoch(rows: usize, batch: BatchSize) -> u64 {
    batch_ranges(rows, batch).len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
