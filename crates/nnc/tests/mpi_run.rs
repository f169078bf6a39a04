//! Data-parallel `nnc run` and `nnc grad` under `mpirun` (cargo feature `mpi`; CI runs them
//! with OpenMPI): N ranks compute what one process computes — gradients to 1e-12 in f64, a
//! short training run within f32 rounding, bit-identical from run to run — and bad setups
//! get clear errors.

#![cfg(feature = "mpi")]

mod common;

use common::{Ran, nnc, root, scratch};
use nnc_train::checkpoint::load_tensors;
use std::path::Path;
use std::process::Command;

/// Runs `mpirun -np <ranks> nnc args…` in the repository root (each rank one thread).
fn mpirun(ranks: usize, args: &[&str]) -> Ran {
    let np = ranks.to_string();
    let mut all = vec!["-np", &np, env!("CARGO_BIN_EXE_nnc")];
    all.extend_from_slice(args);
    launch(&all)
}

/// Runs `mpirun args…` (the launcher's own arguments included) in the repository root.
fn launch(args: &[&str]) -> Ran {
    let out = Command::new("mpirun")
        .args(args)
        .current_dir(root())
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .env("NO_COLOR", "1")
        .output()
        .expect("mpirun (install OpenMPI: .ci/run does)");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs two programs side by side as ranks 0 and 1 (an MPMD launch): `nnc first…` and
/// `nnc second…`.
fn two_programs(first: &[&str], second: &[&str]) -> Ran {
    let nnc = env!("CARGO_BIN_EXE_nnc");
    let mut args = vec!["-np", "1", nnc];
    args.extend_from_slice(first);
    args.extend_from_slice(&[":", "-np", "1", nnc]);
    args.extend_from_slice(second);
    launch(&args)
}

/// Every tensor of a safetensors file, by name.
fn tensors(path: &Path) -> Vec<(String, Vec<f64>)> {
    load_tensors::<f64>(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .tensors
        .into_iter()
        .map(|(n, t)| (n, t.data().to_vec()))
        .collect()
}

/// The largest difference between two files' tensors, relative to each tensor's largest
/// magnitude.
fn worst_difference(a: &Path, b: &Path) -> f64 {
    let (a, b) = (tensors(a), tensors(b));
    assert_eq!(
        a.iter().map(|t| &t.0).collect::<Vec<_>>(),
        b.iter().map(|t| &t.0).collect::<Vec<_>>()
    );
    a.iter()
        .zip(&b)
        .map(|((_, x), (_, y))| {
            let scale = x.iter().fold(0f64, |m, v| m.max(v.abs())).max(1e-300);
            x.iter()
                .zip(y)
                .fold(0f64, |m, (u, v)| m.max((u - v).abs() / scale))
        })
        .fold(0.0, f64::max)
}

#[test]
fn gradients_on_two_and_three_ranks_equal_one_process_to_1e_12() {
    let dir = scratch("mpi-grad");
    let one = dir.join("one");
    let args = |d: &Path| {
        vec![
            "grad".to_string(),
            "models/deep_bn.nn".into(),
            "--dump".into(),
            d.display().to_string(),
        ]
    };
    let a = args(&one);
    nnc(&a.iter().map(String::as_str).collect::<Vec<_>>()).expect(0);
    for ranks in [2, 3] {
        let many = dir.join(format!("ranks{ranks}"));
        let a = args(&many);
        let ran = mpirun(ranks, &a.iter().map(String::as_str).collect::<Vec<_>>()).expect(0);
        // Rank 0 alone prints the report.
        assert_eq!(ran.stdout.matches("gradients of `deep_bn`").count(), 1);
        let worst = worst_difference(
            &one.join("grads.safetensors"),
            &many.join("grads.safetensors"),
        );
        assert!(
            worst <= 1e-12,
            "{ranks} ranks: gradients differ by {worst:e}"
        );
        // The same batch, so the difference is the sums' rounding alone (and not zero: the
        // shards really were computed apart).
        assert!(
            worst > 0.0,
            "{ranks} ranks: suspiciously identical gradients"
        );
    }
}

#[test]
fn a_short_data_parallel_run_trains_the_model_one_process_trains() {
    // 8 × (dense 64 + batch norm): the gradients (≈35,000 values) take the ring, the batch
    // norm sums the allgather.
    let dir = scratch("mpi-run");
    let run = |ranks: usize, name: &str| {
        let out = dir.join(name);
        let out_s = out.display().to_string();
        let args = [
            "run",
            "models/deep_bn.nn",
            "--set",
            "n_epochs=2",
            "--threads",
            "1",
            "--out",
            &out_s,
        ];
        match ranks {
            1 => nnc(&args).expect(0),
            n => mpirun(n, &args).expect(0),
        };
        out
    };
    let one = run(1, "one");
    let two = run(2, "two");
    let two_again = run(2, "two-again");
    let three = run(3, "three");
    let weights = |d: &Path| d.join("weights.safetensors");
    // The same bits from run to run for a given N.
    assert_eq!(
        std::fs::read(weights(&two)).unwrap(),
        std::fs::read(weights(&two_again)).unwrap()
    );
    for d in [&two, &three] {
        let worst = worst_difference(&weights(&one), &weights(d));
        assert!(worst < 1e-3, "{}: weights differ by {worst:e}", d.display());
        let summary = |d: &Path| -> serde_json::Value {
            serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap()).unwrap()
        };
        let (s1, sn) = (summary(&one), summary(d));
        let acc = |s: &serde_json::Value| s["val"]["accuracy"].as_f64();
        let (a1, an) = (acc(&s1), acc(&sn));
        assert!(a1.is_some(), "no final val accuracy in summary.json: {s1}");
        assert!(
            (a1.unwrap() - an.unwrap()).abs() <= 0.01,
            "val accuracy {a1:?} vs {an:?}"
        );
    }
    // Only rank 0 wrote a run directory, and the checkpoints are there.
    assert!(two.join("checkpoints/last.safetensors").exists());
    // A run directory rank 0 cannot use stops every rank, said once.
    let out_s = two.display().to_string();
    let again = mpirun(2, &["run", "models/deep_bn.nn", "--out", &out_s]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert_eq!(
        again.stderr.matches("already holds a run").count(),
        1,
        "{}",
        again.stderr
    );
}

#[test]
fn more_ranks_than_rows_in_a_batch_is_a_clear_error() {
    let dir = scratch("mpi-small-batch");
    let text = std::fs::read_to_string(root().join("models/deep_bn.nn"))
        .unwrap()
        .replace("batch 64", "batch 2")
        .replace(
            "\"data/digits.csv\"",
            &format!("\"{}\"", root().join("models/data/digits.csv").display()),
        );
    let model = dir.join("tiny_batch.nn");
    std::fs::write(&model, text).unwrap();
    let out = dir.join("out").display().to_string();
    let bad = mpirun(
        3,
        &[
            "run",
            model.to_str().unwrap(),
            "--threads",
            "1",
            "--out",
            &out,
        ],
    );
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr.contains("3 ranks share each batch") && bad.stderr.contains("only 2 rows"),
        "{}",
        bad.stderr
    );
    // Said once (by rank 0), not once per rank.
    assert_eq!(
        bad.stderr.matches("ranks share each batch").count(),
        1,
        "{}",
        bad.stderr
    );
}

#[test]
fn ranks_that_load_different_experiments_are_refused() {
    // Different --set overrides on the two ranks (MPMD launch).
    let ran = two_programs(
        &["grad", "models/deep_bn.nn", "--set", "width=16"],
        &["grad", "models/deep_bn.nn", "--set", "width=32"],
    );
    assert_ne!(ran.code, 0);
    assert!(
        ran.stderr.contains("did not load the same experiment")
            && ran.stderr.contains("differ on ranks 1"),
        "{}",
        ran.stderr
    );
    // The same model file text, different data beside it.
    let dir = scratch("mpi-different-data");
    let text = std::fs::read_to_string(root().join("models/deep_bn.nn")).unwrap();
    let csv = std::fs::read_to_string(root().join("models/data/digits.csv")).unwrap();
    for (k, data) in [csv.clone(), csv.replacen("\n0,", "\n1,", 1)]
        .iter()
        .enumerate()
    {
        let d = dir.join(format!("node{k}"));
        std::fs::create_dir_all(d.join("data")).unwrap();
        std::fs::write(d.join("m.nn"), &text).unwrap();
        std::fs::write(d.join("data/digits.csv"), data).unwrap();
    }
    let (m0, m1) = (dir.join("node0/m.nn"), dir.join("node1/m.nn"));
    let ran = two_programs(
        &["grad", m0.to_str().unwrap()],
        &["grad", m1.to_str().unwrap()],
    );
    assert_ne!(ran.code, 0);
    assert!(
        ran.stderr.contains("the data differs on ranks 1"),
        "{}",
        ran.stderr
    );
}

#[test]
fn commands_that_run_on_one_process_say_so() {
    let ran = mpirun(2, &["check", "models/spiral.nn"]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("`nnc check` runs on one process"),
        "{}",
        ran.stderr
    );
    assert_eq!(ran.stderr.matches("runs on one process").count(), 1);
}

#[test]
fn a_killed_rank_ends_the_job_and_leaves_the_last_checkpoint_intact() {
    let (mut child, out_s, last) = train_until_checkpoint("mpi-killed");
    let started = std::time::Instant::now();
    // Kill rank 1: the process whose command line names our run directory and rank 1.
    let victim = ranks_of(&out_s)
        .into_iter()
        .find(|(_, rank)| *rank == 1)
        .map(|(pid, _)| pid)
        .expect("rank 1 is running");
    Command::new("kill")
        .args(["-9", &victim.to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the job must fail when a rank dies");
    assert!(started.elapsed().as_secs() < 120);
    // The last checkpoint is whole and loads.
    let t = load_tensors::<f32>(&last).expect("the last checkpoint loads");
    assert!(t.metadata.contains_key("step"));
}

/// Starts a long data-parallel run on 2 ranks in a fresh scratch directory `name` and waits
/// for its first checkpoint: the job, its run directory and the checkpoint's path.
fn train_until_checkpoint(name: &str) -> (std::process::Child, String, std::path::PathBuf) {
    let out = scratch(name).join("run");
    let out_s = out.display().to_string();
    let child = Command::new("mpirun")
        .args([
            "-np",
            "2",
            env!("CARGO_BIN_EXE_nnc"),
            "run",
            "models/deep_bn.nn",
        ])
        .args(["--set", "n_epochs=400", "--threads", "1", "--out", &out_s])
        .current_dir(root())
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let last = out.join("checkpoints/last.safetensors");
    let started = std::time::Instant::now();
    while !last.exists() {
        assert!(started.elapsed().as_secs() < 60, "no checkpoint after 60 s");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (child, out_s, last)
}

/// The pids and ranks of this machine's `nnc` processes whose command line contains `marker`.
fn ranks_of(marker: &str) -> Vec<(u32, usize)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        if !cmdline.contains(marker) || cmdline.starts_with("mpirun") {
            continue;
        }
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        let rank = String::from_utf8_lossy(&environ)
            .split('\0')
            .find_map(|v| v.strip_prefix("OMPI_COMM_WORLD_RANK=").map(str::to_string))
            .and_then(|r| r.parse().ok());
        if let Some(rank) = rank {
            found.push((pid, rank));
        }
    }
    found
}

#[test]
fn sigusr1_stops_every_rank_after_the_same_step_and_keeps_the_run() {
    let (mut child, out_s, _) = train_until_checkpoint("mpi-usr1");
    let out = Path::new(&out_s);
    Command::new("kill")
        .args(["-USR1", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "interrupted runs exit with 130");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(summary.to_string().contains("interrupted"), "{summary}");
    assert!(out.join("weights.safetensors").exists());
    assert!(load_tensors::<f32>(&out.join("checkpoints/last.safetensors")).is_ok());
}
