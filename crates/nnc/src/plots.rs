//! SVG plots of a run: the loss curve, train vs validation accuracy, and per-layer activation
//! statistics (the curves the CS231n notes teach to read); and of a search: the metric of every
//! trial against each hyperparameter (a scatter plot, log axis for log spaces).

use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
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
    let mut builder = frame(&root, chart.title);
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

/// A scatter plot to draw: one colour per series (e.g. per search stage).
#[derive(Debug, Clone)]
pub struct ScatterChart<'a> {
    /// The title.
    pub title: &'a str,
    /// The x-axis label.
    pub x_label: &'a str,
    /// The y-axis label.
    pub y_label: &'a str,
    /// Use a logarithmic x axis (for values sampled in log space); non-positive x are dropped.
    pub log_x: bool,
    /// The series (points in any order).
    pub series: &'a [Series],
    /// A point drawn larger and ringed (the best trial), with its legend label
    /// (`best: trial 38`).
    pub highlight: Option<((f64, f64), String)>,
    /// x positions of trials without a metric (diverged or failed), marked with crosses along
    /// the bottom of the plot.
    pub failed: &'a [f64],
    /// Names of the x positions 0, 1, 2, … for a categorical axis (empty: a numeric axis).
    pub categories: &'a [String],
}

/// An axis tick in at most four significant digits, without float noise (`0.3`, not
/// `0.30000000000000004`).
fn tick(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        let s = format!("{x:.3e}");
        return match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        };
    }
    let decimals = (3 - magnitude).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A chart builder on `root` with the title, margins and label areas every chart shares.
fn frame<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70);
    builder
}

