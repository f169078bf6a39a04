//! Long explanations per diagnostic code, for `nnc explain E301`.
//!
//! Each text is a Markdown file, `crates/dsl/explain/<code>.md`, included at build time by
//! [`Code::explanation`]; the `codes!` table in [`crate::diagnostics`] is the only list of
//! codes, so a code without a file does not compile.

use crate::diagnostics::Code;

/// The explanation of `code` (`"E301"`, `"e301"` or `"E0301"`), if it is a known code.
pub fn explain(code: &str) -> Option<&'static str> {
    Code::parse(code).map(explanation)
}

/// The explanation of a code.
pub fn explanation(code: Code) -> &'static str {
    code.explanation()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn every_code_is_explained_and_parsable() {
        for code in Code::ALL {
            let text = explanation(*code);
            assert!(text.starts_with(code.as_str()), "{code}: {text}");
            assert_eq!(Code::parse(code.as_str()), Some(*code));
        }
        assert_eq!(Code::parse("E0301"), Some(Code::E301));
        assert_eq!(Code::parse("w306"), Some(Code::W306));
        assert!(explain("E999").is_none());
    }

    /// Every file in `explain/` is `<code>.md` for a code of the language (and, by the
    /// `include_str!` table, every code has its file).
    #[test]
    fn every_explanation_file_belongs_to_a_code() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("explain");
        let mut stems: Vec<String> = std::fs::read_dir(&dir)
            .expect("the explain directory")
            .map(|entry| {
                let path = entry.expect("a directory entry").path();
                assert_eq!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("md"),
                    "{}",
                    path.display()
                );
                let stem = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .expect("a file name");
                stem.to_string()
            })
            .collect();
        stems.sort();
        let mut codes: Vec<String> = Code::ALL.iter().map(|c| c.as_str().to_string()).collect();
        codes.sort();
        assert_eq!(stems, codes);
    }
}
