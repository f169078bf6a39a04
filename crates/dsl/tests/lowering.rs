//! Lowering: checked experiments become data, models, training configurations and search
//! plans; the three LANGUAGE.md examples (with stand-in data files) and every file in models/
//! lower and build.

use nnc_data::IdxType;
use nnc_data::sources::idx::encode_idx;
use nnc_dsl::lower::{CompileOptions, Compiled, FileProbe, compile};
use nnc_dsl::{CheckOptions, Override, Purpose, Sources, check_with};
use nnc_train::{Duration, Every, Monitor, Schedule};
use std::path::{Path, PathBuf};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/examples")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nnc-lower-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    dir
}

/// Checks the file at `path` with the real probe and lowers it.
fn lower_file(path: &Path, overrides: &[&str]) -> Compiled {
    let text = std::fs::read_to_string(path).unwrap();
    lower_text(path, &text, overrides)
}

fn lower_text(path: &Path, text: &str, overrides: &[&str]) -> Compiled {
    let overrides: Vec<Override> = overrides.iter().map(|o| Override::parse(*o)).collect();
    let probe = FileProbe::new();
    let options = CheckOptions {
        overrides: &overrides,
        probe: &probe,
        purpose: Purpose::Check,
    };
    let checked = check_with(text, path, &options).unwrap_or_else(|d| {
        let sources = Sources::new(path.display().to_string(), text).with_overrides(&overrides);
        panic!("{}", nnc_dsl::render::render_text(&d, &sources))
    });
    compile(
        &checked.experiment,
        &CompileOptions {
            cache: Some(&probe),
            ..CompileOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Builds the model and checks that it fits the data.
fn builds(c: &Compiled) -> nnc_ops::Sequential<f32> {
    let m = c.model.build(c.seed).expect("builds");
    assert_eq!(m.input_width(), c.data.splits.train.features());
    assert_eq!(m.output_width(), c.data.splits.train.classes());
    m
}

#[test]
fn the_spiral_example_lowers_to_the_textbook_recipe() {
    let c = lower_file(&examples_dir().join("spiral.nn"), &[]);
    let m = builds(&c);
    assert_eq!(m.num_params(), 603);
    let names: Vec<&str> = m.params().ids().map(|id| m.params().name(id)).collect();
    assert_eq!(
        names,
        [
            "dense1.weight",
            "dense1.bias",
            "dense2.weight",
            "dense2.bias"
        ]
    );
    assert_eq!(c.data.splits.train.len(), 300);
    assert!(c.data.splits.val.is_empty());
    let t = c.train.as_ref().unwrap();
    assert_eq!(t.duration, Duration::Steps(10_000));
    assert_eq!(t.batch, nnc_data::BatchSize::Full);
    assert_eq!(t.penalty, Some(nnc_ops::Penalty::L2(1e-3)));
    assert_eq!(t.schedule.base_lr, 1.0);
    assert_eq!(t.log_every_steps, 1000);
    assert_eq!(t.eval_every_epochs, 0, "no validation split");
    // Same seed, same weights.
    let again = c.model.build(c.seed).unwrap();
    let id = m.params().ids().next().unwrap();
    assert_eq!(m.params().value(id), again.params().value(id));
}

/// The parameter count of the builder equals the built model's; the training-memory lower
/// bound follows its formula; absurd widths saturate instead of overflowing.
#[test]
fn the_builder_counts_parameters_and_bounds_training_memory() {
    let c = lower_file(&examples_dir().join("spiral.nn"), &[]);
    assert_eq!(c.model.param_count(), builds(&c).num_params() as u64);
    // 4 bytes · (2 · 603 parameters + 2 · 300 rows · (100 + 3) dense outputs).
    assert_eq!(c.model.training_bytes(300), 4 * (2 * 603 + 2 * 300 * 103));
    let mut huge = c.model.clone();
    for (_, spec) in &mut huge.layers {
        if let nnc_ops::LayerSpec::Dense { units, .. } = spec {
            *units = usize::MAX;
        }
    }
    assert_eq!(huge.param_count(), u64::MAX);
    assert_eq!(huge.training_bytes(usize::MAX), u128::MAX);
}

/// With a memory limit, a model that cannot train within it is refused when it is lowered,
/// naming its parameters, the memory it needs and the limit; the same file lowers without one.
#[test]
fn a_model_too_big_for_the_memory_limit_is_refused_when_lowered() {
    let path = examples_dir().join("spiral.nn");
    let text = std::fs::read_to_string(&path).unwrap();
    let probe = FileProbe::new();
    let checked = nnc_dsl::check(&text, &path, &[], &probe).unwrap();
    let with_limit = |limit| {
        compile(
            &checked.experiment,
            &CompileOptions {
                memory_limit: Some(limit),
                ..CompileOptions::default()
            },
        )
    };
    let needed = 4 * (2 * 603 + 2 * 300 * 103);
    assert!(with_limit(needed).is_ok());
    let e = with_limit(needed - 1).unwrap_err();
    let message = e.to_string();
    assert!(message.contains("603 parameters"), "{message}");
    assert!(message.contains("batches of 300"), "{message}");
    assert!(message.contains("at least 246.117 KiB"), "{message}");
    assert!(e.hint().unwrap().contains("nnc check --shapes"), "{e:?}");
}

#[test]
fn the_variant_example_lowers_with_folds_warmup_and_cosine() {
    let c = lower_file(&examples_dir().join("variant.nn"), &[]);
    builds(&c);
    // 800 blobs, 20% test, 5 folds of the remaining 640.
    assert_eq!(c.raw.splits.test.len(), 160);
    assert_eq!(c.raw.folds.as_ref().unwrap().len(), 5);
    assert_eq!(c.data.fold, Some((0, 5)));
    assert_eq!(c.data.splits.train.len(), 512);
    assert_eq!(c.data.splits.val.len(), 128);
    let t = c.train.as_ref().unwrap();
    assert_eq!(t.schedule.warmup_steps, 100);
    assert_eq!(
        t.schedule.schedule,
        Schedule::Cosine {
            period: Every::Epochs(20.0),
            min_lr: 0.0
        }
    );
    assert_eq!(t.eval_every_epochs, 1);
    assert_eq!(t.log_every_steps, 50);
    // Preprocessing is fitted on the fold's training rows: their mean is 0.
    let train = c.data.splits.train.inputs();
    let d = train.shape()[1];
    for j in 0..d {
        let mean: f64 = (0..train.shape()[0])
            .map(|i| train.data()[i * d + j] as f64)
            .sum::<f64>()
            / train.shape()[0] as f64;
        assert!(mean.abs() < 1e-4, "feature {j}: mean {mean}");
    }
}

#[test]
fn the_deep_bn_example_lowers_with_stand_in_idx_files() {
    let dir = scratch("deep-bn");
    let write_idx = |name: &str, n: u32, label_offset: usize| {
        let images: Vec<f64> = (0..n as usize * 784)
            .map(|i| ((i * 7 + label_offset) % 256) as f64)
            .collect();
        let labels: Vec<f64> = (0..n as usize).map(|i| (i % 10) as f64).collect();
        std::fs::write(
            dir.join("data").join(format!("{name}-images-idx3-ubyte")),
            encode_idx(IdxType::U8, &[n, 28, 28], &images),
        )
        .unwrap();
        std::fs::write(
            dir.join("data").join(format!("{name}-labels-idx1-ubyte")),
            encode_idx(IdxType::U8, &[n], &labels),
        )
        .unwrap();
    };
    write_idx("train", 200, 0);
    write_idx("t10k", 50, 3);
    let path = dir.join("deep_bn_sweep.nn");
    std::fs::copy(examples_dir().join("deep_bn_sweep.nn"), &path).unwrap();
    let c = lower_file(&path, &[]);
    let m = builds(&c);
    assert_eq!(
        m.buffers().count(),
        8,
        "running mean and var of 4 batchnorms"
    );
    assert_eq!(
        (
            c.data.splits.train.len(),
            c.data.splits.val.len(),
            c.data.splits.test.len()
        ),
        (180, 20, 50)
    );
    let t = c.train.as_ref().unwrap();
    assert_eq!(
        t.schedule.schedule,
        Schedule::Step {
            every: Every::Epochs(5.0),
            factor: 0.5
        }
    );
    assert_eq!(t.eval_every_epochs, 1);
    let search = c.search.as_ref().unwrap();
    assert_eq!(search.plan.stages.len(), 2);
    assert_eq!(search.plan.stages[1].keep, 5);
    assert_eq!(search.plan.metric, "val.accuracy");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_maxout_example_lowers_with_a_stand_in_csv() {
    let dir = scratch("maxout");
    let mut csv = String::from("letter,x-box,y-box,width,high,onpix,x-bar,y-bar\n");
    for i in 0..520 {
        let letter = (b'A' + (i % 26) as u8) as char;
        let v: Vec<String> = (0..7)
            .map(|j| (((i * 31 + j * 17) % 16) as f64 + (i % 26) as f64 * 0.5).to_string())
            .collect();
        csv.push_str(&format!("{letter},{}\n", v.join(",")));
    }
    std::fs::write(dir.join("data/letters.csv"), csv).unwrap();
    let path = dir.join("maxout.nn");
    std::fs::copy(examples_dir().join("maxout.nn"), &path).unwrap();
    let c = lower_file(&path, &[]);
    let m = builds(&c);
    assert_eq!(m.output_width(), 26);
    // pca(variance: 0.99) left `data.features` symbolic for the checker; lowering knows it.
    assert!(c.model.input_width <= 7);
    let t = c.train.as_ref().unwrap();
    assert_eq!(t.max_norm, Some(3.5));
    assert_eq!(
        t.schedule.schedule,
        Schedule::Exponential {
            k: 0.02,
            unit: Every::Epochs(1.0)
        }
    );
    let es = t.early_stop.unwrap();
    assert_eq!((es.monitor, es.patience), (Monitor::ValLoss, 20));
    assert_eq!(
        t.eval_every_epochs, 1,
        "early stopping evaluates every epoch"
    );
    assert_eq!(c.search.as_ref().unwrap().kfold, Some(5));
    std::fs::remove_dir_all(&dir).unwrap();
}

const SMALL: &str = "data {\n  source blobs(points: 60, classes: 3, features: 4)\n  split train: 70%, val: 15%, test: 15%, stratify: true\n  preprocess center, normalize\n}\nmodel {\n  dense 16 -> tanh\n  dense data.classes\n  loss softmax\n}\n";

#[test]
fn time_amounts_convert_between_epochs_and_steps() {
    // 126 training rows, batch 32: 4 steps per epoch.
    let train = "train {\n  optimizer adamw(lr: 0.01, weight_decay: 0.1)\n  schedule inv(k: 0.5, power: 2), warmup: 1.5 epochs\n  batch 32\n  steps 10\n  eval val, every: 6 steps\n  early_stop val.accuracy, patience: 4, min_delta: 0.01\n  log every: 0.5 epochs\n  seed 9\n}\n";
    let c = lower_text(Path::new("small.nn"), &format!("{SMALL}{train}"), &[]);
    assert_eq!(c.data.splits.train.len(), 126);
    let t = c.train.unwrap();
    assert_eq!(t.duration, Duration::Steps(10));
    assert_eq!(t.schedule.warmup_steps, 6);
    assert_eq!(
        t.schedule.schedule,
        Schedule::Inverse {
            k: 0.5,
            power: 2.0,
            unit: Every::Epochs(1.0)
        }
    );
    assert_eq!(t.eval_every_epochs, 2);
    assert_eq!(t.log_every_steps, 2);
    assert_eq!(t.early_stop.unwrap().monitor, Monitor::ValAccuracy);
    assert_eq!(t.early_stop_min_delta, 0.01);
    assert_eq!(t.seed, 9);
    assert_eq!(c.seed, 9);
    assert!(matches!(
        t.optimizer,
        nnc_train::OptimizerConfig::Adam { weight_decay, .. } if weight_decay == 0.1
    ));
}

#[test]
fn without_an_eval_line_validation_runs_about_a_hundred_times() {
    let train =
        "train {\n  optimizer sgd(lr: 0.1)\n  batch full\n  epochs 1000\n  schedule cosine\n}\n";
    let c = lower_text(Path::new("small.nn"), &format!("{SMALL}{train}"), &[]);
    let t = c.train.unwrap();
    assert_eq!(t.eval_every_epochs, 10);
    assert_eq!(
        t.schedule.schedule,
        Schedule::Cosine {
            period: Every::Epochs(1000.0),
            min_lr: 0.0
        },
        "cosine anneals over the whole run by default"
    );
}

#[test]
fn fit_all_fits_preprocessing_on_every_row() {
    let train = "train {\n  optimizer sgd(lr: 0.1)\n  epochs 1\n}\n";
    let on_train = lower_text(Path::new("a.nn"), &format!("{SMALL}{train}"), &[]);
    let text =
        format!("{SMALL}{train}").replace("center, normalize", "center, normalize, fit: all");
    let on_all = lower_text(Path::new("b.nn"), &text, &[]);
    let mean = |d: &nnc_data::Dataset| d.inputs().data().iter().map(|&x| x as f64).sum::<f64>();
    assert!(mean(&on_train.data.splits.train).abs() < 1e-3);
    assert!(mean(&on_all.data.splits.train).abs() > 1e-3);
    // The raw rows and the split are the same either way.
    assert_eq!(on_train.raw.splits.val, on_all.raw.splits.val);
}

#[test]
fn seeds_make_weights_and_a_seed_override_changes_only_training() {
    let train = "train {\n  optimizer sgd(lr: 0.1)\n  epochs 1\n  seed 3\n}\n";
    let text = format!("{SMALL}{train}");
    let a = lower_text(Path::new("a.nn"), &text, &[]);
    let probe = FileProbe::new();
    let checked = nnc_dsl::check(&text, Path::new("a.nn"), &[], &probe).unwrap();
    let b = compile(
        &checked.experiment,
        &CompileOptions {
            seed: Some(4),
            ..CompileOptions::default()
        },
    )
    .unwrap();
    assert_eq!((a.seed, b.seed), (3, 4));
    assert_eq!(b.train.as_ref().unwrap().seed, 4);
    assert_eq!(a.data.splits.train, b.data.splits.train, "same split");
    let (ma, mb) = (
        a.model.build(a.seed).unwrap(),
        b.model.build(b.seed).unwrap(),
    );
    let id = ma.params().ids().next().unwrap();
    assert_ne!(ma.params().value(id), mb.params().value(id));
}

#[test]
fn a_csv_test_source_keeps_the_training_class_list() {
    let dir = scratch("test-source");
    std::fs::write(
        dir.join("train.csv"),
        "x,y,label\n0,0,cat\n1,1,dog\n2,2,emu\n0,1,cat\n1,2,dog\n2,0,emu\n",
    )
    .unwrap();
    // Only two of the classes, in another order: `dog` must stay class 1.
    std::fs::write(dir.join("test.csv"), "x,y,label\n1,1,dog\n0,0,cat\n").unwrap();
    let text = "data {\n  source csv(\"train.csv\")\n  test csv(\"test.csv\")\n}\nmodel {\n  dense data.classes\n  loss softmax\n}\n";
    let c = lower_text(&dir.join("m.nn"), text, &[]);
    assert_eq!(c.data.splits.test.labels(), &[1, 0]);
    assert_eq!(c.data.splits.test.classes(), 3);
    assert!(c.train.is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn search_spaces_lower_with_stage_defaults() {
    let text = format!(
        "param lr = 0.1\nparam act = relu\nparam width = 16\n{}train {{\n  optimizer sgd(lr: lr)\n  epochs 1\n}}\nsearch {{\n  lr ~ loguniform(1e-4, 1)\n  act ~ choice(relu, tanh, leaky_relu(0.1))\n  width ~ logint(8, 64)\n  stage coarse, trials: 8, epochs: 1\n  stage fine, trials: 4\n}}\n",
        SMALL.replace("dense 16 -> tanh", "dense width -> act")
    );
    let c = lower_text(Path::new("s.nn"), &text, &[]);
    let s = c.search.unwrap();
    assert_eq!(
        s.plan.strategy,
        nnc_train::search::Strategy::Random { seed: 0 }
    );
    assert_eq!(s.plan.space.len(), 3);
    assert_eq!(
        s.plan.space[1].dist.to_string(),
        "choice(relu, tanh, leaky_relu(0.1))"
    );
    assert_eq!(s.plan.stages[0].keep, 0);
    assert_eq!((s.plan.stages[1].keep, s.plan.stages[1].shrink), (5, 0.5));
    assert_eq!(s.plan.stages[1].epochs, None);
    assert_eq!(s.kfold, None);
    // A trial's values re-check as `--set` overrides.
    let trial = nnc_train::search::TrialSpec {
        id: 0,
        stage: "coarse".into(),
        params: vec![
            ("lr".into(), nnc_train::search::Value::Number(0.0123)),
            (
                "act".into(),
                nnc_train::search::Value::Name("leaky_relu(0.1)".into()),
            ),
            ("width".into(), nnc_train::search::Value::Number(32.0)),
        ],
        budget_epochs: Some(1),
        promoted_from: None,
    };
    let overrides = nnc_dsl::lower::search::trial_overrides(&trial);
    let texts: Vec<&str> = overrides.iter().map(|o| o.text.as_str()).collect();
    let again = lower_text(Path::new("s.nn"), &text, &texts);
    assert_eq!(again.train.unwrap().schedule.base_lr, 0.0123);
    assert_eq!(
        again.model.layers[0].1,
        nnc_ops::LayerSpec::dense(32, nnc_ops::Init::He)
    );
    assert_eq!(
        again.model.layers[1].1,
        nnc_ops::LayerSpec::Activation(nnc_ops::Activation::LeakyRelu { alpha: 0.1 })
    );
}

#[test]
fn every_model_file_lowers_and_builds() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&models)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "nn"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    for path in &files {
        let c = lower_file(path, &[]);
        builds(&c);
        assert!(c.train.is_some(), "{}: no train section", path.display());
    }
}

/// One step arithmetic: 201 training rows in batches of 100 are 2 steps per epoch (the
/// leftover row joins the last batch) for the lowering of fractional epochs, warm-up, logging
/// and step-based evaluation, for the trainer that runs them, and for the step plan `nnc run`
/// and `nnc bench` count with.
#[test]
fn lowering_the_trainer_and_the_step_plan_agree_on_an_epoch_of_201_rows() {
    let dir = scratch("steps");
    let path = dir.join("steps.nn");
    let text = "data {\n  source random(rows: 268, features: 4, classes: 3)\n  split train: 75%, val: 25%\n  seed 1\n}\nmodel {\n  dense 8 -> relu\n  dense data.classes\n  loss softmax\n}\ntrain {\n  optimizer sgd(lr: 0.01)\n  schedule cosine, warmup: 0.5 epochs\n  batch 100\n  steps 5\n  eval val, every: 3 steps\n  log every: 0.5 epochs\n  seed 1\n}\n";
    std::fs::write(&path, text).unwrap();
    let c = lower_text(&path, text, &[]);
    let rows = c.data.splits.train.len();
    assert_eq!(rows, 201);
    let config = c.train.clone().expect("train section");
    // 5 steps are 2.5 epochs of 2 steps; warm-up and logging every half epoch are 1 step;
    // evaluation every 3 steps is every 2 epochs (evaluations are at epoch ends).
    assert_eq!(config.duration, Duration::Steps(5));
    assert_eq!(config.schedule.warmup_steps, 1);
    assert_eq!(config.log_every_steps, 1);
    assert_eq!(config.eval_every_epochs, 2);
    let plan = nnc_train::StepPlan::of(&config, rows);
    assert_eq!((plan.per_epoch, plan.total, plan.epochs()), (2, 5, 3));

    let mut model = c.model.build(c.seed).unwrap();
    let (mut started, mut steps) = (None, Vec::new());
    let mut sink = |e: &nnc_train::events::Event| match e {
        nnc_train::events::Event::Started {
            steps_per_epoch,
            total_steps,
            ..
        } => started = Some((*steps_per_epoch as u64, *total_steps)),
        nnc_train::events::Event::Step { step, epoch, .. } => steps.push((*step, *epoch)),
        _ => {}
    };
    let data = nnc_train::TrainData::new(&c.data.splits.train, Some(&c.data.splits.val));
    let summary =
        nnc_train::train(&mut model, c.model.loss, data, &config, &mut sink, None).unwrap();
    assert_eq!(started, Some((plan.per_epoch, plan.total)));
    assert_eq!(summary.steps, plan.total);
    assert_eq!(
        steps,
        vec![(1, 0.5), (2, 1.0), (3, 1.5), (4, 2.0), (5, 2.5)],
        "one logged step per half epoch of 2 steps"
    );
}
