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
/// one quits at once. On several ranks, `SIGUSR1` sets it too ([`install_usr1`]).
pub(crate) fn install_ctrl_c(first: &'static str) {
    #[cfg(feature = "mpi")]
    if crate::cluster::ranks() > 1 {
        install_usr1();
    }
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

/// Whether Ctrl-C was pressed (its message printed), rather than [`INTERRUPT`] set otherwise.
#[cfg(feature = "mpi")]
pub(crate) fn pressed() -> bool {
    PRESSES.load(Ordering::SeqCst) > 0
}

/// Makes `SIGUSR1` ask the running command to stop cleanly, as a first Ctrl-C does (without its
/// message): `mpirun` ends the whole job at once on Ctrl-C (SIGINT reaches `mpirun` alone, and
/// it kills the ranks) but forwards `SIGUSR1` to every rank, so `kill -USR1 <mpirun's pid>`
/// stops a job gracefully. Only with the `mpi` feature, when started on several ranks.
#[cfg(feature = "mpi")]
fn install_usr1() {
    extern "C" fn on_usr1(_: libc::c_int) {
        // An atomic store: safe in a signal handler.
        INTERRUPT.store(true, Ordering::SeqCst);
    }
    // SAFETY: installs a handler that only stores to an atomic (async-signal-safe), with
    // SA_RESTART so that interrupted system calls resume; the sigaction struct is zeroed and
    // its mask emptied before use.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_usr1 as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut());
    }
}
