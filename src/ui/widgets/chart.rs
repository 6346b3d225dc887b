//! The bridge from plotters to egui: a `DrawingBackend` that turns plotters' drawing calls into egui shapes, and a
//! widget that shows a [`LineChart`] with a hover read-out.
//!
//! Charts are defined once in `crate::charts`; this module only decides how they reach the screen.

use std::f32::consts::FRAC_PI_2;

use egui::epaint::{Mesh, PathShape, PathStroke, TextShape};
use egui::{Color32, FontId, Painter, Pos2, Rect, Response, Sense, Shape, Stroke, Ui, Vec2, pos2, vec2};
use plotters::prelude::IntoDrawingArea;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind, FontTransform,
};

use crate::charts::{ChartStyle, LineChart, PlotLayout, draw_line_chart_within};
use crate::ui::theme::{Theme, from_plotters, to_plotters};

/// Error type of the egui backend. Drawing into shapes cannot fail; the type exists because plotters requires one.
#[derive(Debug, thiserror::Error)]
#[error("egui chart backend error")]
pub struct BridgeError;

type DrawResult = Result<(), DrawingErrorKind<BridgeError>>;

/// A plotters backend that records egui shapes for a rectangle of the screen. Backend pixel (0, 0) is the
/// rectangle's top-left corner and one backend pixel is one egui point.
pub struct EguiBackend<'a> {
    rect: Rect,
    painter: Painter,
    shapes: &'a mut Vec<Shape>,
}

impl<'a> EguiBackend<'a> {
    /// Records into `shapes`; `painter` is only used to lay out text, nothing is painted until the caller adds
    /// the shapes.
    pub fn new(painter: Painter, rect: Rect, shapes: &'a mut Vec<Shape>) -> Self {
        Self { rect, painter, shapes }
    }

    fn pos(&self, (x, y): BackendCoord) -> Pos2 {
        self.rect.min + vec2(x as f32, y as f32)
    }

    fn color(c: BackendColor) -> Color32 {
        from_plotters(c.rgb, c.alpha)
    }

    fn stroke<S: BackendStyle>(style: &S) -> Stroke {
        Stroke::new(style.stroke_width().max(1) as f32, Self::color(style.color()))
    }

    fn text_galley<T: BackendTextStyle>(&self, text: &str, style: &T) -> std::sync::Arc<egui::Galley> {
        let font = FontId::proportional(style.size() as f32);
        self.painter.layout_no_wrap(text.to_owned(), font, Self::color(style.color()))
    }
}

