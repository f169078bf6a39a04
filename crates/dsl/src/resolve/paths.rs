//! Rewriting a data path written relative to the model file's directory so that it is
//! relative to another directory (where a resolved copy of the file is written).

use std::path::{Path, PathBuf};

/// Rebases relative file paths from one directory to another (both canonical).
#[derive(Debug, Clone)]
pub(crate) struct Rebase {
    from: PathBuf,
    to: PathBuf,
}

impl Rebase {
    /// From `from` (the model file's directory) to `to`; `None` when either does not exist.
    pub fn new(from: &Path, to: &Path) -> Option<Rebase> {
        // The directory of a bare file name (`model.nn`) is the empty path: the current one.
        let absolute = |dir: &Path| {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            dir.canonicalize().ok()
        };
        Some(Rebase {
            from: absolute(from)?,
            to: absolute(to)?,
        })
    }

    /// `literal` rewritten relative to `to`, when it is a relative path naming an existing
    /// file relative to `from`, and the result can be written inside a string literal
    /// without escapes (no `"`, `\` or newline).
    pub fn path(&self, literal: &str) -> Option<String> {
        if literal.is_empty() || !Path::new(literal).is_relative() {
            return None;
        }
        let target = self.from.join(literal);
        if !target.is_file() {
            return None;
        }
        let rebased = relative_path(&self.to, &target.canonicalize().ok()?);
        (!rebased.contains(['"', '\\', '\n'])).then_some(rebased)
    }
}

/// The path of `file` relative to the directory `dir` (both absolute), with `/` separators;
/// the absolute path when they share nothing but the root.
fn relative_path(dir: &Path, file: &Path) -> String {
    let d: Vec<_> = dir.components().collect();
    let f: Vec<_> = file.components().collect();
    let common = d.iter().zip(&f).take_while(|(a, b)| a == b).count();
    if common <= 1 {
        return file.display().to_string();
    }
    let mut parts: Vec<String> = vec!["..".to_string(); d.len() - common];
    parts.extend(
        f[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_to_the_common_ancestor() {
        assert_eq!(
            relative_path(Path::new("/a/runs/m/1"), Path::new("/a/models/d.csv")),
            "../../../models/d.csv"
        );
        assert_eq!(
            relative_path(Path::new("/a/b"), Path::new("/a/b/c/d.csv")),
            "c/d.csv"
        );
        assert_eq!(
            relative_path(Path::new("/x"), Path::new("/y/d.csv")),
            "/y/d.csv"
        );
    }

    #[test]
    fn a_bare_file_name_lives_in_the_current_directory() {
        // `nnc search model.nn` gives the model file's directory as the empty path.
        let here = std::env::current_dir().unwrap();
        let rebase = Rebase::new(Path::new(""), &here).expect("the current directory");
        assert_eq!(rebase.from, here.canonicalize().unwrap());
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let from_root = Rebase::new(Path::new(env!("CARGO_MANIFEST_DIR")), Path::new(""));
        assert_eq!(
            from_root.unwrap().path("Cargo.toml").map(PathBuf::from),
            Some(
                relative_path(
                    &here.canonicalize().unwrap(),
                    &manifest.canonicalize().unwrap()
                )
                .into()
            )
        );
    }
}
