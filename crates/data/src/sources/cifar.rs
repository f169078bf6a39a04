//! CIFAR-10 binary batches (`data_batch_1.bin` ... `test_batch.bin`): each row is 1 label
//! byte (0..9) followed by 3072 pixel bytes, the 32×32 red plane, then green, then blue.
//! Several files are concatenated in the order given.

use crate::dataset::{Dataset, ImageShape};
use crate::error::{DataError, Result};
use nnc_tape::Tensor;
use std::path::Path;

/// Pixels per CIFAR-10 image: 3 channels of 32 × 32.
pub const CIFAR_PIXELS: usize = 3 * 32 * 32;
/// Bytes per CIFAR-10 row: the label byte and the pixels.
pub const CIFAR_ROW: usize = 1 + CIFAR_PIXELS;
/// The ten CIFAR-10 class names, by label.
pub const CIFAR10_CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

/// Reads and concatenates CIFAR-10 binary batch files. Pixels stay 0..255 (use
/// `scale(1/255)` or `center`); rows carry the image shape 3 × 32 × 32 for per-channel
/// centring.
pub fn load_cifar10<P: AsRef<Path>>(paths: &[P]) -> Result<Dataset> {
    let mut files = Vec::with_capacity(paths.len());
    for p in paths {
        let name = p.as_ref().display().to_string();
        let bytes = std::fs::read(p.as_ref()).map_err(|e| DataError::io(&name, e))?;
        files.push((name, bytes));
    }
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
    parse_cifar10(&refs)
}

/// Parses CIFAR-10 batches held in memory, as `(name, bytes)` pairs in order.
pub fn parse_cifar10(files: &[(&str, &[u8])]) -> Result<Dataset> {
    if files.is_empty() {
        return Err(DataError::invalid("cifar10", "no batch files given"));
    }
    let total: usize = files.iter().map(|(_, b)| b.len() / CIFAR_ROW).sum();
    let mut x = Vec::with_capacity(total * CIFAR_PIXELS);
    let mut y = Vec::with_capacity(total);
    for (name, bytes) in files {
        if bytes.is_empty() {
            return Err(DataError::Empty {
                path: name.to_string(),
                what: "a CIFAR-10 batch holds rows of 3073 bytes".into(),
            });
        }
        let rows = bytes.chunks(CIFAR_ROW);
        for (r, row) in rows.enumerate() {
            let offset = (r * CIFAR_ROW) as u64;
            if row.len() < CIFAR_ROW {
                return Err(DataError::CifarTruncated {
                    path: name.to_string(),
                    row: r as u64,
                    offset,
                    remaining: row.len() as u64,
                    row_len: CIFAR_ROW as u64,
                });
            }
            if row[0] >= 10 {
                return Err(DataError::BadLabel {
                    path: name.to_string(),
                    offset,
                    value: f64::from(row[0]),
                    problem: "is not a CIFAR-10 class (0..9); is this a CIFAR-100 file?".into(),
                });
            }
            y.push(usize::from(row[0]));
            x.extend(row[1..].iter().map(|&b| f32::from(b)));
        }
    }
    let n = y.len();
    Dataset::new(
        Tensor::from_vec(x, &[n, CIFAR_PIXELS])?,
        y,
        CIFAR10_CLASSES.iter().map(|c| c.to_string()).collect(),
        Dataset::numbered_features("px", CIFAR_PIXELS),
    )?
    .with_image_shape(ImageShape {
        channels: 3,
        height: 32,
        width: 32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: u8, fill: u8) -> Vec<u8> {
        let mut r = vec![label];
        r.extend(std::iter::repeat_n(fill, CIFAR_PIXELS));
        r
    }

    #[test]
    fn batches_concatenate_in_order() {
        let a = [row(3, 1), row(9, 2)].concat();
        let b = row(0, 255);
        let ds = parse_cifar10(&[("a.bin", &a), ("b.bin", &b)]).unwrap();
        assert_eq!(ds.labels(), &[3, 9, 0]);
        assert_eq!(ds.row(2)[CIFAR_PIXELS - 1], 255.0);
        assert_eq!(ds.class_names()[3], "cat");
        assert_eq!(ds.image_shape().unwrap().channels, 3);
    }

    #[test]
    fn truncated_rows_and_bad_labels_are_errors() {
        let mut a = [row(1, 0), row(2, 0)].concat();
        a.truncate(CIFAR_ROW + 100);
        let e = parse_cifar10(&[("a.bin", &a)]).unwrap_err();
        assert!(
            matches!(
                e,
                DataError::CifarTruncated {
                    row: 1,
                    offset: 3073,
                    remaining: 100,
                    ..
                }
            ),
            "{e}"
        );
        let b = [row(1, 0), row(57, 0)].concat();
        let e = parse_cifar10(&[("b.bin", &b)]).unwrap_err();
        assert!(matches!(e, DataError::BadLabel { offset: 3073, .. }), "{e}");
        assert!(parse_cifar10(&[("c.bin", &[])]).is_err());
    }
}
