//! SVG plots of a run: the loss curve, train vs validation accuracy, and per-layer activation
//! statistics (the curves the CS231n notes teach to read).

use plotters::prelude::*;
use std::path::Path;

/// A named series of (x, y) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend label.
    pub label: String,
    /// The points, in x order.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series from its label and points.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            label: label.into(),
            points,
        }
    }
}

/// A line chart to draw.
#[derive(Debug, Clone)]
pub struct LineChart<'a> {
    /// The title.
    pub title: &'a str,
    /// The x-axis label.
    pub x_label: &'a str,
    /// The y-axis label.
    pub y_label: &'a str,
    /// Use a logarithmic y axis (for losses spanning decades).
    pub log_y: bool,
    /// The series.
    pub series: &'a [Series],
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn bounds(series: &[Series], log_y: bool) -> ((f64, f64), (f64, f64)) {
    let pts = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(x, y)| x.is_finite() && y.is_finite() && (!log_y || *y > 0.0));
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !x0.is_finite() {
        return ((0.0, 1.0), (if log_y { 0.1 } else { 0.0 }, 1.0));
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 <= y0 {
        y1 = y0 + y0.abs().max(1.0) * 0.1;
        y0 -= if log_y { 0.0 } else { y0.abs().max(1.0) * 0.1 };
    }
    if log_y {
        ((x0, x1), (y0 / 1.2, y1 * 1.2))
    } else {
        let pad = (y1 - y0) * 0.05;
        ((x0, x1), (y0 - pad, y1 + pad))
    }
}

/// Draws a line chart to an SVG file.
pub fn line_chart(path: &Path, chart: &LineChart<'_>) -> Result<(), String> {
    let root = SVGBackend::new(path, (800, 480)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let ((x0, x1), (y0, y1)) = bounds(chart.series, chart.log_y);
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(chart.title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70);
    macro_rules! draw {
        ($ctx:expr) => {{
            let mut ctx = $ctx;
            ctx.configure_mesh()
                .x_desc(chart.x_label)
                .y_desc(chart.y_label)
                .draw()
                .map_err(|e| err(&e))?;
            for (i, s) in chart.series.iter().enumerate() {
                let color = PALETTE[i % PALETTE.len()];
                let pts: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .copied()
                    .filter(|(x, y)| x.is_finite() && y.is_finite() && (!chart.log_y || *y > 0.0))
                    .collect();
                ctx.draw_series(LineSeries::new(pts, color.stroke_width(2)))
                    .map_err(|e| err(&e))?
                    .label(s.label.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
            }
            ctx.configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| err(&e))?;
        }};
    }
    if chart.log_y {
        draw!(
            builder
                .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
                .map_err(|e| err(&e))?
        );
    } else {
        draw!(
            builder
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(|e| err(&e))?
        );
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_valid_svg_with_every_series() {
        let dir = std::env::temp_dir().join(format!("nnc-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("loss.svg");
        let series = [
            Series::new(
                "train",
                (0..50)
                    .map(|i| (i as f64, 2.0 * (-0.1 * i as f64).exp()))
                    .collect(),
            ),
            Series::new(
                "val",
                (0..5)
                    .map(|i| (10.0 * i as f64, 2.1 * (-i as f64).exp()))
                    .collect(),
            ),
        ];
        line_chart(
            &path,
            &LineChart {
                title: "loss",
                x_label: "step",
                y_label: "loss",
                log_y: true,
                series: &series,
            },
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = roxmltree::Document::parse(&text).expect("valid XML");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let labels: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        assert!(
            labels.contains(&"train") && labels.contains(&"val"),
            "{labels:?}"
        );
        let lines = doc
            .descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .count();
        assert!(lines >= 2, "expected a polyline per series, found {lines}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
