//! `nnc run`: train and evaluate the experiment while the babysitter watches, and leave a run
//! directory (see [`files`]) with the resolved model, metrics, plots and weights.
//!
//! Ctrl-C stops the run cleanly after the current step: the last checkpoint
//! (`checkpoints/last.safetensors`) is kept, the weights and summary are written, and the exit
//! code is 130. A second Ctrl-C quits at once.

pub mod files;
pub mod report;
pub mod sink;

use crate::cli::Common;
use crate::commands::{failure, train_failure};
use crate::exit::{CommandResult, DIVERGED, INTERRUPTED, OK};
use crate::load;
use crate::output::Output;
use nnc_dsl::Purpose;
use nnc_tape::Tape;
use nnc_train::events::StopReason;
use nnc_train::trainer::evaluate_confusion;
use nnc_train::{Duration, train};
use sink::RunSink;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Periodic checkpoints written over a run.
pub const CHECKPOINTS: u64 = 20;

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

/// Runs `nnc run`.
pub fn run(model: &Path, fold: Option<usize>, common: &Common, out: &Output) -> CommandResult {
    install_ctrl_c("interrupted: stopping after this step (Ctrl-C again to quit now)");
    let loaded = load::load(model, &common.set, Purpose::Run, true, out)?;
    let compiled = load::lower(&loaded, common.seed, fold)?;
    let experiment = &loaded.checked.experiment;
    let Some(mut config) = compiled.train.clone() else {
        return Err(failure("the file has no `train` section"));
    };
    let splits = &compiled.data.splits;
    let dir = files::create_run_dir(common.out.as_deref(), &experiment.name)?;
    files::write(
        &dir.join("model.nn"),
        &nnc_dsl::resolve::resolved_text(
            &loaded.path,
            &loaded.text,
            &loaded.overrides,
            experiment,
            common.seed,
            "nnc run",
            &dir,
        ),
    )?;
    files::write(
        &dir.join("experiment.json"),
        &serde_json::to_string_pretty(experiment).unwrap_or_default(),
    )?;

    out.note(&report::data_line(&compiled));
    let mut sink = RunSink::new(
        *out,
        Some(&dir.join("metrics.jsonl")),
        config.log_every_steps,
        !splits.val.is_empty(),
    )
    .map_err(|e| {
        failure(format!(
            "cannot write metrics.jsonl in `{}`: {e}",
            dir.display()
        ))
    })?;

    let mut model = compiled.model.build(compiled.seed).map_err(failure)?;
    out.note(&report::model_line(experiment, &model));
    let spe = nnc_train::trainer::steps_per_epoch(splits.train.len(), config.batch);
    let total = match config.duration {
        Duration::Epochs(e) => e * spe,
        Duration::Steps(s) => s,
    };
    let file_log_every = config.log_every_steps;
    config.log_every_steps = RunSink::record_every(total);
    if file_log_every > 0 {
        // Keep the file's log points among the recorded steps when they are rarer.
        config.log_every_steps = config.log_every_steps.min(file_log_every);
    }
    config.checkpoint_dir = Some(dir.join("checkpoints"));
    // About 20 periodic checkpoints per run (plus the last one, which Ctrl-C also writes):
    // a synced write every epoch would dominate full-batch runs, where an epoch is one step.
    config.checkpoint_every_epochs = total.div_ceil(spe).div_ceil(CHECKPOINTS).max(1);
    std::fs::create_dir_all(dir.join("checkpoints"))
        .map_err(|e| failure(format!("cannot create the checkpoint directory: {e}")))?;

    let data = compiled.data.train_data(&experiment.data, &compiled.raw);
    // Trained on a worker of the pool (`rayon::scope` runs its body there), as `nnc bench`
    // times it: the step's products then split from a worker, which keeps the others awake
    // between them, instead of handing each product over from the main thread.
    let loss = compiled.model.loss;
    let summary =
        rayon::scope(|_| train(&mut model, loss, data, &config, &mut sink, Some(&INTERRUPT)))
            .map_err(train_failure)?;
    sink.finish();

    let test = if splits.test.is_empty() {
        None
    } else {
        Some(
            evaluate_confusion(
                &mut model,
                compiled.model.loss,
                &splits.test,
                &mut Tape::new(),
            )
            .map_err(train_failure)?,
        )
    };
    files::write_weights(
        &dir.join("weights.safetensors"),
        &model,
        &compiled.data.pipeline,
        splits.train.class_names(),
        &experiment.name,
        compiled.seed,
    )?;
    let run = report::RunReport {
        loaded: &loaded,
        compiled: &compiled,
        config: &config,
        summary: &summary,
        test: test.as_ref(),
        history: &sink.history,
        dir: &dir,
    };
    files::write(
        &dir.join("summary.json"),
        &serde_json::to_string_pretty(&run.json()).unwrap_or_default(),
    )?;
    let plot_error = report::plots(&dir, &sink.history).err();
    out.result(&run.text());
    out.record("summary", &run.json());
    if let Some(e) = plot_error {
        out.warn(&format!("warning: the plots could not be drawn: {e}"));
    }
    if let Some(e) = &sink.write_error {
        out.warn(&format!("warning: metrics.jsonl is incomplete: {e}"));
    }
    Ok(match summary.stop {
        StopReason::Diverged { .. } => DIVERGED,
        StopReason::Interrupted => INTERRUPTED,
        _ => OK,
    })
}
