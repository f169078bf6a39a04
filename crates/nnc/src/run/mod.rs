//! `nnc run`: train and evaluate the experiment while the babysitter watches, and leave a run
//! directory with the resolved model, metrics, plots and weights. The directory is made by
//! [`crate::shared::files::create_run_dir`]; the weights are written by
//! [`crate::shared::weights::write_weights`]:
//!
//! ```text
//! runs/<model>/<n>/
//!   model.nn              the model file as run (`nnc_dsl::resolve`: overridden params and
//!                         data paths rewritten, a header comment)
//!   experiment.json       the resolved experiment (every default filled in)
//!   metrics.jsonl         one JSON object per logged step and per (thinned) epoch
//!   summary.json          metrics, timings, findings, data and run settings
//!   weights.safetensors   parameters, buffers and preprocessing statistics
//!   checkpoints/          last.safetensors and best.safetensors (resumable)
//!   loss.svg accuracy.svg activations.svg
//!   events.out.tfevents.<unix secs>.<host>.nnc
//!                         TensorBoard's event file (scalars and findings; see [`tensorboard`])
//! ```
//!
//! Ctrl-C stops the run cleanly after the current step: the last checkpoint
//! (`checkpoints/last.safetensors`) is kept, the weights and summary are written, and the exit
//! code is 130. A second Ctrl-C quits at once.

pub mod report;
pub mod sink;
pub mod tensorboard;

use crate::cli::Common;
use crate::cluster::{self, Fingerprint};
use crate::commands::prepare;
use crate::exit::failure;
use crate::exit::{CommandResult, DIVERGED, Failure, INTERRUPTED, OK, USAGE};
use crate::output::Output;
use crate::shared::files::{create_run_dir, write};
use crate::shared::interrupt::{INTERRUPT, install_ctrl_c};
use crate::shared::weights::write_weights;
use nnc_dsl::Purpose;
use nnc_dsl::ir::SplitName;
use nnc_train::events::StopReason;
use nnc_train::{StepPlan, TrainConfig};
use sink::RunSink;
use std::path::Path;

/// Periodic checkpoints written over a run.
pub const CHECKPOINTS: u64 = 20;

/// Sets the run's recording cadence on `config`: the steps recorded in `metrics.jsonl` (the
/// file's `log every` points kept among them when they are rarer) and about [`CHECKPOINTS`]
/// periodic checkpoints in `dir/checkpoints` (plus the last one, which Ctrl-C also writes: a
/// synced write every epoch would dominate full-batch runs, where an epoch is one step).
fn record_and_checkpoint(
    config: &mut TrainConfig,
    train_rows: usize,
    dir: &Path,
) -> Result<(), Failure> {
    let plan = StepPlan::of(config, train_rows);
    let record_every = RunSink::record_every(plan.total);
    config.log_every_steps = match config.log_every_steps {
        0 => record_every,
        file => record_every.min(file),
    };
    config.checkpoint_dir = Some(dir.join("checkpoints"));
    config.checkpoint_every_epochs = plan.epochs().div_ceil(CHECKPOINTS).max(1);
    std::fs::create_dir_all(dir.join("checkpoints"))
        .map_err(|e| failure(format!("cannot create the checkpoint directory: {e}")))
}

/// Runs `nnc run`.
pub fn run(model: &Path, fold: Option<usize>, common: &Common, out: &Output) -> CommandResult {
    install_ctrl_c("interrupted: stopping after this step (Ctrl-C again to quit now)");
    let file = prepare(model, Purpose::Run, fold, common, out);
    // Under mpirun: every rank loaded the same experiment, or none trains.
    cluster::agree(file.as_ref().map(|f| Fingerprint::of(f, common.seed)))?;
    let file = file?;
    if let Some(c) = cluster::collective() {
        let config = file.train_config().map_err(failure)?;
        let rows = file.compiled().data.splits.train.len();
        nnc_train::check_data_parallel(config, rows, c.size())
            .map_err(|e| cluster::agreed(Failure::new(USAGE, e.to_string())))?;
    }
    // Rank 0 makes the run directory; if it cannot, no rank trains.
    let dir =
        cluster::on_leader(|| create_run_dir(common.out.as_deref(), &file.experiment().name))?;
    match dir {
        Some(dir) => Ok(run_in(&file, &dir, common.seed, "summary", out)?.code),
        None => follow(&file),
    }
}

/// The exit code of a run that ended for `stop`.
fn exit_code(stop: &StopReason) -> i32 {
    match stop {
        StopReason::Diverged { .. } => DIVERGED,
        StopReason::Interrupted => INTERRUPTED,
        _ => OK,
    }
}

/// A rank other than 0 of a data-parallel `nnc run`: trains its shards of every batch beside
/// rank 0, which reports and writes; returns the exit code rank 0 returns for the same end.
fn follow(file: &nnc_dsl::ModelFile) -> CommandResult {
    let config = file.train_config().map_err(failure)?.clone();
    let mut model = file.build().map_err(failure)?;
    let summary = rayon::scope(|_| {
        file.train_model_on(
            &mut model,
            &config,
            &mut nnc_train::events::Silent,
            Some(&INTERRUPT),
            cluster::collective(),
        )
        .map_err(failure)
    })?;
    Ok(exit_code(&summary.stop))
}

