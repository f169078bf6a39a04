//! Exit codes, and the error every command returns when it cannot finish.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the model file (or the data it names) is bad: diagnostics were printed |
//! | 2 | bad usage: an unknown flag, a missing argument, a bad `--set`, a file that does not exist |
//! | 3 | the run diverged (the babysitter stopped it) |
//! | 4 | a check failed: `gradcheck` found a wrong gradient, `doctor` a failing step |
//! | 130 | interrupted with Ctrl-C (the last checkpoint is kept) |

use std::fmt;

/// Success.
pub const OK: i32 = 0;
/// A bad model file or data.
pub const BAD_MODEL: i32 = 1;
/// Bad usage.
pub const USAGE: i32 = 2;
/// The run diverged.
pub const DIVERGED: i32 = 3;
/// A check failed.
pub const CHECK_FAILED: i32 = 4;
/// Interrupted by the user.
pub const INTERRUPTED: i32 = 130;

/// Why a command stopped: a message (already printed, when empty) and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The exit code.
    pub code: i32,
    /// What went wrong (empty when diagnostics were printed already).
    pub message: String,
    /// What to do about it (may be empty).
    pub hint: String,
}

impl Failure {
    /// A failure with a message and exit code.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            hint: String::new(),
        }
    }

    /// A failure whose explanation was printed already.
    pub fn silent(code: i32) -> Self {
        Failure::new(code, "")
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if !self.hint.is_empty() {
            write!(f, "\n  help: {}", self.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// The result of a command: its exit code, or why it failed.
pub type CommandResult = Result<i32, Failure>;

/// A training-library error as a failure (exit code 1).
pub fn train_failure(e: nnc_train::TrainError) -> Failure {
    Failure::new(BAD_MODEL, e.to_string())
}

/// Any other library error (tensor, ops) as a failure (exit code 1).
pub fn failure(e: impl fmt::Display) -> Failure {
    Failure::new(BAD_MODEL, e.to_string())
}
