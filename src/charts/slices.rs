//! One metric across the slices of a column: a horizontal bar per slice (or one per evaluation when two are
//! compared) with its confidence interval as a whisker, the overall value as a dashed reference line, small slices
//! drawn faint. Drawn by plotters like every chart, so the window and the PNG/SVG export are the same picture.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{ChartError, ChartStyle, FONT_FAMILY, ensure_fonts, tick};

/// A value with its interval, when known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub value: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// One slice: its label and one value per evaluation (`None`: the slice is not in that evaluation).
#[derive(Debug, Clone, PartialEq)]
pub struct SliceBar {
    pub label: String,
    pub values: Vec<Option<Interval>>,
    /// Fewer examples than the minimum count: drawn faint.
    pub small: bool,
    /// Regressed between the two evaluations: its label is marked.
    pub regressed: bool,
}

/// The chart: bars top to bottom in the given order.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceChart {
    pub title: String,
    pub metric: String,
    /// The evaluations' names, one per value of a bar (a legend is drawn when there are two or more).
    pub series: Vec<String>,
    pub bars: Vec<SliceBar>,
    /// The overall value of the first evaluation.
    pub reference: Option<f64>,
    /// The bar drawn highlighted (the slice whose details are open).
    pub selected: Option<usize>,
}

/// Where the bars landed, to map a click back to a bar.
#[derive(Debug, Clone, PartialEq)]
pub struct BarLayout {
    /// The plotting area in pixels, relative to the drawing area's origin.
    pub top: i32,
    pub bottom: i32,
    pub left: i32,
    pub right: i32,
    /// Each bar's band (top, bottom), in the chart's order.
    pub bands: Vec<(i32, i32)>,
}

impl BarLayout {
    /// The bar under a point (relative to the drawing area), if any: its band, from the left edge of the chart
    /// (labels included) to the plot's right.
    pub fn bar_at(&self, x: f32, y: f32) -> Option<usize> {
        if x < 0.0 || x > self.right as f32 {
            return None;
        }
        self.bands.iter().position(|(top, bottom)| y >= *top as f32 && y < *bottom as f32)
    }
}

/// The x range: zero (or below, for negative values) to past the largest upper bound.
fn x_range(chart: &SliceChart) -> (f64, f64) {
    let values = chart
        .bars
        .iter()
        .flat_map(|b| b.values.iter().flatten())
        .flat_map(|i| [Some(i.value), i.lower, i.upper])
        .flatten()
        .chain(chart.reference)
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((0.0f64, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !hi.is_finite() || hi <= lo {
        return (0.0, 1.0);
    }
    (lo, hi + (hi - lo) * 0.12)
}

/// Draws the chart into any plotters drawing area.
pub fn draw_slice_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &SliceChart,
    style: &ChartStyle,
) -> Result<BarLayout, ChartError> {
    ensure_fonts();
    area.fill(&style.background)?;
    // At least two bands: an integer axis of one value has no extent.
    let n = chart.bars.len().max(2);
    let (x0, x1) = x_range(chart);
    let label_width =
        chart.bars.iter().map(|b| b.label.chars().count()).max().unwrap_or(4).clamp(4, 28) as u32 * 7 + 16;
    let mut builder = ChartBuilder::on(area);
    builder.margin(8).x_label_area_size(36).y_label_area_size(label_width);
    if !chart.title.is_empty() {
        builder.caption(&chart.title, (FONT_FAMILY, 14).into_font().color(&style.text));
    }
    // Integer axes include their end: 0..n-1 is n bands.
    let mut ctx = builder.build_cartesian_2d(x0..x1, (0..n - 1).into_segmented())?;
    let label_of = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) => n
            .checked_sub(1 + *i)
            .and_then(|b| chart.bars.get(b))
            .map(|b| if b.regressed { format!("! {}", b.label) } else { b.label.clone() })
            .unwrap_or_default(),
        _ => String::new(),
    };
    let label_font = (FONT_FAMILY, 12).into_font().color(&style.weak_text);
    ctx.configure_mesh()
        .disable_y_mesh()
        .light_line_style(style.grid.mix(0.25))
        .bold_line_style(style.grid.mix(0.5))
        .axis_style(style.grid)
        .x_desc(chart.metric.as_str())
        .x_label_formatter(&tick)
        .y_labels(n)
        .y_label_formatter(&label_of)
        .label_style(label_font.clone())
        .axis_desc_style(label_font)
        .draw()?;
    let groups = chart.series.len().max(1);
    // Everything below is drawn in pixels of `area`: a segmented axis places only whole bands.
    let (ox, oy) = area.get_base_pixel();
    let (px, py) = ctx.plotting_area().get_pixel_range();
    let (left, right, top, bottom) = (px.start - ox, px.end - ox, py.start - oy, py.end - oy);
    let x_px = |x: f64| ctx.backend_coord(&(x, SegmentValue::Exact(0))).0 - ox;
    // Bands as the axis places them (its labels sit at their centres): bar i is band n-1-i, counted from the bottom.
    let y_px = |band: usize| ctx.backend_coord(&(x0, SegmentValue::Exact(band))).1 - oy;
    let bands: Vec<(i32, i32)> = (0..chart.bars.len()).map(|i| (y_px(n - i), y_px(n - 1 - i))).collect();
    let zero = x_px(0.0f64.max(x0));
    for (i, bar) in chart.bars.iter().enumerate() {
        let (band_top, band_bottom) = bands[i];
        let band_height = f64::from(band_bottom - band_top);
        if chart.selected == Some(i) {
            let rect = [(left, band_top), (right, band_bottom)];
            area.draw(&Rectangle::new(rect, style.text.mix(0.08).filled()))?;
        }
        for (g, value) in bar.values.iter().enumerate() {
            let Some(value) = value.filter(|v| v.value.is_finite()) else { continue };
            let color = style.series[g % style.series.len()].mix(if bar.small { 0.3 } else { 0.8 });
            // The band split into one strip per evaluation.
            let margin = 0.18;
            let strip = (1.0 - 2.0 * margin) / groups as f64;
            let y0 = band_top + (band_height * (margin + strip * g as f64)) as i32;
            let y1 = band_top + (band_height * (margin + strip * (g + 1) as f64)) as i32;
            area.draw(&Rectangle::new([(zero, y0), (x_px(value.value), y1.max(y0 + 1))], color.filled()))?;
            if let (Some(lo), Some(hi)) = (value.lower, value.upper) {
                let mid = (y0 + y1) / 2;
                let whisker = style.text.mix(0.85).stroke_width(1);
                area.draw(&PathElement::new(vec![(x_px(lo), mid), (x_px(hi), mid)], whisker))?;
                for x in [lo, hi] {
                    area.draw(&PathElement::new(vec![(x_px(x), y0 + 1), (x_px(x), y1 - 1)], whisker))?;
                }
            }
        }
    }
    if let Some(reference) = chart.reference.filter(|r| r.is_finite()) {
        let x = x_px(reference);
        let dash = style.text.mix(0.7).stroke_width(1);
        for y in (top..bottom).step_by(8) {
            area.draw(&PathElement::new(vec![(x, y), (x, (y + 4).min(bottom))], dash))?;
        }
        let label = format!("Overall {}", fmt(reference));
        let font = (FONT_FAMILY, 11).into_font().color(&style.text);
        area.draw(&Text::new(label, (x + 3, top + 1), font.pos(Pos::new(HPos::Left, VPos::Top))))?;
    }
    if groups > 1 {
        // The legend, top right beside the title: the bars are not plotters series.
        let mut x = right - 8;
        for (g, name) in chart.series.iter().enumerate().rev() {
            let color = style.series[g % style.series.len()];
            x -= name.chars().count() as i32 * 7 + 26;
            let y = 6;
            area.draw(&Rectangle::new([(x, y + 2), (x + 12, y + 12)], color.filled()))?;
            area.draw(&Text::new(name.clone(), (x + 16, y), (FONT_FAMILY, 12).into_font().color(&style.text)))?;
        }
    }
    Ok(BarLayout { top, bottom, left, right, bands })
}

