//! `nnc eval`: saved weights evaluated on a split, with the metrics and the confusion matrix.
//!
//! The data is loaded and split as the model file says (the data seed makes the split the
//! same as in the run), and preprocessed with the pipeline saved in the weights' metadata, so
//! the model sees exactly the inputs it was trained on.

use crate::cli::{Common, SplitArg};
use crate::exit::{CommandResult, Failure, OK, USAGE};
use crate::output::Output;
use crate::shared::trained::{Trained, load_trained};
use nnc_tape::Tape;
use nnc_train::classification::ClassificationReport;
use nnc_train::trainer::evaluate_confusion;
use std::path::Path;

/// Runs `nnc eval`.
pub fn eval(
    model: &Path,
    weights: &Path,
    split: Option<SplitArg>,
    fold: Option<usize>,
    common: &Common,
    out: &Output,
) -> CommandResult {
    let Trained {
        file,
        model: mut m,
        prepared,
    } = load_trained(
        model,
        weights,
        fold,
        "the metrics below are not meaningful",
        common,
        out,
    )?;
    let compiled = file.compiled();
    let splits = &prepared.splits;
    let chosen = split.unwrap_or(if !splits.test.is_empty() {
        SplitArg::Test
    } else if !splits.val.is_empty() {
        SplitArg::Val
    } else {
        SplitArg::Train
    });
    let data = match chosen {
        SplitArg::Train => &splits.train,
        SplitArg::Val => &splits.val,
        SplitArg::Test => &splits.test,
    };
    if data.is_empty() {
        return Err(Failure::new(
            USAGE,
            format!(
                "the `{}` split of `{}` is empty",
                chosen.name(),
                model.display()
            ),
        )
        .hint("choose another split with --split"));
    }
    let (metrics, confusion) =
        evaluate_confusion(&mut m, compiled.model.loss, data, &mut Tape::new())
            .map_err(crate::exit::train_failure)?;
    let names = data.class_names();
    let report = ClassificationReport::new(&confusion, names);
    out.result(&format!(
        "{}: loss {:.4}, accuracy {:.2}% ({} examples)\n\nconfusion matrix ({}):\n{}\n{}",
        chosen.name(),
        metrics.loss,
        100.0 * metrics.accuracy,
        metrics.examples,
        chosen.name(),
        confusion.render(names),
        report.render()
    ));
    out.record(
        "eval",
        &serde_json::json!({
            "split": chosen.name(),
            "metrics": metrics,
            "confusion": confusion.counts,
            "classes": names,
            "report": report,
        }),
    );
    Ok(OK)
}
