//! The trials' TensorBoard event files: each trial trains into `trials/<t>/` of the search
//! directory (`trials/<t>/fold-<k>/` per fold with k-fold validation), so that
//! `tensorboard --logdir runs/<model>/search-<n>` overlays their curves.

use crate::run::tensorboard::TensorBoard;
use crate::run::tensorboard::sink::BoardSink;
use nnc_train::events::EventSink;
use nnc_train::search::TrialSpec;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The folder of the trials' event files in a search directory.
pub const TRIALS_DIR: &str = "trials";

/// Makes the event sink of each trial; keeps the first error.
pub struct TrialBoards {
    dir: PathBuf,
    error: Arc<Mutex<Option<String>>>,
}

impl TrialBoards {
    /// The trials' event files of the search in `search_dir`.
    pub fn new(search_dir: &Path) -> Self {
        TrialBoards {
            dir: search_dir.join(TRIALS_DIR),
            error: Arc::default(),
        }
    }

    /// The sink of trial `spec` on `fold` (0-based; `None`: the holdout split), or `None`
    /// (the error kept) when its event file cannot be created.
    pub fn sink(&self, spec: &TrialSpec, fold: Option<usize>) -> Option<Box<dyn EventSink>> {
        let mut dir = self.dir.join((spec.id + 1).to_string());
        if let Some(f) = fold {
            dir = dir.join(format!("fold-{}", f + 1));
        }
        let board = std::fs::create_dir_all(&dir).and_then(|()| TensorBoard::create(&dir));
        match board {
            Ok(board) => Some(Box::new(BoardSink::new(board, Arc::clone(&self.error)))),
            Err(e) => {
                self.keep(format!("`{}`: {e}", dir.display()));
                None
            }
        }
    }

    fn keep(&self, e: String) {
        if let Ok(mut first) = self.error.lock() {
            first.get_or_insert(e);
        }
    }

    /// The first error creating or writing a trial's event file, if any.
    pub fn error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|e| e.clone())
    }
}
