//! `nnc predict`: a trained model applied to new rows, streamed from a CSV table to a CSV of
//! predictions.
//!
//! The rows get the preprocessing saved with the weights, so the model sees them exactly as
//! it saw its training rows. The input's columns are matched to the training data's by header
//! name, in any order ([`nnc_data::CsvRowStream`]); with the label column, the accuracy, the
//! confusion matrix and the per-class report are printed too. One batch is in memory at a
//! time, so a table of any length is predicted in bounded memory. The predictions go to a
//! temporary file beside `--out` that replaces it only when every row is written: a failed or
//! interrupted run leaves an earlier file of that name as it was.

mod table;

use crate::cli::Common;
use crate::exit::{BAD_MODEL, CommandResult, Failure, INTERRUPTED, OK, USAGE, failure};
use crate::output::Output;
use crate::shared::files::refuse_overwriting;
use crate::shared::interrupt::{INTERRUPT, install_ctrl_c};
use crate::shared::trained::{Trained, load_trained};
use clap::Args;
use nnc_data::{CsvRowStream, DataError, ExpectedColumns, Source};
use nnc_ops::ForwardCtx;
use nnc_tape::{Tape, Tensor};
use nnc_train::classification::ClassificationReport;
use nnc_train::metrics::{ConfusionMatrix, argmax_rows};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;
use table::PredictionTable;

/// The arguments of `nnc predict`.
#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// The model file the weights were trained from.
    pub model: PathBuf,
    /// The rows to predict: a CSV table with a header naming the training data's feature
    /// columns (in any order) and, optionally, its label column; `-` reads standard input.
    pub input: PathBuf,
    /// The weights (`weights.safetensors` of a run, or a checkpoint).
    #[arg(long, value_name = "FILE")]
    pub weights: PathBuf,
    /// Rows per batch (memory grows with it, not with the table).
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub batch: u64,
}

/// What a prediction pass counted.
struct Tally {
    rows: usize,
    loss_sum: f64,
    confusion: Option<ConfusionMatrix>,
    seconds: f64,
}

/// Runs `nnc predict`.
pub fn predict(args: &PredictArgs, common: &Common, out: &Output) -> CommandResult {
    if out.json() && common.out.is_none() {
        return Err(Failure::new(
            USAGE,
            "with --format json, standard output carries the JSON records, not the predictions",
        )
        .hint("write the predictions to a file with --out predictions.csv"));
    }
    let mut trained = load_trained(
        &args.model,
        &args.weights,
        None,
        "the predictions are not meaningful",
        common,
        out,
    )?;
    let expected = expected_columns(&trained);
    let (reader, name) = open_input(&args.input)?;
    let mut rows = CsvRowStream::open(reader, &name, &expected).map_err(failure)?;
    // `--out -` is standard output, as `-` is standard input.
    let target = common.out.as_deref().filter(|p| p.as_os_str() != "-");
    if let Some(path) = target {
        refuse_overwriting(path, &[&args.input, &args.weights, &args.model])?;
    }
    install_ctrl_c("interrupted: stopping; the predictions file is not written");
    let tally = match target {
        Some(path) => write_atomically(path, |w| {
            predict_rows(&mut trained, &mut rows, w, args.batch as usize, out)
        })?,
        None => {
            let stdout = std::io::stdout();
            let sink = BufWriter::with_capacity(1 << 16, stdout.lock());
            match predict_rows(&mut trained, &mut rows, sink, args.batch as usize, out) {
                // `nnc predict … | head`: the reader has what it wanted.
                Err(Stop::Closed) => return Ok(OK),
                other => other.map_err(Stop::into_failure)?,
            }
        }
    };
    report(&tally, &trained, target, out);
    Ok(OK)
}

/// The columns the input must have: the training data's, by name.
fn expected_columns(trained: &Trained) -> ExpectedColumns {
    let compiled = trained.file.compiled();
    let train = &compiled.raw.splits.train;
    let delimiter = match &trained.file.experiment().data.source.kind {
        Source::Csv { options, .. } => options.delimiter,
        _ => b',',
    };
    ExpectedColumns {
        features: train.feature_names().to_vec(),
        label: train.label_name().to_string(),
        classes: train.class_names().to_vec(),
        delimiter,
    }
}

