//! The `nnc` command line.

// The charts are drawn by `nnc run`, which is being wired up; until then only tests use them.
#[allow(dead_code)]
mod plots;

fn main() {
    println!("nnc");
}
