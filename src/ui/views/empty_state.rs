//! What a screen shows before it has data: what it will show, and what the user needs to do to get there.
//! Never sample data: an empty screen says so plainly.

use egui::{Frame, Margin, RichText, Stroke, Ui};

use crate::ui::ViewCtx;
use crate::ui::theme::size;
use crate::ui::views::registry::ScreenInfo;

pub fn ui(ui: &mut Ui, info: &ScreenInfo, view: &ViewCtx<'_>) {
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
        ui.add_space(10.0);
        ui.separator();
        ui.add_space(6.0);
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("To get started").color(p.text_strong).strong());
            ui.label(RichText::new(info.needs).color(p.text));
        });
    });
}

/// A framed card on the page background.
pub fn card<R>(ui: &mut Ui, view: &ViewCtx<'_>, add: impl FnOnce(&mut Ui) -> R) -> R {
    let p = &view.theme.palette;
    Frame::new()
        .fill(p.panel)
        .stroke(Stroke::new(1.0, p.border))
        .corner_radius(size::CARD_RADIUS)
        .inner_margin(Margin::same(16))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add(ui)
        })
        .inner
}
