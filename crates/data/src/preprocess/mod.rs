//! Preprocessing: a list of steps applied in order, **fitted on the training split only** and
//! then applied unchanged to every split (and at predict time), so that no statistic of the
//! validation or test rows leaks into training.
//!
//! Fitting runs the steps in order on the training rows: each step is fitted on the output of
//! the steps before it. All arithmetic is f64; features are rounded to f32 once, at the end.
//! The fitted pipeline ([`FittedPipeline`]) serialises with serde (see
//! [`FittedPipeline::to_json`]) and exposes its statistics as named tensors
//! ([`FittedPipeline::statistics`]) for saving next to a model's weights.
//!
//! Reference point: on the shipped digits set (1797 rows of 64 pixels),
//! `pca(variance: 0.99)` keeps 41 components (0.95 keeps 29, 0.90 keeps 21).
//!
//! ```
//! use nnc_data::{generated, Pipeline, SplitSpec, Step};
//! use nnc_tape::rng;
//!
//! let data = generated::blobs(100, 3, 4, 2.0, &mut rng(0))?;
//! let splits = data.split(&SplitSpec::new(0.8, 0.2, 0.0), &mut rng(1))?;
//! let pipeline = Pipeline::new(vec![Step::Center, Step::Normalize])?;
//! let (fitted, splits) = pipeline.fit_splits(&splits)?; // statistics from splits.train only
//! assert_eq!(splits.val.features(), 4);
//! let saved = fitted.to_json();
//! assert_eq!(nnc_data::FittedPipeline::from_json(&saved)?, fitted);
//! # Ok::<(), nnc_data::DataError>(())
//! ```

mod elementwise;
mod projection;
pub mod stats;

pub use elementwise::{Elementwise, MIN_STD};
pub use projection::{PcaKeep, Projection, ProjectionKind};

use crate::dataset::{Dataset, ImageShape};
use crate::error::{DataError, Result};
use crate::split::Splits;
use nnc_tape::Tensor;
use serde::{Deserialize, Serialize};

/// One preprocessing step, as written in a `preprocess` line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// `scale(c)`: `x ← c · x` (e.g. `scale(1/255)` for pixels). `c` finite and non-zero.
    Scale {
        /// The factor.
        factor: f64,
    },
    /// `center`: subtract the per-feature training mean, `x_j ← x_j − μ_j`.
    Center,
    /// Per-channel centring of images: subtract the training mean of each colour channel,
    /// taken over all its pixels. Needs image rows (IDX images, CIFAR-10).
    ChannelCenter,
    /// `normalize`: divide by the per-feature training standard deviation,
    /// `x_j ← x_j / σ_j` (population std; features with `σ_j ≤ 1e-8` are divided by 1).
    /// After `center`, the training features have mean 0 and std 1.
    Normalize,
    /// `minmax(lo, hi)`: map the training range of each feature onto `[lo, hi]`,
    /// `x_j ← lo + (x_j − min_j)(hi − lo)/(max_j − min_j)`. Needs `lo < hi`.
    MinMax {
        /// Lower end of the target range.
        lo: f64,
        /// Upper end of the target range.
        hi: f64,
    },
    /// `pca(components: k | variance: v)`: project onto the top principal components of the
    /// training covariance, `x ← (x − μ) U_k`.
    Pca {
        /// How many components to keep.
        keep: PcaKeep,
    },
    /// `whiten(eps)`: PCA whitening, `x ← (x − μ) U / sqrt(Λ + ε)`; the training covariance
    /// becomes (nearly) the identity. `ε ≥ 0`.
    Whiten {
        /// Added to every eigenvalue before the square root.
        eps: f64,
    },
    /// `zca(eps)`: ZCA whitening, `x ← (x − μ) U / sqrt(Λ + ε) Uᵀ`: whitened but on the
    /// original axes (images still look like images). `ε ≥ 0`.
    Zca {
        /// Added to every eigenvalue before the square root.
        eps: f64,
    },
}

