//! When this command started, for the time a run takes to reach its first training step
//! (reading and checking the file, loading and preprocessing the data, building the model).

use std::sync::OnceLock;
use std::time::Instant;

static STARTED: OnceLock<Instant> = OnceLock::new();

/// Marks the command's start; later calls keep the first mark.
pub fn mark() {
    STARTED.get_or_init(Instant::now);
}

/// Seconds since [`mark`] (or since the first call here, if nothing marked the start).
pub fn seconds() -> f64 {
    STARTED.get_or_init(Instant::now).elapsed().as_secs_f64()
}
