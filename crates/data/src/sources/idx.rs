//! IDX files, the format of MNIST: a 4-byte magic number `00 00 <type> <dims>`, one
//! big-endian `u32` size per dimension, then the values, big-endian, row-major.
//!
//! All six IDX types are read (`0x08` u8, `0x09` i8, `0x0b` i16, `0x0c` i32, `0x0d` f32,
//! `0x0e` f64), with 1 to 3 dimensions. A gzip-compressed file is recognised by its magic
//! bytes `1f 8b` (not by its name) and decompressed first; byte offsets in errors about such a
//! file count in the decompressed stream, and the file is named `<path> (decompressed)`.
//! An images file and a labels file are checked against each other: the counts at byte
//! offset 4 must agree.

use crate::dataset::{Dataset, ImageShape};
use crate::error::{DataError, Result};
use nnc_tape::Tensor;
use std::io::Read;
use std::path::Path;

/// The element type of an IDX file (its byte 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdxType {
    /// `0x08`: unsigned byte.
    U8,
    /// `0x09`: signed byte.
    I8,
    /// `0x0b`: big-endian 16-bit integer.
    I16,
    /// `0x0c`: big-endian 32-bit integer.
    I32,
    /// `0x0d`: big-endian IEEE f32.
    F32,
    /// `0x0e`: big-endian IEEE f64.
    F64,
}

impl IdxType {
    /// The type for a type code, if the code is one of the six.
    pub fn from_code(code: u8) -> Option<IdxType> {
        Some(match code {
            0x08 => IdxType::U8,
            0x09 => IdxType::I8,
            0x0b => IdxType::I16,
            0x0c => IdxType::I32,
            0x0d => IdxType::F32,
            0x0e => IdxType::F64,
            _ => return None,
        })
    }

    /// Bytes per value.
    pub fn size(self) -> usize {
        match self {
            IdxType::U8 | IdxType::I8 => 1,
            IdxType::I16 => 2,
            IdxType::I32 | IdxType::F32 => 4,
            IdxType::F64 => 8,
        }
    }

    /// True for the four integer types.
    pub fn is_integer(self) -> bool {
        !matches!(self, IdxType::F32 | IdxType::F64)
    }

    fn decode(self, b: &[u8]) -> f64 {
        match self {
            IdxType::U8 => f64::from(b[0]),
            IdxType::I8 => f64::from(b[0] as i8),
            IdxType::I16 => f64::from(i16::from_be_bytes([b[0], b[1]])),
            IdxType::I32 => f64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]])),
            IdxType::F32 => f64::from(f32::from_be_bytes([b[0], b[1], b[2], b[3]])),
            IdxType::F64 => f64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        }
    }
}

/// A parsed IDX file: its type, its sizes and its raw (decompressed) bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    /// The element type.
    pub dtype: IdxType,
    /// The sizes, first the number of examples.
    pub dims: Vec<usize>,
    /// The name used in errors (the path, with ` (decompressed)` for gzip files).
    pub name: String,
    bytes: Vec<u8>,
    data_offset: usize,
}

impl IdxArray {
    /// Number of values (the product of the sizes).
    pub fn numel(&self) -> usize {
        self.dims.iter().product()
    }

    /// Byte offset of value `i` in the (decompressed) file.
    pub fn offset_of(&self, i: usize) -> u64 {
        (self.data_offset + i * self.dtype.size()) as u64
    }

    /// The values converted to f32, row-major (exact for every type but i32 beyond 2^24 and
    /// f64).
    pub fn to_f32(&self) -> Vec<f32> {
        let size = self.dtype.size();
        let data = &self.bytes[self.data_offset..];
        if self.dtype == IdxType::U8 {
            return data.iter().map(|&b| f32::from(b)).collect();
        }
        data.chunks_exact(size)
            .map(|c| self.dtype.decode(c) as f32)
            .collect()
    }

    /// The values as class indices. Fails at the first value that is negative, fractional,
    /// non-finite or 1,000,000 or more, naming its byte offset.
    pub fn to_labels(&self) -> Result<Vec<usize>> {
        let size = self.dtype.size();
        self.bytes[self.data_offset..]
            .chunks_exact(size)
            .enumerate()
            .map(|(i, c)| {
                let v = self.dtype.decode(c);
                let problem = if !v.is_finite() || v.fract() != 0.0 {
                    "is not a whole number"
                } else if v < 0.0 {
                    "is negative"
                } else if v >= 1e6 {
                    "is too large to be a class index"
                } else {
                    return Ok(v as usize);
                };
                Err(DataError::BadLabel {
                    path: self.name.clone(),
                    offset: self.offset_of(i),
                    value: v,
                    problem: format!("{problem}; labels must be class indices 0, 1, 2, ..."),
                })
            })
            .collect()
    }
}

/// Reads the IDX file at `path` (gzip or not).
pub fn load_idx_file(path: impl AsRef<Path>) -> Result<IdxArray> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| DataError::io(&name, e))?;
    parse_idx(bytes, &name)
}

