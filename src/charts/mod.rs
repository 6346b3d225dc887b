//! Chart definitions drawn with plotters, independent of where they are drawn.
//!
//! Every chart is one function generic over a plotters `DrawingBackend`, so the same code paints into the egui
//! window (through `ui::widgets::chart`) and exports SVG or PNG files ([`export`]). This module knows nothing of
//! egui: colours arrive as a [`ChartStyle`] built from the theme's tokens.

pub mod export;
pub mod parallel;
pub mod slices;

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use export::ExportFormat;

/// The font family every chart uses; registered from the app's bundled font so exports need no system fonts.
pub const FONT_FAMILY: &str = "sans-serif";

/// Registers the bundled font with plotters (needed for PNG export). Safe to call many times.
pub fn ensure_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is a valid TTF bundled with egui; registering it cannot fail in practice, and if it ever did,
        // PNG export reports a font error instead of panicking.
        let _ = plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT);
    });
}

/// Colours of a chart, taken from the theme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartStyle {
    pub background: RGBColor,
    pub text: RGBColor,
    pub weak_text: RGBColor,
    pub grid: RGBColor,
    pub series: [RGBColor; 6],
}

/// One named line of (x, y) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A line chart: a title, axis descriptions and some series.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Shade the area below the first series.
    pub fill_first: bool,
    /// The y axis spans the data (curves of accuracy near 1) instead of starting at zero.
    pub fit_y: bool,
    /// The y values are log10 of the data (see `metrics::curves::log10`): ticks read as the data.
    pub log_y: bool,
}

/// Any chart the app can export.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Line(LineChart),
    Slices(slices::SliceChart),
}

impl From<LineChart> for Chart {
    fn from(chart: LineChart) -> Self {
        Self::Line(chart)
    }
}

impl From<slices::SliceChart> for Chart {
    fn from(chart: slices::SliceChart) -> Self {
        Self::Slices(chart)
    }
}

/// Draws any chart into a plotters drawing area.
pub fn draw_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
    style: &ChartStyle,
) -> Result<(), ChartError> {
    match chart {
        Chart::Line(c) => draw_line_chart(area, c, style).map(|_| ()),
        Chart::Slices(c) => slices::draw_slice_chart(area, c, style).map(|_| ()),
    }
}

/// Where the plot landed in backend pixels and which data range it shows, so a caller can map the pointer back to
/// data coordinates (hover read-out).
#[derive(Debug, Clone, PartialEq)]
pub struct PlotLayout {
    /// Pixel extent of the plotting area: (left, top, right, bottom), relative to the drawing area's origin.
    pub pixels: (i32, i32, i32, i32),
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
}

impl PlotLayout {
    /// Data x coordinate under a pixel column, or `None` outside the plot.
    pub fn x_at(&self, px: f32) -> Option<f64> {
        let (left, _, right, _) = self.pixels;
        if px < left as f32 || px > right as f32 || right <= left {
            return None;
        }
        let t = f64::from(px - left as f32) / f64::from(right - left);
        Some(self.x_range.0 + t * (self.x_range.1 - self.x_range.0))
    }

    /// Pixel position of a data point.
    pub fn to_pixels(&self, (x, y): (f64, f64)) -> (f32, f32) {
        let (left, top, right, bottom) = self.pixels;
        let tx = (x - self.x_range.0) / span(self.x_range);
        let ty = (y - self.y_range.0) / span(self.y_range);
        (left as f32 + (tx * f64::from(right - left)) as f32, bottom as f32 - (ty * f64::from(bottom - top)) as f32)
    }
}

fn span((lo, hi): (f64, f64)) -> f64 {
    if hi > lo { hi - lo } else { 1.0 }
}

/// Why a chart could not be drawn (a backend error, such as a file that cannot be written).
#[derive(Debug, thiserror::Error)]
#[error("could not draw chart: {0}")]
pub struct ChartError(pub String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        Self(e.to_string())
    }
}

