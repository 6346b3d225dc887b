//! Notifications in the bottom-right corner. Informational ones fade after a few seconds; errors stay until closed.

use std::time::Duration;

use egui::{Align2, Frame, Margin, RichText, Stroke, vec2};

use crate::state::Command;
use crate::state::toasts::Toasts;
use crate::ui::ViewCtx;
use crate::ui::theme::size;

/// Draws the toasts. `toasts` is the state's list, stamped and expired by the caller before drawing.
pub fn show(ctx: &egui::Context, toasts: &Toasts, view: &ViewCtx<'_>) {
    if toasts.is_empty() {
        return;
    }
    let p = &view.theme.palette;
    egui::Area::new(egui::Id::unique("toasts"))
        .anchor(Align2::RIGHT_BOTTOM, vec2(-16.0, -(size::STATUS_BAR_HEIGHT + 12.0)))
        .order(egui::Order::Foreground)
        .show(ctx, |ui| {
            ui.set_max_width(420.0);
            for toast in toasts.iter() {
                let accent = view.theme.tone(toast.tone);
                Frame::new()
                    .fill(p.panel)
                    .stroke(Stroke::new(1.0, accent))
                    .corner_radius(6)
                    .inner_margin(Margin::symmetric(12, 8))
                    .show(ui, |ui| {
                        ui.horizontal(|ui| {
                            ui.add(egui::Label::new(RichText::new(&toast.text).color(p.text_strong)).wrap());
                            if ui.small_button("✖").on_hover_text("Dismiss").clicked() {
                                view.commands.send(Command::DismissToast(toast.id));
                            }
                        });
                    });
                ui.add_space(6.0);
            }
        });
}

/// Schedules the repaint that will remove the next expiring toast (no polling while idle).
pub fn schedule_expiry(ctx: &egui::Context, seconds_left: Option<f64>) {
    if let Some(s) = seconds_left {
        ctx.request_repaint_after(Duration::from_secs_f64(s.max(0.05)));
    }
}