/// The input table (a file, or standard input for `-`) and its name in messages.
fn open_input(path: &Path) -> Result<(Box<dyn Read>, String), Failure> {
    if path.as_os_str() == "-" {
        return Ok((Box::new(std::io::stdin().lock()), "<stdin>".to_string()));
    }
    if path.is_dir() {
        return Err(
            Failure::new(USAGE, format!("`{}` is a directory", path.display()))
                .hint("give a CSV table of rows to predict, or `-` for standard input"),
        );
    }
    let file = std::fs::File::open(path).map_err(|e| {
        Failure::new(USAGE, format!("cannot read `{}`: {e}", path.display()))
            .hint("give a CSV table of rows to predict, or `-` for standard input")
    })?;
    Ok((
        Box::new(std::io::BufReader::with_capacity(1 << 16, file)),
        path.display().to_string(),
    ))
}

/// Why predicting stopped early.
enum Stop {
    /// The output stream was closed by its reader.
    Closed,
    /// Ctrl-C.
    Interrupted,
    /// Anything else.
    Failed(Failure),
}

impl Stop {
    fn into_failure(self) -> Failure {
        match self {
            Stop::Closed => Failure::new(BAD_MODEL, "the output was closed"),
            Stop::Interrupted => Failure::new(
                INTERRUPTED,
                "interrupted: the predictions were not all written",
            ),
            Stop::Failed(f) => f,
        }
    }
}

/// Writes through `write` into a temporary file beside `path`, renamed to `path` only on
/// success; on any failure the temporary file is removed and `path` is left as it was.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(BufWriter<std::fs::File>) -> Result<Tally, Stop>,
) -> Result<Tally, Failure> {
    let cannot = |e: std::io::Error| {
        Failure::new(USAGE, format!("cannot write `{}`: {e}", path.display()))
            .hint("give --out a file in an existing, writable directory")
    };
    // Not a regular file (`/dev/null`, a named pipe): written in place.
    if path.exists() && !path.is_file() {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(cannot)?;
        return write(BufWriter::with_capacity(1 << 16, file)).map_err(Stop::into_failure);
    }
    // A link to a file: the file it points to is replaced, not the link.
    let path = &path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(cannot)?;
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let file = std::fs::File::create(&partial).map_err(cannot)?;
    let result = write(BufWriter::with_capacity(1 << 16, file));
    match result {
        Ok(tally) => {
            std::fs::rename(&partial, path).map_err(cannot)?;
            Ok(tally)
        }
        Err(stop) => {
            let _ = std::fs::remove_file(&partial);
            Err(stop.into_failure())
        }
    }
}

/// Predicts every row of `rows` into `sink`, a batch at a time.
fn predict_rows<W: Write>(
    trained: &mut Trained,
    rows: &mut CsvRowStream<Box<dyn Read>>,
    sink: W,
    batch: usize,
    out: &Output,
) -> Result<Tally, Stop> {
    let progress = if out.interactive() {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} {human_pos} rows ({per_sec})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let start = Instant::now();
    let compiled = trained.file.compiled();
    let loss = compiled.model.loss;
    let classes = compiled.raw.splits.train.class_names().to_vec();
    let probabilities = loss.has_probabilities();
    let labelled = rows.has_labels();
    let io = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Stop::Closed
        } else {
            Stop::Failed(failure(format!("cannot write the predictions: {e}")))
        }
    };
    let mut table = PredictionTable::new(sink, &classes, probabilities, labelled).map_err(io)?;
    let mut tally = Tally {
        rows: 0,
        loss_sum: 0.0,
        confusion: labelled.then(|| ConfusionMatrix::new(classes.len())),
        seconds: 0.0,
    };
    let (mut x, mut labels) = (Vec::new(), Vec::new());
    let mut tape = Tape::new();
    tape.set_grad_enabled(false);
    loop {
        if INTERRUPT.load(Ordering::SeqCst) {
            return Err(Stop::Interrupted);
        }
        let n = rows
            .next_batch(batch, &mut x, &mut labels)
            .map_err(|e| Stop::Failed(bad_row(e, rows.label_column())))?;
        if n == 0 {
            break;
        }
        let scores = batch_scores(trained, &mut tape, &x, &labels, &mut tally)?;
        let values = loss.outputs(scores).map_err(|e| Stop::Failed(failure(e)))?;
        let predicted = argmax_rows(values.data(), classes.len());
        if let Some(cm) = tally.confusion.as_mut() {
            cm.add(&predicted, &labels);
        }
        table
            .write_rows(values.data(), &predicted, &labels)
            .map_err(io)?;
        tally.rows += n;
        progress.set_position(tally.rows as u64);
    }
    progress.finish_and_clear();
    table.finish().map_err(io)?;
    if tally.rows == 0 {
        return Err(Stop::Failed(
            Failure::new(
                BAD_MODEL,
                format!("`{}` has a header but no rows", rows.name()),
            )
            .hint("give a table with at least one row to predict"),
        ));
    }
    tally.seconds = start.elapsed().as_secs_f64();
    Ok(tally)
}