/// Draws a scatter plot to an SVG file.
pub fn scatter_chart(path: &Path, chart: &ScatterChart<'_>) -> Result<(), String> {
    let root = SVGBackend::new(path, (800, 480)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let marks = ScatterMarks::of(chart);
    let (x_range, (y0, y1)) = bounds(&marks.series, false);
    let (x0, x1) = scatter_x_range(chart, &marks, x_range);
    let mut builder = frame(&root, chart.title);
    // Crosses for failed trials along the bottom of the plot.
    let failed_y = y0 + (y1 - y0) * 0.03;
    if chart.log_x {
        let mut ctx = builder
            .build_cartesian_2d((x0..x1).log_scale(), y0..y1)
            .map_err(|e| err(&e))?;
        draw_scatter(&mut ctx, chart, &marks, failed_y).map_err(|e| err(&e))?;
    } else {
        let mut ctx = builder
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| err(&e))?;
        draw_scatter(&mut ctx, chart, &marks, failed_y).map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// What a scatter plot can draw: the finite points of each series, and the finite x positions
/// of failed trials (on a log axis, positive x only).
struct ScatterMarks {
    series: Vec<Series>,
    failed: Vec<f64>,
}

impl ScatterMarks {
    fn of(chart: &ScatterChart<'_>) -> ScatterMarks {
        let series = chart
            .series
            .iter()
            .map(|s| {
                let points = s.points.iter().copied().filter(|&p| plottable(chart, p));
                Series::new(s.label.clone(), points.collect())
            })
            .collect();
        let failed = chart
            .failed
            .iter()
            .copied()
            .filter(|&x| plottable(chart, (x, 0.0)))
            .collect();
        ScatterMarks { series, failed }
    }
}

/// Whether a point can be drawn: finite, and with a positive x on a log axis.
fn plottable(chart: &ScatterChart<'_>, (x, y): (f64, f64)) -> bool {
    x.is_finite() && y.is_finite() && (!chart.log_x || x > 0.0)
}

/// The x range of a scatter plot: the points' range `(x0, x1)` widened to the failed
/// trials, then one slot per category, a factor 1.25 each side on a log axis, or 4 % padding.
fn scatter_x_range(
    chart: &ScatterChart<'_>,
    marks: &ScatterMarks,
    (x0, x1): (f64, f64),
) -> (f64, f64) {
    let (mut x0, mut x1) = (x0, x1);
    if !marks.failed.is_empty() {
        let (lo, hi) = marks
            .failed
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        if marks.series.iter().all(|s| s.points.is_empty()) {
            (x0, x1) = (lo, if hi > lo { hi } else { lo + lo.abs().max(1.0) });
        } else {
            (x0, x1) = (x0.min(lo), x1.max(hi));
        }
    }
    if !chart.categories.is_empty() {
        (x0, x1) = (-0.5, chart.categories.len() as f64 - 0.5);
    } else if chart.log_x {
        if x0 <= 0.0 {
            (x0, x1) = (1.0, 10.0);
        }
        (x0, x1) = (x0 / 1.25, x1 * 1.25);
    } else {
        let pad = (x1 - x0) * 0.04;
        (x0, x1) = (x0 - pad, x1 + pad);
    }
    (x0, x1)
}

/// The error of drawing on an SVG file.
type DrawError = DrawingAreaErrorKind<std::io::Error>;

/// Draws the mesh (category names or numeric ticks on x), the series, the failed trials'
/// crosses at height `failed_y`, the ringed best point and the legend.
fn draw_scatter<'a, X>(
    ctx: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, RangedCoordf64>>,
    chart: &ScatterChart<'_>,
    marks: &ScatterMarks,
    failed_y: f64,
) -> Result<(), DrawError>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let name_of = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 {
            chart
                .categories
                .get(i as usize)
                .cloned()
                .unwrap_or_default()
        } else {
            String::new()
        }
    };
    let number = |x: &f64| tick(*x);
    let mut mesh = ctx.configure_mesh();
    mesh.x_desc(chart.x_label).y_desc(chart.y_label);
    if !chart.categories.is_empty() {
        mesh.x_labels(chart.categories.len() + 1)
            .x_label_formatter(&name_of);
    } else {
        mesh.x_label_formatter(&number);
    }
    mesh.draw()?;
    for (i, s) in marks.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        ctx.draw_series(
            s.points
                .iter()
                .map(|&p| Circle::new(p, 4, color.mix(0.75).filled())),
        )?
        .label(s.label.clone())
        .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
    }
    if !marks.failed.is_empty() {
        let red = RGBColor(214, 39, 40);
        ctx.draw_series(
            marks
                .failed
                .iter()
                .map(|&x| Cross::new((x, failed_y), 5, red.stroke_width(2))),
        )?
        .label("diverged / failed")
        .legend(move |(x, y)| Cross::new((x + 10, y), 5, red.stroke_width(2)));
    }
    if let Some((p, label)) = chart
        .highlight
        .as_ref()
        .filter(|(p, _)| plottable(chart, *p))
    {
        ctx.draw_series(std::iter::once(Circle::new(*p, 9, BLACK.stroke_width(2))))?
            .label(label.as_str())
            .legend(|(x, y)| Circle::new((x + 10, y), 6, BLACK.stroke_width(2)));
    }
    ctx.configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
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

    #[test]
    fn ticks_have_no_float_noise() {
        assert_eq!(tick(0.30000000000000004), "0.3");
        assert_eq!(tick(0.6000000000000001), "0.6");
        assert_eq!(tick(1e-7), "1e-7");
        assert_eq!(tick(256.0), "256");
        assert_eq!(tick(0.0125), "0.0125");
    }

    #[test]
    fn a_scatter_plot_has_a_point_per_trial_on_a_log_axis() {
        let dir = std::env::temp_dir().join(format!("nnc-scatter-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("lr.svg");
        let coarse: Vec<(f64, f64)> = (0..12)
            .map(|i| (10f64.powf(-4.0 + 0.3 * i as f64), 0.5 + 0.03 * i as f64))
            .collect();
        let fine = vec![(0.01, 0.9), (0.02, 0.93), (-1.0, 0.2), (0.03, f64::NAN)];
        let series = [Series::new("coarse", coarse), Series::new("fine", fine)];
        scatter_chart(
            &path,
            &ScatterChart {
                title: "val.accuracy vs lr",
                x_label: "lr (log scale)",
                y_label: "val.accuracy",
                log_x: true,
                series: &series,
                highlight: Some(((0.02, 0.93), "best: trial 12".into())),
                categories: &[],
                failed: &[0.5],
            },
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = roxmltree::Document::parse(&text).expect("valid XML");
        let circles = doc
            .descendants()
            .filter(|n| n.has_tag_name("circle"))
            .count();
        // 12 + 2 plotted points (the negative and NaN ones are dropped), the ring around the
        // best, and a legend marker per series and for the best.
        assert_eq!(circles, 12 + 2 + 1 + 3, "{circles} circles");
        let labels: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        assert!(
            labels.contains(&"coarse") && labels.contains(&"best: trial 12"),
            "{labels:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