/// Writes the model file as run (`model.nn`, its header naming `seed`) and the resolved
/// experiment (`experiment.json`) into the run directory `dir`.
fn write_resolved(file: &nnc_dsl::ModelFile, dir: &Path, seed: Option<u64>) -> Result<(), Failure> {
    let experiment = file.experiment();
    write(
        &dir.join("model.nn"),
        &nnc_dsl::resolve::resolved_text(
            file.path(),
            file.text(),
            file.overrides(),
            experiment,
            seed,
            "nnc run",
            dir,
        ),
    )?;
    write(
        &dir.join("experiment.json"),
        &serde_json::to_string_pretty(experiment).unwrap_or_default(),
    )
}

/// How a run ended: its exit code and what it measured.
#[derive(Debug, Clone)]
pub struct RunEnd {
    /// The exit code (`OK`, `DIVERGED`, `INTERRUPTED`).
    pub code: i32,
    /// The training summary.
    pub summary: nnc_train::trainer::RunSummary,
    /// The test split's metrics, evaluated once at the end (`None` without test rows).
    pub test: Option<(
        nnc_train::metrics::Metrics,
        nnc_train::metrics::ConfusionMatrix,
    )>,
}

/// Trains `file` into the run directory `dir` (made by the caller): the resolved model file
/// (its header naming `seed`, a `--seed` given), metrics, weights, summary and plots; prints
/// the run as `nnc run` does, its summary as a `record` record with `--format json`
/// (`summary`; `refit` for `nnc search`'s refit, which runs this way). Under mpirun the ranks
/// train data-parallel ([`cluster::collective`]).
pub fn run_in(
    file: &nnc_dsl::ModelFile,
    dir: &Path,
    seed: Option<u64>,
    record: &str,
    out: &Output,
) -> Result<RunEnd, Failure> {
    run_in_with(file, dir, seed, record, cluster::collective(), out)
}

/// [`run_in`] on `ranks` (the job's [`cluster::collective`], data-parallel), or with `None`
/// on this process alone (`nnc search`'s refit, once the other ranks have left).
pub fn run_in_with(
    file: &nnc_dsl::ModelFile,
    dir: &Path,
    seed: Option<u64>,
    record: &str,
    ranks: Option<std::sync::Arc<dyn nnc_tape::collective::Collective>>,
    out: &Output,
) -> Result<RunEnd, Failure> {
    let compiled = file.compiled();
    let experiment = file.experiment();
    let mut config = file.train_config().map_err(failure)?.clone();
    let splits = &compiled.data.splits;
    let dir = dir.to_path_buf();
    write_resolved(file, &dir, seed)?;

    out.note(&report::data_line(compiled));
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

    match tensorboard::TensorBoard::create(&dir) {
        Ok(tb) => sink.tensorboard = Some(tb),
        Err(e) => out.warn(&format!(
            "warning: no TensorBoard event file in `{}`: {e}",
            dir.display()
        )),
    }

    let mut model = file.build().map_err(failure)?;
    out.note(&report::model_line(experiment, &model));
    if cluster::ranks() > 1 {
        out.note(&format!(
            "data-parallel on {} ranks: each computes a contiguous shard of every batch, with {} \
             thread{} (rank 0 reports and writes)",
            cluster::ranks(),
            rayon::current_num_threads(),
            if rayon::current_num_threads() == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    record_and_checkpoint(&mut config, splits.train.len(), &dir)?;

    // Trained on a worker of the pool (`rayon::scope` runs its body there), as `nnc bench`
    // times it: the step's products then split from a worker, which keeps the others awake
    // between them, instead of handing each product over from the main thread.
    let summary = rayon::scope(|_| {
        file.train_model_on(&mut model, &config, &mut sink, Some(&INTERRUPT), ranks)
            .map_err(failure)
    })?;
    sink.finish();

    let test = if splits.test.is_empty() {
        None
    } else {
        Some(
            file.evaluate(&mut model, SplitName::Test)
                .map_err(failure)?,
        )
    };
    if let Some((m, _)) = &test {
        sink.test(summary.steps, m);
    }
    write_weights(
        &dir.join("weights.safetensors"),
        &model,
        &compiled.data.pipeline,
        splits.train.class_names(),
        &experiment.name,
        compiled.seed,
    )?;
    let run = report::RunReport {
        file,
        config: &config,
        summary: &summary,
        test: test.as_ref(),
        history: &sink.history,
        dir: &dir,
        tensorboard: sink.tensorboard.as_ref().and_then(|tb| {
            tb.path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        }),
    };
    write(
        &dir.join("summary.json"),
        &serde_json::to_string_pretty(&run.json()).unwrap_or_default(),
    )?;
    let plot_error = report::plots(&dir, &sink.history).err();
    out.result(&run.text(out.quiet));
    out.record(record, &run.json());
    if let Some(e) = plot_error {
        out.warn(&format!("warning: the plots could not be drawn: {e}"));
    }
    if let Some(e) = &sink.write_error {
        out.warn(&format!("warning: metrics.jsonl is incomplete: {e}"));
    }
    if let Some(e) = sink.tensorboard.as_ref().and_then(|tb| tb.write_error()) {
        out.warn(&format!(
            "warning: the TensorBoard event file is incomplete: {e}"
        ));
    }
    Ok(RunEnd {
        code: exit_code(&summary.stop),
        summary,
        test,
    })
}
