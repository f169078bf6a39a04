//! A binary built without the `mpi` feature, started by `mpirun` as several ranks, refuses to
//! run (N copies would each run the whole command, racing on one directory); rank 0 says why,
//! the others exit silently with the same code.

#![cfg(not(feature = "mpi"))]

mod common;

use common::root;
use std::process::Command;

fn as_rank(rank: usize, size: usize, vars: (&str, &str)) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nnc"))
        .args(["run", "models/spiral.nn"])
        .current_dir(root())
        .env(vars.0, rank.to_string())
        .env(vars.1, size.to_string())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_binary_without_mpi_refuses_to_run_as_several_ranks() {
    for vars in [
        ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
        ("PMI_RANK", "PMI_SIZE"),
    ] {
        let (code, stderr) = as_rank(0, 3, vars);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("built without MPI") && stderr.contains("one of 3 ranks"),
            "{stderr}"
        );
        assert!(stderr.contains("--features mpi"), "{stderr}");
        let (code, stderr) = as_rank(2, 3, vars);
        assert_eq!((code, stderr.as_str()), (2, ""));
    }
    // One rank is a single process: it runs (here only checked not to be refused).
    let out = Command::new(env!("CARGO_BIN_EXE_nnc"))
        .args(["check", "models/spiral.nn"])
        .current_dir(root())
        .env("OMPI_COMM_WORLD_RANK", "0")
        .env("OMPI_COMM_WORLD_SIZE", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
}