fn truncated(
    name: &str,
    part: &'static str,
    offset: usize,
    needed: usize,
    len: usize,
) -> DataError {
    DataError::IdxTruncated {
        path: name.to_string(),
        part,
        needed: needed as u64,
        offset: offset as u64,
        file_len: len as u64,
        missing: (offset + needed - len) as u64,
    }
}

/// Parses the bytes of an IDX file (gzip or not); `name` is used in error messages.
pub fn parse_idx(bytes: Vec<u8>, name: &str) -> Result<IdxArray> {
    let (bytes, name) = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(|e| DataError::Gzip {
                path: name.to_string(),
                message: e.to_string(),
            })?;
        (out, format!("{name} (decompressed)"))
    } else {
        (bytes, name.to_string())
    };
    let len = bytes.len();
    if len == 0 {
        return Err(DataError::Empty {
            path: name,
            what: "an IDX file starts with a 4-byte magic number".into(),
        });
    }
    if len < 4 {
        return Err(truncated(&name, "magic number", 0, 4, len));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        let hint = if bytes.starts_with(b"PK") {
            "; this is a zip archive: unzip it first"
        } else if bytes[..4]
            .iter()
            .all(|b| b.is_ascii_graphic() || *b == b' ')
        {
            "; this looks like a text file (a CSV?)"
        } else {
            ""
        };
        return Err(DataError::IdxMagic {
            path: name,
            found: bytes[..4].to_vec(),
            hint: hint.into(),
        });
    }
    let dtype = IdxType::from_code(bytes[2]).ok_or_else(|| DataError::IdxType {
        path: name.clone(),
        code: bytes[2],
    })?;
    let ndims = bytes[3];
    if !(1..=3).contains(&ndims) {
        return Err(DataError::IdxDims {
            path: name,
            dims: ndims,
            expected: "nnc reads IDX files of 1 to 3 dimensions".into(),
        });
    }
    let header = 4 + 4 * ndims as usize;
    if len < header {
        return Err(truncated(&name, "header", 4, header - 4, len));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let data_len = dims
        .iter()
        .try_fold(dtype.size(), |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize - header)
        .ok_or_else(|| DataError::IdxTooLarge {
            path: name.clone(),
            dims: dims.iter().map(|&d| d as u64).collect(),
        })?;
    if len < header + data_len {
        return Err(truncated(&name, "data", header, data_len, len));
    }
    if len > header + data_len {
        return Err(DataError::IdxTrailing {
            path: name,
            offset: (header + data_len) as u64,
            extra: (len - header - data_len) as u64,
        });
    }
    Ok(IdxArray {
        dtype,
        dims,
        name,
        bytes,
        data_offset: header,
    })
}

/// Reads an images file and a labels file (MNIST's pair) into a dataset: images of shape
/// `[n]`, `[n, d]` or `[n, h, w]` become `n` rows of 1, `d` or `h·w` features named `px0`,
/// `px1`, ... (pixel values as stored, e.g. 0..255 for bytes: use `scale(1/255)`); labels
/// `[n]` are class indices, and the classes are `"0"` to `"max"`.
pub fn load_idx(images: impl AsRef<Path>, labels: impl AsRef<Path>) -> Result<Dataset> {
    let images = load_idx_file(images)?;
    let labels = load_idx_file(labels)?;
    idx_dataset(&images, &labels)
}

/// Builds the dataset of [`load_idx`] from two parsed files.
pub fn idx_dataset(images: &IdxArray, labels: &IdxArray) -> Result<Dataset> {
    if labels.dims.len() != 1 {
        return Err(DataError::IdxDims {
            path: labels.name.clone(),
            dims: labels.dims.len() as u8,
            expected: "a labels file has 1 dimension (one label per example)".into(),
        });
    }
    let (n, m) = (images.dims[0], labels.dims[0]);
    if n != m {
        return Err(DataError::CountMismatch {
            images: images.name.clone(),
            labels: labels.name.clone(),
            image_count: n as u64,
            label_count: m as u64,
        });
    }
    if n == 0 {
        return Err(DataError::Empty {
            path: images.name.clone(),
            what: "the header declares 0 examples".into(),
        });
    }
    let (y, class_names) = Dataset::integer_classes(&labels.to_labels()?);
    let d: usize = images.dims[1..].iter().product();
    let ds = Dataset::new(
        Tensor::from_vec(images.to_f32(), &[n, d])?,
        y,
        class_names,
        Dataset::numbered_features("px", d),
    )?;
    if let [_, h, w] = images.dims[..] {
        ds.with_image_shape(ImageShape {
            channels: 1,
            height: h,
            width: w,
        })
    } else {
        Ok(ds)
    }
}

