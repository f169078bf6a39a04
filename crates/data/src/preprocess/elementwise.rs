//! The per-feature steps: `scale(c)`, `center`, per-channel centring, `normalize` and
//! `minmax(lo, hi)`. Each is fitted on the training rows and applied to any rows.

use super::stats;
use crate::dataset::ImageShape;
use crate::error::{DataError, Result};
use nnc_tape::Tensor;
use serde::{Deserialize, Serialize};

/// Standard deviations at or below this are treated as zero by `normalize`: the feature is
/// divided by 1 instead (a constant feature stays constant rather than blowing up).
pub const MIN_STD: f64 = 1e-8;

/// A fitted per-feature step: `y_ij = (x_ij − shift_j) · mul_j + add`, one formula for all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Elementwise {
    /// `y = c · x`.
    Scale {
        /// The factor `c`.
        factor: f64,
    },
    /// `y_j = x_j − μ_j`, with `μ_j` the training mean of feature `j`.
    Center {
        /// `μ`, one per feature.
        mean: Vec<f64>,
    },
    /// `y = x − μ_c` for every pixel of channel `c`, with `μ_c` the training mean over all
    /// pixels of that channel (VGG-style per-channel centring).
    ChannelCenter {
        /// `μ_c`, one per channel.
        mean: Vec<f64>,
        /// Pixels per channel plane.
        plane: usize,
    },
    /// `y_j = x_j / σ_j`, with `σ_j` the training (population) standard deviation of feature
    /// `j`, or 1 where `σ_j <= 1e-8` ([`MIN_STD`]).
    Normalize {
        /// The divisors actually used.
        std: Vec<f64>,
    },
    /// `y_j = lo + (x_j − min_j) · (hi − lo) / (max_j − min_j)`, with the training minimum
    /// and maximum; a feature constant in training has its range taken as 1 (scikit-learn's
    /// convention). Rows outside the training range map outside `[lo, hi]`.
    MinMax {
        /// Training minimum per feature.
        min: Vec<f64>,
        /// Training range per feature (`max − min`, or 1 when that is 0).
        range: Vec<f64>,
        /// Target lower bound.
        lo: f64,
        /// Target upper bound.
        hi: f64,
    },
}

impl Elementwise {
    /// Fits `center` on the rows of `x` (`[n, d]`).
    pub fn fit_center(x: &Tensor<f64>) -> Result<Self> {
        let (n, d) = x.dims2("center")?;
        Ok(Elementwise::Center {
            mean: stats::column_means(x.data(), n, d),
        })
    }

    /// Fits per-channel centring on image rows of layout `image`.
    pub fn fit_channel_center(x: &Tensor<f64>, image: Option<ImageShape>) -> Result<Self> {
        let (n, d) = x.dims2("channel_center")?;
        let image = image.filter(|s| s.len() == d).ok_or_else(|| {
            DataError::invalid(
                "channel_center",
                "needs image rows (IDX images or CIFAR-10) and must come before any step that changes the features (pca, whiten); use `center` for tables",
            )
        })?;
        let plane = image.plane();
        let mut mean = vec![0.0; image.channels];
        for row in x.data().chunks_exact(d.max(1)) {
            for (c, m) in mean.iter_mut().enumerate() {
                *m += row[c * plane..(c + 1) * plane].iter().sum::<f64>();
            }
        }
        let count = (n * plane).max(1) as f64;
        mean.iter_mut().for_each(|m| *m /= count);
        Ok(Elementwise::ChannelCenter { mean, plane })
    }

    /// Fits `normalize` on the rows of `x`.
    pub fn fit_normalize(x: &Tensor<f64>) -> Result<Self> {
        let (n, d) = x.dims2("normalize")?;
        let mean = stats::column_means(x.data(), n, d);
        Ok(Self::normalize(stats::column_stds(x.data(), n, d, &mean)))
    }

    /// `normalize` for the training standard deviations `std` (a feature with `σ <=`
    /// [`MIN_STD`] is divided by 1).
    pub fn normalize(std: Vec<f64>) -> Self {
        let std = std
            .into_iter()
            .map(|s| if s > MIN_STD { s } else { 1.0 })
            .collect();
        Elementwise::Normalize { std }
    }

    /// Fits `minmax(lo, hi)` on the rows of `x`.
    pub fn fit_min_max(x: &Tensor<f64>, lo: f64, hi: f64) -> Result<Self> {
        let (n, d) = x.dims2("minmax")?;
        let (min, max) = stats::column_min_max(x.data(), n, d);
        Ok(Self::min_max(min, &max, lo, hi))
    }

    /// `minmax(lo, hi)` for the training minimum and maximum of each feature (a constant
    /// feature has its range taken as 1).
    pub fn min_max(min: Vec<f64>, max: &[f64], lo: f64, hi: f64) -> Self {
        let range = min
            .iter()
            .zip(max)
            .map(|(a, b)| if b > a { b - a } else { 1.0 })
            .collect();
        Elementwise::MinMax { min, range, lo, hi }
    }

    /// The number of features this step was fitted on (`None` for `scale`, which fits any).
    fn width(&self) -> Option<usize> {
        match self {
            Elementwise::Scale { .. } => None,
            Elementwise::Center { mean } => Some(mean.len()),
            Elementwise::ChannelCenter { mean, plane } => Some(mean.len() * plane),
            Elementwise::Normalize { std } => Some(std.len()),
            Elementwise::MinMax { min, .. } => Some(min.len()),
        }
    }

    fn check(&self, x: &Tensor<f64>) -> Result<usize> {
        let (_, d) = x.dims2("preprocess")?;
        match self.width() {
            Some(w) if w != d => Err(DataError::invalid(
                "preprocess",
                format!("the step was fitted on {w} features but the rows have {d}"),
            )),
            _ => Ok(d),
        }
    }