impl Step {
    /// The step's name as written in a `.nn` file.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Scale { .. } => "scale",
            Step::Center => "center",
            Step::ChannelCenter => "channel_center",
            Step::Normalize => "normalize",
            Step::MinMax { .. } => "minmax",
            Step::Pca { .. } => "pca",
            Step::Whiten { .. } => "whiten",
            Step::Zca { .. } => "zca",
        }
    }

    fn check(&self) -> Result<()> {
        let bad = |message: String| Err(DataError::invalid("preprocess", message));
        match *self {
            Step::Scale { factor } if !factor.is_finite() || factor == 0.0 => bad(format!(
                "scale({factor}): the factor must be finite and non-zero"
            )),
            Step::MinMax { lo, hi } if !(lo.is_finite() && hi.is_finite() && lo < hi) => {
                bad(format!("minmax({lo}, {hi}): needs finite lo < hi"))
            }
            Step::Pca {
                keep: PcaKeep::Components(0),
            } => bad("pca(components: 0): keep at least one component".into()),
            Step::Pca {
                keep: PcaKeep::Variance(v),
            } if !(v > 0.0 && v <= 1.0) => bad(format!(
                "pca(variance: {v}): the variance to keep is a fraction in (0, 1], e.g. 0.99"
            )),
            Step::Whiten { eps } | Step::Zca { eps } if !(eps.is_finite() && eps >= 0.0) => bad(
                format!("{}(eps: {eps}): eps must be finite and >= 0", self.name()),
            ),
            _ => Ok(()),
        }
    }
}

/// A fitted step: its statistics, ready to apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FittedStep {
    /// `scale`, `center`, per-channel centring, `normalize` or `minmax`.
    Elementwise(Elementwise),
    /// `pca`, `whiten` or `zca`.
    Projection(Projection),
}

impl FittedStep {
    fn apply(&self, mut x: Tensor<f64>) -> Result<Tensor<f64>> {
        match self {
            FittedStep::Elementwise(e) => {
                e.apply(&mut x)?;
                Ok(x)
            }
            FittedStep::Projection(p) => p.apply(&x),
        }
    }

    fn invert(&self, mut x: Tensor<f64>) -> Result<Tensor<f64>> {
        match self {
            FittedStep::Elementwise(e) => {
                e.invert(&mut x)?;
                Ok(x)
            }
            FittedStep::Projection(p) => p.invert(&x),
        }
    }
}

/// Rows transformed at a time by elementwise steps.
const ROWS_AT_A_TIME: usize = 4096;

/// Calls `f` with the training rows in f64, a slice of rows at a time, transformed by the
/// fitted steps `before`.
fn each_slice(train: &Dataset, before: &[Elementwise], mut f: impl FnMut(&[f64])) -> Result<()> {
    let d = train.features().max(1);
    for rows in train.inputs().data().chunks(ROWS_AT_A_TIME * d) {
        let data = rows.iter().map(|&v| f64::from(v)).collect();
        let mut x = Tensor::from_vec(data, &[rows.len() / d, train.features()])?;
        for step in before {
            step.apply(&mut x)?;
        }
        f(x.data());
    }
    Ok(())
}

/// The steps to run, in order (not fitted yet).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Pipeline {
    steps: Vec<Step>,
}

impl Pipeline {
    /// A pipeline of `steps`. Fails on an invalid argument (e.g. `minmax(1, 0)`).
    pub fn new(steps: Vec<Step>) -> Result<Pipeline> {
        for s in &steps {
            s.check()?;
        }
        Ok(Pipeline { steps })
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Fits every step, in order, on the rows of `train`: each step sees the training rows as
    /// transformed by the steps before it.
    pub fn fit(&self, train: &Dataset) -> Result<FittedPipeline> {
        if train.is_empty() {
            return Err(DataError::invalid(
                "preprocess",
                "cannot fit on an empty training split",
            ));
        }
        if let Some(fitted) = self.fit_in_slices(train)? {
            return Ok(FittedPipeline {
                steps: self.steps.clone(),
                fitted,
                input_features: train.features(),
                output_names: train.feature_names().to_vec(),
                output_image: train.image_shape(),
            });
        }
        self.fit_whole(train)
    }

    /// Fits `scale`, `center`, `normalize` and `minmax` steps without an f64 copy of the
    /// training rows: each statistic is summed over slices of rows (transformed by the steps
    /// before), row by row as over the whole table, so to the same bits. `None` for a pipeline
    /// with another step.
    fn fit_in_slices(&self, train: &Dataset) -> Result<Option<Vec<FittedStep>>> {
        let (n, d) = (train.len(), train.features());
        let per_feature = |s: &Step| {
            matches!(
                s,
                Step::Scale { .. } | Step::Center | Step::Normalize | Step::MinMax { .. }
            )
        };
        if !self.steps.iter().all(per_feature) {
            return Ok(None);
        }
        let mean = |sum: Vec<f64>| -> Vec<f64> { sum.iter().map(|s| s / n as f64).collect() };
        let mut fitted: Vec<Elementwise> = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let mut sum = vec![0.0; d];
            let step = match *step {
                Step::Scale { factor } => Elementwise::Scale { factor },
                Step::Center => {
                    each_slice(train, &fitted, |x| stats::add_column_sums(&mut sum, x, d))?;
                    Elementwise::Center { mean: mean(sum) }
                }
                Step::Normalize => {
                    each_slice(train, &fitted, |x| stats::add_column_sums(&mut sum, x, d))?;
                    let mu = mean(sum);
                    let mut sq = vec![0.0; d];
                    each_slice(train, &fitted, |x| {
                        stats::add_squared_deviations(&mut sq, x, d, &mu);
                    })?;
                    Elementwise::normalize(sq.iter().map(|s| (s / n as f64).sqrt()).collect())
                }
                Step::MinMax { lo, hi } => {
                    let (mut min, mut max) = (vec![f64::INFINITY; d], vec![f64::NEG_INFINITY; d]);
                    each_slice(train, &fitted, |x| {
                        stats::add_min_max(&mut min, &mut max, x, d)
                    })?;
                    Elementwise::min_max(min, &max, lo, hi)
                }
                _ => return Ok(None),
            };
            fitted.push(step);
        }
        Ok(Some(
            fitted.into_iter().map(FittedStep::Elementwise).collect(),
        ))
    }

