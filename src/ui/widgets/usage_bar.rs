//! A small horizontal bar: how much of a resource is requested, out of what is allocatable.

use egui::{Rect, Response, Sense, Ui, vec2};

use crate::ui::theme::{Theme, Tone};

/// The tone of a usage fraction: calm while there is room, warning when nearly full.
pub fn tone_for(fraction: f64) -> Tone {
    if fraction >= 0.95 {
        Tone::Err
    } else if fraction >= 0.75 {
        Tone::Warn
    } else {
        Tone::Ok
    }
}

/// Draws the bar; `label` describes it to screen readers and tests.
pub fn usage_bar(ui: &mut Ui, theme: &Theme, requested: f64, allocatable: f64, width: f32, label: &str) -> Response {
    let (rect, response) = ui.allocate_exact_size(vec2(width, 8.0), Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ProgressIndicator, true, label));
    if ui.is_rect_visible(rect) {
        let painter = ui.painter();
        painter.rect_filled(rect, 3.0, theme.palette.surface);
        if allocatable > 0.0 {
            let fraction = (requested / allocatable).clamp(0.0, 1.0);
            let filled = Rect::from_min_size(rect.min, vec2(rect.width() * fraction as f32, rect.height()));
            painter.rect_filled(filled, 3.0, theme.tone(tone_for(fraction)));
        }
    }
    response
}
