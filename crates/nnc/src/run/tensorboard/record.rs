//! The TFRecord framing of an event file: each record is
//!
//! ```text
//! u64 length (little-endian) | u32 masked_crc(length bytes) | data | u32 masked_crc(data)
//! ```
//!
//! where `masked_crc(b) = ((c >> 15) | (c << 17)) + 0xa282ead8` (wrapping) of
//! `c = crc32c(b)`, the Castagnoli CRC. [`read_records`] is the inverse, checking both CRCs.

use crc::{CRC_32_ISCSI, Crc};

/// CRC-32C (Castagnoli), the checksum of TFRecord files.
const CRC32C: Crc<u32> = Crc::<u32>::new(&CRC_32_ISCSI);

/// The masked CRC-32C of `bytes`: `((c >> 15) | (c << 17)) + 0xa282ead8` with
/// `c = crc32c(bytes)`, all modulo 2³².
pub fn masked_crc(bytes: &[u8]) -> u32 {
    let c = CRC32C.checksum(bytes);
    c.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// `data` framed as one TFRecord.
pub fn frame(data: &[u8]) -> Vec<u8> {
    let len = (data.len() as u64).to_le_bytes();
    let mut out = Vec::with_capacity(data.len() + 16);
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
    out
}

/// Why a file is not a sequence of well-formed records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The file ends inside a record.
    #[error("the file ends inside the record at byte {0}")]
    Truncated(usize),
    /// A checksum does not match.
    #[error("the {what} checksum of the record at byte {at} does not match")]
    Checksum {
        /// The record's offset.
        at: usize,
        /// `length` or `data`.
        what: &'static str,
    },
}

/// The data of every record in `bytes`, each checked against both of its CRCs.
pub fn read_records(bytes: &[u8]) -> Result<Vec<&[u8]>, RecordError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let word = |from: usize| -> Result<u32, RecordError> {
            let b = bytes
                .get(from..from + 4)
                .ok_or(RecordError::Truncated(at))?;
            Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let len_bytes = bytes.get(at..at + 8).ok_or(RecordError::Truncated(at))?;
        if word(at + 8)? != masked_crc(len_bytes) {
            return Err(RecordError::Checksum { at, what: "length" });
        }
        let mut len = [0u8; 8];
        len.copy_from_slice(len_bytes);
        let len =
            usize::try_from(u64::from_le_bytes(len)).map_err(|_| RecordError::Truncated(at))?;
        let start = at + 12;
        let end = start.checked_add(len).ok_or(RecordError::Truncated(at))?;
        let data = bytes.get(start..end).ok_or(RecordError::Truncated(at))?;
        if word(end)? != masked_crc(data) {
            return Err(RecordError::Checksum { at, what: "data" });
        }
        out.push(data);
        at = end + 4;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_and_its_mask_match_the_reference_values() {
        // The CRC-32C check value of "123456789".
        assert_eq!(CRC32C.checksum(b"123456789"), 0xe306_9283);
        // ((c >> 15) | (c << 17)) + 0xa282ead8 of it, worked out by hand.
        assert_eq!(masked_crc(b"123456789"), 0xc78a_b0e5);
    }

    #[test]
    fn framed_records_read_back_and_a_flipped_byte_is_caught() {
        let mut file = frame(b"first");
        file.extend(frame(b""));
        file.extend(frame(b"third record"));
        let records = read_records(&file).unwrap();
        assert_eq!(records, vec![&b"first"[..], b"", b"third record"]);
        let mut bad = file.clone();
        bad[14] ^= 1;
        assert_eq!(
            read_records(&bad),
            Err(RecordError::Checksum {
                at: 0,
                what: "data"
            })
        );
        assert_eq!(
            read_records(&file[..file.len() - 1]),
            Err(RecordError::Truncated(37))
        );
    }
}
