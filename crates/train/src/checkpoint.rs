//! Named tensors in safetensors files, written atomically.
//!
//! A file is first written to a temporary sibling, flushed to disk, then renamed over the
//! target, so a crash or Ctrl-C never leaves a half-written checkpoint: the old file or the new
//! one is there, whole. The format is safetensors (little-endian, a JSON header with names,
//! dtypes, shapes and free-form string metadata), which PyTorch and other tools can open.

use nnc_tape::{DType, Float, Tensor};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The safetensors metadata key under which nnc stores its metadata, as a JSON object.
pub const METADATA_KEY: &str = "nnc";

/// An error reading or writing a tensor file.
#[derive(Error)]
pub enum CheckpointError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not a valid safetensors file, or holds something unexpected.
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The tensors and metadata of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorFile<T: Float> {
    /// Named tensors, in the file's order (sorted by name).
    pub tensors: Vec<(String, Tensor<T>)>,
    /// Free-form string metadata.
    pub metadata: BTreeMap<String, String>,
}

impl<T: Float> TensorFile<T> {
    /// The tensor called `name`.
    pub fn get(&self, name: &str) -> Option<&Tensor<T>> {
        self.tensors.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }
}

fn dtype_of<T: Float>() -> Dtype {
    match T::DTYPE {
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
    }
}

fn to_le_bytes<T: Float>(t: &Tensor<T>) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.numel() * std::mem::size_of::<T>());
    for &x in t.data() {
        match T::DTYPE {
            DType::F32 => out.extend_from_slice(&(x.to_f64() as f32).to_le_bytes()),
            DType::F64 => out.extend_from_slice(&x.to_f64().to_le_bytes()),
        }
    }
    out
}

/// Writes `tensors` with `metadata` to `path` atomically (temporary file, sync, rename).
pub fn save_tensors<T: Float>(
    path: &Path,
    tensors: &[(String, &Tensor<T>)],
    metadata: &BTreeMap<String, String>,
) -> Result<(), CheckpointError> {
    let format_err = |message: String| CheckpointError::Format {
        path: path.to_path_buf(),
        message,
    };
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
        .iter()
        .map(|(n, t)| (n.clone(), to_le_bytes(t), t.shape().to_vec()))
        .collect();
    let views = bytes
        .iter()
        .map(|(n, b, s)| {
            TensorView::new(dtype_of::<T>(), s.clone(), b)
                .map(|v| (n.as_str(), v))
                .map_err(|e| format_err(format!("tensor `{n}`: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // One metadata entry holding the (ordered) map as JSON: a HashMap's order would change
    // the file's bytes from run to run.
    let mut info: HashMap<String, String> = HashMap::new();
    if !metadata.is_empty() {
        info.insert(
            METADATA_KEY.into(),
            serde_json::to_string(metadata).expect("a map of strings serialises"),
        );
    }
    let buffer = safetensors::serialize(views, Some(info))
        .map_err(|e| format_err(format!("cannot serialise: {e}")))?;
    write_atomically(path, &buffer)
}

/// Writes `bytes` to `path` through a temporary sibling and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let io_err = |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(io_err)?;
    }
    let file_name = path
        .file_name()
        .map_or_else(|| "checkpoint".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io_err)
}

/// Reads every tensor of a safetensors file (F32 or F64, converted to `T`) and its metadata.
pub fn load_tensors<T: Float>(path: &Path) -> Result<TensorFile<T>, CheckpointError> {
    let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let format_err = |message: String| CheckpointError::Format {
        path: path.to_path_buf(),
        message,
    };
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| format_err(format!("not a valid safetensors file: {e}")))?;
    let (_, meta) = SafeTensors::read_metadata(&bytes)
        .map_err(|e| format_err(format!("not a valid safetensors file: {e}")))?;
    let raw = meta.metadata().clone().unwrap_or_default();
    let metadata: BTreeMap<String, String> = match raw.get(METADATA_KEY) {
        Some(json) => serde_json::from_str(json)
            .map_err(|e| format_err(format!("bad `{METADATA_KEY}` metadata: {e}")))?,
        None => raw.into_iter().collect(),
    };
    let mut names: Vec<String> = st.names().into_iter().map(String::from).collect();
    names.sort();
    let mut tensors = Vec::with_capacity(names.len());
    for name in names {
        let view = st
            .tensor(&name)
            .map_err(|e| format_err(format!("tensor `{name}`: {e}")))?;
        let data: Vec<T> = match view.dtype() {
            Dtype::F32 => view
                .data()
                .chunks_exact(4)
                .map(|c| T::from_f64(f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64))
                .collect(),
            Dtype::F64 => view
                .data()
                .chunks_exact(8)
                .map(|c| {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(c);
                    T::from_f64(f64::from_le_bytes(b))
                })
                .collect(),
            other => {
                return Err(format_err(format!(
                    "tensor `{name}` has dtype {other:?}; only F32 and F64 are supported"
                )));
            }
        };
        let t = Tensor::from_vec(data, view.shape())
            .map_err(|e| format_err(format!("tensor `{name}`: {e}")))?;
        tensors.push((name, t));
    }
    Ok(TensorFile { tensors, metadata })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensors_and_metadata_round_trip() {
        let dir = std::env::temp_dir().join(format!("nnc-ckpt-{}", std::process::id()));
        let path = dir.join("w.safetensors");
        let a = Tensor::<f32>::from_vec(vec![1.0, -2.5, 3.25, 0.0], &[2, 2]).unwrap();
        let b = Tensor::<f32>::from_vec(vec![7.0], &[1]).unwrap();
        let mut meta = BTreeMap::new();
        meta.insert("step".to_string(), "42".to_string());
        save_tensors(
            &path,
            &[("fc.weight".into(), &a), ("fc.bias".into(), &b)],
            &meta,
        )
        .unwrap();
        let back = load_tensors::<f32>(&path).unwrap();
        assert_eq!(back.get("fc.weight"), Some(&a));
        assert_eq!(back.get("fc.bias"), Some(&b));
        assert_eq!(back.metadata.get("step").map(String::as_str), Some("42"));
        // The same content gives the same bytes.
        let first = std::fs::read(&path).unwrap();
        meta.insert("b".into(), "2".into());
        meta.insert("a".into(), "1".into());
        for _ in 0..3 {
            save_tensors(&path, &[("x".into(), &a)], &meta).unwrap();
            let again = std::fs::read(&path).unwrap();
            save_tensors(&path, &[("x".into(), &a)], &meta).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), again);
        }
        assert_ne!(first, std::fs::read(&path).unwrap());
        // No temporary file is left behind.
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
        std::fs::write(&path, b"garbage").unwrap();
        let err = load_tensors::<f32>(&path).unwrap_err();
        assert!(err.to_string().contains("not a valid safetensors file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

nnc_tape::debug_as_display!(CheckpointError);
