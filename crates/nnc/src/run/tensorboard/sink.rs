//! A training's events straight into an event file, for the runs that print nothing (the
//! trials of a search): the scalars and findings of [`super::TensorBoard`], epochs thinned as
//! `metrics.jsonl` thins them, the file flushed when the training stops.

use super::TensorBoard;
use crate::run::sink::EpochThinning;
use nnc_train::events::{Event, EventSink};
use std::sync::{Arc, Mutex};

/// An event sink writing a TensorBoard event file.
pub struct BoardSink {
    board: TensorBoard,
    thinning: EpochThinning,
    /// Where the first write error goes (shared by every trial of a search).
    error: Arc<Mutex<Option<String>>>,
}

impl BoardSink {
    /// A sink writing to `board`, keeping its first write error in `error`.
    pub fn new(board: TensorBoard, error: Arc<Mutex<Option<String>>>) -> Self {
        BoardSink {
            board,
            thinning: EpochThinning::default(),
            error,
        }
    }

    fn stop(&mut self) {
        self.board.flush();
        if let Some(e) = self.board.write_error()
            && let Ok(mut first) = self.error.lock()
        {
            first.get_or_insert_with(|| e.to_string());
        }
    }
}

impl EventSink for BoardSink {
    fn event(&mut self, event: &Event) {
        match event {
            Event::Started {
                steps_per_epoch,
                total_steps,
                ..
            } => self.thinning = EpochThinning::new(*steps_per_epoch as u64, *total_steps),
            Event::Step {
                step,
                loss,
                penalty,
                lr,
                steps_per_second,
                ..
            } => self
                .board
                .step(*step, *loss, *penalty, *lr, *steps_per_second),
            Event::Evaluation {
                step,
                epoch,
                train,
                val,
                activations,
            } => {
                if self.thinning.keeps(*step, *epoch, val.is_some()) {
                    self.board
                        .evaluation(*step, train, val.as_ref(), activations);
                }
            }
            Event::UpdateRatios { step, ratios } => self.board.update_ratios(*step, ratios),
            Event::Finding(f) => self.board.finding(f),
            Event::Checkpoint { .. } => {}
            Event::Stopped { .. } => self.stop(),
        }
    }
}
