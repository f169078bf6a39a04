//! The `nnc` command line.

mod plots;

fn main() {
    println!("nnc");
}
