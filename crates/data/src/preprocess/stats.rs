//! Column statistics of a row-major `n × d` f64 matrix, summed in a fixed order (row by row)
//! so that results are bit-identical from run to run.

use nnc_tape::Tensor;

/// Adds each row of `x` (`d` columns) to the per-column sums `sum`, row by row: slices of
/// rows added in order give the sums of the whole table, bit for bit.
pub fn add_column_sums(sum: &mut [f64], x: &[f64], d: usize) {
    for row in x.chunks_exact(d.max(1)) {
        for (s, v) in sum.iter_mut().zip(row) {
            *s += v;
        }
    }
}

/// Adds `(x_ij − μ_j)²` of each row of `x` to `sum`, row by row.
pub fn add_squared_deviations(sum: &mut [f64], x: &[f64], d: usize, mean: &[f64]) {
    for row in x.chunks_exact(d.max(1)) {
        for ((s, v), m) in sum.iter_mut().zip(row).zip(mean) {
            *s += (v - m) * (v - m);
        }
    }
}

/// Lowers `lo` and raises `hi` to each column's minimum and maximum over the rows of `x`.
pub fn add_min_max(lo: &mut [f64], hi: &mut [f64], x: &[f64], d: usize) {
    for row in x.chunks_exact(d.max(1)) {
        for j in 0..d.min(row.len()) {
            lo[j] = lo[j].min(row[j]);
            hi[j] = hi[j].max(row[j]);
        }
    }
}

/// The first `n` rows of `x`.
fn rows(x: &[f64], n: usize, d: usize) -> &[f64] {
    &x[..(n * d).min(x.len())]
}

/// Per-column mean: `μ_j = (1/n) Σ_i x_ij`.
pub fn column_means(x: &[f64], n: usize, d: usize) -> Vec<f64> {
    let mut sum = vec![0.0; d];
    add_column_sums(&mut sum, rows(x, n, d), d);
    sum.iter().map(|s| s / n.max(1) as f64).collect()
}

/// Per-column population standard deviation: `σ_j = sqrt((1/n) Σ_i (x_ij − μ_j)²)`.
pub fn column_stds(x: &[f64], n: usize, d: usize, mean: &[f64]) -> Vec<f64> {
    let mut sum = vec![0.0; d];
    add_squared_deviations(&mut sum, rows(x, n, d), d, mean);
    sum.iter().map(|s| (s / n.max(1) as f64).sqrt()).collect()
}

/// Per-column minimum and maximum (`(0, 0)` for an empty matrix).
pub fn column_min_max(x: &[f64], n: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    if n == 0 {
        return (vec![0.0; d], vec![0.0; d]);
    }
    let mut lo = vec![f64::INFINITY; d];
    let mut hi = vec![f64::NEG_INFINITY; d];
    add_min_max(&mut lo, &mut hi, rows(x, n, d), d);
    (lo, hi)
}

/// The covariance matrix `C = (1/n) (X − μ)ᵀ (X − μ)` (`d × d`, row-major), the biased
/// estimate the course notes use (`np.dot(X.T, X) / X.shape[0]` on centred data).
pub fn covariance(x: &[f64], n: usize, d: usize, mean: &[f64]) -> nnc_tape::Result<Vec<f64>> {
    let mut centred = x.to_vec();
    for row in centred.chunks_exact_mut(d.max(1)) {
        for (v, m) in row.iter_mut().zip(mean) {
            *v -= m;
        }
    }
    let xc = Tensor::from_vec(centred, &[n, d])?;
    let c = xc.transpose()?.matmul(&xc)?;
    let inv = 1.0 / n.max(1) as f64;
    let mut c = c.into_vec();
    c.iter_mut().for_each(|v| *v *= inv);
    // Exactly symmetric, whatever the matmul's rounding.
    for i in 0..d {
        for j in 0..i {
            let avg = 0.5 * (c[i * d + j] + c[j * d + i]);
            c[i * d + j] = avg;
            c[j * d + i] = avg;
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_a_small_matrix() {
        // Columns (1, 3, 5) and (2, 2, 8).
        let x = [1.0, 2.0, 3.0, 2.0, 5.0, 8.0];
        let m = column_means(&x, 3, 2);
        assert_eq!(m, vec![3.0, 4.0]);
        let s = column_stds(&x, 3, 2, &m);
        assert!((s[0] - (8.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert!((s[1] - 8.0f64.sqrt()).abs() < 1e-15);
        assert_eq!(column_min_max(&x, 3, 2), (vec![1.0, 2.0], vec![5.0, 8.0]));
        let c = covariance(&x, 3, 2, &m).unwrap();
        // var0 = 8/3, var1 = 8, cov = ((-2)(-2) + 0(-2) + 2·4)/3 = 4.
        let want = [8.0 / 3.0, 4.0, 4.0, 8.0];
        for (a, b) in c.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{c:?}");
        }
    }
}
