//! `mpirun -np N nnc search` (cargo feature `mpi`): the ranks' `trials.jsonl` equals a single
//! process's (`--jobs 1`) apart from the timings and the rank that ran each trial — a random
//! search in two stages on 2 and 3 ranks, successive halving, and searches resumed on 3 ranks
//! from a partial `trials.jsonl` (cut short, or left by a search stopped with `SIGUSR1`,
//! which `mpirun` forwards to every rank). Needs `mpirun` (OpenMPI) on the path.

#![cfg(feature = "mpi")]

mod common;

use common::{root, scratch};
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// One search at a time: each already runs on every core.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// What a command printed, with its exit code; panics unless it exited with `code`.
fn expect(mut command: Command, code: i32) -> String {
    let out = command.output().expect("the command starts");
    let text = format!(
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(code), "{command:?}\n{text}");
    text
}

/// `nnc search model args… --threads 1 --out out`, one process, one trial at a time.
fn single(model: &str, args: &[&str], out: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nnc"));
    command
        .args(["search", model, "--jobs", "1", "--threads", "1", "--out"])
        .arg(out)
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1");
    command
}

/// `mpirun -np ranks nnc search model args… --threads 1 --out out`.
fn on_ranks(ranks: usize, model: &str, args: &[&str], out: &Path) -> Command {
    let mut command = Command::new("mpirun");
    command
        .args(["-np", &ranks.to_string()])
        .arg(env!("CARGO_BIN_EXE_nnc"))
        .args(["search", model, "--threads", "1", "--out"])
        .arg(out)
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1");
    command
}

/// The records of `trials.jsonl` in `dir`.
fn trials(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("trials.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The records without what may differ between runs: the timings (`seconds`) and the rank.
fn comparable(records: &[serde_json::Value]) -> Vec<serde_json::Value> {
    records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            let fields = r.as_object_mut().unwrap();
            fields.remove("seconds");
            fields.remove("rank");
            r
        })
        .collect()
}

/// Checks the ranks' records against the single process's: the same trials, values and
/// results in the same order; every record names a rank of the job, and not all the same.
fn check_same(ranks: usize, single: &[serde_json::Value], ran: &[serde_json::Value]) {
    assert_eq!(comparable(ran), comparable(single), "on {ranks} ranks");
    assert!(single.iter().all(|r| r.get("rank").is_none()));
    let used: std::collections::BTreeSet<u64> =
        ran.iter().map(|r| r["rank"].as_u64().unwrap()).collect();
    assert!(used.iter().all(|&r| r < ranks as u64), "{used:?}");
    assert!(used.len() > 1, "one rank ran every trial: {used:?}");
}

#[test]
fn a_search_in_stages_on_2_and_3_ranks_records_what_one_process_records_and_resumes() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = scratch("mpi-search-stages");
    let (model, args) = ("models/search.nn", ["--seed", "1", "--trials", "6"]);
    expect(single(model, &args, &dir.join("one")), 0);
    let reference = trials(&dir.join("one"));
    assert_eq!(reference.len(), 12, "6 coarse and 6 fine trials");
    for ranks in [2, 3] {
        let out = dir.join(format!("np{ranks}"));
        let printed = expect(on_ranks(ranks, model, &args, &out), 0);
        assert!(
            printed.contains(&format!("{ranks} at a time (one per rank, 1 thread each)")),
            "{printed}"
        );
        check_same(ranks, &reference, &trials(&out));
        // Rank 0 alone writes; no trial writes TensorBoard files on several ranks.
        assert!(out.join("best.nn").exists() && out.join("leaderboard.txt").exists());
        assert!(!out.join("trials").exists());
    }

    // Interrupted in the fine stage: the coarse stage and two fine trials are kept (what
    // Ctrl-C leaves); 3 ranks run the rest, the fine space narrowed around the read records.
    let resumed = dir.join("resumed");
    std::fs::create_dir_all(&resumed).unwrap();
    std::fs::copy(dir.join("one/search.json"), resumed.join("search.json")).unwrap();
    let kept: String = reference[..8].iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(resumed.join("trials.jsonl"), kept).unwrap();
    let printed = expect(
        on_ranks(3, model, &[&args[..], &["--resume"]].concat(), &resumed),
        0,
    );
    assert!(
        printed.contains("resuming: 8 of 12 trials finished before"),
        "{printed}"
    );
    let records = trials(&resumed);
    assert_eq!(comparable(&records), comparable(&reference));
    // The kept records are as they were (no rank); the resumed ones name theirs.
    assert!(records[..8].iter().all(|r| r.get("rank").is_none()));
    assert!(records[8..].iter().all(|r| r["rank"].as_u64().unwrap() < 3));
}

