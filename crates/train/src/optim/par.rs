//! Elementwise parameter updates split over the rayon pool for large tensors. Every element's
//! update is independent of the others, so the result is bit-identical for every thread count.

use rayon::prelude::*;

/// Tensors with fewer elements are updated on the calling thread (a rayon hand-off costs
/// microseconds; below this size the update itself is faster than that).
pub(crate) const PARALLEL_ELEMENTS: usize = 1 << 16;

/// Elements per rayon task.
const CHUNK: usize = 1 << 14;

fn parallel(len: usize) -> bool {
    len >= PARALLEL_ELEMENTS && rayon::current_num_threads() > 1
}

/// `f(w, g)` over matching chunks of `w` and `g` (equal lengths), in parallel for large tensors.
pub(crate) fn chunked<T: Send + Sync>(w: &mut [T], g: &[T], f: impl Fn(&mut [T], &[T]) + Sync) {
    debug_assert_eq!(w.len(), g.len());
    if parallel(w.len()) {
        w.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .for_each(|(w, g)| f(w, g));
    } else {
        f(w, g);
    }
}

/// `f(w, v, g)` over matching chunks of three equal-length slices (weights, an optimiser slot,
/// gradients), in parallel for large tensors.
pub(crate) fn chunked_pair<T: Send + Sync>(
    w: &mut [T],
    v: &mut [T],
    g: &[T],
    f: impl Fn(&mut [T], &mut [T], &[T]) + Sync,
) {
    debug_assert!(w.len() == v.len() && v.len() == g.len());
    if parallel(w.len()) {
        w.par_chunks_mut(CHUNK)
            .zip(v.par_chunks_mut(CHUNK))
            .zip(g.par_chunks(CHUNK))
            .for_each(|((w, v), g)| f(w, v, g));
    } else {
        f(w, v, g);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_element_on_any_pool() {
        let n = PARALLEL_ELEMENTS + 12_345;
        let g: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (mut w, mut v) = (vec![1.0f32; n], vec![0.5f32; n]);
            pool.install(|| {
                chunked(&mut w, &g, |w, g| {
                    w.iter_mut().zip(g).for_each(|(w, &g)| *w -= 0.1 * g)
                });
                chunked_pair(&mut w, &mut v, &g, |w, v, g| {
                    for ((w, v), &g) in w.iter_mut().zip(v.iter_mut()).zip(g) {
                        *v = 0.9 * *v + g;
                        *w -= *v;
                    }
                });
            });
            (w, v)
        };
        let (w1, v1) = run(1);
        assert_eq!((w1.clone(), v1.clone()), run(2));
        assert_eq!(v1[n - 1], 0.9 * 0.5 + (n - 1) as f32);
        assert_eq!(w1[7], (1.0 - 0.1 * 7.0) - (0.9 * 0.5 + 7.0));
    }
}
