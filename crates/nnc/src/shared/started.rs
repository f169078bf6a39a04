//! When this command's run started, for the time a run takes to reach its first training step
//! (reading and checking the file, loading and preprocessing the data, building the model).

use std::sync::Mutex;
use std::time::Instant;

static STARTED: Mutex<Option<Instant>> = Mutex::new(None);

/// Marks the command's start; a later call keeps the first mark.
pub fn mark() {
    let mut started = STARTED.lock().unwrap_or_else(|e| e.into_inner());
    started.get_or_insert_with(Instant::now);
}

/// Starts the clock again: a second run within the command (a search's refit) counts from
/// here.
pub fn restart() {
    *STARTED.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
}

/// Seconds since [`mark`] or [`restart`] (or since the first call here, if nothing marked a
/// start).
pub fn seconds() -> f64 {
    let mut started = STARTED.lock().unwrap_or_else(|e| e.into_inner());
    started
        .get_or_insert_with(Instant::now)
        .elapsed()
        .as_secs_f64()
}
