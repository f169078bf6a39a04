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

/// What a line chart may draw besides its series.
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    /// Use a logarithmic x axis; points with a non-positive x are dropped.
    pub log_x: bool,
    /// An x range shaded across the plot, with its legend label.
    pub band: Option<((f64, f64), String)>,
    /// Vertical dashed lines at x, with their legend labels.
    pub rules: Vec<(f64, String)>,
}

/// Draws a line chart to an SVG file.
pub fn line_chart(path: &Path, chart: &LineChart<'_>) -> Result<(), String> {
    line_chart_with(path, chart, &Overlay::default())
}

/// Draws a line chart with an [`Overlay`] to an SVG file.
pub fn line_chart_with(
    path: &Path,
    chart: &LineChart<'_>,
    overlay: &Overlay,
) -> Result<(), String> {
    let root = SVGBackend::new(path, (800, 480)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let series: Vec<Series> = chart
        .series
        .iter()
        .map(|s| {
            let pts = s.points.iter().copied().filter(|&(x, y)| {
                x.is_finite()
                    && y.is_finite()
                    && (!chart.log_y || y > 0.0)
                    && (!overlay.log_x || x > 0.0)
            });
            Series::new(s.label.clone(), pts.collect())
        })
        .collect();
    let ((x0, x1), (y0, y1)) = bounds(&series, chart.log_y);
    let (x0, x1) = overlay_x_range(overlay, (x0, x1));
    let mut builder = frame(&root, chart.title);
    macro_rules! draw {
        ($x:expr, $y:expr) => {{
            let mut ctx = builder.build_cartesian_2d($x, $y).map_err(|e| err(&e))?;
            draw_lines(&mut ctx, chart, &series, overlay, (y0, y1)).map_err(|e| err(&e))?;
        }};
    }
    // Steps and epochs are counts: an axis whose points are all whole gets whole ticks.
    let whole_x = series
        .iter()
        .flat_map(|s| s.points.iter())
        .all(|(x, _)| x.fract() == 0.0);
    let x_axis = || {
        let mut axis = linear_axis(x0, x1, X_TICKS);
        if whole_x && axis.step.is_some_and(|s| s < 1.0) {
            axis.ticks.retain(|t| t.fract() == 0.0);
            axis.step = Some(1.0);
        }
        axis
    };
    match (overlay.log_x, chart.log_y) {
        (false, false) => draw!(x_axis(), linear_axis(y0, y1, Y_TICKS)),
        (false, true) => draw!(x_axis(), log_axis(y0, y1, Y_TICKS)),
        (true, false) => draw!(log_axis(x0, x1, X_TICKS), linear_axis(y0, y1, Y_TICKS)),
        (true, true) => draw!(log_axis(x0, x1, X_TICKS), log_axis(y0, y1, Y_TICKS)),
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// The x range `(x0, x1)` of a line chart's series widened to its overlay's band and rules
/// (a factor 1.25 past them on a log axis, 4 % on a linear one).
fn overlay_x_range(overlay: &Overlay, (x0, x1): (f64, f64)) -> (f64, f64) {
    let mut xs: Vec<f64> = overlay.rules.iter().map(|(x, _)| *x).collect();
    if let Some(((a, b), _)) = &overlay.band {
        xs.extend([*a, *b]);
    }
    let xs: Vec<f64> = xs
        .into_iter()
        .filter(|x| x.is_finite() && (!overlay.log_x || *x > 0.0))
        .collect();
    let (lo, hi) = xs.iter().fold((x0, x1), |(a, b), &x| (a.min(x), b.max(x)));
    if (lo, hi) == (x0, x1) {
        return (x0, x1);
    }
    if overlay.log_x {
        (lo.min(x0 * 1.25) / 1.25, hi.max(x1 / 1.25) * 1.25)
    } else {
        let pad = (hi - lo) * 0.04;
        (
            if lo < x0 { lo - pad } else { x0 },
            if hi > x1 { hi + pad } else { x1 },
        )
    }
}

/// Draws a line chart's mesh, overlay band, series, rules and legend on `ctx`, whose y range is
/// `(y0, y1)`.
fn draw_lines<'a, X, Y>(
    ctx: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    chart: &LineChart<'_>,
    series: &[Series],
    overlay: &Overlay,
    (y0, y1): (f64, f64),
) -> Result<(), DrawError>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    ctx.configure_mesh()
        .x_desc(chart.x_label)
        .y_desc(chart.y_label)
        .bold_line_style(BLACK.mix(0.12))
        .draw()?;
    if let Some(((a, b), label)) = &overlay.band {
        let green = RGBColor(44, 160, 44);
        ctx.draw_series(std::iter::once(Rectangle::new(
            [(*a, y0), (*b, y1)],
            green.mix(0.15).filled(),
        )))?
        .label(label.as_str())
        .legend(move |(x, y)| {
            Rectangle::new([(x, y - 5), (x + 20, y + 5)], green.mix(0.3).filled())
        });
    }
    for (i, s) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        ctx.draw_series(LineSeries::new(s.points.clone(), color.stroke_width(2)))?
            .label(s.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    for (i, (x, label)) in overlay.rules.iter().enumerate() {
        let color = PALETTE[(series.len() + 3 + i) % PALETTE.len()];
        let style = color.stroke_width(2);
        ctx.draw_series(DashedLineSeries::new([(*x, y0), (*x, y1)], 8, 5, style))?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    // A range test's curve is flat on the left: its legend goes there.
    let position = if overlay.band.is_some() || !overlay.rules.is_empty() {
        SeriesLabelPosition::UpperLeft
    } else {
        SeriesLabelPosition::MiddleRight
    };
    ctx.configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
}

/// Draws `nnc doctor`'s learning-rate range test (`lr_range.svg`): the smoothed loss against
/// the learning rate on log axes, the suggested range shaded and the configured rate marked,
/// as the step's finding measured them (`suggested_low`, `suggested_high`, `lr`).
pub fn lr_range_chart(path: &Path, step: &nnc_train::doctor::DoctorStep) -> Result<(), String> {
    let measure = |name: &str| {
        let measured = step.findings.iter().flat_map(|f| f.measured.iter());
        measured.filter(|(n, _)| n == name).map(|(_, v)| *v).next()
    };
    let mut overlay = Overlay {
        log_x: true,
        ..Overlay::default()
    };
    if let (Some(lo), Some(hi)) = (measure("suggested_low"), measure("suggested_high"))
        && lo > 0.0
        && hi >= lo
    {
        let words = format!("suggested {} .. {}", short(lo), short(hi));
        overlay.band = Some(((lo, hi), words));
    }
    if let Some(lr) = measure("lr").filter(|lr| *lr > 0.0) {
        overlay
            .rules
            .push((lr, format!("configured lr {}", short(lr))));
    }
    line_chart_with(
        path,
        &LineChart {
            title: "learning-rate range test",
            x_label: "learning rate (log scale)",
            y_label: "smoothed loss (log scale)",
            log_y: true,
            series: &[Series::new("smoothed loss", step.curve.clone())],
        },
        &overlay,
    )
}

/// A number in at most three significant digits for a legend (`0.03`, `1.2e-4`).
fn short(x: f64) -> String {
    let magnitude = if x == 0.0 {
        0.0
    } else {
        x.abs().log10().floor()
    };
    tick(x, 10f64.powf(magnitude - 2.0))
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

/// The label of an axis tick at `x` on an axis whose ticks are `step` apart (on a log axis,
/// the tick's own decade): as many decimals as the step needs and no trailing zeros (`0.3`,
/// not `0.30000000000000004`; `1000`, not `1000.0`), in scientific notation (`1e-5`, `2.5e6`)
/// below 1e-4 and from 1e6 on. The one rule of every axis nnc draws.
pub fn tick(x: f64, step: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let step = step.abs();
    // Two digits past the step's first (a step of 0.0025 needs them), zeros trimmed below.
    let decimals = if step > 0.0 && step.is_finite() {
        (2.0 - (step.log10() + 1e-9).floor()).clamp(0.0, 14.0) as usize
    } else {
        4
    };
    let rounded = format!("{x:.decimals$}");
    let value: f64 = rounded.parse().unwrap_or(x);
    if value == 0.0 {
        return "0".into();
    }
    let magnitude = value.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        // Digits the step can tell apart, at most four.
        let digits = (magnitude - step.log10().floor() as i32).clamp(0, 3) as usize;
        let s = format!("{value:.digits$e}");
        return match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        };
    }
    trim_zeros(&rounded)
}

/// `s` (a decimal) without trailing zeros after its point, nor the point itself then.
fn trim_zeros(s: &str) -> String {
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s.into() }
}

/// At most `max` evenly spaced ticks of a linear axis over `lo..=hi`, a step of 1, 2 or 5
/// times a power of ten apart, and that step.
pub fn linear_ticks(lo: f64, hi: f64, max: usize) -> (Vec<f64>, f64) {
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return (vec![lo], 1.0);
    }
    let raw = span / max.max(1) as f64;
    let power = raw.log10().floor() as i32;
    let nice = |m: u32, k: i32| format!("{m}e{k}").parse::<f64>().unwrap_or(f64::NAN);
    let step = [1, 2, 5]
        .iter()
        .map(|&m| nice(m, power))
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(nice(1, power + 1));
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let decimals = (-(step.log10() + 1e-9).floor()).clamp(0.0, 15.0) as usize;
    let ticks = (first..=last)
        .map(|i| {
            let x = i as f64 * step;
            format!("{x:.decimals$}").parse().unwrap_or(x)
        })
        .collect();
    (ticks, step)
}

