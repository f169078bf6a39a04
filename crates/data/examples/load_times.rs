//! Times loading the digits data set as CSV and as IDX (gzip labels), checks that both give
//! the same tensors, and reports how many principal components keep 99 % of the variance.
//!
//! Run from the repository root: `cargo run --release -p nnc-data --example load_times`.

use nnc_data::{CsvOptions, PcaKeep, Pipeline, Step, load_csv, load_idx};
use std::time::{Duration, Instant};

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.expect("runs >= 1"))
}

fn main() -> Result<(), nnc_data::DataError> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/data");
    let runs = 20;
    let (csv_time, csv) = best_of(runs, || {
        load_csv(format!("{root}/digits.csv"), &CsvOptions::default())
    });
    let csv = csv?;
    let (idx_time, idx) = best_of(runs, || {
        load_idx(
            format!("{root}/digits-images-idx3-ubyte"),
            format!("{root}/digits-labels-idx1-ubyte.gz"),
        )
    });
    let idx = idx?;
    assert_eq!(csv.inputs(), idx.inputs());
    assert_eq!(csv.labels(), idx.labels());
    println!(
        "digits ({} rows x {} features), best of {runs}:",
        csv.len(),
        csv.features()
    );
    println!(
        "  CSV (266 KB text):               {:>8.2} ms",
        csv_time.as_secs_f64() * 1e3
    );
    println!(
        "  IDX (115 KB images + gz labels): {:>8.2} ms",
        idx_time.as_secs_f64() * 1e3
    );
    println!(
        "  ratio CSV / IDX:                 {:>8.1}x",
        csv_time.as_secs_f64() / idx_time.as_secs_f64()
    );

    for v in [0.9, 0.95, 0.99] {
        let pipeline = Pipeline::new(vec![
            Step::Center,
            Step::Pca {
                keep: PcaKeep::Variance(v),
            },
        ])?;
        let t = Instant::now();
        let fitted = pipeline.fit(&csv)?;
        println!(
            "  pca(variance: {v}) on all {} rows keeps {} of {} components (fit {:.2} ms)",
            csv.len(),
            fitted.output_features(),
            csv.features(),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}
