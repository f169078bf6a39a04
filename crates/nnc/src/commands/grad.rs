//! `nnc grad` (the stable gradient report of the model on its first batch) and `nnc gradcheck`
//! (every parameter against f64 central differences).

use super::prepare;
use crate::cli::{Common, Dtype};
use crate::exit::failure;
use crate::exit::{CHECK_FAILED, CommandResult, Failure, OK, USAGE};
use crate::output::Output;
use nnc_data::{BatchSize, Batcher, Dataset};
use nnc_dsl::Purpose;
use nnc_dsl::lower::Compiled;
use nnc_ops::{Activation, ForwardCtx, LayerSpec, Loss, Penalty, Sequential};
use nnc_tape::{Float, GradcheckOptions, GradientReport, Tape, Tensor, Verdict};
use nnc_train::checkpoint::save_tensors;
use nnc_train::trainer::step_rng;
use std::collections::BTreeMap;
use std::path::Path;

/// Rows of the batch used when the file has no `train` section.
const DEFAULT_BATCH: usize = 32;

/// The rows of the first training batch (what step 0 of `nnc run` sees).
pub fn first_batch(compiled: &Compiled) -> Result<Vec<usize>, Failure> {
    let train = &compiled.data.splits.train;
    let (size, seed) = match &compiled.train {
        Some(c) => (c.batch, c.seed),
        None => (BatchSize::Rows(DEFAULT_BATCH), compiled.seed),
    };
    let mut batcher = Batcher::new(train.len(), size, true, seed).map_err(failure)?;
    Ok(batcher
        .epoch(0)
        .next()
        .map(<[usize]>::to_vec)
        .unwrap_or_default())
}

/// Inputs and labels of `rows` of `data`, in `T`.
fn rows<T: Float>(data: &Dataset, rows: &[usize]) -> Result<(Tensor<T>, Vec<usize>), Failure> {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    data.fill_batch(rows, &mut x, &mut y).map_err(failure)?;
    let x: Vec<T> = x.iter().map(|&v| T::from_f64(f64::from(v))).collect();
    let t = Tensor::from_vec(x, &[rows.len(), data.features()]).map_err(failure)?;
    Ok((t, y))
}

/// What one forward/backward pass gave.
struct Pass<T: Float> {
    report: GradientReport,
    grads: Vec<(String, Tensor<T>)>,
}

fn pass<T: Float>(
    model: &mut Sequential<T>,
    x: &Tensor<T>,
    y: &[usize],
    loss: Loss,
    penalty: Option<Penalty>,
    seed: u64,
) -> Result<Pass<T>, Failure> {
    let mut tape = Tape::<T>::new();
    let xv = tape
        .constant_from_slice(x.data(), x.shape())
        .map_err(failure)?;
    let mut r = step_rng(seed, 0);
    let mut ctx = ForwardCtx::train(&mut r).frozen_buffers();
    let scores = model.forward(&mut tape, xv, &mut ctx).map_err(failure)?;
    let data_loss = loss.apply(&mut tape, scores, y).map_err(failure)?;
    let data_value = tape.value(data_loss).item().map_err(failure)?.to_f64();
    let total = match penalty {
        Some(p) => {
            let ids = model.weight_ids();
            let r = p.apply(&mut tape, model.params(), &ids).map_err(failure)?;
            tape.add(data_loss, r).map_err(failure)?
        }
        None => data_loss,
    };
    let total_value = tape.value(total).item().map_err(failure)?.to_f64();
    let grads = tape.backward(total).map_err(failure)?;
    let mut report = GradientReport::from_gradients(model.params(), &grads);
    report.scalar("loss", total_value);
    report.scalar("data_loss", data_value);
    let params = model.params();
    let named = params
        .ids()
        .filter_map(|id| {
            grads
                .param(id)
                .map(|g| (params.name(id).to_string(), g.clone()))
        })
        .collect();
    Ok(Pass {
        report,
        grads: named,
    })
}

fn dump<T: Float>(
    dir: &Path,
    model: &Sequential<T>,
    x: &Tensor<T>,
    y: &[usize],
    pass: &Pass<T>,
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

fn grad_in<T: Float>(
    mut model: Sequential<T>,
    compiled: &Compiled,
    name: &str,
    dtype: &str,
    dump_dir: Option<&Path>,
    out: &Output,
) -> CommandResult {
    let batch = first_batch(compiled)?;
    let (x, y) = rows::<T>(&compiled.data.splits.train, &batch)?;
    let penalty = compiled.train.as_ref().and_then(|c| c.penalty);
    let p = pass(
        &mut model,
        &x,
        &y,
        compiled.model.loss,
        penalty,
        compiled.seed,
    )?;
    let title = format!(
        "gradients of `{name}` on its first batch ({} examples, {dtype}, seed {})",
        y.len(),
        compiled.seed
    );
    let report = p.report.clone().title(title);
    out.result(&report.to_string());
    out.record(
        "gradients",
        &serde_json::json!({ "report": report.to_string() }),
    );
    if let Some(dir) = dump_dir {
        let mut meta = BTreeMap::new();
        meta.insert("model".to_string(), name.to_string());
        meta.insert("loss".to_string(), compiled.model.loss.name().to_string());
        meta.insert("seed".to_string(), compiled.seed.to_string());
        meta.insert("dtype".to_string(), dtype.to_string());
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
    let (loaded, compiled) = prepare(model, Purpose::Gradcheck, None, common, out)?;
    let name = loaded.checked.experiment.name.clone();
    if let Some(dir) = dump_dir {
        crate::shared::files::create_out_dir(dir, "--dump")?;
    }
    let built = compiled.model.build(compiled.seed).map_err(failure)?;
    match dtype {
        Dtype::F64 => grad_in(built.to_f64(), &compiled, &name, "f64", dump_dir, out),
        Dtype::F32 => grad_in(built, &compiled, &name, "f32", dump_dir, out),
    }
}

/// Whether the function has kinks (ReLU family, maxout, hinge loss), where relative errors up
/// to 1e-4 are expected.
fn has_kinks(compiled: &Compiled) -> bool {
    matches!(compiled.model.loss, Loss::Svm { .. })
        || compiled.model.layers.iter().any(|(_, s)| {
            matches!(
                s,
                LayerSpec::Maxout { .. }
                    | LayerSpec::Activation(Activation::Relu | Activation::LeakyRelu { .. })
            )
        })
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
    let (_, compiled) = prepare(model, Purpose::Gradcheck, None, common, out)?;
    let mut batch = first_batch(&compiled)?;
    batch.truncate(examples);
    let (x, y) = rows::<f64>(&compiled.data.splits.train, &batch)?;
    let mut m = compiled
        .model
        .build(compiled.seed)
        .map_err(failure)?
        .to_f64();
    let penalty = compiled.train.as_ref().and_then(|c| c.penalty);
    let options = GradcheckOptions {
        max_elements: (elements > 0).then_some(elements),
        ..GradcheckOptions::default()
    };
    let report = m
        .gradcheck(&x, &y, compiled.model.loss, penalty, options, compiled.seed)
        .map_err(failure)?;
    let verdict = report.verdict();
    let line = verdict_line(verdict, report.max_relative_error(), has_kinks(&compiled));
    out.result(&format!(
        "gradient check on {} examples (f64, eps {:e}):\n{report}{line}",
        y.len(),
        options.eps
    ));
    out.record(
        "gradcheck",
        &serde_json::json!({
            "examples": y.len(),
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
