//! The library as a Rust user calls it, through public API only: a model built in code and two
//! `.nn` files pinned with insta (the `.nn` snapshots are what `nnc grad` prints, byte for
//! byte: `crates/nnc/tests/commands.rs` compares them), `?` from every public error type,
//! and a planted data fault found in a training summary.

use nnc_dsl::ModelFile;
use nnc_ops::{Activation, ForwardCtx, Init, LayerSpec, Loss, Sequential};
use nnc_tape::{GradientReport, Tape, Tensor, rng};
use nnc_train::babysit::CheckKind;
use std::error::Error;
use std::path::{Path, PathBuf};

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

#[test]
fn a_model_built_in_code_pins_its_gradients() -> Result<(), Box<dyn Error>> {
    let specs = [
        LayerSpec::dense(5, Init::He),
        LayerSpec::Activation(Activation::Tanh),
        LayerSpec::dense(3, Init::Xavier),
    ];
    let model = Sequential::<f32>::from_specs(4, &specs, &mut rng(7))?;
    let mut model = model.to_f64();
    let x = Tensor::from_vec((0..8).map(|i| (i as f64 - 3.5) / 4.0).collect(), &[2, 4])?;
    let mut tape = Tape::new();
    let xv = tape.constant(x);
    let mut r = rng(0);
    let scores = model.forward(&mut tape, xv, &mut ForwardCtx::train(&mut r))?;
    let loss = Loss::SoftmaxCrossEntropy.apply(&mut tape, scores, &[0, 2])?;
    let grads = tape.backward(loss)?;
    insta::assert_snapshot!(GradientReport::from_gradients(model.params(), &grads).to_string());
    Ok(())
}

/// Snapshots pin the mathematics, not the rounding: the gradient of a bias right before batch
/// norm is 0 analytically (the mean subtraction cancels it) and prints as exact zeros, and
/// the builder says the bias is wasted.
#[test]
fn a_bias_behind_batch_norm_prints_exact_zeros() -> Result<(), Box<dyn Error>> {
    let specs = [
        LayerSpec::dense(4, Init::He),
        LayerSpec::batchnorm(),
        LayerSpec::Activation(Activation::Relu),
        LayerSpec::dense(3, Init::Xavier),
    ];
    assert_eq!(LayerSpec::biases_before_batchnorm(&specs), vec![0]);
    let mut model = Sequential::<f32>::from_specs(3, &specs, &mut rng(1))?.to_f64();
    let x = Tensor::from_vec(
        (0..15).map(|i| ((i * 7) % 11) as f64 / 5.0 - 1.0).collect(),
        &[5, 3],
    )?;
    let mut tape = Tape::new();
    let xv = tape.constant(x);
    let mut r = rng(0);
    let scores = model.forward(&mut tape, xv, &mut ForwardCtx::train(&mut r))?;
    let loss = Loss::SoftmaxCrossEntropy.apply(&mut tape, scores, &[0, 1, 2, 0, 1])?;
    let grads = tape.backward(loss)?;
    let bias = model
        .params()
        .ids()
        .find(|&id| model.params().name(id) == "dense1.bias");
    let raw = grads.param(bias.expect("dense1.bias")).expect("a gradient");
    assert!(
        raw.data().iter().all(|g| g.abs() < 1e-15),
        "noise only: {:?}",
        raw.data()
    );
    let report = GradientReport::from_gradients(model.params(), &grads).to_string();
    let zeros = "dense1.bias [4]\n       0.00000e0    0.00000e0    0.00000e0    0.00000e0\n";
    assert!(report.contains(zeros), "{report}");
    Ok(())
}

#[test]
fn the_spiral_files_gradients_are_what_nnc_grad_prints() -> Result<(), Box<dyn Error>> {
    let file = ModelFile::open(models().join("spiral.nn"), &[])?;
    insta::assert_snapshot!(
        "spiral_grad_f64",
        file.gradient_report::<f64>()?.to_string()
    );
    Ok(())
}

#[test]
fn the_deep_batchnorm_files_gradients_are_what_nnc_grad_prints() -> Result<(), Box<dyn Error>> {
    let file = ModelFile::open(models().join("deep_bn.nn"), &["width=16"])?;
    insta::assert_snapshot!(
        "deep_bn_grad_f64",
        file.gradient_report::<f64>()?.to_string()
    );
    Ok(())
}