/// A metric's value as the chart prints it.
pub fn fmt(v: f64) -> String {
    if v.abs() >= 100.0 { format!("{v:.0}") } else { format!("{v:.3}") }
}

#[cfg(test)]
mod tests {
    use super::super::tests::style;
    use super::*;

    fn chart() -> SliceChart {
        let bar = |label: &str, v: f64| SliceBar {
            label: label.into(),
            values: vec![Some(Interval { value: v, lower: Some(v - 0.05), upper: Some(v + 0.05) })],
            small: false,
            regressed: false,
        };
        SliceChart {
            title: "auc by camera".into(),
            metric: "auc".into(),
            series: vec!["v1".into()],
            bars: vec![bar("webcam", 0.7), bar("dslr", 0.93)],
            reference: Some(0.9),
            selected: Some(0),
        }
    }

    #[test]
    fn the_chart_draws_bars_whiskers_and_the_reference() {
        let mut svg = String::new();
        let layout = {
            let root = SVGBackend::with_string(&mut svg, (600, 300)).into_drawing_area();
            let layout = draw_slice_chart(&root, &chart(), &style()).unwrap();
            root.present().unwrap();
            layout
        };
        assert!(svg.contains("webcam") && svg.contains("Overall 0.900"), "{svg}");
        assert!(svg.matches("<rect").count() >= 3, "bars drawn");
        // One bar takes the top band of two.
        let mut one = chart();
        one.bars.truncate(1);
        let mut svg1 = String::new();
        let root = SVGBackend::with_string(&mut svg1, (600, 300)).into_drawing_area();
        let single = draw_slice_chart(&root, &one, &style()).unwrap();
        assert!(single.bands[0].0 <= single.top + 2 && single.bands[0].1 > single.top + 50, "{single:?}");
        // Two bands, top to bottom, filling the plot.
        assert_eq!(layout.bands.len(), 2);
        assert!(layout.bands[0].0 <= layout.top + 2 && layout.bands[1].1 >= layout.bottom - 2, "{layout:?}");
        let mid = (layout.top + layout.bottom) as f32 / 2.0;
        assert_eq!(layout.bar_at(layout.left as f32 + 5.0, mid - 5.0), Some(0));
        assert_eq!(layout.bar_at(layout.left as f32 + 5.0, mid + 5.0), Some(1));
        assert_eq!(layout.bar_at(5.0, (layout.bottom + 20) as f32), None);
    }
}