/// The ticks of a log axis over `lo..=hi` (both positive): the powers of ten (every n-th of
/// them when there are more than `max`), and 2 and 5 times them when fewer than three powers
/// fall in the range (1 to 9 times them when still fewer than three ticks do).
pub fn log_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return vec![];
    }
    let (first, last) = (
        (lo.log10() - 1e-9).ceil() as i32,
        (hi.log10() + 1e-9).floor() as i32,
    );
    let decade = |m: u32, k: i32| format!("{m}e{k}").parse::<f64>().unwrap_or(f64::NAN);
    let within = |x: &f64| *x >= lo * (1.0 - 1e-9) && *x <= hi * (1.0 + 1e-9);
    let powers = (last - first + 1).max(0) as usize;
    if powers >= 3 {
        let every = powers.div_ceil(max.max(1)).max(1);
        return (first..=last)
            .step_by(every)
            .map(|k| decade(1, k))
            .collect();
    }
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    for mantissas in [&[1, 2, 5][..], &[1, 2, 3, 4, 5, 6, 7, 8, 9][..]] {
        let ticks: Vec<f64> = (k0..=k1)
            .flat_map(|k| mantissas.iter().map(move |&m| decade(m, k)))
            .filter(within)
            .collect();
        if ticks.len() >= 3 {
            return ticks;
        }
    }
    (k0..=k1).map(|k| decade(1, k)).filter(within).collect()
}