/// Every public error type converts with `?` into `Box<dyn Error>` and keeps its message.
#[test]
fn every_public_error_composes_with_the_question_mark() {
    fn boxed<E: Error + 'static>(e: E) -> Box<dyn Error> {
        let r: Result<(), Box<dyn Error>> = (|| Err(e)?)();
        r.unwrap_err()
    }
    let tensor = Tensor::<f32>::from_vec(vec![1.0], &[2]).unwrap_err();
    let ops = Activation::Elu { alpha: -1.0 }.validate().unwrap_err();
    let data = nnc_data::Batcher::new(0, nnc_data::BatchSize::Full, true, 0).unwrap_err();
    let check = ModelFile::from_text("bad.nn", "model { dens 3 }", &[]).unwrap_err();
    // What `main` returning the error prints (its `Debug`) is the rendered diagnostics.
    assert!(format!("{check:?}").contains("bad.nn:1:"), "{check:?}");
    let read = ModelFile::open("/nonexistent/model.nn", &[]).unwrap_err();
    let diagnostics = match &check {
        nnc_dsl::ModelFileError::Check { diagnostics, .. } => diagnostics.clone(),
        other => panic!("expected check errors, got {other}"),
    };
    let train = nnc_train::TrainError::Config("the batch size must be at least 1".into());
    let checkpoint =
        nnc_train::checkpoint::load_tensors::<f32>(Path::new("/nonexistent/w.safetensors"))
            .unwrap_err();
    let lower = nnc_dsl::lower::LowerError::invalid("a lowering error", "a hint");
    let search = nnc_train::search::SearchError::TooManyTrials {
        planned: Some(1_000_000),
    };
    let probe = nnc_dsl::ProbeError::Unreadable {
        path: PathBuf::from("data.csv"),
        reason: "missing".into(),
    };
    let messages = [
        boxed(tensor).to_string(),
        boxed(ops).to_string(),
        boxed(data).to_string(),
        boxed(diagnostics).to_string(),
        boxed(check).to_string(),
        boxed(read).to_string(),
        boxed(train).to_string(),
        boxed(checkpoint).to_string(),
        boxed(lower).to_string(),
        boxed(search).to_string(),
        boxed(probe).to_string(),
    ];
    assert!(
        messages[3].contains("error[E101]: unknown layer `dens`"),
        "{}",
        messages[3]
    );
    assert!(
        messages[4].contains("bad.nn:1:"),
        "rendered with its location: {}",
        messages[4]
    );
    assert!(
        messages[5].contains("cannot read `/nonexistent/model.nn`"),
        "{}",
        messages[5]
    );
    assert!(messages.iter().all(|m| !m.is_empty()));
}

/// Raw wine features span three orders of magnitude: the summary of a run says so before
/// training, with the `preprocess` line to write.
#[test]
fn a_planted_data_fault_is_in_the_training_summary() -> Result<(), Box<dyn Error>> {
    let text = std::fs::read_to_string(models().join("wine.nn"))?;
    let raw = text.replace("  preprocess center, normalize", "");
    let file = ModelFile::from_text(models().join("wine_raw.nn"), &raw, &["n_epochs=1"])?;
    let (_, summary) = file.train(&mut nnc_train::events::Silent)?;
    let scales = summary
        .findings
        .iter()
        .find(|f| f.check == CheckKind::FeatureScales)
        .expect("the feature-scale finding");
    assert!(scales.advice.contains("preprocess"), "{}", scales.advice);
    Ok(())
}

/// The rest of what the command line does, from code: evaluate a trained model, run the
/// doctor's protocol, and a search.
#[test]
fn a_file_is_evaluated_doctored_and_searched_from_code() -> Result<(), Box<dyn Error>> {
    let spiral = ModelFile::open(models().join("spiral.nn"), &["iters=300"])?;
    let (mut model, summary) = spiral.train(&mut nnc_train::events::Silent)?;
    let (metrics, confusion) = spiral.evaluate(&mut model, nnc_dsl::ir::SplitName::Train)?;
    assert!(
        metrics.accuracy > 0.6,
        "{metrics:?} after {} steps",
        summary.steps
    );
    assert_eq!(confusion.counts.len(), 3);
    let no_test = spiral
        .evaluate(&mut model, nnc_dsl::SplitName::Test)
        .unwrap_err();
    assert_eq!(
        no_test.to_string(),
        "the `test` split is empty: the file's `split` gives it no rows"
    );

    let doctor = spiral.doctor()?;
    assert!(!doctor.steps.is_empty());
    assert!(doctor.to_string().contains("initial loss"), "{doctor}");

    let grid = Path::new(env!("CARGO_MANIFEST_DIR")).join("../nnc/tests/search_files/grid.nn");
    let file = ModelFile::open(&grid, &[])?;
    assert!(file.warnings().is_empty(), "{}", file.rendered_warnings());
    let mut seen = 0;
    let result = file.search(2, &mut |_| seen += 1)?;
    assert_eq!((seen, result.records.len()), (6, 6));
    assert!(result.best_record().is_some());
    Ok(())
}

/// A trained model predicts new raw rows from code (`predict_proba`): the file's
/// preprocessing is applied, the rows are probabilities, and their argmax is what
/// `evaluate` counted on the same rows.
#[test]
fn new_rows_are_predicted_from_code() -> Result<(), Box<dyn Error>> {
    let wine = ModelFile::open(models().join("wine.nn"), &["n_epochs=20"])?;
    let (mut model, _) = wine.train(&mut nnc_train::events::Silent)?;
    let raw = &wine.compiled().raw.splits.test;
    let probabilities = wine.predict(&mut model, raw.inputs())?;
    assert_eq!(probabilities.shape(), &[raw.len(), 3]);
    for row in probabilities.data().chunks_exact(3) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{row:?}");
    }
    let predicted = nnc_train::metrics::argmax_rows(probabilities.data(), 3);
    let mut confusion = nnc_train::metrics::ConfusionMatrix::new(3);
    confusion.add(&predicted, raw.labels());
    let (_, evaluated) = wine.evaluate(&mut model, nnc_dsl::SplitName::Test)?;
    assert_eq!(confusion, evaluated);
    assert!(confusion.accuracy() > 0.85, "{confusion:?}");
    Ok(())
}
