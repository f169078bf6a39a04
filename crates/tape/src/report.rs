//! A stable, snapshot-ready text report of gradients (or any named tensors).
//!
//! Tensors are sorted by name and printed in f64 at a fixed number of significant digits, with
//! `-0` shown as `0`, so the text is identical on every run and fit for
//! `insta::assert_snapshot!(report.to_string())`. Small tensors (at most [`FULL_PRINT_LIMIT`]
//! elements) are printed in full; larger ones as `norm` ‖g‖₂, `mean`, `min`, `max`,
//! `weighted` = Σᵢ (1 + i mod 97)·gᵢ over the row-major elements (a position-weighted sum: it
//! changes when two values swap places, which the other statistics do not see), then their
//! first [`HEAD_VALUES`] values.
//!
//! A snapshot should pin the mathematics, not the rounding: a printed number whose magnitude is
//! below the report's noise floor — [`NOISE_FLOOR_F64`] (`1e-12`) times the largest magnitude
//! of any tensor in the report, [`NOISE_FLOOR_F32`] (`1e-6`) when a tensor is f32 — prints as
//! an exact `0`. So the gradient of a bias behind batch norm (analytically 0, numerically
//! ~1e-18) and the mean of a gradient that sums to 0 analytically print `0.00000e0` on every
//! machine, instead of rounding noise that differs between CPUs and compilers.

use crate::params::Parameters;
use crate::shape::{Shape, ShowShape};
use crate::tape::Gradients;
use crate::{Float, Tensor};
use std::fmt;

/// Tensors with at most this many elements are printed in full.
pub const FULL_PRINT_LIMIT: usize = 64;
/// Number of leading values shown for larger tensors.
pub const HEAD_VALUES: usize = 12;
/// Below this fraction of the report's largest magnitude, an f64 value prints as 0 (about
/// 10⁴ machine epsilons: rounding noise of sums of thousands of terms stays below it).
pub const NOISE_FLOOR_F64: f64 = 1e-12;
/// The same for f32 tensors (about 10 machine epsilons).
pub const NOISE_FLOOR_F32: f64 = 1e-6;

/// One named tensor of a report (values kept in f64).
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    name: String,
    shape: Shape,
    values: Option<Vec<f64>>,
}

/// A named set of tensors printed deterministically.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientReport {
    title: Option<String>,
    scalars: Vec<(String, f64)>,
    entries: Vec<Entry>,
    digits: usize,
    /// The coarsest noise floor of the tensors pushed (a fraction of the largest magnitude).
    floor_ratio: f64,
}

impl Default for GradientReport {
    fn default() -> Self {
        Self::new()
    }
}

impl GradientReport {
    /// An empty report printing 6 significant digits.
    pub fn new() -> Self {
        GradientReport {
            title: None,
            scalars: Vec::new(),
            entries: Vec::new(),
            digits: 6,
            floor_ratio: 0.0,
        }
    }

    /// The gradients of every parameter of `params`; a trainable parameter without a gradient
    /// is listed as `no gradient`.
    pub fn from_gradients<T: Float>(params: &Parameters<T>, grads: &Gradients<T>) -> Self {
        let mut r = Self::new();
        for id in params.ids() {
            match grads.param(id) {
                Some(g) => r.push(params.name(id), g),
                None => r.push_missing(params.name(id), params.value(id).shape()),
            }
        }
        r
    }

    /// Sets a title line.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the number of significant digits (1..=17).
    pub fn digits(mut self, digits: usize) -> Self {
        self.digits = digits.clamp(1, 17);
        self
    }

    /// Adds a named scalar (e.g. the loss), printed before the tensors.
    pub fn scalar(&mut self, name: impl Into<String>, value: f64) {
        self.scalars.push((name.into(), value));
    }

    /// Adds a named tensor.
    pub fn push<T: Float>(&mut self, name: impl Into<String>, t: &Tensor<T>) {
        let ratio = match T::DTYPE {
            crate::DType::F64 => NOISE_FLOOR_F64,
            crate::DType::F32 => NOISE_FLOOR_F32,
        };
        self.floor_ratio = self.floor_ratio.max(ratio);
        self.entries.push(Entry {
            name: name.into(),
            shape: t.shape().into(),
            values: Some(t.data().iter().map(|x| x.to_f64()).collect()),
        });
    }

    /// Adds a tensor that has no gradient.
    pub fn push_missing(&mut self, name: impl Into<String>, shape: &[usize]) {
        self.entries.push(Entry {
            name: name.into(),
            shape: shape.into(),
            values: None,
        });
    }