/// The label of a tick of a log axis: its decade is its step.
fn log_tick(x: f64) -> String {
    tick(x, 10f64.powf(x.abs().log10().floor()))
}

/// An axis whose ticks (and grid lines) are the given points, labelled by one rule
/// ([`tick`]); no minor grid lines.
#[derive(Clone)]
struct Ticked<R: Ranged<ValueType = f64>> {
    inner: R,
    ticks: Vec<f64>,
    /// The ticks' spacing when they are evenly spaced (`None`: powers of ten and their
    /// multiples on a log axis).
    step: Option<f64>,
}

impl<R: Ranged<ValueType = f64>> Ranged for Ticked<R> {
    type ValueType = f64;
    type FormatOption = plotters::coord::ranged1d::NoDefaultFormatting;

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn axis_pixel_range(&self, limit: (i32, i32)) -> std::ops::Range<i32> {
        self.inner.axis_pixel_range(limit)
    }
}

impl<R: Ranged<ValueType = f64>> ValueFormatter<f64> for Ticked<R> {
    fn format_ext(&self, value: &f64) -> String {
        self.label(*value)
    }
}

impl<R: Ranged<ValueType = f64>> Ticked<R> {
    /// The label of the tick at `x`: by the step of evenly spaced ticks, else by its decade.
    fn label(&self, x: f64) -> String {
        match self.step {
            Some(step) => tick(x, step),
            None => log_tick(x),
        }
    }
}

/// Most ticks on an x axis and on a y axis.
const X_TICKS: usize = 10;
const Y_TICKS: usize = 10;