/// A bad cell of the input as a failure (exit code 1), with advice for new rows rather than
/// for training data.
fn bad_row(e: DataError, label: Option<&str>) -> Failure {
    let hint = match &e {
        DataError::MissingValue { column, .. } if Some(column.as_str()) == label => {
            "a labelled row needs its label; drop the label column to predict without labels"
        }
        DataError::NotNumeric { .. }
        | DataError::NonFinite { .. }
        | DataError::MissingValue { .. } => {
            "every feature of a row to predict must be a finite number (as in training); fix or \
             drop the row"
        }
        DataError::UnknownClass { .. } => {
            "a label must be one of the model's classes, written as in the training data; drop \
             the label column to predict without one"
        }
        _ => "",
    };
    let message = e.to_string();
    // The library's own advice speaks of training data: keep the location and the finding.
    let message = match (hint.is_empty(), message.split_once("; ")) {
        (false, Some((what, _))) => what.to_string(),
        _ => message,
    };
    Failure::new(BAD_MODEL, message).hint(hint)
}

/// The class scores of one batch of raw rows (preprocessed first); with labels, adds the
/// batch's summed loss to the tally.
fn batch_scores(
    trained: &mut Trained,
    tape: &mut Tape<f32>,
    x: &[f32],
    labels: &[usize],
    tally: &mut Tally,
) -> Result<Tensor<f32>, Stop> {
    let fail = |e: &dyn std::fmt::Display| Stop::Failed(failure(e));
    let n = x.len() / trained.pipeline().input_features().max(1);
    let raw = Tensor::from_vec(x.to_vec(), &[n, trained.pipeline().input_features()])
        .map_err(|e| fail(&e))?;
    let inputs = trained
        .pipeline()
        .transform_inputs(&raw)
        .map_err(|e| fail(&e))?;
    tape.reset();
    let v = tape.constant(inputs);
    let scores = trained
        .model
        .forward(tape, v, &mut ForwardCtx::eval())
        .map_err(|e| fail(&e))?;
    if !labels.is_empty() {
        let loss = trained.file.compiled().model.loss;
        let l = loss.apply(tape, scores, labels).map_err(|e| fail(&e))?;
        let mean = tape.value(l).item().map_err(|e| fail(&e))?;
        tally.loss_sum += f64::from(mean) * n as f64;
    }
    Ok(tape.value(scores).clone())
}

/// Prints what was predicted: rows and speed, and with labels the metrics, the confusion
/// matrix and the per-class report. Goes to standard error when the predictions are on
/// standard output.
fn report(tally: &Tally, trained: &Trained, target: Option<&Path>, out: &Output) {
    let classes = trained.file.compiled().raw.splits.train.class_names();
    let rate = tally.rows as f64 / tally.seconds.max(1e-9);
    let whereto = target.map_or("standard output".to_string(), |p| {
        format!("`{}`", p.display())
    });
    let mut text = format!(
        "predicted {} rows in {:.2} s ({:.0} rows/s) into {whereto}",
        tally.rows, tally.seconds, rate
    );
    let metrics = tally.confusion.as_ref().map(|cm| {
        let report = ClassificationReport::new(cm, classes);
        let loss = tally.loss_sum / tally.rows.max(1) as f64;
        text.push_str(&format!(
            "\n\naccuracy {:.2}%, loss {loss:.4} ({} labelled rows)\n\nconfusion matrix:\n{}\n{}",
            100.0 * cm.accuracy(),
            tally.rows,
            cm.render(classes),
            report.render()
        ));
        serde_json::json!({
            "loss": loss, "accuracy": cm.accuracy(), "confusion": cm.counts, "report": report,
        })
    });
    if out.json() {
        out.record(
            "predict",
            &serde_json::json!({
                "rows": tally.rows,
                "out": target.map(|p| p.display().to_string()),
                "seconds": tally.seconds,
                "rows_per_second": rate,
                "classes": classes,
                "labelled": metrics,
            }),
        );
    } else if out.quiet && tally.confusion.is_none() {
        // The predictions are the result; the count and speed are notes.
    } else if target.is_some() {
        out.result(&text);
    } else {
        crate::output::text_err(&format!("{text}\n"));
    }
}
