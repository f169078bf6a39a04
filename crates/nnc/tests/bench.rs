//! `nnc bench` and the benchmark models in models/bench/: the JSON report has every field with
//! sane values (no timing assertions), thread counts give bit-identical weights, bad counts are
//! usage errors, and each `.nn` workload lowers to the same architecture, data shape and
//! training configuration as nnc-bench's library-built workload.

mod common;

use common::{nnc, root};
use nnc::output::Output;
use nnc_bench::Workload;
use nnc_dsl::Purpose;

/// The `bench` record of a JSON run.
fn bench_record(stdout: &str) -> serde_json::Value {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "bench")
        .unwrap_or_else(|| panic!("no bench record in\n{stdout}"))
}

#[test]
fn bench_reports_every_figure_as_json() {
    let args = |threads: &'static str| {
        [
            "bench",
            "models/bench/w1.nn",
            "--steps",
            "20",
            "--repeats",
            "2",
            "--threads",
            threads,
            "--format",
            "json",
        ]
    };
    let ran = nnc(&args("1")).expect(0);
    let r = bench_record(&ran.stdout);
    assert_eq!(r["workload"], "w1_spiral");
    assert_eq!(r["harness"], "step");
    assert_eq!(
        (r["steps"].as_u64(), r["repeats"].as_u64()),
        (Some(20), Some(2))
    );
    assert_eq!(
        (r["threads"].as_u64(), r["warmup"].as_u64()),
        (Some(1), Some(3))
    );
    let ms = |k: &str| r[k].as_f64().unwrap_or_else(|| panic!("{k} in {r}"));
    let (median, min, max) = (ms("median_ms"), ms("min_ms"), ms("max_ms"));
    assert!(0.0 < min && min <= median && median <= max, "{r}");
    assert!((ms("steps_per_s") * median - 1e3).abs() < 1e-6 * 1e3, "{r}");
    assert!(ms("cpu_ms") > 0.0, "{r}");
    assert!(r["peak_rss_kib"].as_u64().is_some_and(|k| k > 0), "{r}");
    // The binary installs the counting allocator, so allocations are counted.
    assert!(ms("allocs_per_step") >= 0.0, "{r}");
    assert!(
        ms("final_loss").is_finite() && ms("final_loss") > 0.0,
        "{r}"
    );
    let checksum = r["checksum"].as_str().unwrap();
    assert!(checksum.len() == 16 && checksum.chars().all(|c| c.is_ascii_hexdigit()));
    // Two threads train bit-identical weights.
    let two = bench_record(&nnc(&args("2")).expect(0).stdout);
    assert_eq!(two["checksum"], r["checksum"]);
    assert_eq!(two["final_loss"], r["final_loss"]);
}

/// `--compare-floor` measures the product rate in the same process and relates the step to
/// the step's product work; without it the work is still counted but no rate is measured.
#[test]
fn compare_floor_relates_the_step_to_its_products() {
    let run = |extra: &[&'static str]| {
        let mut args = vec![
            "bench",
            "models/bench/w1.nn",
            "--steps",
            "10",
            "--repeats",
            "1",
            "--threads",
            "1",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        bench_record(&nnc(&args).expect(0).stdout)
    };
    let with = run(&["--compare-floor"]);
    // w1.nn: 300 rows, 2 → 100 → 3; two forward and three backward products a step.
    let madds = 300.0 * 2.0 * 100.0 * 2.0 + 3.0 * 300.0 * 100.0 * 3.0;
    assert_eq!(
        with["product_gflop_per_step"].as_f64(),
        Some(2.0 * madds / 1e9)
    );
    let floor = &with["floor"];
    let rate = floor["product_gflops"].as_f64().unwrap();
    let floor_ms = floor["floor_ms"].as_f64().unwrap();
    assert!(rate > 0.0 && rate.is_finite(), "{with}");
    assert!((floor_ms - 2.0 * madds / 1e9 / rate * 1e3).abs() < 1e-9 * floor_ms);
    let ratio = floor["ratio"].as_f64().unwrap();
    assert!((ratio - with["median_ms"].as_f64().unwrap() / floor_ms).abs() < 1e-9 * ratio);
    let without = run(&[]);
    assert!(without["floor"].is_null(), "{without}");
    assert_eq!(
        without["product_gflop_per_step"],
        with["product_gflop_per_step"]
    );
}

#[test]
fn bench_text_output_and_usage_errors() {
    let ran = nnc(&[
        "bench",
        "models/bench/w1.nn",
        "--steps",
        "5",
        "--repeats",
        "1",
        "--harness",
        "trainer",
        "--compare-floor",
    ])
    .expect(0);
    assert!(ran.stdout.starts_with("workload harness"), "{}", ran.stdout);
    assert!(ran.stdout.contains("w1_spiral trainer"), "{}", ran.stdout);
    // The floor, in a sentence under the table.
    assert!(ran.stdout.contains("that floor"), "{}", ran.stdout);
    let ran = nnc(&["bench", "models/bench/w1.nn", "--repeats", "0"]).expect(2);
    assert!(
        ran.stderr.contains("--repeats must be at least 1"),
        "{}",
        ran.stderr
    );
    nnc(&["bench", "models/bench/w1.nn", "--steps", "0"]).expect(2);
    let ran = nnc(&[
        "bench",
        "models/bench/w1.nn",
        "--harness",
        "trainer",
        "--warmup",
        "0",
    ])
    .expect(2);
    assert!(ran.stderr.contains("warm-up"), "{}", ran.stderr);
    nnc(&["bench", "models/bench/none.nn"]).expect(2);
}

#[test]
fn bench_models_match_the_library_workloads() {
    let quiet = Output {
        quiet: true,
        ..Output::default()
    };
    for w in Workload::ALL {
        let path = root().join(format!("models/bench/{}.nn", w.name()));
        let loaded = nnc::load::load(&path, &[], Purpose::Run, true, &quiet)
            .unwrap_or_else(|f| panic!("{}: {f}", path.display()));
        let compiled = nnc::load::lower(&loaded, None, None).unwrap();
        let spec = w.spec().unwrap();
        let layers: Vec<_> = compiled.model.layers.iter().map(|(_, s)| *s).collect();
        assert_eq!(layers, spec.layers, "{w}: layers");
        assert_eq!(compiled.model.input_width, spec.features, "{w}: features");
        assert_eq!(compiled.model.loss, spec.loss, "{w}: loss");
        let data = &compiled.data.splits.train;
        assert_eq!(
            (data.len(), data.features(), data.classes()),
            (spec.data.len(), spec.data.features(), spec.data.classes()),
            "{w}: data"
        );
        let (file, lib) = (compiled.train.unwrap(), spec.config);
        assert_eq!(file.optimizer, lib.optimizer, "{w}: optimizer");
        assert_eq!(file.schedule, lib.schedule, "{w}: learning rate");
        assert_eq!(file.penalty, lib.penalty, "{w}: penalty");
        assert_eq!(file.batch, lib.batch, "{w}: batch");
        assert_eq!(
            file.duration,
            nnc_train::Duration::Steps(w.default_steps()),
            "{w}: steps"
        );
    }
}
