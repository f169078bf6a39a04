//! `nnc grad` (the stable gradient report of the model on its first batch) and `nnc gradcheck`
//! (every parameter against f64 central differences).

use super::prepare;
use crate::cli::{Common, Dtype};
use crate::exit::failure;
use crate::exit::{CHECK_FAILED, CommandResult, Failure, OK, USAGE};
use crate::output::Output;
use nnc_dsl::ModelFile;
use nnc_dsl::Purpose;
use nnc_dsl::model_file::{GradientPass, gradient_pass_on};
use nnc_ops::Sequential;
use nnc_tape::{Float, GradcheckOptions, Tensor, Verdict};
use nnc_train::checkpoint::save_tensors;
use std::collections::BTreeMap;
use std::path::Path;

fn dump<T: Float>(
    dir: &Path,
    model: &Sequential<T>,
    x: &Tensor<T>,
    y: &[usize],
    pass: &GradientPass<T>,
    meta: &BTreeMap<String, String>,
) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)
        .map_err(|e| failure(format!("cannot create `{}`: {e}", dir.display())))?;
    let params = model.params();
    let mut initial: Vec<(String, &Tensor<T>)> = params
        .ids()
        .map(|id| (params.name(id).to_string(), params.value(id)))
        .collect();
    initial.extend(model.buffers().map(|b| (b.name.to_string(), &b.value)));
    save_tensors(&dir.join("params.safetensors"), &initial, meta).map_err(failure)?;
    let labels = Tensor::<T>::from_vec(
        y.iter().map(|&l| T::from_f64(l as f64)).collect(),
        &[y.len()],
    )
    .map_err(failure)?;
    save_tensors(
        &dir.join("batch.safetensors"),
        &[("inputs".to_string(), x), ("labels".to_string(), &labels)],
        meta,
    )
    .map_err(failure)?;
    let grads: Vec<(String, &Tensor<T>)> = pass.grads.iter().map(|(n, g)| (n.clone(), g)).collect();
    save_tensors(&dir.join("grads.safetensors"), &grads, meta).map_err(failure)?;
    Ok(())
}

fn grad_in<T: Float>(file: &ModelFile, dump_dir: Option<&Path>, out: &Output) -> CommandResult {
    let (mut model, x, y) = file.initial_model_and_batch::<T>().map_err(failure)?;
    let compiled = file.compiled();
    let penalty = file.penalty();
    // Under mpirun: each rank computes its shard of the batch; the sums are the whole batch's.
    let p = gradient_pass_on(
        &mut model,
        &x,
        &y,
        compiled.model.loss,
        penalty,
        compiled.seed,
        crate::cluster::collective(),
    )
    .map_err(failure)?;
    let report = p.report.clone().title(file.gradient_title::<T>(y.len()));
    out.result(&report.to_string());
    out.record(
        "gradients",
        &serde_json::json!({ "report": report.to_string() }),
    );
    if let Some(dir) = dump_dir.filter(|_| crate::cluster::leads()) {
        let mut meta = BTreeMap::new();
        meta.insert("model".to_string(), file.experiment().name.clone());
        meta.insert("loss".to_string(), compiled.model.loss.name().to_string());
        meta.insert("seed".to_string(), compiled.seed.to_string());
        meta.insert("dtype".to_string(), T::DTYPE.to_string());
        meta.insert(
            "penalty".to_string(),
            penalty.map_or("none".into(), |p| format!("{p:?}")),
        );
        dump(dir, &model, &x, &y, &p, &meta)?;
        out.note(&format!(
            "wrote params.safetensors, batch.safetensors and grads.safetensors to {}",
            dir.display()
        ));
    }
    Ok(OK)
}

/// Runs `nnc grad`.
pub fn grad(
    model: &Path,
    dtype: Dtype,
    dump_dir: Option<&Path>,
    common: &Common,
    out: &Output,
) -> CommandResult {
    let file = prepare(model, Purpose::Gradcheck, None, common, out);
    let fingerprint = file
        .as_ref()
        .map(|f| crate::cluster::Fingerprint::of(f, common.seed));
    crate::cluster::agree(fingerprint)?;
    let file = file?;
    if let Some(dir) = dump_dir.filter(|_| crate::cluster::leads()) {
        crate::shared::files::create_out_dir(dir, "--dump")?;
    }
    match dtype {
        Dtype::F64 => grad_in::<f64>(&file, dump_dir, out),
        Dtype::F32 => grad_in::<f32>(&file, dump_dir, out),
    }
}

/// The verdict line of a gradient check, in the textbook's bands.
pub fn verdict_line(verdict: Verdict, worst: f64, kinks: bool) -> String {
    let what = match (verdict, kinks) {
        (Verdict::Good, _) => "good: relative error at most 1e-7".to_string(),
        (Verdict::AcceptableWithKinks, true) => {
            "ok: at most 1e-4, expected for a model with kinks (ReLU, maxout, hinge)".to_string()
        }
        (Verdict::AcceptableWithKinks, false) => {
            "acceptable: at most 1e-4, though the model has no kinks; usually fine, worth a look"
                .to_string()
        }
        (Verdict::Suspicious, _) => {
            "suspicious: between 1e-4 and 1e-2; wrong unless the network is deep or kinked"
                .to_string()
        }
        (Verdict::Wrong, _) => "WRONG: above 1e-2, the gradient is wrong".to_string(),
    };
    format!("verdict: {what} (worst relative error {worst:.2e})")
}

/// Runs `nnc gradcheck`.
pub fn gradcheck(
    model: &Path,
    examples: usize,
    elements: usize,
    common: &Common,
    out: &Output,
) -> CommandResult {
    if examples == 0 {
        return Err(Failure::new(
            USAGE,
            "--examples 0 leaves no example to check the gradients on",
        )
        .hint("check at least one example; the default is 8"));
    }
    let file = prepare(model, Purpose::Gradcheck, None, common, out)?;
    let options = GradcheckOptions {
        max_elements: (elements > 0).then_some(elements),
        ..GradcheckOptions::default()
    };
    let report = file.gradcheck(examples, options).map_err(failure)?;
    let checked_rows = examples.min(file.first_batch_rows().map_err(failure)?.len());
    let verdict = report.verdict();
    let line = verdict_line(verdict, report.max_relative_error(), file.has_kinks());
    out.result(&format!(
        "gradient check on {checked_rows} examples (f64, eps {:e}):\n{report}{line}",
        options.eps
    ));
    out.record(
        "gradcheck",
        &serde_json::json!({
            "examples": checked_rows,
            "tensors": report.tensors.iter().map(|t| serde_json::json!({
                "name": t.name,
                "checked": t.checked,
                "analytic": t.analytic,
                "numeric": t.numeric,
                "relative_error": t.relative_error,
                "verdict": t.verdict().to_string(),
            })).collect::<Vec<_>>(),
            "worst_relative_error": report.max_relative_error(),
            "verdict": verdict.to_string(),
        }),
    );
    Ok(if verdict == Verdict::Wrong {
        CHECK_FAILED
    } else {
        OK
    })
}
