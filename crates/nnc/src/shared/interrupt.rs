//! Ctrl-C: the first press asks the running command to stop cleanly (the trainer checks
//! `INTERRUPT` before every step, the search runner before every trial); a second one quits
//! at once with exit code 130.

use crate::exit::INTERRUPTED;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Set by Ctrl-C; the trainer checks it before every step (the search runner before every
/// trial).
pub(crate) static INTERRUPT: AtomicBool = AtomicBool::new(false);
static PRESSES: AtomicUsize = AtomicUsize::new(0);

/// Installs the Ctrl-C handler: the first press sets [`INTERRUPT`] and prints `first`; a second
/// one quits at once.
pub(crate) fn install_ctrl_c(first: &'static str) {
    INTERRUPT.store(false, Ordering::SeqCst);
    PRESSES.store(0, Ordering::SeqCst);
    // Fails only when a handler is installed already (a second run in one process).
    let _ = ctrlc::set_handler(move || {
        if PRESSES.fetch_add(1, Ordering::SeqCst) > 0 {
            crate::output::line_err("\ninterrupted again: quitting now");
            std::process::exit(INTERRUPTED);
        }
        crate::output::line_err(&format!("\n{first}"));
        INTERRUPT.store(true, Ordering::SeqCst);
    });
}