impl DrawingBackend for EguiBackend<'_> {
    type ErrorType = BridgeError;

    fn get_size(&self) -> (u32, u32) {
        (self.rect.width().max(0.0) as u32, self.rect.height().max(0.0) as u32)
    }

    fn ensure_prepared(&mut self) -> DrawResult {
        Ok(())
    }

    fn present(&mut self) -> DrawResult {
        Ok(())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> DrawResult {
        let min = self.pos(point);
        self.shapes.push(Shape::rect_filled(Rect::from_min_size(min, Vec2::splat(1.0)), 0.0, Self::color(color)));
        Ok(())
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> DrawResult {
        // Plotters addresses pixels by their top-left corner; egui strokes along pixel centres.
        let half = Vec2::splat(0.5);
        let seg = [self.pos(from) + half, self.pos(to) + half];
        self.shapes.push(Shape::line_segment(seg, Self::stroke(style)));
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> DrawResult {
        let rect = Rect::from_two_pos(self.pos(upper_left), self.pos(bottom_right));
        if fill {
            self.shapes.push(Shape::rect_filled(rect, 0.0, Self::color(style.color())));
        } else {
            let stroke = Self::stroke(style);
            self.shapes.push(Shape::rect_stroke(rect, 0.0, stroke, egui::StrokeKind::Inside));
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> DrawResult {
        let half = Vec2::splat(0.5);
        let points: Vec<Pos2> = path.into_iter().map(|p| self.pos(p) + half).collect();
        if points.len() >= 2 {
            let stroke = Self::stroke(style);
            self.shapes.push(Shape::Path(PathShape::line(points, PathStroke::new(stroke.width, stroke.color))));
        }
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(&mut self, center: BackendCoord, radius: u32, style: &S, fill: bool) -> DrawResult {
        let c = self.pos(center);
        if fill {
            self.shapes.push(Shape::circle_filled(c, radius as f32, Self::color(style.color())));
        } else {
            self.shapes.push(Shape::circle_stroke(c, radius as f32, Self::stroke(style)));
        }
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> DrawResult {
        // egui only fills convex paths; areas under curves are not convex, so fill by scanlines into one mesh.
        let vertices: Vec<BackendCoord> = vert.into_iter().collect();
        let mut mesh = Mesh::default();
        let color = Self::color(style.color());
        for (y, x0, x1) in scanline_spans(&vertices) {
            let rect = Rect::from_min_max(self.pos((x0, y)), self.pos((x1, y + 1)));
            mesh.add_colored_rect(rect, color);
        }
        if !mesh.is_empty() {
            self.shapes.push(Shape::mesh(mesh));
        }
        Ok(())
    }

    fn draw_text<T: BackendTextStyle>(&mut self, text: &str, style: &T, pos: BackendCoord) -> DrawResult {
        let galley = self.text_galley(text, style);
        let size = galley.size();
        let dx = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Right => -size.x,
            HPos::Center => -size.x / 2.0,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0.0,
            VPos::Center => -size.y / 2.0,
            VPos::Bottom => -size.y,
        };
        let angle = match style.transform() {
            FontTransform::None => 0.0,
            FontTransform::Rotate90 => FRAC_PI_2,
            FontTransform::Rotate180 => 2.0 * FRAC_PI_2,
            FontTransform::Rotate270 => -FRAC_PI_2,
        };
        // The anchor offset is measured in the text's own (unrotated) frame, as plotters does.
        let offset = egui::emath::Rot2::from_angle(angle) * vec2(dx, dy);
        let origin = self.pos(pos) + offset;
        let color = Self::color(style.color());
        self.shapes.push(TextShape::new(origin, galley, color).with_angle(angle).into());
        Ok(())
    }

    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<BridgeError>> {
        let size = self.text_galley(text, style).size();
        Ok((size.x.ceil() as u32, size.y.ceil() as u32))
    }
}

/// Horizontal spans `(y, x_start, x_end)` covering the inside of a polygon (even-odd rule), one pixel row at a time.
fn scanline_spans(vertices: &[BackendCoord]) -> Vec<(i32, i32, i32)> {
    let Some(y_min) = vertices.iter().map(|v| v.1).min() else { return Vec::new() };
    let y_max = vertices.iter().map(|v| v.1).max().unwrap_or(y_min);
    let mut spans = Vec::new();
    let mut xs = Vec::new();
    for y in y_min..y_max {
        let yc = y as f64 + 0.5;
        xs.clear();
        for (i, &(ax, ay)) in vertices.iter().enumerate() {
            let (bx, by) = vertices[(i + 1) % vertices.len()];
            let (ay, by) = (f64::from(ay), f64::from(by));
            if (ay <= yc) != (by <= yc) {
                let t = (yc - ay) / (by - ay);
                xs.push(f64::from(ax) + t * f64::from(bx - ax));
            }
        }
        xs.sort_by(f64::total_cmp);
        for pair in xs.chunks_exact(2) {
            let (x0, x1) = (pair[0].round() as i32, pair[1].round() as i32);
            if x1 > x0 {
                spans.push((y, x0, x1));
            }
        }
    }
    spans
}

/// The chart style for the current theme.
pub fn chart_style(theme: &Theme) -> ChartStyle {
    let p = &theme.palette;
    ChartStyle {
        background: to_plotters(p.panel),
        text: to_plotters(p.text),
        weak_text: to_plotters(p.text_weak),
        grid: to_plotters(p.border),
        series: p.series.map(to_plotters),
    }
}

/// Shows a bar chart filling the available width, `height` points tall.
pub fn bar_chart(ui: &mut Ui, chart: &crate::charts::BarChart, theme: &Theme, height: f32) -> Response {
    let size = vec2(ui.available_width(), height);
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &chart.title));
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let painter = ui.painter_at(rect);
    let mut shapes = Vec::new();
    let area = EguiBackend::new(painter.clone(), rect, &mut shapes).into_drawing_area();
    if let Err(e) = crate::charts::draw_bar_chart(&area, chart, &chart_style(theme)) {
        tracing::debug!("bar chart not drawn: {e}");
    }
    drop(area);
    painter.extend(shapes);
    response
}

/// Shows a slice chart filling the available width, tall enough for its bars; returns the bar clicked, if any.
pub fn slice_chart(ui: &mut Ui, chart: &crate::charts::slices::SliceChart, theme: &Theme) -> Option<usize> {
    let per_bar = if chart.series.len() > 1 { 30.0 } else { 24.0 };
    let height = (chart.bars.len() as f32 * per_bar + 80.0).clamp(160.0, 900.0);
    let size = vec2(ui.available_width(), height);
    let (rect, response) = ui.allocate_exact_size(size, Sense::click());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &chart.title));
    if !ui.is_rect_visible(rect) {
        return None;
    }
    let painter = ui.painter_at(rect);
    let mut shapes = Vec::new();
    let area = EguiBackend::new(painter.clone(), rect, &mut shapes).into_drawing_area();
    let layout = crate::charts::slices::draw_slice_chart(&area, chart, &chart_style(theme));
    drop(area);
    painter.extend(shapes);
    let layout = match layout {
        Ok(layout) => layout,
        Err(e) => {
            tracing::debug!("slice chart not drawn: {e}");
            return None;
        }
    };
    let at = |p: Pos2| layout.bar_at(p.x - rect.min.x, p.y - rect.min.y);
    if let Some(bar) = response.hover_pos().and_then(at).and_then(|i| chart.bars.get(i)) {
        let mut lines = vec![bar.label.clone()];
        for (name, value) in chart.series.iter().zip(&bar.values) {
            let text = match value {
                Some(v) => match (v.lower, v.upper) {
                    (Some(lo), Some(hi)) => format!(
                        "{name}: {} [{}, {}]",
                        crate::charts::slices::fmt(v.value),
                        crate::charts::slices::fmt(lo),
                        crate::charts::slices::fmt(hi)
                    ),
                    _ => format!("{name}: {}", crate::charts::slices::fmt(v.value)),
                },
                None => format!("{name}: not in this evaluation"),
            };
            lines.push(text);
        }
        lines.push("click for its details".into());
        response.clone().on_hover_text(lines.join("\n"));
        ui.ctx().set_cursor_icon(egui::CursorIcon::PointingHand);
    }
    if response.clicked() { response.interact_pointer_pos().and_then(at) } else { None }
}

/// Shows a parallel-coordinates chart filling the available width, `height` points tall.
pub fn parallel_chart(
    ui: &mut Ui,
    chart: &crate::charts::parallel::ParallelChart,
    theme: &Theme,
    height: f32,
) -> Response {
    let size = vec2(ui.available_width(), height);
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Hyperparameters vs. objective"));
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let painter = ui.painter_at(rect);
    let mut shapes = Vec::new();
    let area = EguiBackend::new(painter.clone(), rect, &mut shapes).into_drawing_area();
    if let Err(e) = crate::charts::parallel::draw_parallel_chart(&area, chart, &chart_style(theme)) {
        tracing::debug!("parallel chart not drawn: {e}");
    }
    drop(area);
    painter.extend(shapes);
    response
}

/// A line chart's zoom, kept in egui's memory per chart: the x range shown, and where a drag began (data x).
#[derive(Debug, Clone, Default, PartialEq)]
struct Zoom {
    view: Option<(f64, f64)>,
    drag_from: Option<f64>,
    /// The last drawn layout's x range and pixel columns, to map the pointer while dragging.
    layout: Option<PlotLayout>,
}

/// The x range a line chart is zoomed to (`None`: all of it), by the chart's title within `ui`.
pub fn zoom_of(ui: &Ui, chart: &LineChart) -> Option<(f64, f64)> {
    ui.data(|d| d.get_temp::<Zoom>(zoom_id(ui, chart))).and_then(|z| z.view)
}

fn zoom_id(ui: &Ui, chart: &LineChart) -> egui::Id {
    ui.make_persistent_id(("line_chart_zoom", &chart.title))
}

/// Shows a line chart filling the available width, `height` points tall, with a hover read-out of the values
/// nearest to the pointer. Dragging across it zooms to that x range; a double click shows all again.
/// `format_y` formats values for the read-out.
pub fn line_chart(ui: &mut Ui, chart: &LineChart, theme: &Theme, height: f32, format_y: fn(f64) -> String) -> Response {
    let size = vec2(ui.available_width(), height);
    let id = zoom_id(ui, chart);
    let (rect, response) = ui.allocate_exact_size(size, Sense::click_and_drag());
    let response = response.on_hover_cursor(egui::CursorIcon::Crosshair);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &chart.title));
    let mut zoom: Zoom = ui.data(|d| d.get_temp(id)).unwrap_or_default();
    let data_x = |zoom: &Zoom, pos: Pos2| zoom.layout.as_ref().and_then(|l| l.x_at(pos.x - rect.min.x));
    if response.double_clicked() {
        zoom.view = None;
    }
    if response.drag_started() {
        zoom.drag_from = response.interact_pointer_pos().and_then(|p| data_x(&zoom, p));
    }
    let dragging_to = response.interact_pointer_pos().and_then(|p| data_x(&zoom, p));
    if response.drag_stopped() {
        if let (Some(a), Some(b)) = (zoom.drag_from, dragging_to)
            && (a - b).abs() > 0.0
        {
            zoom.view = Some((a.min(b), a.max(b)));
        }
        zoom.drag_from = None;
    }
    if !ui.is_rect_visible(rect) {
        ui.data_mut(|d| d.insert_temp(id, zoom));
        return response;
    }
    let style = chart_style(theme);
    let painter = ui.painter_at(rect);
    let mut shapes = Vec::new();
    let area = EguiBackend::new(painter.clone(), rect, &mut shapes).into_drawing_area();
    let layout = draw_line_chart_within(&area, chart, &style, zoom.view);
    drop(area);
    painter.extend(shapes);
    if let Ok(layout) = &layout {
        if let (Some(from), Some(to), true) = (zoom.drag_from, dragging_to, response.dragged()) {
            // The range being chosen, shaded.
            let (a, _) = layout.to_pixels((from.min(to), layout.y_range.1));
            let (b, _) = layout.to_pixels((from.max(to), layout.y_range.1));
            let (top, bottom) = (layout.pixels.1 as f32, layout.pixels.3 as f32);
            let band = Rect::from_min_max(rect.min + vec2(a, top), rect.min + vec2(b, bottom));
            painter.rect_filled(band, 0.0, theme.palette.accent.gamma_multiply(0.18));
        } else if let Some(pointer) = response.hover_pos() {
            hover_readout(&painter, rect, layout, chart, theme, pointer, format_y);
        }
        if zoom.view.is_some() {
            let note = "zoomed · double-click for all";
            let at = rect.min + vec2(layout.pixels.2 as f32 - 4.0, layout.pixels.1 as f32 + 2.0);
            painter.text(at, egui::Align2::RIGHT_TOP, note, FontId::proportional(11.0), theme.palette.text_weak);
        }
        zoom.layout = Some(layout.clone());
    }
    ui.data_mut(|d| d.insert_temp(id, zoom));
    response
}