    /// The magnitude below which a tensor value prints as 0 (see the module docs).
    pub fn noise_floor(&self) -> f64 {
        let largest = self
            .entries
            .iter()
            .filter_map(|e| e.values.as_ref())
            .flatten()
            .fold(0.0f64, |m, x| m.max(x.abs()));
        self.floor_ratio * largest
    }

    fn num(&self, x: f64) -> String {
        let x = if x == 0.0 { 0.0 } else { x }; // -0 → 0
        format!("{:.*e}", self.digits - 1, x)
    }

    /// A tensor value: [`Self::num`], or 0 below `floor`.
    fn value(&self, x: f64, floor: f64) -> String {
        self.num(if x.abs() < floor { 0.0 } else { x })
    }

    fn row(&self, f: &mut fmt::Formatter<'_>, values: &[f64], floor: f64) -> fmt::Result {
        for chunk in values.chunks(6) {
            let cells: Vec<String> = chunk
                .iter()
                .map(|&x| format!("{:>13}", self.value(x, floor)))
                .collect();
            writeln!(f, "   {}", cells.join(""))?;
        }
        Ok(())
    }
}

impl fmt::Display for GradientReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(t) = &self.title {
            writeln!(f, "{t}")?;
        }
        for (name, v) in &self.scalars {
            writeln!(f, "{name} = {}", self.num(*v))?;
        }
        let floor = self.noise_floor();
        let mut order: Vec<&Entry> = self.entries.iter().collect();
        order.sort_by(|a, b| a.name.cmp(&b.name));
        for e in order {
            let Some(values) = &e.values else {
                writeln!(f, "{} {}: no gradient", e.name, ShowShape(&e.shape))?;
                continue;
            };
            writeln!(f, "{} {}", e.name, ShowShape(&e.shape))?;
            if values.len() <= FULL_PRINT_LIMIT {
                self.row(f, values, floor)?;
            } else {
                let n = values.len() as f64;
                let sum: f64 = values.iter().sum();
                let norm = values.iter().map(|x| x * x).sum::<f64>().sqrt();
                let min = values.iter().copied().fold(f64::INFINITY, f64::min);
                let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                // A position-weighted sum catches permutations that keep the other statistics.
                let weighted: f64 = values
                    .iter()
                    .enumerate()
                    .map(|(i, x)| x * ((i % 97) as f64 + 1.0))
                    .sum();
                writeln!(
                    f,
                    "   norm {}  mean {}  min {}  max {}  weighted {}",
                    self.value(norm, floor),
                    self.value(sum / n, floor),
                    self.value(min, floor),
                    self.value(max, floor),
                    self.value(weighted, floor)
                )?;
                writeln!(f, "   first {HEAD_VALUES}:")?;
                self.row(f, &values[..HEAD_VALUES], floor)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rounding noise prints as an exact 0; a small value above the floor keeps its digits.
    #[test]
    fn values_below_the_noise_floor_print_as_exact_zeros() {
        let mut r = GradientReport::new();
        // 0.1 + 0.2 − 0.3 is 5.55e-17 in f64: a sum that is 0 analytically.
        let noisy: Vec<f64> = (0..69)
            .map(|i| match i % 3 {
                0 => 0.1,
                1 => 0.2,
                _ => -0.3,
            })
            .collect();
        let mean: f64 = noisy.iter().sum::<f64>() / 69.0;
        assert!(
            mean != 0.0 && mean.abs() < 1e-15,
            "the mean is noise: {mean}"
        );
        r.push("w", &Tensor::from_vec(noisy, &[69]).unwrap());
        r.push(
            "b",
            &Tensor::from_vec(vec![3e-18, -1e-18, 2e-9], &[3]).unwrap(),
        );
        let text = r.to_string();
        assert!(text.contains("mean 0.00000e0"), "{text}");
        assert!(
            text.contains("b [3]\n       0.00000e0    0.00000e0   2.00000e-9\n"),
            "{text}"
        );
        assert_eq!(r.noise_floor(), NOISE_FLOOR_F64 * 0.3);
    }

    /// An f32 tensor raises the floor to f32's noise.
    #[test]
    fn an_f32_tensor_has_an_f32_floor() {
        let mut r = GradientReport::new();
        r.push(
            "g",
            &Tensor::from_vec(vec![1.0f32, 1e-7, 1e-5], &[3]).unwrap(),
        );
        assert_eq!(
            r.to_string(),
            "g [3]\n       1.00000e0    0.00000e0   1.00000e-5\n"
        );
    }
}
