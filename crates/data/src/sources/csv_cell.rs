//! One CSV cell as a feature value: a finite number, read as f64 and rounded once to f32, or
//! the error naming the file, line and column (a missing-value marker, a non-finite or a
//! non-numeric cell).
//!
//! Short decimals such as `-12.5e3` are read on Clinger's exact fast path (a significand of at
//! most 2^53 and a power of ten up to 10^22, both exact in f64, so one multiplication or
//! division rounds once: the same f64 as `str::parse`); every other cell goes through
//! `str::parse::<f64>`.

use crate::error::{DataError, Result};

/// The cells that mean "no value".
const MISSING: [&str; 5] = ["", "NA", "N/A", "?", "null"];

/// The error for a cell that is a missing-value marker (`""`, `NA`, `N/A`, `?`, `null`), naming
/// the file, line and column; `None` for any other cell.
pub(crate) fn missing_value(text: &str, path: &str, line: u64, column: &str) -> Option<DataError> {
    MISSING.contains(&text).then(|| DataError::MissingValue {
        path: path.to_string(),
        line,
        column: column.to_string(),
    })
}

/// A feature cell as a finite f32 (parsed as f64, rounded once), or the error naming the
/// file, line and column.
pub(crate) fn parse_feature(cell: &[u8], path: &str, line: u64, column: &str) -> Result<f32> {
    if let Some(v) = simple_decimal(cell) {
        // Finite, and below f32's largest value in magnitude (at most 2^53 · 10^22).
        if (v as f32).is_finite() {
            return Ok(v as f32);
        }
    }
    if let Ok(text) = std::str::from_utf8(cell)
        && let Ok(v) = text.parse::<f64>()
    {
        if v.is_finite() && (v as f32).is_finite() {
            return Ok(v as f32);
        }
        return Err(DataError::NonFinite {
            path: path.to_string(),
            line,
            column: column.to_string(),
            value: text.to_string(),
        });
    }
    // No missing-value marker reads as a number, so they need checking only here.
    let text = String::from_utf8_lossy(cell);
    if let Some(e) = missing_value(&text, path, line, column) {
        return Err(e);
    }
    Err(DataError::NotNumeric {
        path: path.to_string(),
        line,
        column: column.to_string(),
        value: text.into_owned(),
    })
}

/// Exact powers of ten in f64: `10^0` to `10^22`.
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The value of a short decimal such as `-12.5e3` when it can be computed exactly rounded
/// with one f64 operation (Clinger's fast path: a significand of at most 2^53 and a power of
/// ten up to 10^22, both exact in f64): then it is the same f64 as `str::parse` gives. `None`
/// for any other cell, which `str::parse` reads.
#[inline]
pub(crate) fn simple_decimal(cell: &[u8]) -> Option<f64> {
    let (negative, rest) = match cell {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, cell),
    };
    let mut significand = 0u64;
    let mut i = 0;
    // Wrapping: a significand of more than 19 digits is refused below.
    let mut digit = |i: usize| match rest.get(i) {
        Some(&d @ b'0'..=b'9') => {
            significand = significand
                .wrapping_mul(10)
                .wrapping_add(u64::from(d - b'0'));
            true
        }
        _ => false,
    };
    while digit(i) {
        i += 1;
    }
    let whole = i;
    let mut fraction = 0;
    if rest.get(i) == Some(&b'.') {
        i += 1;
        while digit(i) {
            i += 1;
        }
        fraction = i - whole - 1;
    }
    let digits = whole + fraction;
    if digits == 0 || digits > 19 || significand > 1 << 53 {
        return None;
    }
    let exponent = match &rest[i..] {
        [] => 0,
        [b'e' | b'E', e @ ..] => small_exponent(e)?,
        _ => return None,
    };
    let power = exponent - fraction as i32;
    let magnitude = POWERS_OF_TEN.get(power.unsigned_abs() as usize)?;
    let v = if power >= 0 {
        significand as f64 * magnitude
    } else {
        significand as f64 / magnitude
    };
    Some(if negative { -v } else { v })
}

/// An exponent of at most 3 digits, with an optional sign.
fn small_exponent(text: &[u8]) -> Option<i32> {
    let (sign, digits) = match text {
        [b'-', rest @ ..] => (-1, rest),
        [b'+', rest @ ..] => (1, rest),
        _ => (1, text),
    };
    if digits.is_empty() || digits.len() > 3 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(sign * digits.iter().fold(0, |e, &d| e * 10 + i32::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_decimals_read_as_the_standard_parser_reads_them() {
        let cells = [
            "0",
            "-0",
            "+1",
            "1.",
            ".5",
            "-.5",
            "3.14159",
            "1e5",
            "1E-5",
            "2.5e+10",
            "-7e22",
            "9007199254740993",
            "123456789012345678",
            "1234567890123456789",
            "0.1",
            "1e23",
            "1e-22",
            "1e-23",
            "0001.2500",
            "4.2e-7",
            "-1.17549435e-38",
            "3.4028236e38",
        ];
        const OUTSIDE: [&str; 7] = [
            "9007199254740993",
            "123456789012345678",
            "1234567890123456789",
            "1e23",
            "1e-23",
            "-1.17549435e-38",
            "3.4028236e38",
        ];
        for cell in cells {
            let want: f64 = cell.parse().unwrap();
            match simple_decimal(cell.as_bytes()) {
                Some(v) => assert_eq!(v.to_bits(), want.to_bits(), "{cell}"),
                // Outside the fast path: left to the standard parser.
                None => assert!(OUTSIDE.contains(&cell), "{cell}"),
            }
        }
        for cell in [
            "", "-", ".", "1.2.3", "1e", "1e+", "e5", "1x", "nan", "inf", "1e1234",
        ] {
            assert_eq!(simple_decimal(cell.as_bytes()), None, "{cell}");
        }
    }

    proptest::proptest! {
        #[test]
        fn simple_decimals_match_the_standard_parser(
            cell in "[+-]?[0-9]{0,12}(\\.[0-9]{0,10})?([eE][+-]?[0-9]{1,3})?"
        ) {
            if let Some(v) = simple_decimal(cell.as_bytes()) {
                let want: f64 = cell.parse().unwrap();
                proptest::prop_assert_eq!(v.to_bits(), want.to_bits(), "{}", cell);
            }
        }
    }
}
