//! Generated, seeded data sets: the CS231n spiral, concentric circles, Gaussian blobs, XOR
//! and pure noise. The same generator state gives bit-identical rows; rows come out grouped by
//! class (class 0 first), as in the course notes — shuffle them with a split.

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use nnc_tape::{Rng, Tensor};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

fn normal(rng: &mut Rng) -> f64 {
    StandardNormal.sample(rng)
}

fn check_noise(what: &'static str, noise: f64) -> Result<()> {
    if noise.is_finite() && noise >= 0.0 {
        Ok(())
    } else {
        Err(DataError::invalid(
            what,
            format!("noise must be a finite standard deviation >= 0, got {noise}"),
        ))
    }
}

fn check_count(what: &'static str, name: &str, value: usize) -> Result<()> {
    if value == 0 {
        Err(DataError::invalid(
            what,
            format!("{name} must be at least 1"),
        ))
    } else {
        Ok(())
    }
}

fn build(x: Vec<f64>, labels: Vec<usize>, d: usize, classes: usize) -> Result<Dataset> {
    build_f32(
        x.into_iter().map(|v| v as f32).collect(),
        labels,
        d,
        classes,
    )
}

fn build_f32(x: Vec<f32>, labels: Vec<usize>, d: usize, classes: usize) -> Result<Dataset> {
    let n = labels.len();
    Dataset::new(
        Tensor::from_vec(x, &[n, d])?,
        labels,
        Dataset::numbered_classes(classes),
        Dataset::numbered_features("x", d),
    )
}

/// The CS231n spiral: `classes` interleaved arms of `points` points each, 2 features.
///
/// For class `j` and `i = 0..N` (`N = points`):
/// `r_i = i / (N - 1)` (`linspace(0, 1, N)`),
/// `t_i = 4j + 4i / (N - 1) + noise · z_i` with `z_i ~ N(0, 1)` (`linspace(4j, 4(j+1), N)`
/// plus Gaussian noise of standard deviation `noise`), and the row is
/// `(r_i sin t_i, r_i cos t_i)`. The normals are drawn class by class, in row order.
/// Features lie in `[-1, 1]`, so the notes use no preprocessing.
pub fn spiral(points: usize, classes: usize, noise: f64, rng: &mut Rng) -> Result<Dataset> {
    check_count("spiral", "points", points)?;
    check_count("spiral", "classes", classes)?;
    check_noise("spiral", noise)?;
    let step = if points > 1 {
        1.0 / (points - 1) as f64
    } else {
        0.0
    };
    let mut x = Vec::with_capacity(points * classes * 2);
    let mut y = Vec::with_capacity(points * classes);
    for j in 0..classes {
        for i in 0..points {
            let r = step * i as f64;
            let t = 4.0 * j as f64 + 4.0 * step * i as f64 + noise * normal(rng);
            x.push(r * t.sin());
            x.push(r * t.cos());
            y.push(j);
        }
    }
    build(x, y, 2, classes)
}

/// Two concentric circles (2 classes, `points` each, 2 features): class 0 on the unit circle,
/// class 1 on the circle of radius `factor` (`0 < factor < 1`).
///
/// Point `i` of a class sits at angle `θ_i = 2π i / N` and is
/// `(R cos θ_i + noise · z₁, R sin θ_i + noise · z₂)` with `z ~ N(0, 1)` drawn in row order
/// (scikit-learn's `make_circles`).
pub fn circles(points: usize, noise: f64, factor: f64, rng: &mut Rng) -> Result<Dataset> {
    check_count("circles", "points", points)?;
    check_noise("circles", noise)?;
    if !(factor > 0.0 && factor < 1.0) {
        return Err(DataError::invalid(
            "circles",
            format!("factor (inner radius / outer radius) must be in (0, 1), got {factor}"),
        ));
    }
    let mut x = Vec::with_capacity(points * 4);
    let mut y = Vec::with_capacity(points * 2);
    for (class, radius) in [(0, 1.0), (1, factor)] {
        for i in 0..points {
            let theta = std::f64::consts::TAU * i as f64 / points as f64;
            x.push(radius * theta.cos() + noise * normal(rng));
            x.push(radius * theta.sin() + noise * normal(rng));
            y.push(class);
        }
    }
    build(x, y, 2, 2)
}

/// Isotropic Gaussian blobs: `classes` centres drawn uniformly from `[-10, 10]^features`
/// (first, class by class), then `points` rows per class, `centre_c + std · z` with
/// `z ~ N(0, I)` (scikit-learn's `make_blobs`).
pub fn blobs(
    points: usize,
    classes: usize,
    features: usize,
    std: f64,
    rng: &mut Rng,
) -> Result<Dataset> {
    check_count("blobs", "points", points)?;
    check_count("blobs", "classes", classes)?;
    check_count("blobs", "features", features)?;
    check_noise("blobs", std)?;
    let centres: Vec<f64> = (0..classes * features)
        .map(|_| rng.random_range(-10.0..10.0))
        .collect();
    let mut x = Vec::with_capacity(points * classes * features);
    let mut y = Vec::with_capacity(points * classes);
    for c in 0..classes {
        for _ in 0..points {
            for f in 0..features {
                x.push(centres[c * features + f] + std * normal(rng));
            }
            y.push(c);
        }
    }
    build(x, y, features, classes)
}

