//! Shape inference from the data to the loss: per layer, input width, output width and
//! parameter count, printable as the table of `nnc check --shapes`.

use crate::ir::{LayerSpec, Loss, ModelSpec};
use crate::span::Span;
use serde::Serialize;
use std::fmt;

/// A width: known, or symbolic when the data was not read (`data.features`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Width {
    /// A number of units.
    Known(u64),
    /// An expression over data-derived values.
    Symbolic(String),
}

impl Width {
    /// The number, when known.
    pub fn known(&self) -> Option<u64> {
        match self {
            Width::Known(n) => Some(*n),
            Width::Symbolic(_) => None,
        }
    }
}

impl fmt::Display for Width {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Width::Known(n) => write!(f, "{n}"),
            Width::Symbolic(s) => write!(f, "{s}"),
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapeRow {
    /// The layer's canonical name.
    pub layer: String,
    /// What it is, briefly (`dense 100`, `maxout 240×5`, `relu`).
    pub description: String,
    /// Width coming in.
    pub input: Width,
    /// Width going out.
    pub output: Width,
    /// Trainable parameters (`None` when a width is symbolic).
    pub params: Option<u64>,
    /// The layer's statement.
    pub span: Span,
}

/// The whole table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapeTable {
    /// The model's input width.
    pub input: Width,
    /// One row per layer.
    pub rows: Vec<ShapeRow>,
    /// The width the loss receives.
    pub output: Width,
    /// The loss, as written (`softmax`, `svm(margin: 1)`).
    pub loss: String,
    /// Sum of the parameter counts (`None` when some are symbolic).
    pub total_params: Option<u64>,
}

/// Infers the shapes of `model` fed with `input` features.
pub fn infer(model: &ModelSpec, input: Width) -> ShapeTable {
    let mut width = input.clone();
    let mut rows = Vec::with_capacity(model.layers.len());
    for layer in &model.layers {
        let incoming = width.clone();
        let outgoing = layer
            .spec
            .units()
            .cloned()
            .unwrap_or_else(|| incoming.clone());
        let params = incoming.known().and_then(|i| {
            let spec = layer
                .spec
                .map_width(|w| w.known().and_then(|n| usize::try_from(n).ok()).ok_or(()))
                .ok()?;
            Some(spec.param_count(usize::try_from(i).unwrap_or(usize::MAX)))
        });
        let description = match &layer.spec {
            LayerSpec::Dense { units, .. } => format!("dense {units}"),
            LayerSpec::Maxout { units, pieces, .. } => format!("maxout {units}×{pieces}"),
            LayerSpec::BatchNorm { .. } => "batchnorm".to_string(),
            LayerSpec::Dropout { rate } => {
                format!("dropout {}", crate::pretty::format_number(*rate))
            }
            LayerSpec::Activation(a) => a.name().to_string(),
        };
        // A layer without parameters has none even when its width is symbolic.
        let params = params.or((!layer.spec.has_weights()
            && !matches!(layer.spec, LayerSpec::BatchNorm { affine: true, .. }))
        .then_some(0));
        rows.push(ShapeRow {
            layer: layer.name.clone(),
            description,
            input: incoming,
            output: outgoing.clone(),
            params,
            span: layer.span,
        });
        width = outgoing;
    }
    let total_params = rows
        .iter()
        .try_fold(0u64, |acc, r| r.params.map(|p| acc.saturating_add(p)));
    let loss = match model.loss {
        Loss::Svm { margin } => {
            format!("svm(margin: {})", crate::pretty::format_number(margin))
        }
        other => other.name().to_string(),
    };
    ShapeTable {
        input,
        rows,
        output: width,
        loss,
        total_params,
    }
}

impl fmt::Display for ShapeTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = ["layer", "kind", "in", "out", "params"];
        let mut lines: Vec<[String; 5]> = vec![header.map(String::from)];
        lines.push([
            "input".into(),
            String::new(),
            String::new(),
            self.input.to_string(),
            String::new(),
        ]);
        for r in &self.rows {
            lines.push([
                r.layer.clone(),
                r.description.clone(),
                r.input.to_string(),
                r.output.to_string(),
                r.params.map_or("?".into(), |p| p.to_string()),
            ]);
        }
        lines.push([
            "loss".into(),
            self.loss.clone(),
            self.output.to_string(),
            String::new(),
            String::new(),
        ]);
        let mut widths = [0usize; 5];
        for line in &lines {
            for (w, cell) in widths.iter_mut().zip(line) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for line in &lines {
            let cells: Vec<String> = line
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if i >= 2 {
                        format!("{c:>w$}", w = widths[i])
                    } else {
                        format!("{c:<w$}", w = widths[i])
                    }
                })
                .collect();
            writeln!(f, "{}", cells.join("  ").trim_end())?;
        }
        match self.total_params {
            Some(t) => writeln!(f, "total parameters: {t}"),
            None => writeln!(f, "total parameters: unknown until the data is read"),
        }
    }
}
