//! `nnc export`: every example model, trained briefly, exported to ONNX gives `nnc predict`'s
//! probabilities under an independent ONNX runtime (tract), to 1e-5; the PyTorch export holds
//! the state dict in PyTorch's layout; bad flags and mismatched weights are clear errors.

mod common;

use common::{nnc, root, scratch};
use nnc_data::FittedPipeline;
use nnc_dsl::ModelFile;
use nnc_ops::ForwardCtx;
use nnc_tape::{Tape, Tensor};
use nnc_train::checkpoint::load_tensors;
use nnc_train::trainer::load_weights;
use std::path::{Path, PathBuf};
use tract_onnx::prelude::*;

/// Short training of each example model (`--set` overrides); every file in models/ must be
/// here, so a new example is exported too.
const SHORT: &[(&str, &[&str])] = &[
    ("activations", &["iters=60"]),
    ("deep_bn", &["n_epochs=1"]),
    ("digits", &["n_epochs=1"]),
    ("halving", &["n_epochs=1"]),
    ("init", &["iters=60"]),
    ("maxout", &["n_epochs=1"]),
    ("search", &["n_epochs=1"]),
    ("spiral", &["iters=100"]),
    ("wine", &["n_epochs=3"]),
];

/// The activations `models/activations.nn` is exported with besides its default (relu).
const ACTIVATIONS: &[&str] = &[
    "leaky_relu(0.1)",
    "elu",
    "gelu",
    "selu",
    "softplus",
    "swish",
    "sigmoid",
    "tanh",
    "none",
];

/// `--set` arguments for `sets`.
fn set_args(sets: &[String]) -> Vec<&str> {
    sets.iter().flat_map(|s| ["--set", s.as_str()]).collect()
}

/// Trains `model` with `sets` into `dir` and returns the weights file.
fn train(model: &Path, sets: &[String], dir: &Path) -> PathBuf {
    let mut args = vec!["run", model.to_str().unwrap(), "--quiet", "--out"];
    args.push(dir.to_str().unwrap());
    args.extend(set_args(sets));
    nnc(&args).expect(0);
    dir.join("weights.safetensors")
}

/// Exports `weights` of `model` to `to` at `out`; returns stdout.
fn export(model: &Path, sets: &[String], weights: &Path, to: &str, out: &Path) -> String {
    let mut args = vec!["export", model.to_str().unwrap(), "--weights"];
    args.extend([
        weights.to_str().unwrap(),
        "--to",
        to,
        "--out",
        out.to_str().unwrap(),
    ]);
    args.extend(set_args(sets));
    nnc(&args).expect(0).stdout
}

/// `rows` of `width` values as CSV lines (no header).
fn csv_text(values: &[f32], width: usize) -> String {
    values
        .chunks(width)
        .map(|r| {
            r.iter()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        })
        .collect()
}

/// Writes `rows` of `width` values as CSV (no header).
fn write_csv(path: &Path, values: &[f32], width: usize) {
    std::fs::write(path, csv_text(values, width)).unwrap();
}