/// XOR: 2 classes of `points` rows, 2 features, from four Gaussian clusters of standard
/// deviation `noise` at the corners of the square `(±1, ±1)`. Class 0 is the clusters at
/// `(1, 1)` and `(-1, -1)` (equal signs), class 1 those at `(1, -1)` and `(-1, 1)`; row `i`
/// of a class goes to its first cluster when `i` is even. No linear model separates them.
pub fn xor(points: usize, noise: f64, rng: &mut Rng) -> Result<Dataset> {
    check_count("xor", "points", points)?;
    check_noise("xor", noise)?;
    let corners = [[(1.0, 1.0), (-1.0, -1.0)], [(1.0, -1.0), (-1.0, 1.0)]];
    let mut x = Vec::with_capacity(points * 4);
    let mut y = Vec::with_capacity(points * 2);
    for (class, pair) in corners.iter().enumerate() {
        for i in 0..points {
            let (cx, cy) = pair[i % 2];
            x.push(cx + noise * normal(rng));
            x.push(cy + noise * normal(rng));
            y.push(class);
        }
    }
    build(x, y, 2, 2)
}

/// Pure noise for benchmarks: `rows × features` standard normal features (drawn in row-major
/// order) and labels drawn uniformly from `0..classes` afterwards. Nothing here is learnable.
pub fn random(rows: usize, features: usize, classes: usize, rng: &mut Rng) -> Result<Dataset> {
    check_count("random", "rows", rows)?;
    check_count("random", "features", features)?;
    check_count("random", "classes", classes)?;
    // Rounded to f32 as they are drawn (what `build` does), without an f64 copy of the table.
    let x: Vec<f32> = (0..rows * features).map(|_| normal(rng) as f32).collect();
    let y: Vec<usize> = (0..rows).map(|_| rng.random_range(0..classes)).collect();
    build_f32(x, y, features, classes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnc_tape::rng;

    #[test]
    fn spiral_without_noise_follows_the_formula() {
        let ds = spiral(5, 2, 0.0, &mut rng(0)).unwrap();
        // class 1, point 2: r = 0.5, t = 4 + 2 = 6.
        let row = ds.row(5 + 2);
        assert_eq!(row[0], (0.5 * 6f64.sin()) as f32);
        assert_eq!(row[1], (0.5 * 6f64.cos()) as f32);
        assert_eq!(ds.row(0), &[0.0, 0.0]);
        assert_eq!(ds.row(4), &[(4f64).sin() as f32, (4f64).cos() as f32]);
    }

    #[test]
    fn circles_radii_and_balance() {
        let ds = circles(50, 0.0, 0.5, &mut rng(1)).unwrap();
        assert_eq!(ds.class_counts(), vec![50, 50]);
        for i in 0..100 {
            let r = ds.row(i).iter().map(|v| v * v).sum::<f32>().sqrt();
            let want = if ds.labels()[i] == 0 { 1.0 } else { 0.5 };
            assert!((r - want).abs() < 1e-6, "row {i}: radius {r}");
        }
        assert!(circles(5, 0.1, 1.5, &mut rng(1)).is_err());
    }

    #[test]
    fn blobs_cluster_around_their_centres() {
        let ds = blobs(200, 3, 4, 0.5, &mut rng(2)).unwrap();
        assert_eq!((ds.len(), ds.features(), ds.classes()), (600, 4, 3));
        // Within-class spread matches std.
        let rows: Vec<&[f32]> = (0..200).map(|i| ds.row(i)).collect();
        let mean: f32 = rows.iter().map(|r| r[0]).sum::<f32>() / 200.0;
        let var: f32 = rows.iter().map(|r| (r[0] - mean).powi(2)).sum::<f32>() / 200.0;
        assert!((var.sqrt() - 0.5).abs() < 0.08, "std {}", var.sqrt());
    }

    #[test]
    fn xor_labels_follow_the_sign_rule() {
        let ds = xor(100, 0.1, &mut rng(3)).unwrap();
        for i in 0..ds.len() {
            let r = ds.row(i);
            let same_sign = (r[0] > 0.0) == (r[1] > 0.0);
            assert_eq!(ds.labels()[i], usize::from(!same_sign), "row {i}: {r:?}");
        }
    }

    #[test]
    fn random_has_uniform_labels_and_standard_features() {
        let ds = random(3000, 5, 4, &mut rng(4)).unwrap();
        for count in ds.class_counts() {
            assert!((650..850).contains(&count), "{count}");
        }
        let m = ds.inputs().mean();
        assert!(m.abs() < 0.05, "mean {m}");
        assert!(random(0, 5, 4, &mut rng(4)).is_err());
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(spiral(0, 3, 0.2, &mut rng(0)).is_err());
        assert!(spiral(10, 3, f64::NAN, &mut rng(0)).is_err());
        assert!(xor(10, -1.0, &mut rng(0)).is_err());
    }
}