/// A linear axis over `lo..hi` with at most `max` ticks.
fn linear_axis(lo: f64, hi: f64, max: usize) -> Ticked<RangedCoordf64> {
    let (ticks, step) = linear_ticks(lo, hi, max);
    Ticked {
        inner: (lo..hi).into(),
        ticks,
        step: Some(step),
    }
}

/// A log axis over `lo..hi` (positive) with at most about `max` ticks.
/// A range narrower than a few multiples gets evenly spaced ticks instead.
fn log_axis(lo: f64, hi: f64, max: usize) -> Ticked<LogCoord<f64>> {
    let ticks = log_ticks(lo, hi, max);
    let (ticks, step) = if ticks.len() >= 3 {
        (ticks, None)
    } else {
        let (ticks, step) = linear_ticks(lo, hi, max);
        (ticks, Some(step))
    };
    Ticked {
        inner: (lo..hi).log_scale().into(),
        ticks,
        step,
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
    let y = linear_axis(y0, y1, Y_TICKS);
    if chart.log_x {
        let mut ctx = builder
            .build_cartesian_2d(log_axis(x0, x1, X_TICKS), y)
            .map_err(|e| err(&e))?;
        draw_scatter(&mut ctx, chart, &marks, failed_y).map_err(|e| err(&e))?;
    } else if chart.categories.is_empty() {
        let mut ctx = builder
            .build_cartesian_2d(linear_axis(x0, x1, X_TICKS), y)
            .map_err(|e| err(&e))?;
        draw_scatter(&mut ctx, chart, &marks, failed_y).map_err(|e| err(&e))?;
    } else {
        let categories = Ticked {
            inner: RangedCoordf64::from(x0..x1),
            ticks: (0..chart.categories.len()).map(|i| i as f64).collect(),
            step: Some(1.0),
        };
        let mut ctx = builder
            .build_cartesian_2d(categories, y)
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
fn draw_scatter<'a, X, Y>(
    ctx: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    chart: &ScatterChart<'_>,
    marks: &ScatterMarks,
    failed_y: f64,
) -> Result<(), DrawError>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
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
    let mut mesh = ctx.configure_mesh();
    mesh.x_desc(chart.x_label)
        .y_desc(chart.y_label)
        .bold_line_style(BLACK.mix(0.12));
    if !chart.categories.is_empty() {
        mesh.x_label_formatter(&name_of);
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
        assert_eq!(tick(0.30000000000000004, 0.1), "0.3");
        assert_eq!(tick(0.6000000000000001, 0.2), "0.6");
        assert_eq!(tick(1e-7, 1e-7), "1e-7");
        assert_eq!(tick(256.0, 1.0), "256");
        assert_eq!(tick(1000.0, 500.0), "1000");
        assert_eq!(tick(0.0125, 0.0025), "0.0125");
        assert_eq!(tick(-0.0, 0.5), "0");
        assert_eq!(tick(2.5e6, 5e5), "2.5e6");
        assert_eq!(log_tick(0.001), "0.001");
        assert_eq!(log_tick(5e-5), "5e-5");
        // Close ticks stay apart: the step sets the decimals.
        assert_eq!(tick(1.0002, 0.0001), "1.0002");
    }

    #[test]
    fn axes_get_few_round_distinct_ticks() {
        let (ticks, step) = linear_ticks(0.6153846153846154, 1.0192307692307692, 10);
        assert_eq!(step, 0.05);
        assert_eq!(ticks.first(), Some(&0.65));
        assert_eq!(ticks.last(), Some(&1.0));
        assert_eq!(
            log_ticks(0.001, 2000.0, 8),
            [1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0]
        );
        assert_eq!(log_ticks(1e-9, 1e3, 6), [1e-9, 1e-6, 1e-3, 1.0, 1e3]);
        assert_eq!(log_ticks(0.05, 3.0, 8), [0.05, 0.1, 0.2, 0.5, 1.0, 2.0]);
        assert_eq!(log_ticks(0.9, 1.3, 8), [1.0]);
        let axis = log_axis(0.9, 1.3, Y_TICKS);
        assert_eq!(axis.step, Some(0.05));
        let labels: Vec<String> = axis.ticks.iter().map(|&t| axis.label(t)).collect();
        assert_eq!(
            labels,
            [
                "0.9", "0.95", "1", "1.05", "1.1", "1.15", "1.2", "1.25", "1.3"
            ]
        );
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