/// Raw rows to compare on (the test split, else the training split) and the probabilities
/// `nnc predict` gives for them (the rows written as a CSV with the training data's column
/// names). The rows and nnc's logits (the model's forward pass in eval mode) are left in the
/// weights' directory as `inputs.csv` and `nnc_logits.csv`, for `tools/export_check.py`.
fn nnc_probabilities(model: &Path, sets: &[String], weights: &Path) -> (Tensor<f32>, Vec<f64>) {
    let set_values: Vec<&str> = sets.iter().map(String::as_str).collect();
    let file = ModelFile::open(model, &set_values).unwrap();
    let raw = &file.compiled().raw.splits;
    let split = if raw.test.is_empty() {
        &raw.train
    } else {
        &raw.test
    };
    let (n, d) = (split.len(), split.features());
    let x = Tensor::from_vec(split.inputs().data()[..n * d].to_vec(), &[n, d]).unwrap();
    let dir = weights.parent().unwrap();
    let rows = dir.join("rows.csv");
    std::fs::write(&rows, split.feature_names().join(",") + "\n").unwrap();
    let mut table = std::fs::OpenOptions::new()
        .append(true)
        .open(&rows)
        .unwrap();
    std::io::Write::write_all(&mut table, csv_text(x.data(), d).as_bytes()).unwrap();
    let predictions = dir.join("predictions.csv");
    let mut args = vec!["predict", model.to_str().unwrap(), rows.to_str().unwrap()];
    args.extend(["--weights", weights.to_str().unwrap()]);
    args.extend(["--out", predictions.to_str().unwrap(), "--quiet"]);
    args.extend(set_args(sets));
    nnc(&args).expect(0);
    let text = std::fs::read_to_string(&predictions).unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("predicted,predicted_index,prob_"),
        "{}",
        model.display()
    );
    let probs: Vec<f64> = lines
        .flat_map(|l| l.split(',').skip(2).map(|v| v.parse::<f64>().unwrap()))
        .collect();

    let saved = load_tensors::<f32>(weights).unwrap();
    let pipeline = FittedPipeline::from_json(&saved.metadata["nnc.preprocess"]).unwrap();
    let features = pipeline.transform_inputs(&x).unwrap();
    let mut m = file.build().unwrap();
    load_weights(weights, &mut m).unwrap();
    let mut tape = Tape::new();
    let input = tape.constant(features);
    let y = m
        .forward(&mut tape, input, &mut ForwardCtx::eval())
        .unwrap();
    let logits = tape.value(y);
    write_csv(&dir.join("inputs.csv"), x.data(), d);
    write_csv(
        &dir.join("nnc_logits.csv"),
        logits.data(),
        logits.shape()[1],
    );
    (x, probs)
}

/// Runs the ONNX file on `x` with tract; returns (probabilities, logits).
fn tract_outputs(onnx: &Path, x: &Tensor<f32>) -> (Vec<f32>, Vec<f32>) {
    let (n, d) = (x.shape()[0], x.shape()[1]);
    let model = tract_onnx::onnx()
        .model_for_path(onnx)
        .unwrap()
        .with_input_fact(0, f32::fact([n, d]).into())
        .unwrap()
        .into_optimized()
        .unwrap()
        .into_runnable()
        .unwrap();
    let input = tract_ndarray::Array2::from_shape_vec((n, d), x.data().to_vec()).unwrap();
    let out = model
        .run(tvec!(tract_onnx::prelude::Tensor::from(input).into()))
        .unwrap();
    let flat = |t: &TValue| t.to_array_view::<f32>().unwrap().iter().copied().collect();
    (flat(&out[0]), flat(&out[1]))
}

/// Trains, exports to ONNX and compares; returns the max abs difference of probabilities.
fn check_onnx(model: &Path, sets: &[String], dir: &Path) -> f64 {
    let weights = train(model, sets, dir);
    let onnx = dir.join("model.onnx");
    let said = export(model, sets, &weights, "onnx", &onnx);
    assert!(said.contains("ONNX opset 13"), "{said}");
    export(model, sets, &weights, "pytorch", dir);
    let (x, want) = nnc_probabilities(model, sets, &weights);
    let (probs, logits) = tract_outputs(&onnx, &x);
    assert_eq!(probs.len(), want.len());
    assert_eq!(logits.len(), want.len());
    let diff = probs
        .iter()
        .zip(&want)
        .map(|(&p, &w)| (f64::from(p) - w).abs())
        .fold(0.0, f64::max);
    assert!(diff <= 1e-5, "{}: max |Δp| = {diff:e}", model.display());
    diff
}

#[test]
fn every_example_model_exports_to_onnx_with_nncs_probabilities() {
    let models = common::model_files();
    let names: Vec<&str> = models.iter().map(|(n, _)| n.as_str()).collect();
    let short: Vec<&str> = SHORT.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, short, "add new example models to SHORT");
    let dir = scratch("export-onnx");
    for ((name, path), (_, sets)) in models.iter().zip(SHORT) {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let diff = check_onnx(path, &sets, &dir.join(name));
        eprintln!("{name}: max |Δp| = {diff:e}");
    }
}