    /// Fits every step on the training rows as one f64 table.
    fn fit_whole(&self, train: &Dataset) -> Result<FittedPipeline> {
        let mut x = train.inputs_f64();
        let mut image = train.image_shape();
        let mut names = train.feature_names().to_vec();
        let mut fitted = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let f = match *step {
                Step::Scale { factor } => FittedStep::Elementwise(Elementwise::Scale { factor }),
                Step::Center => FittedStep::Elementwise(Elementwise::fit_center(&x)?),
                Step::ChannelCenter => {
                    FittedStep::Elementwise(Elementwise::fit_channel_center(&x, image)?)
                }
                Step::Normalize => FittedStep::Elementwise(Elementwise::fit_normalize(&x)?),
                Step::MinMax { lo, hi } => {
                    FittedStep::Elementwise(Elementwise::fit_min_max(&x, lo, hi)?)
                }
                Step::Pca { keep } => {
                    FittedStep::Projection(Projection::fit(&x, ProjectionKind::Pca, keep, 0.0)?)
                }
                Step::Whiten { eps } => FittedStep::Projection(Projection::fit(
                    &x,
                    ProjectionKind::Whiten,
                    PcaKeep::Variance(1.0),
                    eps,
                )?),
                Step::Zca { eps } => FittedStep::Projection(Projection::fit(
                    &x,
                    ProjectionKind::Zca,
                    PcaKeep::Variance(1.0),
                    eps,
                )?),
            };
            if let FittedStep::Projection(p) = &f
                && p.kind != ProjectionKind::Zca
            {
                image = None;
                names = Dataset::numbered_features("pc", p.outputs());
            }
            x = f.apply(x)?;
            fitted.push(f);
        }
        Ok(FittedPipeline {
            steps: self.steps.clone(),
            fitted,
            input_features: train.features(),
            output_names: names,
            output_image: image,
        })
    }

    /// Fits on `splits.train` only, then transforms all three splits with the training
    /// statistics.
    pub fn fit_splits(&self, splits: &Splits) -> Result<(FittedPipeline, Splits)> {
        let fitted = self.fit(&splits.train)?;
        let out = fitted.transform_splits(splits)?;
        Ok((fitted, out))
    }
}

/// A pipeline fitted on a training split: the statistics of every step, applicable to any
/// rows with the same features. Save it with the model ([`FittedPipeline::to_json`]) and
/// apply it at predict time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPipeline {
    steps: Vec<Step>,
    fitted: Vec<FittedStep>,
    input_features: usize,
    output_names: Vec<String>,
    output_image: Option<ImageShape>,
}

impl FittedPipeline {
    /// The steps as written.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The fitted steps, in order.
    pub fn fitted_steps(&self) -> &[FittedStep] {
        &self.fitted
    }

    /// Features the pipeline takes.
    pub fn input_features(&self) -> usize {
        self.input_features
    }

    /// Features the pipeline produces.
    pub fn output_features(&self) -> usize {
        self.output_names.len()
    }

    /// Names of the produced features (the input names, or `pc0`, `pc1`, ... after `pca` or
    /// `whiten`).
    pub fn output_names(&self) -> &[String] {
        &self.output_names
    }

    /// Transforms f64 rows `[n, input_features]` → `[n, output_features]`.
    pub fn transform_f64(&self, x: Tensor<f64>) -> Result<Tensor<f64>> {
        let (_, d) = x.dims2("preprocess")?;
        if d != self.input_features {
            return Err(DataError::invalid(
                "preprocess",
                format!(
                    "the pipeline was fitted on {} features but the rows have {d}",
                    self.input_features
                ),
            ));
        }
        self.fitted.iter().try_fold(x, |x, f| f.apply(x))
    }

