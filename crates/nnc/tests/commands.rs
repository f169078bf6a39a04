//! The commands other than a full run: gradient reports (insta snapshots for every model),
//! `check` output snapshots, exit codes, gradient checks, the doctor, `list`, `explain`,
//! `--help` and JSON output.

mod common;

use common::{model_files, nnc, nnc_in, root, scratch};

/// `nnc grad` (f64) of every model, pinned: a changed gradient fails the run.
#[test]
fn grad_reports_of_every_model_match_their_snapshots() {
    for (name, _) in model_files() {
        let ran = nnc(&["grad", &format!("models/{name}.nn")]).expect(0);
        assert!(ran.stdout.contains("f64"), "{}", ran.stdout);
        insta::assert_snapshot!(format!("grad_{name}"), ran.stdout);
    }
}

/// `nnc check --shapes` of every model, pinned.
#[test]
fn check_output_of_every_model_matches_its_snapshot() {
    for (name, _) in model_files() {
        let ran = nnc(&["check", &format!("models/{name}.nn"), "--shapes"]).expect(0);
        insta::assert_snapshot!(
            format!("check_{name}"),
            format!("{}--- stderr\n{}", ran.stdout, ran.stderr)
        );
    }
    // A warning (W309: xavier before ReLU) is printed but does not fail the check…
    let ran = nnc(&["check", "models/init.nn", "--set", "w_init=xavier"]).expect(0);
    insta::assert_snapshot!("check_init_xavier_warning", ran.stderr);
    // …unless warnings are denied.
    nnc(&[
        "check",
        "models/init.nn",
        "--set",
        "w_init=xavier",
        "--deny-warnings",
    ])
    .expect(1);
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn a_bad_model_file_exits_1_with_rendered_diagnostics() {
    let dir = scratch("bad-file");
    let bad = write(
        &dir,
        "bad.nn",
        "data {\n  source spiral(points: 50)\n}\nmodel {\n  dense 10 relu\n  dense 4\n  loss softmax\n}\n",
    );
    let ran = nnc_in(&dir, &["check", "bad.nn"]).expect(1);
    insta::assert_snapshot!("bad_file", ran.stderr);
    // The same file for `run`: same code; JSON diagnostics on request.
    nnc(&["run", &bad, "--out", dir.join("never").to_str().unwrap()]).expect(1);
    assert!(
        !dir.join("never").exists(),
        "no run directory for a bad file"
    );
    let ran = nnc(&["check", &bad, "--format", "json"]).expect(1);
    let record: serde_json::Value = serde_json::from_str(ran.stdout.trim()).unwrap();
    assert_eq!(record["type"], "diagnostics");
    assert_eq!(record["diagnostics"][0]["code"], "E001");
    assert_eq!(record["diagnostics"][0]["primary"]["line"], 5);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_usage_exits_2() {
    // An unknown flag, a missing argument, an unknown subcommand.
    let ran = nnc(&["run", "models/spiral.nn", "--bogus"]).expect(2);
    assert!(ran.stderr.contains("--bogus"), "{}", ran.stderr);
    nnc(&["run"]).expect(2);
    nnc(&["train", "models/spiral.nn"]).expect(2);
    // A `--set` of an unknown param: a diagnostic pointing into the override, with a
    // did-you-mean.
    let ran = nnc(&["check", "models/spiral.nn", "--set", "lrr=0.5"]).expect(2);
    assert!(
        ran.stderr.contains("E507") && ran.stderr.contains("did you mean `lr`"),
        "{}",
        ran.stderr
    );
    // A `--set` of the wrong type.
    let ran = nnc(&["check", "models/spiral.nn", "--set", "lr=relu"]).expect(2);
    assert!(ran.stderr.contains("E201"), "{}", ran.stderr);
    // A model file that does not exist.
    let ran = nnc(&["check", "models/digit.nn"]).expect(2);
    assert!(
        ran.stderr
            .contains("help: did you mean `models/digits.nn`?"),
        "{}",
        ran.stderr
    );
    let ran = nnc(&["check", "models/nope.nn"]).expect(2);
    assert!(
        ran.stderr.contains("cannot read `models/nope.nn`"),
        "{}",
        ran.stderr
    );
    // A model file that is not UTF-8: where the bad byte is, not only "stream did not
    // contain valid UTF-8".
    let dir = scratch("not-utf8");
    let latin1 = dir.join("latin1.nn");
    std::fs::write(&latin1, b"nn 0.1\n# caf\xe9\n").unwrap();
    let ran = nnc(&["check", latin1.to_str().unwrap()]).expect(2);
    assert!(
        ran.stderr
            .contains("is not UTF-8 text: byte 0xe9 at line 2, column 6 (byte offset 12)"),
        "{}",
        ran.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
    nnc(&["run", "models/spiral.nn", "--threads", "0"]).expect(2);
    // Absurd thread counts are refused at once (10,000 threads took a minute to start, and
    // 100,000 never got going), also with JSON output, where the error was not printed at all.
    let ran = nnc(&["run", "models/spiral.nn", "--threads", "100000"]).expect(2);
    assert!(
        ran.stderr
            .contains("--threads must be from 1 to 1024, found 100000"),
        "{}",
        ran.stderr
    );
    let ran = nnc(&[
        "run",
        "models/spiral.nn",
        "--threads",
        "0",
        "--format",
        "json",
    ])
    .expect(2);
    let record: serde_json::Value = serde_json::from_str(ran.stdout.trim()).unwrap();
    assert_eq!(record["type"], "error", "{}", ran.stdout);
    assert_eq!(record["exit_code"], 2);
    // A fold the data does not have is a usage error, like `--fold 0`.
    let ran = nnc(&["run", "models/spiral.nn", "--fold", "1"]).expect(2);
    assert!(
        ran.stderr.contains("no k-fold split") && ran.stderr.contains("leave --fold out"),
        "{}",
        ran.stderr
    );
    let ran = nnc(&["run", "models/spiral.nn", "--fold", "0"]).expect(2);
    assert!(
        ran.stderr.contains("help: `--fold 1` is the first fold"),
        "{}",
        ran.stderr
    );
    // The same name twice in --set is bad usage, not a silent choice of the last value.
    let ran = nnc(&[
        "check",
        "models/spiral.nn",
        "--set",
        "lr=1",
        "--set",
        "lr=2",
    ])
    .expect(2);
    assert!(
        ran.stderr
            .contains("`--set lr` is given twice: `lr=1` and `lr=2`"),
        "{}",
        ran.stderr
    );
    // With JSON output, the parser's own errors are `error` records too.
    for args in [
        &["run", "models/spiral.nn", "--format", "json", "--bogus"][..],
        &["run", "--format=json"][..],
    ] {
        let ran = nnc(args).expect(2);
        let record: serde_json::Value = serde_json::from_str(ran.stdout.trim()).unwrap();
        assert_eq!(record["type"], "error", "{}", ran.stdout);
        assert_eq!(record["exit_code"], 2);
        let message = record["message"].as_str().unwrap();
        assert!(
            message.contains("--bogus") || message.contains("<MODEL>"),
            "{message}"
        );
    }
    // A gradient check on no examples is bad usage, not a silent check of one.
    let ran = nnc(&["gradcheck", "models/spiral.nn", "--examples", "0"]).expect(2);
    assert!(ran.stderr.contains("--examples 0"), "{}", ran.stderr);
}

/// A model that cannot fit in memory is refused before anything is allocated or written
/// (it used to abort on a failed allocation, leaving a half-written run directory).
#[test]
fn a_model_too_big_for_memory_is_refused_before_the_run_starts() {
    let dir = scratch("too-big");
    let text = std::fs::read_to_string(common::root().join("models/spiral.nn"))
        .unwrap()
        .replace("let H = 100 ", "let H = 1e11 ");
    let model = write(&dir, "big.nn", &text);
    let out = dir.join("run");
    let ran = nnc(&["run", &model, "--out", out.to_str().unwrap()]).expect(1);
    assert!(
        ran.stderr
            .contains("the model has 600000000003 parameters and needs at least"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("nnc check --shapes"), "{}", ran.stderr);
    assert!(
        !out.exists(),
        "no run directory for a run that cannot start"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An output path that is a file (or lies under one) is bad usage naming the file, reported
/// before any work (the doctor does not run its protocol first), and the file is kept.
#[test]
fn an_output_path_that_is_a_file_is_bad_usage() {
    let dir = scratch("out-is-a-file");
    let file = write(&dir, "notes.txt", "keep me\n");
    let under = format!("{file}/sub");
    for args in [
        ["run", "models/spiral.nn", "--out", &file],
        ["run", "models/spiral.nn", "--out", &under],
        ["doctor", "models/spiral.nn", "--out", &file],
        ["grad", "models/spiral.nn", "--dump", &file],
        ["search", "models/search.nn", "--out", &file],
    ] {
        let ran = nnc(&args).expect(2);
        assert!(
            ran.stderr.contains("notes.txt` is a file, not a directory")
                && ran.stderr.contains("help: give --"),
            "{args:?}: {}",
            ran.stderr
        );
        assert!(!ran.stdout.contains("[PASS]"), "{args:?}: {}", ran.stdout);
    }
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "keep me\n",
        "the file is untouched"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--out .` next to the user's own `model.nn` is refused: the run would overwrite it with the
/// resolved copy (it did, `--set` values included).
#[test]
fn a_run_never_overwrites_a_file_in_its_out_directory() {
    let dir = scratch("out-keeps-files");
    let text = std::fs::read_to_string(root().join("models/spiral.nn")).unwrap();
    let model = write(&dir, "model.nn", &text);
    let ran = nnc_in(&dir, &["run", "model.nn", "--out", ".", "--set", "lr=0.5"]).expect(2);
    assert!(
        ran.stderr
            .contains("`.` already holds `model.nn`, which the run would overwrite"),
        "{}",
        ran.stderr
    );
    assert_eq!(std::fs::read_to_string(&model).unwrap(), text);
    std::fs::create_dir(dir.join("checkpoints")).unwrap();
    std::fs::remove_file(&model).unwrap();
    write(&dir, "checkpoints/best.safetensors", "mine");
    let out = dir.to_str().unwrap();
    nnc(&["run", "models/spiral.nn", "--out", out]).expect(2);
    assert_eq!(
        std::fs::read_to_string(dir.join("checkpoints/best.safetensors")).unwrap(),
        "mine"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Weights holding a NaN are evaluated with a warning naming the tensor (the metrics looked
/// normal: a ReLU hides the NaN).
#[test]
fn eval_warns_about_non_finite_weights() {
    let dir = scratch("nan-weights");
    let out = dir.join("run");
    nnc(&[
        "run",
        "models/spiral.nn",
        "--set",
        "iters=5",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ])
    .expect(0);
    let path = out.join("weights.safetensors");
    let mut bytes = std::fs::read(&path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let at = 8 + n + header["dense1.weight"]["data_offsets"][0].as_u64().unwrap() as usize;
    bytes[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    let ran = nnc(&[
        "eval",
        "models/spiral.nn",
        "--weights",
        path.to_str().unwrap(),
    ])
    .expect(0);
    assert!(
        ran.stderr.contains("`dense1.weight` in ")
            && ran.stderr.contains("holds 1 NaN or infinite values"),
        "{}",
        ran.stderr
    );
    // The run directory instead of its weights: the file inside is named.
    let ran = nnc(&[
        "eval",
        "models/spiral.nn",
        "--weights",
        out.to_str().unwrap(),
    ])
    .expect(2);
    assert!(
        ran.stderr.contains("is a directory, not a weights file")
            && ran.stderr.contains("weights.safetensors`"),
        "{}",
        ran.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Broken data is reported with the file, line and column, as a diagnostic (exit code 1).
#[test]
fn broken_data_files_are_located() {
    let dir = scratch("broken-data");
    std::fs::write(dir.join("cells.csv"), "a,b,label\n1,2,x\n3,oops,y\n").unwrap();
    let model = write(
        &dir,
        "m.nn",
        "data {\n  source csv(\"cells.csv\")\n}\nmodel {\n  dense data.classes\n  loss softmax\n}\ntrain {\n  optimizer sgd(lr: 0.1)\n  epochs 1\n}\n",
    );
    let ran = nnc(&["run", &model]).expect(1);
    assert!(ran.stderr.contains("E408"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("cells.csv:3, column `b`"),
        "{}",
        ran.stderr
    );
    let missing = write(
        &dir,
        "missing.nn",
        &std::fs::read_to_string(&model)
            .unwrap()
            .replace("cells.csv", "nowhere.csv"),
    );
    let ran = nnc(&["check", &missing]).expect(1);
    assert!(ran.stderr.contains("E406"), "{}", ran.stderr);
    // A misspelt file name: the help names the closest file beside it.
    let typo = write(
        &dir,
        "typo.nn",
        &std::fs::read_to_string(&model)
            .unwrap()
            .replace("cells.csv", "cels.csv"),
    );
    let ran = nnc(&["check", &typo]).expect(1);
    assert!(
        ran.stderr.contains("E406") && ran.stderr.contains("help: did you mean `\"cells.csv\"`?"),
        "{}",
        ran.stderr
    );
    // An unknown label column in a wide file with no close name: the header's columns are
    // listed (the help pointed to `nnc list columns`, which does not exist).
    let wide = write(
        &dir,
        "wide.nn",
        &std::fs::read_to_string(&model).unwrap().replace(
            "csv(\"cells.csv\")",
            &format!(
                "csv({:?}, label: \"\")",
                root().join("models/data/wine.csv")
            ),
        ),
    );
    let ran = nnc(&["check", &wide]).expect(1);
    assert!(
        ran.stderr.contains("E110")
            && ran
                .stderr
                .contains("help: the header's columns are: alcohol, malic_acid,")
            && !ran.stderr.contains("nnc list columns"),
        "{}",
        ran.stderr
    );
    // A model file in the current directory: the note names `.`, not an empty directory.
    let ran = nnc_in(&dir, &["check", "missing.nn"]).expect(1);
    assert!(
        ran.stderr.contains("directory of the model file (`.`)"),
        "{}",
        ran.stderr
    );
    let column = write(
        &dir,
        "column.nn",
        &std::fs::read_to_string(&model)
            .unwrap()
            .replace("csv(\"cells.csv\")", "csv(\"cells.csv\", label: \"lable\")"),
    );
    let ran = nnc(&["check", &column]).expect(1);
    assert!(
        ran.stderr.contains("E110") && ran.stderr.contains("did you mean `label`"),
        "{}",
        ran.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gradients_check_out_for_every_model() {
    for (name, _) in model_files() {
        let ran = nnc(&["gradcheck", &format!("models/{name}.nn"), "--examples", "4"]).expect(0);
        assert!(ran.stdout.contains("verdict: "), "{name}: {}", ran.stdout);
        assert!(!ran.stdout.contains("WRONG"), "{name}: {}", ran.stdout);
    }
}

#[test]
fn grad_dump_writes_parameters_batch_and_gradients() {
    let dir = scratch("dump");
    let ran = nnc(&["grad", "models/spiral.nn", "--dump", dir.to_str().unwrap()]).expect(0);
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    let params = read("params.safetensors");
    let params = safetensors::SafeTensors::deserialize(&params).unwrap();
    let mut names = params.names();
    names.sort();
    assert_eq!(
        names,
        [
            "dense1.bias",
            "dense1.weight",
            "dense2.bias",
            "dense2.weight"
        ]
    );
    assert_eq!(
        params.tensor("dense1.weight").unwrap().dtype(),
        safetensors::Dtype::F64
    );
    let batch = read("batch.safetensors");
    let batch = safetensors::SafeTensors::deserialize(&batch).unwrap();
    assert_eq!(batch.tensor("inputs").unwrap().shape(), &[300, 2]);
    assert_eq!(batch.tensor("labels").unwrap().shape(), &[300]);
    let grads = read("grads.safetensors");
    let grads = safetensors::SafeTensors::deserialize(&grads).unwrap();
    // The dumped bias gradient is the one the report prints.
    let b = grads.tensor("dense2.bias").unwrap();
    let first = f64::from_le_bytes(b.data()[..8].try_into().unwrap());
    assert!(
        ran.stdout.contains(&format!("{first:.5e}")),
        "{first:.5e} not in\n{}",
        ran.stdout
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_doctor_passes_the_spiral_and_fails_a_collapsing_init() {
    let dir = scratch("doctor");
    let ran = nnc(&["doctor", "models/spiral.nn", "--out", dir.to_str().unwrap()]).expect(0);
    assert_eq!(ran.stdout.matches("[PASS]").count(), 7, "{}", ran.stdout);
    assert!(ran.stdout.contains("overall: PASS"), "{}", ran.stdout);
    assert!(dir.join("lr_range.svg").exists() && dir.join("overfit.svg").exists());
    let ran = nnc(&["doctor", "models/init.nn", "--set", "w_init=small(0.01)"]).expect(4);
    assert!(
        ran.stdout.contains("activations collapse through depth"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("overall: FAIL"), "{}", ran.stdout);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn list_and_explain_print_the_vocabulary() {
    let ran = nnc(&["list"]).expect(0);
    for catalogue in ["layers", "activations", "optimizers", "schedules", "codes"] {
        assert!(ran.stdout.contains(catalogue), "{}", ran.stdout);
    }
    let ran = nnc(&["list", "activations"]).expect(0);
    for a in [
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu(alpha: 0.01)",
        "elu(alpha: 1.0)",
    ] {
        assert!(ran.stdout.contains(a), "{}", ran.stdout);
    }
    let ran = nnc(&["list", "optimizers"]).expect(0);
    assert!(
        ran.stdout
            .contains("sgd(lr*, momentum: 0, nesterov: false, dampening: 0)"),
        "{}",
        ran.stdout
    );
    let ran = nnc(&["list", "codes"]).expect(0);
    assert!(ran.stdout.contains("E302") && ran.stdout.contains("W506"));
    let ran = nnc(&["list", "optimzers"]).expect(2);
    assert!(
        ran.stderr.contains("did you mean `optimizers`"),
        "{}",
        ran.stderr
    );
    let ran = nnc(&["explain", "E0302"]).expect(0);
    assert!(
        ran.stdout
            .starts_with("E302 output width does not match the number of classes")
    );
    nnc(&["explain", "E999"]).expect(2);
}

/// The flags each command takes beyond `--quiet` and `--format`: its help lists these and no
/// other shared flag.
const SHARED_FLAGS: [(&str, &[&str]); 13] = [
    ("run", &["--set", "--seed", "--threads", "--out"]),
    ("check", &["--set"]),
    ("gradcheck", &["--set", "--seed", "--threads"]),
    ("grad", &["--set", "--seed", "--threads"]),
    ("doctor", &["--set", "--seed", "--threads", "--out"]),
    ("eval", &["--set", "--threads"]),
    ("predict", &["--set", "--threads", "--out"]),
    ("export", &["--set", "--out"]),
    ("bench", &["--set", "--seed", "--threads"]),
    ("search", &["--set", "--seed", "--threads", "--out"]),
    ("compare", &[]),
    ("list", &[]),
    ("explain", &[]),
];

/// Every command's help fits 80 columns, has an example, and lists exactly the shared flags
/// the command uses; the top-level help lists every command.
#[test]
fn help_lists_every_command_with_its_own_flags_in_80_columns() {
    let ran = nnc(&["--help"]).expect(0);
    assert!(ran.stdout.contains("Examples:\n  nnc run models/spiral.nn"));
    let too_wide = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.chars().count() > 80)
            .map(str::to_string)
            .collect()
    };
    assert_eq!(too_wide(&ran.stdout), Vec::<String>::new());
    for (command, flags) in SHARED_FLAGS {
        assert!(
            ran.stdout.contains(&format!("\n  {command} ")),
            "{command}: {}",
            ran.stdout
        );
        let help = nnc(&[command, "--help"]).expect(0).stdout;
        assert!(
            help.contains("Example: nnc ")
                || help.contains("Example:\n  nnc ")
                || help.contains("Examples:\n  nnc "),
            "{command}: {help}"
        );
        assert_eq!(too_wide(&help), Vec::<String>::new(), "{command}");
        for flag in ["--set", "--seed", "--threads", "--out"] {
            assert_eq!(
                help.contains(&format!("{flag} <")),
                flags.contains(&flag),
                "{command} {flag}: {help}"
            );
        }
        for flag in ["--quiet", "--format"] {
            assert!(help.contains(flag), "{command} {flag}");
        }
    }
}

/// A shared flag given to a command that does not take it is refused (it used to be accepted
/// and ignored), naming the commands that take it, instead of the parser's tip to pass it
/// as a value.
#[test]
fn a_flag_of_another_command_names_its_owner() {
    let ran = nnc(&["run", "models/spiral.nn", "--resume"]).expect(2);
    assert!(
        ran.stderr.contains("`nnc run` takes no `--resume` flag")
            && ran.stderr.contains("is a flag of `nnc search`")
            && !ran.stderr.contains("-- --resume"),
        "{}",
        ran.stderr
    );
    let ran = nnc(&["check", "models/spiral.nn", "--out", "/tmp/x"]).expect(2);
    assert!(
        ran.stderr.contains("`nnc check` takes no `--out` flag")
            && ran.stderr.contains("`nnc run`")
            && ran.stderr.contains("`nnc export`"),
        "{}",
        ran.stderr
    );
    let ran = nnc(&["compare", "runs/a", "--set", "lr=1", "--format", "json"]).expect(2);
    let record: serde_json::Value = serde_json::from_str(ran.stdout.trim()).unwrap();
    assert_eq!(record["type"], "error");
    assert!(
        record["message"]
            .as_str()
            .unwrap()
            .contains("`nnc compare` takes no `--set` flag"),
        "{record}"
    );
}

/// The `--set` in every help example names a param of its model file with a value of the
/// right type (`nnc run --help` showed `--set steps=2000`, which fails with E507).
#[test]
fn help_examples_set_real_params() {
    let mut texts = vec![nnc(&["--help"]).expect(0).stdout];
    for (command, _) in SHARED_FLAGS {
        texts.push(nnc(&[command, "--help"]).expect(0).stdout);
    }
    let mut checked = 0;
    for line in texts.iter().flat_map(|t| t.lines()) {
        let Some(at) = line.find("nnc ") else {
            continue;
        };
        let words: Vec<&str> = line[at..].split_whitespace().collect();
        let Some(model) = words.iter().find(|w| w.ends_with(".nn")) else {
            continue;
        };
        let mut args = vec!["check", *model];
        for pair in words.windows(2).filter(|w| w[0] == "--set") {
            args.extend(["--set", pair[1]]);
        }
        if args.len() > 2 {
            let ran = nnc(&args).expect(0);
            assert!(
                ran.stderr.is_empty() || !ran.stderr.contains("error"),
                "{line}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "no help example with --set was checked");
}

/// With `--format json`, standard output is JSON lines: findings as they happen, then the
/// summary.
#[test]
fn json_output_is_one_object_per_line() {
    let dir = scratch("json");
    let out = dir.join("run");
    let ran = nnc(&[
        "run",
        "models/wine.nn",
        "--set",
        "n_epochs=5",
        "--format",
        "json",
        "--seed",
        "3",
        "--threads",
        "1",
        "--out",
        out.to_str().unwrap(),
    ])
    .expect(0);
    let records: Vec<serde_json::Value> = ran
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(records.first().unwrap()["type"], "finding");
    assert_eq!(records.first().unwrap()["check"], "initial_loss");
    let summary = records.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["seed"], 3);
    assert_eq!(summary["overrides"][0], "n_epochs=5");
    // The resolved model records the override and the seed.
    let resolved = std::fs::read_to_string(out.join("model.nn")).unwrap();
    assert!(
        resolved.contains("param n_epochs = 5  # --set (default: 100)"),
        "{resolved}"
    );
    assert!(resolved.contains("# Training seed: --seed 3"), "{resolved}");
    let ran = nnc(&["check", "models/wine.nn", "--shapes", "--format", "json"]).expect(0);
    let check: serde_json::Value = serde_json::from_str(ran.stdout.trim()).unwrap();
    assert_eq!(check["parameters"], 547);
    assert_eq!(check["shapes"]["rows"][0]["layer"], "dense1");
    let _ = root();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--quiet` prints results and errors only: the run summary keeps the babysitter's errors and
/// counts its warnings without their text, no finding is printed as it happens, and `predict
/// --out` without labels prints nothing.
#[test]
fn quiet_prints_results_and_errors_only() {
    let dir = scratch("quiet");
    let out = dir.join("run");
    let ran = nnc(&[
        "run",
        "tests/data/faults/wine_raw.nn",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ])
    .expect(3);
    assert!(
        ran.stdout.contains("(the warnings are in summary.json)")
            && ran.stdout.contains("  - error [divergence]"),
        "{}",
        ran.stdout
    );
    let everything = format!("{}{}", ran.stdout, ran.stderr);
    assert!(!everything.contains("warning ["), "{everything}");
    assert!(!everything.contains("ok ["), "{everything}");
    // Without -q the same summary lists the warnings.
    let loud = nnc(&[
        "run",
        "tests/data/faults/wine_raw.nn",
        "--out",
        dir.join("loud").to_str().unwrap(),
    ])
    .expect(3);
    assert!(loud.stdout.contains("  - warning ["), "{}", loud.stdout);
    let digits = dir.join("digits");
    nnc(&[
        "run",
        "models/digits.nn",
        "--set",
        "n_epochs=1",
        "-q",
        "--out",
        digits.to_str().unwrap(),
    ])
    .expect(0);
    let predictions = dir.join("p.csv");
    let ran = nnc(&[
        "predict",
        "models/digits.nn",
        "models/data/digits_new.csv",
        "--weights",
        digits.join("weights.safetensors").to_str().unwrap(),
        "--out",
        predictions.to_str().unwrap(),
        "-q",
    ])
    .expect(0);
    assert_eq!((ran.stdout.as_str(), ran.stderr.as_str()), ("", ""));
    assert!(
        std::fs::read_to_string(&predictions)
            .unwrap()
            .starts_with("predicted,")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// docs/babysitter.md shows `nnc doctor models/spiral.nn` word for word (it had drifted from
/// the output).
#[test]
fn the_doctor_example_in_the_docs_is_the_real_output() {
    let doc = std::fs::read_to_string(root().join("docs/babysitter.md")).unwrap();
    let start = doc
        .find("On the spiral recipe every step passes")
        .expect("the doctor example");
    let block = doc[start..].split("```").nth(1).expect("a code block");
    let ran = nnc(&["doctor", "models/spiral.nn"]).expect(0);
    let trimmed =
        |t: &str| -> Vec<String> { t.lines().map(|l| l.trim_end().to_string()).collect() };
    // The header goes to standard error, the steps to standard output.
    let shown = format!("{}{}", ran.stderr, ran.stdout);
    assert_eq!(trimmed(block.trim_start_matches('\n')), trimmed(&shown));
}
