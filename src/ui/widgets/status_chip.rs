//! A coloured dot with a short status text, e.g. "● Not connected".

use egui::{Response, RichText, Sense, Ui, vec2};

use crate::ui::theme::{Theme, Tone};

/// Draws a status dot and text; the whole chip is one accessible label.
pub fn status_chip(ui: &mut Ui, theme: &Theme, tone: Tone, text: &str) -> Response {
    let color = theme.tone(tone);
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 6.0;
        let (rect, _) = ui.allocate_exact_size(vec2(8.0, 8.0), Sense::hover());
        ui.painter().circle_filled(rect.center(), 4.0, color);
        ui.label(RichText::new(text).color(theme.palette.text))
    })
    .inner
}
