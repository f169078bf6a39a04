//! The data probe of the command line: it reads file sources with the data crate, so the
//! checker knows their features, classes and rows, and turns the data crate's errors into
//! [`ProbeError`]s (E406 unreadable, E407 bad IDX, E408 bad CSV with line and column, E110
//! unknown column). What it read is kept, so lowering does not read the files again.

use crate::ir::SourceSpec;
use crate::lower::data::source;
use crate::probe::{DataProbe, DataShape, ProbeError};
use nnc_data::{DataError, Dataset, Source};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Reads file-backed sources for the checker and keeps them for lowering.
#[derive(Debug, Default)]
pub struct FileProbe {
    loaded: Mutex<HashMap<String, Arc<Dataset>>>,
}

impl FileProbe {
    /// A probe with nothing read yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads `source` (a file source; paths as resolved by the checker), or returns the copy
    /// read before.
    pub fn load(&self, source: &Source) -> Result<Dataset, DataError> {
        let key = format!("{source:?}");
        if let Some(d) = self.lock().get(&key) {
            return Ok(Dataset::clone(d));
        }
        let mut unused = nnc_tape::rng(0);
        let d = source.load(Path::new(""), &mut unused)?;
        self.lock().insert(key, Arc::new(d.clone()));
        Ok(d)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Dataset>>> {
        // A panic while holding the lock cannot leave the map inconsistent.
        self.loaded.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl DataProbe for FileProbe {
    fn probe(&self, spec: &SourceSpec, _base_dir: &Path) -> Result<DataShape, ProbeError> {
        if spec.kind.is_generated() {
            return Err(ProbeError::Skipped);
        }
        let dataset = self
            .load(&source(&spec.kind, None))
            .map_err(|e| probe_error(&spec.kind, e))?;
        Ok(DataShape {
            features: dataset.features() as u64,
            classes: dataset.classes() as u64,
            rows: Some(dataset.len() as u64),
        })
    }
}

/// The file of `kind` an error message names (the data crate names files by their display
/// form, with ` (decompressed)` for gzip files).
fn file_of(kind: &Source, named: &str) -> PathBuf {
    let files: Vec<&PathBuf> = match kind {
        Source::Csv { path, .. } => vec![path],
        Source::Idx { images, labels } => vec![images, labels],
        Source::Cifar { paths } => paths.iter().collect(),
        _ => Vec::new(),
    };
    files
        .iter()
        .find(|p| {
            let shown = p.display().to_string();
            named == shown || named.starts_with(&format!("{shown} "))
        })
        .or(files.first())
        .map(|p| (*p).clone())
        .unwrap_or_else(|| PathBuf::from(named))
}

/// The checker's view of a data error.
pub fn probe_error(kind: &Source, e: DataError) -> ProbeError {
    let reason = e.to_string();
    let csv = |path: &str, line: u64, column: Option<&str>| ProbeError::Csv {
        path: file_of(kind, path),
        line,
        column: column.map(str::to_string),
        reason: reason.clone(),
    };
    let is_csv = matches!(kind, Source::Csv { .. });
    match &e {
        DataError::Io { path, source, .. } => ProbeError::Unreadable {
            path: file_of(kind, path),
            reason: source.to_string(),
        },
        DataError::UnknownColumn {
            path,
            name,
            available,
            ..
        } => ProbeError::ColumnNotFound {
            path: file_of(kind, path),
            column: name.clone(),
            available: available.clone(),
        },
        DataError::MissingValue { path, line, column }
        | DataError::NotNumeric {
            path, line, column, ..
        }
        | DataError::NonFinite {
            path, line, column, ..
        }
        | DataError::UnknownClass {
            path, line, column, ..
        } => csv(path, *line, Some(column)),
        DataError::RaggedRow { path, line, .. } | DataError::CsvSyntax { path, line, .. } => {
            csv(path, *line, None)
        }
        DataError::DuplicateColumn { path, name, .. } => csv(path, 1, Some(name)),
        DataError::Empty { path, .. } if is_csv => csv(path, 1, None),
        DataError::Invalid { .. } if is_csv => csv(&file_name(kind), 1, None),
        DataError::Empty { path, .. }
        | DataError::IdxMagic { path, .. }
        | DataError::IdxType { path, .. }
        | DataError::IdxDims { path, .. }
        | DataError::IdxTruncated { path, .. }
        | DataError::IdxTrailing { path, .. }
        | DataError::IdxTooLarge { path, .. }
        | DataError::BadLabel { path, .. }
        | DataError::Gzip { path, .. }
            if matches!(kind, Source::Idx { .. }) =>
        {
            ProbeError::Idx {
                path: file_of(kind, path),
                reason,
            }
        }
        DataError::CountMismatch { images, .. } => ProbeError::Idx {
            path: file_of(kind, images),
            reason,
        },
        DataError::CifarTruncated { path, .. } | DataError::Empty { path, .. } => {
            ProbeError::Unreadable {
                path: file_of(kind, path),
                reason,
            }
        }
        _ => ProbeError::Unreadable {
            path: file_of(kind, &file_name(kind)),
            reason,
        },
    }
}

fn file_name(kind: &Source) -> String {
    match kind {
        Source::Csv { path, .. } => path.display().to_string(),
        Source::Idx { images, .. } => images.display().to_string(),
        Source::Cifar { paths } => paths
            .first()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    fn csv_spec(path: PathBuf, label: Option<&str>) -> SourceSpec {
        SourceSpec {
            kind: Source::Csv {
                path,
                options: nnc_data::CsvOptions {
                    label: label.map(str::to_string),
                    ..nnc_data::CsvOptions::default()
                },
            },
            span: Span::default(),
        }
    }

    /// A scratch directory per test (tests run in parallel).
    fn scratch(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("nnc-probe-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn temp(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, contents).unwrap();
        p
    }

    #[test]
    fn csv_errors_carry_the_file_line_and_column() {
        let dir = scratch("csv");
        let probe = FileProbe::new();
        let good = temp(&dir, "good.csv", b"a,b,label\n1,2,x\n3,4,y\n5,6,x\n");
        let shape = probe
            .probe(&csv_spec(good.clone(), None), Path::new(""))
            .unwrap();
        assert_eq!(
            shape,
            DataShape {
                features: 2,
                classes: 2,
                rows: Some(3)
            }
        );
        let bad = temp(&dir, "bad.csv", b"a,b,label\n1,2,x\n3,oops,y\n");
        match probe.probe(&csv_spec(bad.clone(), None), Path::new("")) {
            Err(ProbeError::Csv {
                path, line, column, ..
            }) => {
                assert_eq!((path, line, column.as_deref()), (bad, 3, Some("b")));
            }
            other => panic!("{other:?}"),
        }
        let ragged = temp(&dir, "ragged.csv", b"a,b,label\n1,2,x\n3,y\n");
        assert!(matches!(
            probe.probe(&csv_spec(ragged, None), Path::new("")),
            Err(ProbeError::Csv {
                line: 3,
                column: None,
                ..
            })
        ));
        match probe.probe(&csv_spec(good, Some("lable")), Path::new("")) {
            Err(ProbeError::ColumnNotFound {
                column, available, ..
            }) => {
                assert_eq!(column, "lable");
                assert_eq!(available, ["a", "b", "label"]);
            }
            other => panic!("{other:?}"),
        }
        let missing = std::env::temp_dir().join("nnc-probe-no-such-file.csv");
        assert!(matches!(
            probe.probe(&csv_spec(missing.clone(), None), Path::new("")),
            Err(ProbeError::Unreadable { path, .. }) if path == missing
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn idx_errors_name_the_file() {
        use nnc_data::IdxType;
        use nnc_data::sources::idx::encode_idx;
        let dir = scratch("idx");
        let probe = FileProbe::new();
        let images = temp(
            &dir,
            "img-idx3-ubyte",
            &encode_idx(IdxType::U8, &[3, 2, 2], &[0.0; 12]),
        );
        let labels = temp(
            &dir,
            "lab-idx1-ubyte",
            &encode_idx(IdxType::U8, &[3], &[0.0, 1.0, 2.0]),
        );
        let spec = |images: &PathBuf, labels: &PathBuf| SourceSpec {
            kind: Source::Idx {
                images: images.clone(),
                labels: labels.clone(),
            },
            span: Span::default(),
        };
        let shape = probe.probe(&spec(&images, &labels), Path::new("")).unwrap();
        assert_eq!((shape.features, shape.classes, shape.rows), (4, 3, Some(3)));
        // Labels where the images should be: a bad magic number in the images file.
        let swapped = probe.probe(&spec(&labels, &images), Path::new(""));
        assert!(
            matches!(&swapped, Err(ProbeError::Idx { .. })),
            "{swapped:?}"
        );
        let short = temp(
            &dir,
            "short-idx1-ubyte",
            &encode_idx(IdxType::U8, &[2], &[0.0, 1.0]),
        );
        match probe.probe(&spec(&images, &short), Path::new("")) {
            Err(ProbeError::Idx { path, reason }) => {
                assert_eq!(path, images);
                assert!(reason.contains("3 images"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
