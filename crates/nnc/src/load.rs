//! Reading, checking and lowering a model file, with diagnostics rendered at the edge.

use crate::exit::{BAD_MODEL, Failure, USAGE};
use crate::output::Output;
use nnc_dsl::lower::{CompileOptions, Compiled, FileProbe, LowerError, compile};
use nnc_dsl::{CheckOptions, Checked, Diagnostics, NoDataProbe, Override, Purpose, Sources};
use std::path::{Path, PathBuf};

/// A model file that checked clean.
pub struct Loaded {
    /// The file.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// The `--set` overrides applied.
    pub overrides: Vec<Override>,
    /// The resolved experiment and its warnings.
    pub checked: Checked,
    /// The data read while checking (reused by lowering).
    pub probe: FileProbe,
}

impl Loaded {
    /// The sources diagnostics point into.
    pub fn sources(&self) -> Sources {
        Sources::new(self.path.display().to_string(), self.text.as_str())
            .with_overrides(&self.overrides)
    }
}

/// Prints diagnostics: rendered text on standard error, or a `diagnostics` JSON record.
pub fn print_diagnostics(diagnostics: &Diagnostics, sources: &Sources, out: &Output) {
    if diagnostics.is_empty() {
        return;
    }
    if out.json() {
        out.record(
            "diagnostics",
            &serde_json::json!({ "diagnostics": nnc_dsl::render::to_json(diagnostics, sources) }),
        );
    } else {
        crate::output::text_err(&nnc_dsl::render::render_text(diagnostics, sources));
    }
}

/// The exit code for a file with errors: usage (2) when every error points into a `--set`
/// override, else a bad model file (1).
pub fn error_code(diagnostics: &Diagnostics) -> i32 {
    let mut errors = diagnostics.iter().filter(|d| d.is_error()).peekable();
    if errors.peek().is_none() {
        return BAD_MODEL;
    }
    let all_in_overrides = errors.all(|d| {
        d.primary
            .as_ref()
            .is_some_and(|l| l.span.source != nnc_dsl::SourceId::default())
    });
    if all_in_overrides { USAGE } else { BAD_MODEL }
}

/// A model file that is not UTF-8 text: where the first bad byte is (line, column, byte
/// offset), as a usage error (exit code 2).
fn not_utf8(path: &Path, bytes: &[u8], e: std::str::Utf8Error) -> Failure {
    let at = e.valid_up_to();
    let before = &bytes[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    // The valid prefix of the line is UTF-8: count its characters for the column.
    let column = std::str::from_utf8(&bytes[line_start..at]).map_or(1, |s| s.chars().count() + 1);
    Failure::new(
        USAGE,
        format!(
            "`{}` is not UTF-8 text: byte 0x{:02x} at line {line}, column {column} (byte offset {at})",
            path.display(),
            bytes[at]
        ),
    )
    .hint("model files are UTF-8 text; is this a .nn file? re-save it as UTF-8 if it is")
}

/// `did you mean `models/digits.nn`?` for a model file that cannot be read: the closest `.nn`
/// file in its directory.
fn model_file_beside(path: &Path) -> Option<String> {
    let file = path.file_name()?.to_str()?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let names: Vec<String> = std::fs::read_dir(dir.unwrap_or(Path::new(".")))
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".nn") && n != file)
        .collect();
    let close = nnc_dsl::suggest::closest(file, names.iter().map(String::as_str))?;
    let fix = dir.map_or(PathBuf::from(&close), |d| d.join(&close));
    Some(format!("did you mean `{}`?", fix.display()))
}

/// Reads and checks the model file at `path` for `purpose`, with `--set` overrides; `read_data`
/// false leaves file-backed data unread (`check --no-data`). Warnings are printed (unless
/// quiet); errors are printed and returned as a failure.
pub fn load(
    path: &Path,
    overrides: &[String],
    purpose: Purpose,
    read_data: bool,
    out: &Output,
) -> Result<Loaded, Failure> {
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::new(USAGE, format!("cannot read `{}`: {e}", path.display())).hint(
            model_file_beside(path).unwrap_or_else(|| {
                "give the path of a `.nn` model file, e.g. `nnc run models/spiral.nn`".into()
            }),
        )
    })?;
    let text =
        String::from_utf8(bytes).map_err(|e| not_utf8(path, e.as_bytes(), e.utf8_error()))?;
    let overrides: Vec<Override> = overrides.iter().map(Override::parse).collect();
    if let Some((i, twice)) = overrides
        .iter()
        .enumerate()
        .find(|(i, o)| overrides[..*i].iter().any(|p| p.name == o.name))
    {
        let first = overrides[..i].iter().find(|p| p.name == twice.name);
        return Err(Failure::new(
            USAGE,
            format!(
                "`--set {}` is given twice: `{}` and `{}`",
                twice.name,
                first.map_or("", |f| f.text.as_str()),
                twice.text
            ),
        )
        .hint("keep one value per name"));
    }
    let probe = FileProbe::new();
    let options = CheckOptions {
        overrides: &overrides,
        probe: if read_data { &probe } else { &NoDataProbe },
        purpose,
    };
    let sources =
        Sources::new(path.display().to_string(), text.as_str()).with_overrides(&overrides);
    match nnc_dsl::check_with(&text, path, &options) {
        Ok(checked) => {
            if !out.quiet || out.json() {
                print_diagnostics(&checked.diagnostics, &sources, out);
            }
            Ok(Loaded {
                path: path.to_path_buf(),
                text,
                overrides,
                checked,
                probe,
            })
        }
        Err(diagnostics) => {
            let shown: Diagnostics = if out.quiet && !out.json() {
                // Quiet: the errors, not the warnings beside them.
                diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .cloned()
                    .collect::<Vec<_>>()
                    .into()
            } else {
                diagnostics.clone()
            };
            print_diagnostics(&shown, &sources, out);
            Err(Failure::silent(error_code(&diagnostics)))
        }
    }
}

/// A lowering error as a failure (exit code 1: the data does not fit the file).
pub fn lower_failure(e: LowerError) -> Failure {
    let hint = e.hint().unwrap_or_default().to_string();
    let code = match e {
        LowerError::NoSuchFold { .. } => USAGE,
        _ => BAD_MODEL,
    };
    Failure::new(code, e.to_string()).hint(hint)
}

/// Lowers a loaded file into library objects; `fold_index` counts from 0 (`--fold N` is
/// index `N − 1`).
pub fn lower(
    loaded: &Loaded,
    seed: Option<u64>,
    fold_index: Option<usize>,
) -> Result<Compiled, Failure> {
    compile(
        &loaded.checked.experiment,
        &CompileOptions {
            seed,
            fold_index,
            cache: Some(&loaded.probe),
            memory_limit: available_memory(),
        },
    )
    .map_err(lower_failure)
}

/// The memory the system can give this process without swapping, in bytes (`MemAvailable`
/// of `/proc/meminfo`; `None` where that is not reported). A model that needs more is refused
/// when it is lowered, instead of aborting on a failed allocation.
pub fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}
