//! Keeping the worker threads awake while training runs.
//!
//! A parallel product splits its work with a rayon join. After some microseconds without work
//! a rayon worker goes to sleep, and waking it costs far more than the join itself: measured
//! on the 2-core benchmark machine, a join after ≥ 20 µs of serial work took ~23 µs longer
//! than one with the worker awake (~1 µs). A training step alternates parallel products with
//! short serial passes, so every product paid that wake-up. [`KeepAwake`] keeps the other
//! workers of the current pool busy-waiting for work (running any job that appears, so the
//! halves of joins start at once) until it is dropped — what OpenMP runtimes do by default.
//! It changes when work starts, never how it is split, so results are unchanged.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// While alive, the other workers of the current rayon pool wait for work spinning instead of
/// sleeping. Costs those cores' idle time; does nothing in a one-thread pool, and nothing when
/// created outside the pool's workers (there, every join is handed to the pool and the caller
/// waits, so a spinning worker would only take a core from the one that does the work: run
/// the loop on a worker, e.g. inside `pool.install` or `rayon::scope`).
///
/// ```
/// let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
/// pool.install(|| {
///     let awake = nnc_tape::workers::KeepAwake::new();
///     let (a, b) = rayon::join(|| 1 + 1, || 2 + 2);
///     assert_eq!((a, b), (2, 4));
///     drop(awake); // the spinning worker returns to rayon's normal sleep
/// });
/// ```
#[derive(Debug)]
pub struct KeepAwake {
    stop: Arc<AtomicBool>,
    spinning: Arc<AtomicUsize>,
}

impl KeepAwake {
    /// Starts one spinning task for each other worker of the current pool.
    pub fn new() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let spinning = Arc::new(AtomicUsize::new(0));
        let Some(owner) = rayon::current_thread_index() else {
            return KeepAwake { stop, spinning };
        };
        for _ in 1..rayon::current_num_threads() {
            let (stop, spinning) = (stop.clone(), spinning.clone());
            rayon::spawn(move || {
                // The thread that asked must stay free for its own work.
                if rayon::current_thread_index() == Some(owner) || stop.load(Ordering::Relaxed) {
                    return;
                }
                spinning.fetch_add(1, Ordering::Relaxed);
                while !stop.load(Ordering::Relaxed) {
                    match rayon::yield_now() {
                        Some(rayon::Yield::Executed) => {}
                        _ => std::hint::spin_loop(),
                    }
                }
                spinning.fetch_sub(1, Ordering::Relaxed);
            });
        }
        KeepAwake { stop, spinning }
    }

    /// How many workers are spinning now (for tests and diagnostics).
    pub fn spinning(&self) -> usize {
        self.spinning.load(Ordering::Relaxed)
    }
}

impl Default for KeepAwake {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for KeepAwake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait_until(what: impl Fn() -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if what() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    }

    #[test]
    fn the_other_worker_spins_until_the_guard_is_dropped() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| {
            let awake = KeepAwake::new();
            assert!(wait_until(|| awake.spinning() == 1), "a worker spins");
            // Joins still run both halves (one of them on the spinning worker).
            let sums: Vec<u64> = (0..100)
                .map(|i| {
                    let (a, b) = rayon::join(|| i * 2, || i * 3);
                    a + b
                })
                .collect();
            assert_eq!(sums[99], 495);
            let spinning = awake.spinning.clone();
            drop(awake);
            assert!(
                wait_until(|| spinning.load(Ordering::Relaxed) == 0),
                "the worker stops spinning"
            );
        });
    }

    #[test]
    fn outside_the_pool_nothing_spins() {
        let awake = KeepAwake::new();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(awake.spinning(), 0);
    }

    #[test]
    fn a_one_thread_pool_spawns_nothing() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        pool.install(|| {
            let awake = KeepAwake::new();
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(awake.spinning(), 0);
        });
    }
}