    /// Applies the step to every row of `x` in place.
    pub fn apply(&self, x: &mut Tensor<f64>) -> Result<()> {
        let d = self.check(x)?.max(1);
        let data = x.data_mut();
        match self {
            Elementwise::Scale { factor } => data.iter_mut().for_each(|v| *v *= factor),
            Elementwise::Center { mean } => {
                for row in data.chunks_exact_mut(d) {
                    row.iter_mut().zip(mean).for_each(|(v, m)| *v -= m);
                }
            }
            Elementwise::ChannelCenter { mean, plane } => {
                for row in data.chunks_exact_mut(d) {
                    for (c, m) in mean.iter().enumerate() {
                        row[c * plane..(c + 1) * plane]
                            .iter_mut()
                            .for_each(|v| *v -= m);
                    }
                }
            }
            Elementwise::Normalize { std } => {
                for row in data.chunks_exact_mut(d) {
                    row.iter_mut().zip(std).for_each(|(v, s)| *v /= s);
                }
            }
            Elementwise::MinMax { min, range, lo, hi } => {
                for row in data.chunks_exact_mut(d) {
                    for ((v, m), r) in row.iter_mut().zip(min).zip(range) {
                        *v = lo + (*v - m) * (hi - lo) / r;
                    }
                }
            }
        }
        Ok(())
    }

    /// Undoes the step in place (exact up to rounding).
    pub fn invert(&self, x: &mut Tensor<f64>) -> Result<()> {
        let d = self.check(x)?.max(1);
        let data = x.data_mut();
        match self {
            Elementwise::Scale { factor } => data.iter_mut().for_each(|v| *v /= factor),
            Elementwise::Center { mean } => {
                for row in data.chunks_exact_mut(d) {
                    row.iter_mut().zip(mean).for_each(|(v, m)| *v += m);
                }
            }
            Elementwise::ChannelCenter { mean, plane } => {
                for row in data.chunks_exact_mut(d) {
                    for (c, m) in mean.iter().enumerate() {
                        row[c * plane..(c + 1) * plane]
                            .iter_mut()
                            .for_each(|v| *v += m);
                    }
                }
            }
            Elementwise::Normalize { std } => {
                for row in data.chunks_exact_mut(d) {
                    row.iter_mut().zip(std).for_each(|(v, s)| *v *= s);
                }
            }
            Elementwise::MinMax { min, range, lo, hi } => {
                for row in data.chunks_exact_mut(d) {
                    for ((v, m), r) in row.iter_mut().zip(min).zip(range) {
                        *v = m + (*v - lo) * r / (hi - lo);
                    }
                }
            }
        }
        Ok(())
    }

    /// The fitted statistics as named tensors (`<prefix>.mean`, `<prefix>.std`, ...).
    pub fn statistics(&self, prefix: &str) -> Result<Vec<(String, Tensor<f64>)>> {
        let vector = |name: &str, v: &[f64]| -> Result<(String, Tensor<f64>)> {
            Ok((
                format!("{prefix}.{name}"),
                Tensor::from_vec(v.to_vec(), &[v.len()])?,
            ))
        };
        Ok(match self {
            Elementwise::Scale { factor } => {
                vec![(format!("{prefix}.factor"), Tensor::scalar(*factor))]
            }
            Elementwise::Center { mean } | Elementwise::ChannelCenter { mean, .. } => {
                vec![vector("mean", mean)?]
            }
            Elementwise::Normalize { std } => vec![vector("std", std)?],
            Elementwise::MinMax { min, range, lo, hi } => vec![
                vector("min", min)?,
                vector("range", range)?,
                (format!("{prefix}.lo"), Tensor::scalar(*lo)),
                (format!("{prefix}.hi"), Tensor::scalar(*hi)),
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x() -> Tensor<f64> {
        Tensor::from_vec(vec![1.0, 5.0, 3.0, 5.0, 8.0, 5.0], &[3, 2]).unwrap()
    }

    #[test]
    fn normalize_guards_constant_features() {
        let step = Elementwise::fit_normalize(&x()).unwrap();
        let Elementwise::Normalize { std } = &step else {
            unreachable!()
        };
        assert_eq!(std[1], 1.0, "constant column divided by 1");
        let mut y = x();
        step.apply(&mut y).unwrap();
        assert!(y.all_finite());
        assert_eq!(y.data()[1], 5.0);
    }

    #[test]
    fn minmax_maps_training_range_and_inverts() {
        let step = Elementwise::fit_min_max(&x(), -1.0, 1.0).unwrap();
        let mut y = x();
        step.apply(&mut y).unwrap();
        assert_eq!(
            y.data(),
            &[-1.0, -1.0, -1.0 + 2.0 * 2.0 / 7.0, -1.0, 1.0, -1.0]
        );
        step.invert(&mut y).unwrap();
        for (a, b) in y.data().iter().zip(x().data()) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn channel_centre_uses_one_mean_per_plane() {
        // Two rows of 2 channels × 2 pixels.
        let x = Tensor::from_vec(vec![1., 3., 10., 10., 3., 5., 20., 20.], &[2, 4]).unwrap();
        let shape = ImageShape {
            channels: 2,
            height: 1,
            width: 2,
        };
        let step = Elementwise::fit_channel_center(&x, Some(shape)).unwrap();
        assert_eq!(
            step,
            Elementwise::ChannelCenter {
                mean: vec![3.0, 15.0],
                plane: 2
            }
        );
        assert!(Elementwise::fit_channel_center(&x, None).is_err());
        let mut wrong = Tensor::zeros(&[1, 3]);
        assert!(step.apply(&mut wrong).is_err());
    }
}
