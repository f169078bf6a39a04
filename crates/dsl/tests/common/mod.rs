//! Helpers shared by the integration tests: a fake data probe and rendering.

#![allow(dead_code)]

use nnc_dsl::ir::{Source, SourceSpec};
use nnc_dsl::{Checked, DataProbe, DataShape, Diagnostics, Override, ProbeError, Sources};
use std::path::{Path, PathBuf};

/// A probe that knows a few files by name and fails for the rest like the real one would.
pub struct FakeProbe;

impl DataProbe for FakeProbe {
    fn probe(&self, source: &SourceSpec, _base_dir: &Path) -> Result<DataShape, ProbeError> {
        let name = |p: &PathBuf| {
            p.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        match &source.kind {
            Source::Csv { path, options } => {
                let (label, columns) = (&options.label, &options.columns);
                let header = [
                    "letter", "x-box", "y-box", "width", "high", "onpix", "x-bar", "y-bar",
                ];
                let file = name(path);
                match file.as_str() {
                    "letters.csv" => {}
                    "ragged.csv" => {
                        return Err(ProbeError::Csv {
                            path: path.clone(),
                            line: 7,
                            column: None,
                            reason: "row has 5 cells, the header has 8".into(),
                        });
                    }
                    _ => {
                        return Err(ProbeError::Unreadable {
                            path: path.clone(),
                            reason: "No such file or directory (os error 2)".into(),
                        });
                    }
                }
                let missing = label
                    .iter()
                    .chain(columns.iter().flatten())
                    .find(|c| !header.contains(&c.as_str()));
                if let Some(column) = missing {
                    return Err(ProbeError::ColumnNotFound {
                        path: path.clone(),
                        column: column.clone(),
                        available: header.iter().map(|s| s.to_string()).collect(),
                    });
                }
                Ok(DataShape {
                    features: 7,
                    classes: 26,
                    rows: Some(20_000),
                })
            }
            Source::Idx { images, .. } => match name(images).as_str() {
                n if n.contains("bad-magic") => Err(ProbeError::Idx {
                    path: images.clone(),
                    reason: "magic number 0x00000801 is a label file, expected 0x00000803 (images)"
                        .into(),
                }),
                n if n.contains("idx3") => Ok(DataShape {
                    features: 784,
                    classes: 10,
                    rows: Some(60_000),
                }),
                _ => Err(ProbeError::Unreadable {
                    path: images.clone(),
                    reason: "No such file or directory (os error 2)".into(),
                }),
            },
            Source::Cifar { .. } => Ok(DataShape {
                features: 3072,
                classes: 10,
                rows: Some(50_000),
            }),
            _ => Err(ProbeError::Skipped),
        }
    }
}

/// Checks `text` as the file `name` (in tests/…) with overrides.
pub fn check_text(name: &str, text: &str, overrides: &[&str]) -> Result<Checked, Diagnostics> {
    let overrides: Vec<Override> = overrides.iter().map(|o| Override::parse(*o)).collect();
    nnc_dsl::check(text, Path::new(name), &overrides, &FakeProbe)
}

/// Renders diagnostics as plain text for `name`.
pub fn render(name: &str, text: &str, overrides: &[&str], diagnostics: &Diagnostics) -> String {
    let overrides: Vec<Override> = overrides.iter().map(|o| Override::parse(*o)).collect();
    let sources = Sources::new(name, text).with_overrides(&overrides);
    nnc_dsl::render::render_text(diagnostics, &sources)
}

/// The fixture directory.
pub fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}
