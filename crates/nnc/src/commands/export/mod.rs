//! `nnc export`: trained weights as an ONNX model or a PyTorch state dict with its module.
//!
//! Both formats hold the whole inference path: the preprocessing fitted on the training split
//! (from the weights' metadata), then every layer in eval mode (batch norm with its running
//! statistics, dropout as the identity). [`plan`] gathers it from the model file and the
//! weights; [`onnx`] and [`pytorch`] write it.

pub mod onnx;
pub mod onnx_proto;
pub mod plan;
pub mod pytorch;

use crate::cli::Common;
use crate::exit::{CommandResult, Failure, OK, USAGE, failure};
use crate::output::Output;
use crate::shared::files::refuse_overwriting;
use crate::shared::trained::load_trained;
use clap::{Args, ValueEnum};
use nnc_train::checkpoint::write_atomically;
use plan::Plan;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// What `nnc export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// An ONNX model (opset 13): `input` → `probabilities`, `logits`.
    Onnx,
    /// A PyTorch state dict (safetensors) and a Python file defining the module.
    Pytorch,
}

/// The arguments of `nnc export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The model file the weights were trained from.
    pub model: PathBuf,
    /// The weights (`weights.safetensors` of a run, or a checkpoint).
    #[arg(long, value_name = "FILE")]
    pub weights: PathBuf,
    /// The format to write (`--out FILE` names the file; default: next to the weights,
    /// `model.onnx`, or `model.pt.safetensors` and `model.py`).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub to: Target,
}

/// The file to write: `--out FILE`, `model.onnx` / `model.pt.safetensors` in `--out DIR`,
/// or by default next to the weights.
fn destination(args: &ExportArgs, out: Option<&Path>) -> PathBuf {
    let default_name = match args.to {
        Target::Onnx => "model.onnx",
        Target::Pytorch => "model.pt.safetensors",
    };
    match out {
        Some(o) if o.is_dir() => o.join(default_name),
        Some(o) => o.to_path_buf(),
        None => args
            .weights
            .parent()
            .unwrap_or(Path::new("."))
            .join(default_name),
    }
}

/// The Python module beside the state dict `main`: its name up to the first dot, plus `.py`
/// (`model.pt.safetensors` → `model.py`).
fn python_path(main: &Path) -> PathBuf {
    let name = main.file_name().map(|n| n.to_string_lossy().into_owned());
    let stem = name
        .as_deref()
        .and_then(|n| n.split('.').next())
        .filter(|s| !s.is_empty())
        .unwrap_or("model");
    main.with_file_name(format!("{stem}.py"))
}

/// The usage error for `nnc export ... --format onnx` (or `pytorch`): `--format` chooses how
/// nnc prints (text or JSON), the export format is `--to`. `None` for any other arguments.
pub fn misused_format(args: &[OsString]) -> Option<Failure> {
    if !args.iter().skip(1).any(|a| a == "export") {
        return None;
    }
    let value = args
        .windows(2)
        .find_map(|w| (w[0] == "--format").then(|| w[1].to_string_lossy().into_owned()))
        .or_else(|| {
            args.iter()
                .find_map(|a| a.to_str()?.strip_prefix("--format=").map(str::to_string))
        })?;
    matches!(value.as_str(), "onnx" | "pytorch").then(|| {
        Failure::new(
            USAGE,
            format!("`--format {value}`: --format chooses how nnc prints (text or json)"),
        )
        .hint(format!(
            "choose the export format with --to: `--to {value}`"
        ))
    })
}

/// Reads the model file and the weights into a [`Plan`].
fn load_plan(args: &ExportArgs, common: &Common, out: &Output) -> Result<Plan, Failure> {
    let trained = load_trained(
        &args.model,
        &args.weights,
        None,
        "the exported model computes NaN",
        common,
        out,
    )?;
    let pipeline = trained.pipeline().clone();
    let model = trained.model;
    let compiled = trained.file.compiled();
    if pipeline.output_features() != model.input_width() {
        return Err(Failure::new(
            USAGE,
            format!(
                "the saved preprocessing gives {} features but the model takes {}",
                pipeline.output_features(),
                model.input_width()
            ),
        )
        .hint("export weights with the model file they were trained from"));
    }
    Ok(Plan {
        model: trained.file.experiment().name.clone(),
        features: pipeline.input_features(),
        classes: compiled.data.splits.train.class_names().to_vec(),
        preprocess: plan::preprocessing(&pipeline),
        layers: plan::layers(&model, &compiled.model.layers)?,
    })
}

/// Writes `bytes` to `path`.
fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    write_atomically(path, bytes)
        .map_err(|e| Failure::new(USAGE, e.to_string()).hint("choose a writable file with --out"))
}

/// Runs `nnc export`.
pub fn export(args: &ExportArgs, common: &Common, out: &Output) -> CommandResult {
    let main = destination(args, common.out.as_deref());
    let inputs = [args.weights.as_path(), args.model.as_path()];
    refuse_overwriting(&main, &inputs)?;
    if args.to == Target::Pytorch {
        let py = python_path(&main);
        refuse_overwriting(&py, &inputs)?;
        if py == main {
            return Err(Failure::new(
                USAGE,
                format!(
                    "--out `{}` would be both the state dict and its Python module",
                    main.display()
                ),
            )
            .hint(
                "name the state dict, e.g. --out model.pt.safetensors (the module is model.py)",
            ));
        }
    }
    let plan = load_plan(args, common, out)?;
    let mut python = None;
    let shape = format!(
        "input [N, {}] -> probabilities, logits [N, {}]",
        plan.features,
        plan.classes.len()
    );
    match args.to {
        Target::Onnx => {
            write(&main, &onnx::onnx_bytes(&plan))?;
            out.result(&format!(
                "wrote {} (ONNX opset {}, {shape})",
                main.display(),
                onnx::OPSET
            ));
        }
        Target::Pytorch => {
            let py = python_path(&main);
            let bytes = pytorch::safetensors_bytes(&plan).map_err(failure)?;
            write(&main, &bytes)?;
            let module = py
                .file_stem()
                .map_or("model".into(), |s| s.to_string_lossy());
            let weights = main.file_name().map_or("".into(), |s| s.to_string_lossy());
            write(&py, pytorch::python(&plan, &module, &weights).as_bytes())?;
            out.result(&format!(
                "wrote {} (PyTorch state dict) and {} (the module: `load(\"{weights}\")`)",
                main.display(),
                py.display()
            ));
            python = Some(py);
        }
    }
    out.record(
        "export",
        &serde_json::json!({
            "format": match args.to { Target::Onnx => "onnx", Target::Pytorch => "pytorch" },
            "file": main,
            "python": python,
            "model": plan.model,
            "features": plan.features,
            "classes": plan.classes,
        }),
    );
    Ok(OK)
}
