//! A stable, snapshot-ready text report of gradients (or any named tensors).
//!
//! Tensors are sorted by name and printed in f64 at a fixed number of significant digits, with
//! `-0` shown as `0`, so the text is identical on every run and fit for
//! `insta::assert_snapshot!(report.to_string())`. Small tensors are printed in full; larger ones
//! as summary statistics plus their first values.

use crate::params::Parameters;
use crate::shape::{Shape, ShowShape};
use crate::tape::Gradients;
use crate::{Float, Tensor};
use std::fmt;

/// Tensors with at most this many elements are printed in full.
pub const FULL_PRINT_LIMIT: usize = 64;
/// Number of leading values shown for larger tensors.
pub const HEAD_VALUES: usize = 12;

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

    fn num(&self, x: f64) -> String {
        let x = if x == 0.0 { 0.0 } else { x }; // -0 → 0
        format!("{:.*e}", self.digits - 1, x)
    }

    fn row(&self, f: &mut fmt::Formatter<'_>, values: &[f64]) -> fmt::Result {
        for chunk in values.chunks(6) {
            let cells: Vec<String> = chunk
                .iter()
                .map(|&x| format!("{:>13}", self.num(x)))
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
        let mut order: Vec<&Entry> = self.entries.iter().collect();
        order.sort_by(|a, b| a.name.cmp(&b.name));
        for e in order {
            let Some(values) = &e.values else {
                writeln!(f, "{} {}: no gradient", e.name, ShowShape(&e.shape))?;
                continue;
            };
            writeln!(f, "{} {}", e.name, ShowShape(&e.shape))?;
            if values.len() <= FULL_PRINT_LIMIT {
                self.row(f, values)?;
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
                    self.num(norm),
                    self.num(sum / n),
                    self.num(min),
                    self.num(max),
                    self.num(weighted)
                )?;
                writeln!(f, "   first {HEAD_VALUES}:")?;
                self.row(f, &values[..HEAD_VALUES])?;
            }
        }
        Ok(())
    }
}
