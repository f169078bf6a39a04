//! `nnc doctor`: the babysitting protocol (initial loss, regularization raises the loss,
//! overfit a tiny subset, learning-rate range, gradient check, activation statistics), each
//! step with a verdict and one overall line. With `--out DIR`, the learning-rate sweep and the
//! tiny-subset curve are drawn there.

use super::prepare;
use crate::cli::Common;
use crate::exit::failure;
use crate::exit::{BAD_MODEL, CHECK_FAILED, CommandResult, Failure, OK};
use crate::output::Output;
use crate::plots::{LineChart, Series, line_chart};
use crate::shared::files::create_out_dir;
use nnc_dsl::Purpose;
use nnc_dsl::ir::SplitName;
use nnc_train::babysit::CheckKind;
use nnc_train::doctor::{DoctorReport, Verdict};
use std::path::Path;

/// Runs `nnc doctor`.
pub fn doctor(model: &Path, common: &Common, out: &Output) -> CommandResult {
    let file = prepare(model, Purpose::Check, None, common, out)?;
    if file.compiled().train.is_none() {
        return Err(Failure::new(
            BAD_MODEL,
            format!("`{}` has no `train` section", model.display()),
        )
        .hint("the doctor trains with the file's optimizer and settings: add a `train` section"));
    }
    // Before the protocol runs: a bad --out should not cost the user the whole wait.
    if let Some(dir) = &common.out {
        create_out_dir(dir, "--out")?;
    }
    out.note(&format!(
        "doctor: `{}` on {} training examples",
        file.experiment().name,
        file.split(SplitName::Train).len()
    ));
    let report = file.doctor().map_err(failure)?;
    out.result(&report.to_string());
    out.record("doctor", &json(&report));
    if let Some(dir) = &common.out {
        plot(dir, &report)?;
        out.note(&format!("plots written to {}", dir.display()));
    }
    Ok(if report.overall() == Verdict::Fail {
        CHECK_FAILED
    } else {
        OK
    })
}

fn json(report: &DoctorReport) -> serde_json::Value {
    serde_json::json!({
        "overall": report.overall().to_string(),
        "steps": report.steps.iter().map(|s| serde_json::json!({
            "check": s.check,
            "title": s.check.title(),
            "verdict": s.verdict.to_string(),
            "summary": s.summary,
            "details": s.details,
            "findings": s.findings,
        })).collect::<Vec<_>>(),
    })
}

fn plot(dir: &Path, report: &DoctorReport) -> Result<(), Failure> {
    create_out_dir(dir, "--out")?;
    if let Some(step) = report.step(CheckKind::LearningRateRange)
        && !step.curve.is_empty()
    {
        crate::plots::lr_range_chart(&dir.join("lr_range.svg"), step).map_err(failure)?;
    }
    if let Some(step) = report.step(CheckKind::OverfitTinySubset)
        && !step.curve.is_empty()
    {
        line_chart(
            &dir.join("overfit.svg"),
            &LineChart {
                title: "overfitting a tiny subset",
                x_label: "step",
                y_label: "loss",
                log_y: true,
                series: &[Series::new("loss", step.curve.clone())],
            },
        )
        .map_err(failure)?;
    }
    Ok(())
}
