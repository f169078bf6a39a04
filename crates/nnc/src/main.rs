//! The `nnc` command line (see the `nnc` library crate and `docs/cli.md`).

/// Counts allocations (for `nnc bench`'s allocations per step); otherwise the system allocator.
#[global_allocator]
static GLOBAL: nnc_bench::CountingAllocator = nnc_bench::CountingAllocator;

fn main() {
    std::process::exit(nnc::cli::main(std::env::args_os()));
}