/// The bytes of an IDX file holding `values` of type `dtype` with sizes `dims` (the inverse of
/// [`parse_idx`], for tests and for writing converted data).
pub fn encode_idx(dtype: IdxType, dims: &[u32], values: &[f64]) -> Vec<u8> {
    let code = match dtype {
        IdxType::U8 => 0x08,
        IdxType::I8 => 0x09,
        IdxType::I16 => 0x0b,
        IdxType::I32 => 0x0c,
        IdxType::F32 => 0x0d,
        IdxType::F64 => 0x0e,
    };
    let mut out = vec![0, 0, code, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    for &v in values {
        match dtype {
            IdxType::U8 => out.push(v as u8),
            IdxType::I8 => out.push(v as i8 as u8),
            IdxType::I16 => out.extend_from_slice(&(v as i16).to_be_bytes()),
            IdxType::I32 => out.extend_from_slice(&(v as i32).to_be_bytes()),
            IdxType::F32 => out.extend_from_slice(&(v as f32).to_be_bytes()),
            IdxType::F64 => out.extend_from_slice(&v.to_be_bytes()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn every_type_round_trips() {
        let values = [0.0, 1.0, 7.0, 100.0, 3.0, 2.0];
        for dtype in [
            IdxType::U8,
            IdxType::I8,
            IdxType::I16,
            IdxType::I32,
            IdxType::F32,
            IdxType::F64,
        ] {
            let a = parse_idx(encode_idx(dtype, &[2, 3], &values), "t").unwrap();
            assert_eq!(a.dims, vec![2, 3]);
            assert_eq!(a.to_f32(), values.map(|v| v as f32).to_vec(), "{dtype:?}");
        }
        let signed = parse_idx(encode_idx(IdxType::I16, &[2], &[-300.0, 5.0]), "t").unwrap();
        assert_eq!(signed.to_f32(), vec![-300.0, 5.0]);
        let e = signed.to_labels().unwrap_err();
        assert!(matches!(e, DataError::BadLabel { offset: 8, .. }), "{e}");
    }

    #[test]
    fn gzip_is_detected_by_magic() {
        let raw = encode_idx(IdxType::U8, &[4], &[1.0, 2.0, 3.0, 4.0]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        let a = parse_idx(gz.finish().unwrap(), "l.gz").unwrap();
        assert_eq!(a.to_labels().unwrap(), vec![1, 2, 3, 4]);
        assert_eq!(a.name, "l.gz (decompressed)");
    }

    #[test]
    fn header_errors_name_the_byte() {
        let e = parse_idx(vec![0, 0, 0x08], "t").unwrap_err();
        assert!(
            matches!(e, DataError::IdxTruncated { missing: 1, .. }),
            "{e}"
        );
        let e = parse_idx(vec![0, 0, 0x07, 1, 0, 0, 0, 0], "t").unwrap_err();
        assert!(matches!(e, DataError::IdxType { code: 7, .. }), "{e}");
        let e = parse_idx(vec![0, 0, 0x08, 4], "t").unwrap_err();
        assert!(matches!(e, DataError::IdxDims { dims: 4, .. }), "{e}");
        let e = parse_idx(vec![0, 0, 0x08, 2, 0, 0], "t").unwrap_err();
        assert!(
            matches!(
                e,
                DataError::IdxTruncated {
                    part: "header",
                    offset: 4,
                    needed: 8,
                    ..
                }
            ),
            "{e}"
        );
        let e = parse_idx(b"a,b,label\n".to_vec(), "t").unwrap_err();
        assert!(e.to_string().contains("text file"), "{e}");
        let e = parse_idx(
            vec![
                0, 0, 0x0c, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
            ],
            "t",
        );
        assert!(e.is_err());
        let e = parse_idx(vec![0, 0, 0x08, 1, 0, 0, 0, 1, 9, 9], "t").unwrap_err();
        assert!(
            matches!(
                e,
                DataError::IdxTrailing {
                    offset: 9,
                    extra: 1,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn pairs_are_checked_against_each_other() {
        let images = parse_idx(encode_idx(IdxType::U8, &[2, 2, 2], &[0.0; 8]), "i").unwrap();
        let labels = parse_idx(encode_idx(IdxType::U8, &[3], &[0.0, 1.0, 2.0]), "l").unwrap();
        let e = idx_dataset(&images, &labels).unwrap_err();
        assert!(
            matches!(
                e,
                DataError::CountMismatch {
                    image_count: 2,
                    label_count: 3,
                    ..
                }
            ),
            "{e}"
        );
        let labels = parse_idx(encode_idx(IdxType::U8, &[2], &[4.0, 1.0]), "l").unwrap();
        let ds = idx_dataset(&images, &labels).unwrap();
        // Labels 4 and 1: two classes, named "1" and "4", no empty ones.
        assert_eq!((ds.len(), ds.features(), ds.classes()), (2, 4, 2));
        assert_eq!(ds.class_names(), &["1", "4"]);
        assert_eq!(ds.labels(), &[1, 0]);
        assert_eq!(ds.image_shape().unwrap().plane(), 4);
        let e = idx_dataset(&images, &images).unwrap_err();
        assert!(matches!(e, DataError::IdxDims { .. }), "{e}");
    }
}
