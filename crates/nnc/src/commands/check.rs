//! `nnc check`: parse and check a model file; print its warnings and, with `--shapes`, the
//! layer table.

use crate::cli::Common;
use crate::exit::{BAD_MODEL, CommandResult, Failure, OK};
use crate::load::load;
use crate::output::Output;
use crate::shared::numbers::group_digits;
use nnc_dsl::{Purpose, Severity};
use std::path::Path;

/// Runs `nnc check`.
pub fn check(
    model: &Path,
    shapes: bool,
    read_data: bool,
    deny_warnings: bool,
    common: &Common,
    out: &Output,
) -> CommandResult {
    let loaded = load(model, &common.set, Purpose::Check, read_data, out)?;
    let e = &loaded.checked.experiment;
    let warnings = loaded
        .checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let params = e
        .shapes
        .total_params
        .map_or("an unknown number of".to_string(), group_digits);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if deny_warnings && warnings > 0 {
        if out.quiet && !out.json() {
            // The denied warnings are the errors now: show them even when quiet.
            crate::load::print_diagnostics(&loaded.checked.diagnostics, &loaded.sources(), out);
        }
        return Err(Failure::new(
            BAD_MODEL,
            format!(
                "{}: {} denied (--deny-warnings)",
                model.display(),
                plural(warnings, "warning")
            ),
        )
        .hint("fix them, or leave --deny-warnings out to accept them"));
    }
    if shapes {
        out.result(&e.shapes.to_string());
    }
    out.result(&format!(
        "{}: ok: model `{}`, {} -> {}, {} parameters, {}",
        model.display(),
        e.name,
        e.shapes.input,
        e.shapes.output,
        params,
        plural(warnings, "warning")
    ));
    out.record(
        "check",
        &serde_json::json!({
            "file": model.display().to_string(),
            "ok": true,
            "model": e.name,
            "warnings": warnings,
            "parameters": e.shapes.total_params,
            "shapes": e.shapes,
        }),
    );
    Ok(OK)
}
