//! A coloured dot with a short status text, e.g. "● Not connected".

use egui::{FontId, Response, Sense, Ui, pos2, vec2};

use crate::ui::theme::{Theme, Tone};

/// Draws a status dot and text as one widget (one accessible label), whatever the surrounding layout direction.
pub fn status_chip(ui: &mut Ui, theme: &Theme, tone: Tone, text: &str) -> Response {
    let galley = ui.painter().layout_no_wrap(text.to_owned(), FontId::proportional(14.0), theme.palette.text);
    let size = vec2(14.0 + galley.size().x, galley.size().y.max(16.0));
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, text));
    if ui.is_rect_visible(rect) {
        let y = rect.center().y;
        ui.painter().circle_filled(pos2(rect.min.x + 4.0, y), 4.0, theme.tone(tone));
        let text_pos = pos2(rect.min.x + 14.0, y - galley.size().y / 2.0);
        ui.painter().galley(text_pos, galley, theme.palette.text);
    }
    response
}
