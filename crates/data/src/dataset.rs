//! The dataset: a feature matrix, one class index per row, and the names that go with them.

use crate::error::{DataError, Result};
use nnc_tape::Tensor;
use serde::{Deserialize, Serialize};

/// The layout of image rows: each row holds `channels` planes of `height × width` pixels,
/// channel-major (all of channel 0, then all of channel 1, ...), as CIFAR-10 stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageShape {
    /// Colour channels (1 for grey images).
    pub channels: usize,
    /// Pixel rows.
    pub height: usize,
    /// Pixel columns.
    pub width: usize,
}

impl ImageShape {
    /// Features per image: `channels · height · width`.
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// True when the image has no pixels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pixels per channel plane: `height · width`.
    pub fn plane(&self) -> usize {
        self.height * self.width
    }
}

/// A classification data set: `n` rows of `d` features (f32, `[n, d]`), a class index per row,
/// the class names (index `c` is named `class_names[c]`) and the feature names.
#[derive(Clone, PartialEq)]
pub struct Dataset {
    inputs: Tensor<f32>,
    labels: Vec<usize>,
    class_names: Vec<String>,
    feature_names: Vec<String>,
    image: Option<ImageShape>,
    label_name: String,
}

/// The label column's name of a data set whose source does not name it.
pub const DEFAULT_LABEL_NAME: &str = "label";

impl Dataset {
    /// A dataset from its parts. Fails unless `inputs` is `[n, d]`, there are `n` labels, each
    /// below `class_names.len()`, `d` feature names, and every feature is finite.
    pub fn new(
        inputs: Tensor<f32>,
        labels: Vec<usize>,
        class_names: Vec<String>,
        feature_names: Vec<String>,
    ) -> Result<Self> {
        let (n, d) = inputs.dims2("Dataset::new")?;
        if labels.len() != n {
            return Err(DataError::invalid(
                "Dataset::new",
                format!("{n} rows of features but {} labels", labels.len()),
            ));
        }
        if feature_names.len() != d {
            return Err(DataError::invalid(
                "Dataset::new",
                format!("{d} features but {} feature names", feature_names.len()),
            ));
        }
        if let Some((i, &c)) = labels
            .iter()
            .enumerate()
            .find(|(_, c)| **c >= class_names.len())
        {
            return Err(DataError::invalid(
                "Dataset::new",
                format!(
                    "row {i} has label {c} but there are only {} class names",
                    class_names.len()
                ),
            ));
        }
        if let Some(i) = inputs.data().iter().position(|x| !x.is_finite()) {
            return Err(DataError::invalid(
                "Dataset::new",
                format!(
                    "feature `{}` of row {} is {}",
                    feature_names[i % d.max(1)],
                    i / d.max(1),
                    inputs.data()[i]
                ),
            ));
        }
        Ok(Dataset {
            inputs,
            labels,
            class_names,
            feature_names,
            image: None,
            label_name: DEFAULT_LABEL_NAME.to_string(),
        })
    }

    /// The same dataset with its label column named `name` (a CSV file's label column).
    pub fn with_label_name(mut self, name: &str) -> Self {
        self.label_name = name.to_string();
        self
    }

    /// The name of the label column: a CSV file's label header, else `label`.
    pub fn label_name(&self) -> &str {
        &self.label_name
    }

    /// The same dataset, marked as images of `shape` (used by per-channel centring). Fails
    /// unless `shape` has as many pixels as the dataset has features.
    pub fn with_image_shape(mut self, shape: ImageShape) -> Result<Self> {
        if shape.len() != self.features() {
            return Err(DataError::invalid(
                "Dataset::with_image_shape",
                format!(
                    "an image of {}×{}×{} has {} pixels but rows have {} features",
                    shape.channels,
                    shape.height,
                    shape.width,
                    shape.len(),
                    self.features()
                ),
            ));
        }
        self.image = Some(shape);
        Ok(self)
    }

    /// Class names `"0"`, `"1"`, ... for `classes` classes.
    pub fn numbered_classes(classes: usize) -> Vec<String> {
        (0..classes).map(|c| c.to_string()).collect()
    }