/// The data range of all series, padded so lines do not touch the frame; never empty.
pub fn data_ranges(series: &[Series]) -> ((f64, f64), (f64, f64)) {
    ranges_within(series, None)
}

/// Whether `x` lies in the zoomed x range (everything does without one).
fn in_view(x: f64, view: Option<(f64, f64)>) -> bool {
    view.is_none_or(|(lo, hi)| (lo..=hi).contains(&x))
}

/// [`data_ranges`] of the points within `view` (x is then the view itself).
fn ranges_within(series: &[Series], view: Option<(f64, f64)>) -> ((f64, f64), (f64, f64)) {
    let points = series.iter().flat_map(|s| s.points.iter().copied()).filter(|(x, _)| in_view(*x, view));
    let (mut x0, mut x1, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for (x, y) in points.filter(|(x, y)| x.is_finite() && y.is_finite()) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    if !x0.is_finite() {
        return ((0.0, 1.0), (0.0, 1.0));
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    let y_top = if y1 > 0.0 { y1 * 1.15 } else { 1.0 };
    (view.unwrap_or((x0, x1)), (0.0, y_top))
}

/// The y range of the data (within the x `view`) with a margin of 5% each side (any sign).
fn fitted_y(series: &[Series], view: Option<(f64, f64)>) -> (f64, f64) {
    let values = series
        .iter()
        .flat_map(|s| s.points.iter().filter(|(x, _)| in_view(*x, view)).map(|p| p.1))
        .filter(|y| y.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| (lo.min(y), hi.max(y)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { (hi - lo) * 0.05 } else { lo.abs().max(1.0) * 0.05 };
    (lo - pad, hi + pad)
}

/// A tick of a log10 axis, as the value it stands for.
fn tick_log(v: f64) -> String {
    let value = 10f64.powf(v);
    if (0.01..10_000.0).contains(&value) {
        format!("{:.3}", value).trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{value:.0e}")
    }
}

/// An axis tick as people write it: `10`, not `10.0`; `0.25`, not `0.250000`.
pub fn tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{:.0}", v.round() + 0.0)
    } else {
        let text = format!("{v:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Draws a line chart into any plotters drawing area and returns where the plot landed.
pub fn draw_line_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
    style: &ChartStyle,
) -> Result<PlotLayout, ChartError> {
    draw_line_chart_within(area, chart, style, None)
}

/// [`draw_line_chart`] zoomed to an x range (`None`: all of it); y spans what is visible.
pub fn draw_line_chart_within<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
    style: &ChartStyle,
    x_view: Option<(f64, f64)>,
) -> Result<PlotLayout, ChartError> {
    ensure_fonts();
    area.fill(&style.background)?;
    let x_view = x_view.filter(|(lo, hi)| lo.is_finite() && hi.is_finite() && hi > lo);
    let (x_range, mut y_range) = ranges_within(&chart.series, x_view);
    if chart.fit_y || chart.log_y || x_view.is_some() {
        y_range = fitted_y(&chart.series, x_view);
    }
    let mut builder = ChartBuilder::on(area);
    builder.margin(8).x_label_area_size(38).y_label_area_size(44);
    if !chart.title.is_empty() {
        builder.caption(&chart.title, (FONT_FAMILY, 14).into_font().color(&style.text));
    }
    let mut ctx = builder.build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)?;
    let label_font = (FONT_FAMILY, 12).into_font().color(&style.weak_text);
    ctx.configure_mesh()
        .light_line_style(style.grid.mix(0.35))
        .bold_line_style(style.grid.mix(0.8))
        .axis_style(style.grid)
        .x_labels(6)
        .y_labels(5)
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .x_label_formatter(&tick)
        .y_label_formatter(&|v: &f64| if chart.log_y { tick_log(*v) } else { tick(v) })
        .label_style(label_font.clone())
        .axis_desc_style(label_font)
        .draw()?;

    for (i, series) in chart.series.iter().enumerate() {
        let color = style.series[i % style.series.len()];
        // Zoomed, only what lies inside is drawn (the widget's clip is the whole chart, not the plot).
        let points =
            series.points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite() && in_view(*x, x_view));
        if i == 0 && chart.fill_first {
            // Down to the axis, or to the plot's floor when the axis is below it.
            let floor = y_range.0.max(0.0);
            ctx.draw_series(AreaSeries::new(points.clone(), floor, color.mix(0.18)))?;
        }
        ctx.draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(series.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], color.stroke_width(2)));
    }
    if chart.series.len() > 1 {
        ctx.configure_series_labels()
            .background_style(style.background.mix(0.85))
            .border_style(style.grid)
            .label_font((FONT_FAMILY, 12).into_font().color(&style.text))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
    }

    let (px, py) = ctx.plotting_area().get_pixel_range();
    let (ox, oy) = area.get_base_pixel();
    Ok(PlotLayout { pixels: (px.start - ox, py.start - oy, px.end - ox, py.end - oy), x_range, y_range })
}

