//! The `nnc` command line (see the `nnc` library crate and `docs/cli.md`).

fn main() {
    std::process::exit(nnc::cli::main(std::env::args_os()));
}