    /// Class indices and names for integer labels. Labels that are exactly `0..C` keep their
    /// values as indices (class `i` is named `"i"`); any other set of integers (e.g. wine's
    /// original `1, 2, 3`, or codes with gaps) is mapped densely in increasing order, each class
    /// named by its integer, so no class is empty and the model gets one output per class
    /// that occurs.
    pub fn integer_classes(values: &[usize]) -> (Vec<usize>, Vec<String>) {
        let mut distinct: Vec<usize> = values.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.iter().enumerate().all(|(i, &v)| i == v) {
            return (values.to_vec(), Self::numbered_classes(distinct.len()));
        }
        let labels = values
            .iter()
            .map(|v| {
                distinct
                    .binary_search(v)
                    .expect("every value is in the set")
            })
            .collect();
        (labels, distinct.iter().map(|v| v.to_string()).collect())
    }

    /// Feature names `prefix0`, `prefix1`, ... for `features` features.
    pub fn numbered_features(prefix: &str, features: usize) -> Vec<String> {
        (0..features).map(|j| format!("{prefix}{j}")).collect()
    }

    /// Number of rows (examples).
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of features per row (`d`).
    pub fn features(&self) -> usize {
        self.feature_names.len()
    }

    /// Number of classes (the length of the class-name list, which may include classes with no
    /// rows in this dataset).
    pub fn classes(&self) -> usize {
        self.class_names.len()
    }

    /// The feature matrix `[n, d]` in f32, the training type.
    pub fn inputs(&self) -> &Tensor<f32> {
        &self.inputs
    }

    /// A copy of the feature matrix in f64, for gradient checks.
    pub fn inputs_f64(&self) -> Tensor<f64> {
        self.inputs.cast()
    }

    /// The class index of every row.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The name of every class, by index.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// The name of every feature, by column.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// The image layout of rows, if the data are images.
    pub fn image_shape(&self) -> Option<ImageShape> {
        self.image
    }

    /// Sets or clears the image layout (internal: the caller guarantees it fits).
    pub(crate) fn set_image_shape(&mut self, shape: Option<ImageShape>) {
        self.image = shape.filter(|s| s.len() == self.features());
    }

    /// The features of row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        let d = self.features();
        &self.inputs.data()[i * d..(i + 1) * d]
    }

    /// Rows per class, indexed by class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes()];
        for &c in &self.labels {
            counts[c] += 1;
        }
        counts
    }

    /// The rows at `indices`, in that order (names and image layout kept). Fails on an index
    /// out of range.
    pub fn subset(&self, indices: &[usize]) -> Result<Dataset> {
        let mut x = Vec::new();
        let mut y = Vec::new();
        self.fill_batch(indices, &mut x, &mut y)?;
        Ok(Dataset {
            inputs: Tensor::from_vec(x, &[indices.len(), self.features()])?,
            labels: y,
            class_names: self.class_names.clone(),
            feature_names: self.feature_names.clone(),
            image: self.image,
            label_name: self.label_name.clone(),
        })
    }

    /// Copies the rows at `indices` into `inputs` (row-major, `indices.len() · d` values) and
    /// their labels into `labels`, replacing what was there. The vectors keep their capacity,
    /// so a training loop that reuses them allocates nothing after the first batch.
    pub fn fill_batch(
        &self,
        indices: &[usize],
        inputs: &mut Vec<f32>,
        labels: &mut Vec<usize>,
    ) -> Result<()> {
        inputs.clear();
        labels.clear();
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(DataError::invalid(
                "fill_batch",
                format!("row {bad} is out of range for {} rows", self.len()),
            ));
        }
        inputs.reserve(indices.len() * self.features());
        labels.reserve(indices.len());
        for &i in indices {
            inputs.extend_from_slice(self.row(i));
            labels.push(self.labels[i]);
        }
        Ok(())
    }

    /// The dataset with its features replaced by `inputs` (`[n, d']`, same `n`) named
    /// `feature_names`; labels and classes are kept, the image layout is kept only if the
    /// width is unchanged.
    pub fn with_inputs(&self, inputs: Tensor<f32>, feature_names: Vec<String>) -> Result<Dataset> {
        let same_width = feature_names.len() == self.features();
        let mut out = Dataset::new(
            inputs,
            self.labels.clone(),
            self.class_names.clone(),
            feature_names,
        )?;
        if same_width {
            out.image = self.image;
        }
        out.label_name = self.label_name.clone();
        Ok(out)
    }

    /// The rows of `self` followed by the rows of `other`. Fails unless both have the same
    /// features and class names.
    pub fn concat(&self, other: &Dataset) -> Result<Dataset> {
        if self.feature_names != other.feature_names || self.class_names != other.class_names {
            return Err(DataError::invalid(
                "Dataset::concat",
                "the datasets differ in their feature or class names",
            ));
        }
        let mut x = self.inputs.data().to_vec();
        x.extend_from_slice(other.inputs.data());
        let mut y = self.labels.clone();
        y.extend_from_slice(&other.labels);
        let n = y.len();
        Ok(Dataset {
            inputs: Tensor::from_vec(x, &[n, self.features()])?,
            labels: y,
            class_names: self.class_names.clone(),
            feature_names: self.feature_names.clone(),
            image: self.image,
            label_name: self.label_name.clone(),
        })
    }
}

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Dataset {{ rows: {}, features: {}, classes: {:?} }}",
            self.len(),
            self.features(),
            self.class_names
        )
    }
}