#[test]
fn every_activation_exports_to_onnx() {
    let dir = scratch("export-activations");
    let model = root().join("models/activations.nn");
    for (i, act) in ACTIVATIONS.iter().enumerate() {
        let sets = vec![format!("act={act}"), "iters=40".to_string()];
        let diff = check_onnx(&model, &sets, &dir.join(i.to_string()));
        eprintln!("{act}: max |Δp| = {diff:e}");
    }
}

/// A model file on the wine data with the given preprocessing and layers.
fn wine_model(dir: &Path, name: &str, preprocess: &str, layers: &str) -> PathBuf {
    let data = root().join("models/data/wine.csv");
    let text = format!(
        "nn 0.1\nparam n_epochs = 3\n\
         data {{\n  source csv(\"{}\")\n  split train: 70%, val: 15%, test: 15%, stratify: true\n  preprocess {preprocess}\n  seed 0\n}}\n\
         model {name} {{\n{layers}\n  dense data.classes\n  loss softmax\n}}\n\
         train {{\n  optimizer sgd(lr: 0.01, momentum: 0.9)\n  batch 16\n  epochs n_epochs\n  seed 1\n}}\n",
        data.display()
    );
    let path = dir.join(format!("{name}.nn"));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn every_preprocessing_step_and_layer_option_exports_to_onnx() {
    let dir = scratch("export-options");
    let cases = [
        (
            "projected",
            "scale(0.5), minmax(-1, 1), center, pca(components: 8)",
            "  dense 16, bias: false -> batchnorm affine: false -> gelu\n  maxout 8, pieces: 2, bias: false -> dropout 0.1\n  dense 12 -> swish",
        ),
        (
            "whitened",
            "center, whiten(eps: 0.01)",
            "  dense 16 -> batchnorm momentum: 0.2, eps: 0.001 -> elu\n  maxout 8, pieces: 3",
        ),
        (
            "zca",
            "center, zca(eps: 0.1)",
            "  dense 16 -> leaky_relu(0.2)",
        ),
    ];
    for (name, preprocess, layers) in cases {
        let model = wine_model(&dir, name, preprocess, layers);
        let diff = check_onnx(&model, &[], &dir.join(name));
        eprintln!("{name}: max |Δp| = {diff:e}");
    }
}

#[test]
fn the_onnx_graph_has_named_inputs_and_outputs_and_a_symbolic_batch() {
    let dir = scratch("export-graph");
    let model = root().join("models/spiral.nn");
    let sets = vec!["iters=10".to_string()];
    let weights = train(&model, &sets, &dir);
    // Default destination: next to the weights.
    let mut args = vec!["export", "models/spiral.nn", "--to", "onnx", "--weights"];
    args.push(weights.to_str().unwrap());
    args.extend(["--set", "iters=10"]);
    nnc(&args).expect(0);
    let onnx = dir.join("model.onnx");
    let proto = tract_onnx::onnx().proto_model_for_path(&onnx).unwrap();
    assert!(
        proto
            .opset_import
            .iter()
            .any(|o| o.domain.is_empty() && o.version >= 13)
    );
    let graph = proto.graph.unwrap();
    let names = |v: &[tract_onnx::pb::ValueInfoProto]| -> Vec<String> {
        v.iter().map(|i| i.name.clone()).collect()
    };
    assert_eq!(names(&graph.input), ["input"]);
    assert_eq!(names(&graph.output), ["probabilities", "logits"]);
    // The batch dimension is symbolic: the same file runs on 1 and on 7 rows.
    for n in [1, 7] {
        let x = Tensor::from_vec(vec![0.5f32; n * 2], &[n, 2]).unwrap();
        let (p, _) = tract_outputs(&onnx, &x);
        assert_eq!(p.len(), n * 3);
        let total: f32 = p.iter().sum();
        assert!((total - n as f32).abs() < 1e-4, "rows sum to 1: {total}");
    }
}

#[test]
fn the_pytorch_export_is_a_state_dict_in_pytorchs_layout() {
    let dir = scratch("export-pytorch");
    let model = root().join("models/deep_bn.nn");
    let sets = vec!["n_epochs=1".to_string()];
    let weights = train(&model, &sets, &dir);
    let out = dir.join("deep.pt.safetensors");
    let said = export(&model, &sets, &weights, "pytorch", &out);
    assert!(said.contains("deep.py"), "{said}");
    let nnc_file = load_tensors::<f32>(&weights).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    // dense1.weight [64, 64] ([in, out]) is 0.weight [out, in]; no bias (bias: false).
    let w = nnc_file.get("dense1.weight").unwrap();
    let t = st.tensor("0.weight").unwrap();
    assert_eq!(t.shape(), [64, 64]);
    let values: Vec<f32> = t
        .data()
        .chunks(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(
        values[64],
        w.data()[1],
        "row 1 col 0 of [out, in] is row 0 col 1 of [in, out]"
    );
    assert!(st.tensor("0.bias").is_err());
    // batchnorm1 is layer 1: BatchNorm1d's names, num_batches_tracked an i64 scalar.
    let gamma = st.tensor("1.weight").unwrap();
    assert_eq!(gamma.shape(), [64]);
    for name in ["1.bias", "1.running_mean", "1.running_var"] {
        assert_eq!(st.tensor(name).unwrap().shape(), [64], "{name}");
    }
    let tracked = st.tensor("1.num_batches_tracked").unwrap();
    assert_eq!(tracked.dtype(), safetensors::Dtype::I64);
    assert!(tracked.shape().is_empty());
    let mean = st.tensor("preprocess.0.center.mean").unwrap();
    assert_eq!(mean.shape(), [64]);
    // The last dense layer: 8 × (dense, batchnorm, relu) = 24 layers, then index 24.
    assert_eq!(st.tensor("24.weight").unwrap().shape(), [10, 64]);
    let py = std::fs::read_to_string(dir.join("deep.py")).unwrap();
    for needle in [
        "nn.Linear(64, 64, bias=False),  # 0: dense1",
        "nn.BatchNorm1d(64, eps=1e-5, momentum=0.1, affine=True),  # 1: batchnorm1",
        "nn.Linear(64, 10, bias=True),  # 24: dense9",
        "x = x - self.p0_center_mean",
        "x = x / self.p1_normalize_std",
        "load(\"deep.pt.safetensors\")",
    ] {
        assert!(py.contains(needle), "`{needle}` missing from\n{py}");
    }
}

#[test]
fn maxout_gets_a_module_in_the_python_file() {
    let dir = scratch("export-maxout");
    let model = root().join("models/maxout.nn");
    let sets = vec!["n_epochs=1".to_string()];
    let weights = train(&model, &sets, &dir);
    export(&model, &sets, &weights, "pytorch", &dir);
    let py = std::fs::read_to_string(dir.join("model.py")).unwrap();
    assert!(py.contains("class Maxout(nn.Module)"), "{py}");
    assert!(
        py.contains("Maxout(64, 128, 3, bias=True),  # 0: maxout1"),
        "{py}"
    );
    let bytes = std::fs::read(dir.join("model.pt.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.tensor("0.linear.weight").unwrap().shape(), [384, 64]);
}

#[test]
fn bad_flags_and_mismatched_weights_are_clear_errors() {
    let dir = scratch("export-errors");
    let weights = train(&root().join("models/spiral.nn"), &["iters=10".into()], &dir);
    let w = weights.to_str().unwrap();
    // An unknown format: a usage error listing the formats.
    let ran = nnc(&[
        "export",
        "models/spiral.nn",
        "--weights",
        w,
        "--to",
        "tflite",
    ])
    .expect(2);
    assert!(
        ran.stderr.contains("onnx") && ran.stderr.contains("pytorch"),
        "{}",
        ran.stderr
    );
    // `--format` is how nnc prints: the error points at `--to`.
    let ran = nnc(&[
        "export",
        "models/spiral.nn",
        "--weights",
        w,
        "--format",
        "onnx",
    ])
    .expect(2);
    assert!(ran.stderr.contains("--to onnx"), "{}", ran.stderr);
    // No format, no weights.
    nnc(&["export", "models/spiral.nn", "--weights", w]).expect(2);
    nnc(&["export", "models/spiral.nn", "--to", "onnx"]).expect(2);
    // Weights that do not exist, or belong to another model.
    let ran = nnc(&[
        "export",
        "models/spiral.nn",
        "--weights",
        "/nonexistent.safetensors",
        "--to",
        "onnx",
    ])
    .expect(2);
    assert!(ran.stderr.contains("error:"), "{}", ran.stderr);
    let ran = nnc(&["export", "models/wine.nn", "--weights", w, "--to", "onnx"]).expect(2);
    assert!(
        ran.stderr
            .contains("the weights do not belong to this model"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("help:"), "{}", ran.stderr);
    // A destination that cannot be written.
    let ran = nnc(&[
        "export",
        "models/spiral.nn",
        "--weights",
        w,
        "--to",
        "onnx",
        "--out",
        "/proc/nnc/model.onnx",
    ])
    .expect(2);
    assert!(ran.stderr.contains("--out"), "{}", ran.stderr);
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
    // The weights and the model file are never overwritten; nor is the state dict by its
    // own module.
    let before = std::fs::read(w).unwrap();
    for (to, target) in [("onnx", w), ("pytorch", "models/spiral.nn")] {
        let ran = nnc(&[
            "export",
            "models/spiral.nn",
            "--weights",
            w,
            "--to",
            to,
            "--out",
            target,
        ])
        .expect(2);
        assert!(
            ran.stderr.contains("is an input of this command"),
            "{}",
            ran.stderr
        );
    }
    assert_eq!(std::fs::read(w).unwrap(), before);
    let py = std::path::Path::new(w).with_file_name("module.py");
    let ran = nnc(&[
        "export",
        "models/spiral.nn",
        "--weights",
        w,
        "--to",
        "pytorch",
        "--out",
        py.to_str().unwrap(),
    ])
    .expect(2);
    assert!(
        ran.stderr
            .contains("both the state dict and its Python module"),
        "{}",
        ran.stderr
    );
    assert!(!py.exists());
}

#[test]
fn export_is_listed_and_its_help_has_examples() {
    let ran = nnc(&["--help"]).expect(0);
    assert!(ran.stdout.contains("\n  export "), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("nnc export models/digits.nn"),
        "{}",
        ran.stdout
    );
    let help = nnc(&["export", "--help"]).expect(0);
    for needle in [
        "--weights <FILE>",
        "--to <FORMAT>",
        "onnx",
        "pytorch",
        "Examples:\n  nnc export",
    ] {
        assert!(help.stdout.contains(needle), "`{needle}`: {}", help.stdout);
    }
}

/// The examples `tools/export_check.py` is run on, trained to the end (a few seconds); the
/// files stay in `<tmp>/nnc-cli-<pid>-export-full/<model>/`.
#[test]
fn fully_trained_examples_export_to_onnx_with_nncs_probabilities() {
    let dir = scratch("export-full");
    for name in ["digits", "wine", "deep_bn", "maxout", "spiral"] {
        let model = root().join(format!("models/{name}.nn"));
        let diff = check_onnx(&model, &[], &dir.join(name));
        eprintln!("{name} (fully trained): max |Δp| = {diff:e}");
    }
}

/// Weights holding a NaN export with a warning naming the tensor.
#[test]
fn weights_holding_a_nan_export_with_a_warning() {
    let dir = scratch("export-nan");
    let path = train(&root().join("models/spiral.nn"), &["iters=5".into()], &dir);
    let mut bytes = std::fs::read(&path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let at = 8 + n + header["dense1.weight"]["data_offsets"][0].as_u64().unwrap() as usize;
    bytes[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    let w = path.to_str().unwrap();
    let ran = nnc(&["export", "models/spiral.nn", "--weights", w, "--to", "onnx"]).expect(0);
    assert!(
        ran.stderr.contains("`dense1.weight` in ")
            && ran.stderr.contains("the exported model computes NaN"),
        "{}",
        ran.stderr
    );
}
