//! `nnc grad` prints the library's report: the snapshots a Rust user takes with
//! `nnc_dsl::ModelFile::gradient_report` (`crates/user-tests`) equal the command's output
//! byte for byte.

mod common;

use common::{nnc, root};

/// The body of an insta snapshot file (after its `---` header).
fn snapshot_body(name: &str) -> String {
    let path = root().join("crates/user-tests/tests/snapshots").join(name);
    let text = std::fs::read_to_string(&path).expect("the user-tests snapshot");
    let body = text.splitn(3, "---\n").nth(2).expect("an insta header");
    body.to_string()
}

#[test]
fn nnc_grad_prints_the_librarys_gradient_report() {
    for (file, set, snapshot) in [
        ("models/spiral.nn", None, "as_a_user__spiral_grad_f64.snap"),
        (
            "models/deep_bn.nn",
            Some("width=16"),
            "as_a_user__deep_bn_grad_f64.snap",
        ),
    ] {
        let mut args = vec!["grad", file, "--dtype", "f64"];
        if let Some(s) = set {
            args.extend(["--set", s]);
        }
        let ran = nnc(&args).expect(0);
        assert_eq!(
            ran.stdout.trim_end(),
            snapshot_body(snapshot).trim_end(),
            "{file}"
        );
    }
}