#[cfg(test)]
mod integer_class_tests {
    use super::Dataset;

    #[test]
    fn integer_labels_are_mapped_densely_unless_already_dense() {
        let (l, n) = Dataset::integer_classes(&[2, 0, 1, 2]);
        assert_eq!(
            (l, n),
            (vec![2, 0, 1, 2], vec!["0".into(), "1".into(), "2".into()])
        );
        let (l, n) = Dataset::integer_classes(&[1, 3, 3, 999_999]);
        assert_eq!(l, vec![0, 1, 1, 2]);
        assert_eq!(n, vec!["1".to_string(), "3".into(), "999999".into()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Dataset {
        let x = Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[3, 2]).unwrap();
        Dataset::new(
            x,
            vec![0, 1, 1],
            Dataset::numbered_classes(2),
            Dataset::numbered_features("f", 2),
        )
        .unwrap()
    }

    #[test]
    fn new_checks_every_part() {
        let x = Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2]).unwrap();
        let names = Dataset::numbered_features("f", 2);
        let classes = Dataset::numbered_classes(2);
        assert!(Dataset::new(x.clone(), vec![0], classes.clone(), names.clone()).is_err());
        assert!(Dataset::new(x.clone(), vec![0, 2], classes.clone(), names.clone()).is_err());
        assert!(Dataset::new(x.clone(), vec![0, 1], classes.clone(), vec![]).is_err());
        let nan = Tensor::from_vec(vec![1., f32::NAN, 3., 4.], &[2, 2]).unwrap();
        let e = Dataset::new(nan, vec![0, 1], classes, names).unwrap_err();
        assert!(
            e.to_string().contains("feature `f1` of row 0 is NaN"),
            "{e}"
        );
    }

    #[test]
    fn fill_batch_reuses_buffers_and_checks_indices() {
        let ds = tiny();
        let (mut x, mut y) = (Vec::with_capacity(8), Vec::with_capacity(4));
        ds.fill_batch(&[2, 0], &mut x, &mut y).unwrap();
        assert_eq!(x, vec![5., 6., 1., 2.]);
        assert_eq!(y, vec![1, 0]);
        let ptr = x.as_ptr();
        ds.fill_batch(&[1], &mut x, &mut y).unwrap();
        assert_eq!(x, vec![3., 4.]);
        assert_eq!(x.as_ptr(), ptr, "the buffer was reallocated");
        assert!(ds.fill_batch(&[3], &mut x, &mut y).is_err());
    }

    #[test]
    fn subset_and_concat_round_trip() {
        let ds = tiny();
        let a = ds.subset(&[0]).unwrap();
        let b = ds.subset(&[1, 2]).unwrap();
        assert_eq!(a.concat(&b).unwrap(), ds);
        assert_eq!(ds.class_counts(), vec![1, 2]);
        assert_eq!(ds.inputs_f64().data()[5], 6.0);
    }
}
