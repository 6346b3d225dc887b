//! What a screen shows before it has data: what it will show, and what the user needs to do to get there.
//! Never sample data: an empty screen says so plainly.

use egui::{Frame, Margin, RichText, Stroke, Ui};

use crate::ui::ViewCtx;
use crate::ui::theme::size;
use crate::ui::views::registry::ScreenInfo;

pub fn ui(ui: &mut Ui, info: &ScreenInfo, view: &ViewCtx<'_>) {
    show(ui, info, view, true);
}

/// The card; `with_needs` adds the "To get started" line.
pub fn show(ui: &mut Ui, info: &ScreenInfo, view: &ViewCtx<'_>, with_needs: bool) {
    card(ui, view, |ui| {
        let p = &view.theme.palette;
        ui.label(RichText::new("What you will find here").color(p.text_strong).strong());
        ui.add_space(4.0);
        for feature in info.features {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new("•").color(p.accent));
                ui.label(*feature);
            });
        }
        if with_needs {
            ui.add_space(10.0);
            ui.separator();
            ui.add_space(6.0);
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new("To get started").color(p.text_strong).strong());
                ui.label(RichText::new(info.needs).color(p.text));
            });
        }
    });
}

const CARD_PADDING: i8 = 16;

/// A framed card on the page background.
pub fn card<R>(ui: &mut Ui, view: &ViewCtx<'_>, add: impl FnOnce(&mut Ui) -> R) -> R {
    let p = &view.theme.palette;
    // The frame's padding and border sit outside the content width.
    // (and a little room for the floating scroll bar).
    let width = (ui.available_width() - 2.0 * f32::from(CARD_PADDING) - 10.0).max(0.0);
    Frame::new()
        .fill(p.panel)
        .stroke(Stroke::new(1.0, p.border))
        .corner_radius(size::CARD_RADIUS)
        .inner_margin(Margin::same(CARD_PADDING))
        .show(ui, |ui| {
            ui.set_width(width);
            add(ui)
        })
        .inner
}
