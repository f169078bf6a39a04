//! A data source described as data (what a `source` or `test` line of a `.nn` file says),
//! loaded in one call.

use super::{cifar, csv, generated, idx};
use crate::dataset::Dataset;
use crate::error::Result;
use nnc_tape::Rng;
use std::path::{Path, PathBuf};

/// One data source. Generated sources draw from the generator passed to [`Source::load`];
/// file sources resolve relative paths against a base directory (the `.nn` file's).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    /// [`generated::spiral`].
    Spiral {
        /// Points per class.
        points: usize,
        /// Number of arms (classes).
        classes: usize,
        /// Standard deviation of the angle noise.
        noise: f64,
    },
    /// [`generated::circles`].
    Circles {
        /// Points per circle.
        points: usize,
        /// Standard deviation of the position noise.
        noise: f64,
        /// Inner radius / outer radius.
        factor: f64,
    },
    /// [`generated::blobs`].
    Blobs {
        /// Points per class.
        points: usize,
        /// Number of blobs (classes).
        classes: usize,
        /// Features per point.
        features: usize,
        /// Standard deviation of each blob.
        std: f64,
    },
    /// [`generated::xor`].
    Xor {
        /// Points per class.
        points: usize,
        /// Standard deviation of each cluster.
        noise: f64,
    },
    /// [`generated::random`].
    Random {
        /// Rows.
        rows: usize,
        /// Features per row.
        features: usize,
        /// Classes of the uniform labels.
        classes: usize,
    },
    /// [`csv::load_csv`].
    Csv {
        /// The file.
        path: PathBuf,
        /// Label column, header, feature columns, ...
        options: csv::CsvOptions,
    },
    /// [`idx::load_idx`].
    Idx {
        /// The images file.
        images: PathBuf,
        /// The labels file.
        labels: PathBuf,
    },
    /// [`cifar::load_cifar10`].
    Cifar {
        /// The batch files, concatenated in this order.
        paths: Vec<PathBuf>,
    },
}

impl Source {
    /// The source's name as written in a `.nn` file.
    pub fn name(&self) -> &'static str {
        match self {
            Source::Spiral { .. } => "spiral",
            Source::Circles { .. } => "circles",
            Source::Blobs { .. } => "blobs",
            Source::Xor { .. } => "xor",
            Source::Random { .. } => "random",
            Source::Csv { .. } => "csv",
            Source::Idx { .. } => "idx",
            Source::Cifar { .. } => "cifar",
        }
    }

    /// Whether the rows are generated (no file to read).
    pub fn is_generated(&self) -> bool {
        !matches!(
            self,
            Source::Csv { .. } | Source::Idx { .. } | Source::Cifar { .. }
        )
    }

    /// Loads or generates the data. Relative paths are taken from `base_dir`.
    pub fn load(&self, base_dir: &Path, rng: &mut Rng) -> Result<Dataset> {
        let at = |p: &Path| base_dir.join(p);
        match self {
            Source::Spiral {
                points,
                classes,
                noise,
            } => generated::spiral(*points, *classes, *noise, rng),
            Source::Circles {
                points,
                noise,
                factor,
            } => generated::circles(*points, *noise, *factor, rng),
            Source::Blobs {
                points,
                classes,
                features,
                std,
            } => generated::blobs(*points, *classes, *features, *std, rng),
            Source::Xor { points, noise } => generated::xor(*points, *noise, rng),
            Source::Random {
                rows,
                features,
                classes,
            } => generated::random(*rows, *features, *classes, rng),
            Source::Csv { path, options } => csv::load_csv(at(path), options),
            Source::Idx { images, labels } => idx::load_idx(at(images), at(labels)),
            Source::Cifar { paths } => {
                let paths: Vec<PathBuf> = paths.iter().map(|f| at(f)).collect();
                cifar::load_cifar10(&paths)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnc_tape::rng;

    #[test]
    fn sources_load_relative_to_the_base_directory() {
        let base = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models"));
        let csv = Source::Csv {
            path: "data/wine.csv".into(),
            options: csv::CsvOptions::default(),
        };
        assert_eq!(csv.load(base, &mut rng(0)).unwrap().len(), 178);
        let idx = Source::Idx {
            images: "data/digits-images-idx3-ubyte".into(),
            labels: "data/digits-labels-idx1-ubyte.gz".into(),
        };
        assert_eq!(idx.load(base, &mut rng(0)).unwrap().len(), 1797);
        let spiral = Source::Spiral {
            points: 10,
            classes: 2,
            noise: 0.1,
        };
        assert_eq!(spiral.load(base, &mut rng(0)).unwrap().len(), 20);
        let missing = Source::Cifar {
            paths: vec!["data/none.bin".into()],
        };
        let e = missing.load(base, &mut rng(0)).unwrap_err();
        assert!(e.to_string().contains("none.bin"), "{e}");
    }
}