fn hover_readout(
    painter: &Painter,
    rect: Rect,
    layout: &PlotLayout,
    chart: &LineChart,
    theme: &Theme,
    pointer: Pos2,
    format_y: fn(f64) -> String,
) {
    let Some(x) = layout.x_at(pointer.x - rect.min.x) else { return };
    let mut lines = Vec::new();
    for (i, series) in chart.series.iter().enumerate() {
        let Some(&(px, py)) = series.points.iter().min_by(|a, b| (a.0 - x).abs().total_cmp(&(b.0 - x).abs())) else {
            continue;
        };
        let (sx, sy) = layout.to_pixels((px, py));
        let color = theme.palette.series[i % theme.palette.series.len()];
        painter.circle_filled(rect.min + vec2(sx, sy), 3.5, color);
        if i == 0 {
            let top = rect.min.y + layout.pixels.1 as f32;
            let bottom = rect.min.y + layout.pixels.3 as f32;
            let x_line = rect.min.x + sx;
            painter.line_segment([pos2(x_line, top), pos2(x_line, bottom)], Stroke::new(1.0, theme.palette.text_weak));
            lines.push(format!("{} = {:.1}", chart.x_label, px));
        }
        lines.push(format!("{}: {}", series.name, format_y(py)));
    }
    if lines.is_empty() {
        return;
    }
    let text = lines.join("\n");
    let galley = painter.layout_no_wrap(text, FontId::proportional(12.0), theme.palette.text_strong);
    let pad = vec2(8.0, 6.0);
    let mut anchor = pointer + vec2(14.0, 14.0);
    if anchor.x + galley.size().x + 2.0 * pad.x > rect.max.x {
        anchor.x = pointer.x - 14.0 - galley.size().x - 2.0 * pad.x;
    }
    let bg = Rect::from_min_size(anchor, galley.size() + 2.0 * pad);
    painter.rect(bg, 4.0, theme.palette.surface, Stroke::new(1.0, theme.palette.border), egui::StrokeKind::Inside);
    painter.galley(anchor + pad, galley, theme.palette.text_strong);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::draw_line_chart;
    use crate::charts::tests::{chart, style};

    /// Runs one egui frame and draws the test chart through the bridge, returning the shapes and the plot layout.
    fn draw(rect: Rect) -> (Vec<Shape>, PlotLayout) {
        let ctx = egui::Context::default();
        let mut out = None;
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
            let mut shapes = Vec::new();
            let area = EguiBackend::new(ui.painter().clone(), rect, &mut shapes).into_drawing_area();
            let layout = draw_line_chart(&area, &chart(), &style()).unwrap();
            drop(area);
            out = Some((shapes, layout));
        });
        output.textures_delta.clear();
        out.unwrap()
    }

    #[test]
    fn line_series_becomes_a_path_inside_the_plot_rect() {
        let rect = Rect::from_min_size(pos2(100.0, 50.0), vec2(400.0, 240.0));
        let (shapes, layout) = draw(rect);
        let red = Color32::RED;
        let series_paths: Vec<&PathShape> = shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Path(p) if p.stroke.color == egui::epaint::ColorMode::Solid(red) => Some(p),
                _ => None,
            })
            .collect();
        assert_eq!(series_paths.len(), 1, "one path for the one series");
        let plot = Rect::from_min_max(
            rect.min + vec2(layout.pixels.0 as f32, layout.pixels.1 as f32),
            rect.min + vec2(layout.pixels.2 as f32 + 1.0, layout.pixels.3 as f32 + 1.0),
        );
        assert_eq!(series_paths[0].points.len(), 3);
        for p in &series_paths[0].points {
            assert!(plot.contains(*p), "{p:?} outside {plot:?}");
        }
        // The plot area lies inside the widget's rectangle.
        assert!(rect.contains_rect(plot));
    }

    #[test]
    fn text_and_area_fill_are_drawn() {
        let (shapes, _) = draw(Rect::from_min_size(Pos2::ZERO, vec2(400.0, 240.0)));
        assert!(shapes.iter().any(|s| matches!(s, Shape::Text(_))), "axis labels and title");
        assert!(shapes.iter().any(|s| matches!(s, Shape::Mesh(_))), "area under the first series");
    }

    #[test]
    fn scanlines_fill_a_concave_polygon_by_even_odd() {
        // A "U" shape: the notch in the middle must stay empty.
        let u = [(0, 0), (2, 0), (2, 2), (4, 2), (4, 0), (6, 0), (6, 4), (0, 4)];
        let spans = scanline_spans(&u);
        assert!(spans.contains(&(0, 0, 2)) && spans.contains(&(0, 4, 6)));
        assert!(spans.contains(&(3, 0, 6)));
        assert!(!spans.iter().any(|&(y, x0, x1)| y < 2 && x0 < 3 && x1 > 3));
    }
}