    /// Transforms f32 rows (computed in f64, rounded once). Elementwise steps (everything
    /// but `pca`, `whiten` and `zca`) transform each value on its own, so their rows are
    /// transformed a slice at a time, without an f64 copy of the whole table.
    pub fn transform_inputs(&self, x: &Tensor<f32>) -> Result<Tensor<f32>> {
        let elementwise = self
            .fitted
            .iter()
            .all(|f| matches!(f, FittedStep::Elementwise(_)));
        let (n, d) = x.dims2("preprocess")?;
        if !elementwise || n <= ROWS_AT_A_TIME {
            return Ok(self.transform_f64(x.cast())?.cast());
        }
        let mut out: Vec<f32> = Vec::with_capacity(n * d);
        for rows in x.data().chunks(ROWS_AT_A_TIME * d.max(1)) {
            let slice = Tensor::from_vec(
                rows.iter().map(|&v| f64::from(v)).collect(),
                &[rows.len() / d.max(1), d],
            )?;
            let done = self.transform_f64(slice)?;
            out.extend(done.data().iter().map(|&v| v as f32));
        }
        Ok(Tensor::from_vec(out, &[n, d])?)
    }

    /// Maps transformed rows back to the original features (exact up to rounding, except
    /// after a `pca` that dropped components, where it gives the closest point in their span).
    pub fn inverse_transform_inputs(&self, y: &Tensor<f32>) -> Result<Tensor<f32>> {
        let x = self
            .fitted
            .iter()
            .rev()
            .try_fold(y.cast::<f64>(), |x, f| f.invert(x))?;
        Ok(x.cast())
    }

    /// The dataset with transformed features (labels and class names unchanged).
    pub fn transform(&self, data: &Dataset) -> Result<Dataset> {
        let x = self.transform_inputs(data.inputs())?;
        let mut out = data.with_inputs(x, self.output_names.clone())?;
        out.set_image_shape(self.output_image);
        Ok(out)
    }

    /// All three splits transformed with these (training) statistics.
    pub fn transform_splits(&self, splits: &Splits) -> Result<Splits> {
        Ok(Splits {
            train: self.transform(&splits.train)?,
            val: self.transform(&splits.val)?,
            test: self.transform(&splits.test)?,
        })
    }

    /// The fitted statistics as named tensors, `preprocess.<i>.<step>.<statistic>` with `i`
    /// the step's position (e.g. `preprocess.0.center.mean`, `preprocess.2.pca.components`),
    /// for saving next to a model's weights.
    pub fn statistics(&self) -> Result<Vec<(String, Tensor<f64>)>> {
        let mut out = Vec::new();
        for (i, (step, f)) in self.steps.iter().zip(&self.fitted).enumerate() {
            let prefix = format!("preprocess.{i}.{}", step.name());
            out.extend(match f {
                FittedStep::Elementwise(e) => e.statistics(&prefix)?,
                FittedStep::Projection(p) => p.statistics(&prefix)?,
            });
        }
        Ok(out)
    }

    /// The fitted pipeline as JSON (f64 statistics round-trip exactly).
    pub fn to_json(&self) -> String {
        // Serialising plain numbers, strings and vectors cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a pipeline written by [`FittedPipeline::to_json`].
    pub fn from_json(text: &str) -> Result<FittedPipeline> {
        serde_json::from_str(text).map_err(|e| {
            DataError::invalid(
                "preprocess",
                format!("cannot read the saved preprocessing pipeline: {e}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::generated;

    /// Fitting a slice of rows at a time gives the statistics of the whole f64 table, bit for
    /// bit (serde's JSON of f64 round-trips exactly, so equal JSON means equal bits).
    #[test]
    fn fitting_in_slices_matches_fitting_the_whole_table() {
        let data = generated::random(10_000, 6, 3, &mut nnc_tape::rng(3)).unwrap();
        let pipelines = [
            vec![Step::Center, Step::Normalize],
            vec![
                Step::Scale { factor: 3.5 },
                Step::MinMax { lo: -1.0, hi: 1.0 },
                Step::Normalize,
            ],
            vec![
                Step::Normalize,
                Step::Center,
                Step::MinMax { lo: 0.0, hi: 2.0 },
            ],
        ];
        for steps in pipelines {
            let p = Pipeline::new(steps).unwrap();
            let sliced = p.fit(&data).unwrap();
            let whole = p.fit_whole(&data).unwrap();
            assert!(p.fit_in_slices(&data).unwrap().is_some());
            assert_eq!(sliced.to_json(), whole.to_json());
        }
        let pca = Pipeline::new(vec![
            Step::Center,
            Step::Pca {
                keep: PcaKeep::Components(2),
            },
        ]);
        assert!(pca.unwrap().fit_in_slices(&data).unwrap().is_none());
    }
}