/// A horizontal bar chart: one labelled value per bar, largest first.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub title: String,
    pub value_label: String,
    pub bars: Vec<(String, f64)>,
}

/// Draws a horizontal bar chart; labels sit on the left axis and each bar carries its value.
pub fn draw_bar_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &BarChart,
    style: &ChartStyle,
) -> Result<(), ChartError> {
    ensure_fonts();
    area.fill(&style.background)?;
    let max = chart.bars.iter().map(|(_, v)| *v).fold(0.0, f64::max).max(1.0) * 1.15;
    let n = chart.bars.len().max(1);
    let label_width = chart.bars.iter().map(|(l, _)| l.len()).max().unwrap_or(4).clamp(4, 24) as u32 * 7 + 12;
    let mut builder = ChartBuilder::on(area);
    builder.margin(8).x_label_area_size(38).y_label_area_size(label_width);
    if !chart.title.is_empty() {
        builder.caption(&chart.title, (FONT_FAMILY, 14).into_font().color(&style.text));
    }
    // Bars are bands of a segmented axis, listed top to bottom.
    let mut ctx = builder.build_cartesian_2d(0.0..max, (0..n).into_segmented())?;
    let label_of = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) => {
            n.checked_sub(1 + *i).and_then(|b| chart.bars.get(b)).map(|(l, _)| l.clone()).unwrap_or_default()
        }
        _ => String::new(),
    };
    let label_font = (FONT_FAMILY, 12).into_font().color(&style.weak_text);
    ctx.configure_mesh()
        .disable_y_mesh()
        .light_line_style(style.grid.mix(0.3))
        .bold_line_style(style.grid.mix(0.6))
        .axis_style(style.grid)
        .x_desc(chart.value_label.as_str())
        .y_labels(n)
        .y_label_formatter(&label_of)
        .label_style(label_font.clone())
        .axis_desc_style(label_font)
        .draw()?;
    for (i, (_, value)) in chart.bars.iter().enumerate() {
        let band = n - 1 - i;
        let color = style.series[i % style.series.len()];
        let mut bar = Rectangle::new(
            [(0.0, SegmentValue::Exact(band)), (*value, SegmentValue::Exact(band + 1))],
            color.mix(0.85).filled(),
        );
        bar.set_margin(5, 5, 0, 0);
        ctx.draw_series(std::iter::once(bar))?;
        let text = if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.1}") };
        ctx.draw_series(std::iter::once(Text::new(
            text,
            (*value + max * 0.01, SegmentValue::CenterOf(band)),
            (FONT_FAMILY, 12).into_font().color(&style.text).pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Left,
                plotters::style::text_anchor::VPos::Center,
            )),
        )))?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn ticks_drop_needless_decimals() {
        assert_eq!(tick(&10.0), "10");
        assert_eq!(tick(&-5.0), "-5");
        assert_eq!(tick(&-0.0), "0");
        assert_eq!(tick(&0.25), "0.25");
        assert_eq!(tick(&2.5), "2.5");
    }

    pub fn style() -> ChartStyle {
        let c = RGBColor(200, 200, 200);
        ChartStyle { background: RGBColor(0, 0, 0), text: c, weak_text: c, grid: c, series: [RGBColor(255, 0, 0); 6] }
    }

    pub fn chart() -> LineChart {
        LineChart {
            title: "Frame time".into(),
            x_label: "seconds".into(),
            y_label: "ms".into(),
            series: vec![Series { name: "cpu".into(), points: vec![(0.0, 1.0), (1.0, 3.0), (2.0, 2.0)] }],
            fill_first: true,
            fit_y: false,
            log_y: false,
        }
    }

    #[test]
    fn a_zoomed_chart_spans_its_x_view_and_fits_y_to_what_is_visible() {
        let mut c = chart();
        c.series[0].points = (0..100).map(|i| (f64::from(i), f64::from(i * i))).collect();
        let ((x0, x1), (y0, _)) = ranges_within(&c.series, Some((10.0, 20.0)));
        assert_eq!((x0, x1), (10.0, 20.0));
        assert!(y0 < 1.0, "a fill reaches the axis: {y0}");
        let (lo, hi) = fitted_y(&c.series, Some((10.0, 20.0)));
        assert!((80.0..100.0).contains(&lo) && (400.0..420.0).contains(&hi), "{lo}..{hi}: 100..400 padded");
        let mut out = String::new();
        {
            let area = plotters::backend::SVGBackend::with_string(&mut out, (400, 240)).into_drawing_area();
            let layout = draw_line_chart_within(&area, &c, &style(), Some((10.0, 20.0))).expect("drawn");
            assert_eq!(layout.x_range, (10.0, 20.0));
        }
        assert!(out.contains("<svg"), "drawn");
        // A view that is no range shows everything.
        assert_eq!(ranges_within(&c.series, None).0, (0.0, 99.0));
    }

    #[test]
    fn ranges_cover_data_and_start_at_zero() {
        let ((x0, x1), (y0, y1)) = data_ranges(&chart().series);
        assert_eq!((x0, x1, y0), (0.0, 2.0, 0.0));
        assert!(y1 > 3.0);
    }

    #[test]
    fn empty_or_degenerate_data_still_has_a_range() {
        assert_eq!(data_ranges(&[]), ((0.0, 1.0), (0.0, 1.0)));
        let one = [Series { name: "a".into(), points: vec![(5.0, f64::NAN), (5.0, 0.0)] }];
        assert_eq!(data_ranges(&one), ((5.0, 6.0), (0.0, 1.0)));
    }

    #[test]
    fn bar_charts_draw_every_bar_and_label() {
        let chart = BarChart {
            title: "GPUs by namespace".into(),
            value_label: "GPUs".into(),
            bars: vec![("ml-research".into(), 8.0), ("ml-prod".into(), 2.0)],
        };
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (500, 240)).into_drawing_area();
            draw_bar_chart(&root, &chart, &style()).unwrap();
            root.present().unwrap();
        }
        assert!(svg.contains("ml-research") && svg.contains("ml-prod") && svg.contains("GPUs by namespace"), "{svg}");
        assert!(svg.matches("<rect").count() >= 3, "background and two bars");
    }

    #[test]
    fn layout_maps_pixels_and_data_both_ways() {
        let layout = PlotLayout { pixels: (10, 0, 110, 100), x_range: (0.0, 10.0), y_range: (0.0, 50.0) };
        assert_eq!(layout.x_at(60.0), Some(5.0));
        assert_eq!(layout.x_at(5.0), None);
        assert_eq!(layout.to_pixels((5.0, 25.0)), (60.0, 50.0));
    }
}
