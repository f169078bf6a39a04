//! Loads one CSV file with `load_csv` and reports its size, the load time and the process's
//! peak memory, for comparing the loader with `bench/pandas_read_csv.py` on the same file.
//!
//! Run: `cargo run --release -p nnc-data --example csv_scale -- FILE [REPEATS]`.
//! The load is repeated `REPEATS` times (default 3) and the best time is shown. The peak RSS
//! (`VmHWM` of `/proc/self/status`) is that of this process, so use one process per file.

use nnc_data::{CsvOptions, load_csv};
use std::time::Instant;

/// A field of `/proc/self/status` in kB (`VmHWM`, `VmRSS`), or 0 where there is none.
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: csv_scale FILE [REPEATS] (default 3)")?;
    let repeats: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    let bytes = std::fs::metadata(&path)?.len() as f64;
    let start_rss = status_kb("VmRSS:");
    let mut best = f64::INFINITY;
    let mut shape = (0, 0);
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        let data = load_csv(&path, &CsvOptions::default())?;
        best = best.min(t.elapsed().as_secs_f64());
        shape = (data.len(), data.features());
    }
    let f32_mb = (shape.0 * shape.1 * 4) as f64 / 1e6;
    let peak_mb = status_kb("VmHWM:") as f64 * 1024.0 / 1e6;
    let start_mb = start_rss as f64 * 1024.0 / 1e6;
    println!("file           {path} ({:.1} MB)", bytes / 1e6);
    println!("rows x columns {} x {}", shape.0, shape.1);
    println!("seconds        {best:.3} (best of {repeats})");
    println!("MB/s           {:.1}", bytes / 1e6 / best);
    println!("f32 data       {f32_mb:.1} MB");
    println!("peak RSS       {peak_mb:.1} MB (at start {start_mb:.1} MB)");
    println!("peak / f32     {:.2}", peak_mb / f32_mb);
    Ok(())
}
