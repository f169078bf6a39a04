//! Helpers shared by the integration tests: paths to the project's data copies.

#![allow(dead_code)]

use nnc_data::{CsvOptions, Dataset, load_csv, load_idx};

/// A file in the project's `models/data/` folder.
pub fn data_file(name: &str) -> String {
    format!("{}/../../models/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Digits from the CSV copy.
pub fn digits_csv() -> Dataset {
    load_csv(data_file("digits.csv"), &CsvOptions::default()).expect("digits.csv loads")
}

/// Digits from the IDX copy (gzip labels).
pub fn digits_idx() -> Dataset {
    load_idx(
        data_file("digits-images-idx3-ubyte"),
        data_file("digits-labels-idx1-ubyte.gz"),
    )
    .expect("digits IDX loads")
}

/// Wine from the CSV copy.
pub fn wine() -> Dataset {
    load_csv(data_file("wine.csv"), &CsvOptions::label("label")).expect("wine.csv loads")
}

/// Per-column mean and population std of an f32 `[n, d]` matrix, in f64.
pub fn mean_std(x: &nnc_tape::Tensor<f32>) -> (Vec<f64>, Vec<f64>) {
    let (n, d) = x.dims2("mean_std").unwrap();
    let mut mean = vec![0.0; d];
    for row in x.data().chunks_exact(d) {
        mean.iter_mut()
            .zip(row)
            .for_each(|(m, &v)| *m += f64::from(v));
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut var = vec![0.0; d];
    for row in x.data().chunks_exact(d) {
        for ((s, &v), m) in var.iter_mut().zip(row).zip(&mean) {
            *s += (f64::from(v) - m).powi(2);
        }
    }
    (mean, var.iter().map(|v| (v / n as f64).sqrt()).collect())
}

/// The covariance `(1/n)(X − μ)ᵀ(X − μ)` of an f32 `[n, d]` matrix, in f64, row-major.
pub fn covariance(x: &nnc_tape::Tensor<f32>) -> Vec<f64> {
    let (n, d) = x.dims2("covariance").unwrap();
    let (mean, _) = mean_std(x);
    let mut c = vec![0.0; d * d];
    for row in x.data().chunks_exact(d) {
        let centred: Vec<f64> = row
            .iter()
            .zip(&mean)
            .map(|(&v, m)| f64::from(v) - m)
            .collect();
        for (a, va) in centred.iter().enumerate() {
            for (b, vb) in centred.iter().enumerate() {
                c[a * d + b] += va * vb;
            }
        }
    }
    c.iter_mut().for_each(|v| *v /= n as f64);
    c
}
