//! A parallel-coordinates chart: one vertical axis per hyperparameter and a last one for the objective, one line
//! per run across them — which settings lead to good results, at a glance.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ChartError, ChartStyle, FONT_FAMILY, ensure_fonts};

/// One run's line: a value per axis (`NaN`: not known, the line skips that axis).
#[derive(Debug, Clone, PartialEq)]
pub struct ParallelLine {
    pub values: Vec<f64>,
    /// Drawn on top, in the accent colour (the best run).
    pub highlight: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParallelChart {
    pub title: String,
    pub axes: Vec<String>,
    pub lines: Vec<ParallelLine>,
    /// Axes whose values are spread over orders of magnitude (learning rates) are drawn log-scaled.
    pub log_axes: Vec<bool>,
}

/// Per axis: (low, high) of its known values, after the log scale where it applies.
fn extents(chart: &ParallelChart) -> Vec<(f64, f64)> {
    (0..chart.axes.len())
        .map(|a| {
            let log = chart.log_axes.get(a).copied().unwrap_or(false);
            let values = chart.lines.iter().filter_map(|l| l.values.get(a).copied()).map(|v| scaled(v, log));
            values
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
        })
        .collect()
}

fn scaled(v: f64, log: bool) -> f64 {
    if log { if v > 0.0 { v.log10() } else { f64::NAN } } else { v }
}

/// Where a value sits on its axis, 0 (bottom) to 1 (top); the middle when the axis has one value.
fn position(v: f64, (lo, hi): (f64, f64)) -> f64 {
    if hi > lo { (v - lo) / (hi - lo) } else { 0.5 }
}

fn label(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
        format!("{v:.1e}")
    } else {
        format!("{v:.4}").trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

pub fn draw_parallel_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &ParallelChart,
    style: &ChartStyle,
) -> Result<(), ChartError> {
    ensure_fonts();
    area.fill(&style.background)?;
    let n = chart.axes.len();
    if n == 0 {
        return Ok(());
    }
    let mut builder = ChartBuilder::on(area);
    builder.margin(10).margin_left(30).margin_right(30).x_label_area_size(22);
    if !chart.title.is_empty() {
        builder.caption(&chart.title, (FONT_FAMILY, 14).into_font().color(&style.text));
    }
    let mut ctx = builder.build_cartesian_2d(-0.05..(n as f64 - 0.95), -0.08..1.08)?;
    let names = chart.axes.clone();
    ctx.configure_mesh()
        .disable_mesh()
        .disable_y_axis()
        .axis_style(style.background)
        .x_labels(n)
        .x_label_formatter(&|x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .label_style((FONT_FAMILY, 12).into_font().color(&style.text))
        .draw()?;
    let extents = extents(chart);
    let small = (FONT_FAMILY, 11).into_font().color(&style.weak_text);
    for (a, (lo, hi)) in extents.iter().enumerate() {
        let x = a as f64;
        ctx.draw_series(std::iter::once(PathElement::new(vec![(x, 0.0), (x, 1.0)], style.grid.stroke_width(2))))?;
        if lo.is_finite() {
            let log = chart.log_axes.get(a).copied().unwrap_or(false);
            let shown = |v: f64| label(if log { 10f64.powf(v) } else { v });
            ctx.draw_series([
                Text::new(shown(*hi), (x + 0.02, 1.04), small.clone()),
                Text::new(shown(*lo), (x + 0.02, -0.02), small.clone()),
            ])?;
        }
    }
    let mut ordered: Vec<&ParallelLine> = chart.lines.iter().collect();
    ordered.sort_by_key(|l| l.highlight);
    for line in ordered {
        let points: Vec<(f64, f64)> = line
            .values
            .iter()
            .enumerate()
            .filter_map(|(a, v)| {
                let log = chart.log_axes.get(a).copied().unwrap_or(false);
                let v = scaled(*v, log);
                let extent = *extents.get(a)?;
                v.is_finite().then(|| (a as f64, position(v, extent)))
            })
            .collect();
        let (color, width) =
            if line.highlight { (style.series[1].mix(1.0), 3) } else { (style.series[0].mix(0.55), 2) };
        ctx.draw_series(std::iter::once(PathElement::new(points.clone(), color.stroke_width(width))))?;
        ctx.draw_series(points.into_iter().map(|p| Circle::new(p, 3, color.filled())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_axis_and_run_is_drawn_and_log_axes_spread_rates() {
        let chart = ParallelChart {
            title: "lr → val_loss".into(),
            axes: vec!["lr".into(), "val_loss".into()],
            lines: vec![
                ParallelLine { values: vec![0.1, 0.5], highlight: false },
                ParallelLine { values: vec![0.001, 0.2], highlight: true },
                ParallelLine { values: vec![f64::NAN, 0.3], highlight: false },
            ],
            log_axes: vec![true, false],
        };
        assert_eq!(extents(&chart), [(-3.0, -1.0), (0.2, 0.5)]);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (400, 240)).into_drawing_area();
            draw_parallel_chart(&root, &chart, &crate::charts::tests::style()).expect("drawn");
            root.present().expect("present");
        }
        assert!(svg.contains("\nlr\n") && svg.contains("\nval_loss\n"), "{svg}");
        assert!(svg.contains("0.001") && svg.contains("0.1"), "log axis ends read as the rates: {svg}");
    }
}