#[test]
fn successive_halving_on_3_ranks_records_what_one_process_records() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = scratch("mpi-search-halving");
    let (model, args) = ("models/halving.nn", ["--trials", "9"]);
    expect(single(model, &args, &dir.join("one")), 0);
    let reference = trials(&dir.join("one"));
    assert!(
        reference.iter().any(|r| r.get("from").is_some()),
        "later rungs promote trials"
    );
    let out = dir.join("np3");
    expect(on_ranks(3, model, &args, &out), 0);
    check_same(3, &reference, &trials(&out));
}

/// Lines in `trials.jsonl` of `dir` (0 while it is missing).
fn finished_trials(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("trials.jsonl")).map_or(0, |t| t.lines().count())
}

#[test]
fn a_search_stopped_with_sigusr1_keeps_its_trials_and_resumes_on_other_ranks() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = scratch("mpi-search-usr1");
    let model = "crates/nnc/tests/search_files/slow.nn";
    expect(single(model, &[], &dir.join("one")), 0);
    let reference = trials(&dir.join("one"));
    assert_eq!(reference.len(), 6);
    // mpirun ends the job at once on Ctrl-C, but forwards SIGUSR1 to every rank: the running
    // trials finish and are kept, and the search ends as an interrupted one (exit code 130).
    let out = dir.join("np2");
    let mut command = on_ranks(2, model, &[], &out);
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while finished_trials(&out) < 1 && start.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let sent = Command::new("kill")
        .args(["-USR1", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let ended = child.wait_with_output().unwrap();
    let printed = String::from_utf8_lossy(&ended.stdout);
    assert_eq!(ended.status.code(), Some(130), "{printed}");
    assert!(printed.contains("interrupted"), "{printed}");
    let said = String::from_utf8_lossy(&ended.stderr);
    assert!(said.contains("interrupted (SIGUSR1)"), "{said}");
    let kept = trials(&out);
    assert!(
        !kept.is_empty() && kept.len() < 6,
        "{} trials kept",
        kept.len()
    );
    assert_eq!(comparable(&kept), comparable(&reference[..kept.len()]));
    // 3 ranks run the rest.
    expect(on_ranks(3, model, &["--resume"], &out), 0);
    assert_eq!(comparable(&trials(&out)), comparable(&reference));
}

#[test]
fn jobs_above_one_is_refused_on_several_ranks() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = scratch("mpi-search-jobs");
    let out = dir.join("s");
    let printed = expect(on_ranks(2, "models/search.nn", &["--jobs", "2"], &out), 2);
    assert!(
        printed.contains("each of the 2 ranks runs one trial at a time"),
        "{printed}"
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn ranks_that_loaded_different_searches_are_refused_before_anything_runs() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = scratch("mpi-search-differ");
    let out = dir.join("s");
    // Two programs in one job (MPMD): rank 1 overrides a param rank 0 does not.
    let mut command = on_ranks(1, "models/search.nn", &["--set", "n_epochs=3"], &out);
    command
        .args([":", "-np", "1"])
        .arg(env!("CARGO_BIN_EXE_nnc"))
        .args(["search", "models/search.nn", "--threads", "1", "--out"])
        .arg(&out)
        .args(["--set", "n_epochs=4"]);
    let printed = expect(command, 1);
    assert!(
        printed.contains("the ranks did not load the same experiment")
            && printed.contains("differ on ranks 1"),
        "{printed}"
    );
    assert!(!out.exists(), "nothing is written");
}
