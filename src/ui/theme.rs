//! Design tokens: every colour, spacing and font size the UI uses, for the dark and the light theme.
//!
//! Views never pick colours: they ask for a [`Tone`] (a meaning such as "ok" or "error") or a named token
//! here, so both themes stay consistent. `clippy.toml` forbids constructing colours elsewhere.
#![allow(clippy::disallowed_methods)]

use crate::settings::ThemeChoice;
pub use crate::tone::Tone;
use egui::{Color32, CornerRadius, FontFamily, FontId, Stroke, TextStyle, Visuals};

/// The palette of one theme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Palette {
    pub bg: Color32,
    pub panel: Color32,
    pub surface: Color32,
    pub border: Color32,
    pub text: Color32,
    pub text_strong: Color32,
    pub text_weak: Color32,
    pub accent: Color32,
    pub accent_weak: Color32,
    pub ok: Color32,
    pub pending: Color32,
    pub warn: Color32,
    pub err: Color32,
    pub done: Color32,
    /// Series colours for charts, in order.
    pub series: [Color32; 6],
}

const DARK: Palette = Palette {
    bg: Color32::from_rgb(0x15, 0x18, 0x1d),
    panel: Color32::from_rgb(0x1b, 0x1f, 0x26),
    surface: Color32::from_rgb(0x22, 0x27, 0x30),
    border: Color32::from_rgb(0x2f, 0x35, 0x40),
    text: Color32::from_rgb(0xc9, 0xd1, 0xd9),
    text_strong: Color32::from_rgb(0xf0, 0xf3, 0xf6),
    text_weak: Color32::from_rgb(0x8b, 0x94, 0x9e),
    accent: Color32::from_rgb(0x3d, 0x9c, 0xf0),
    accent_weak: Color32::from_rgb(0x1c, 0x3a, 0x5a),
    ok: Color32::from_rgb(0x3f, 0xb9, 0x50),
    pending: Color32::from_rgb(0x58, 0xa6, 0xff),
    warn: Color32::from_rgb(0xd2, 0x99, 0x22),
    err: Color32::from_rgb(0xf8, 0x51, 0x49),
    done: Color32::from_rgb(0xa3, 0x71, 0xf7),
    series: [
        Color32::from_rgb(0x3d, 0x9c, 0xf0),
        Color32::from_rgb(0x3f, 0xb9, 0x50),
        Color32::from_rgb(0xd2, 0x99, 0x22),
        Color32::from_rgb(0xa3, 0x71, 0xf7),
        Color32::from_rgb(0xf8, 0x51, 0x49),
        Color32::from_rgb(0x39, 0xc5, 0xcf),
    ],
};

const LIGHT: Palette = Palette {
    bg: Color32::from_rgb(0xf6, 0xf8, 0xfa),
    panel: Color32::from_rgb(0xff, 0xff, 0xff),
    surface: Color32::from_rgb(0xee, 0xf1, 0xf4),
    border: Color32::from_rgb(0xd0, 0xd7, 0xde),
    text: Color32::from_rgb(0x24, 0x29, 0x2f),
    text_strong: Color32::from_rgb(0x0d, 0x11, 0x17),
    text_weak: Color32::from_rgb(0x57, 0x60, 0x6a),
    accent: Color32::from_rgb(0x09, 0x69, 0xda),
    accent_weak: Color32::from_rgb(0xdd, 0xf4, 0xff),
    ok: Color32::from_rgb(0x1a, 0x7f, 0x37),
    pending: Color32::from_rgb(0x09, 0x69, 0xda),
    warn: Color32::from_rgb(0x9a, 0x67, 0x00),
    err: Color32::from_rgb(0xcf, 0x22, 0x2e),
    done: Color32::from_rgb(0x82, 0x50, 0xdf),
    series: [
        Color32::from_rgb(0x09, 0x69, 0xda),
        Color32::from_rgb(0x1a, 0x7f, 0x37),
        Color32::from_rgb(0xbf, 0x87, 0x00),
        Color32::from_rgb(0x82, 0x50, 0xdf),
        Color32::from_rgb(0xcf, 0x22, 0x2e),
        Color32::from_rgb(0x1b, 0x7c, 0x83),
    ],
};

/// Spacing and sizes shared by all screens.
pub mod size {
    pub const NAV_WIDTH: f32 = 204.0;
    pub const TOP_BAR_HEIGHT: f32 = 40.0;
    pub const STATUS_BAR_HEIGHT: f32 = 24.0;
    pub const PAGE_MARGIN: i8 = 20;
    pub const CARD_RADIUS: u8 = 6;
    pub const HEADING: f32 = 22.0;
}

/// The resolved theme: a palette plus the choice it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    pub choice: ThemeChoice,
    pub palette: Palette,
}

impl Theme {
    pub fn new(choice: ThemeChoice) -> Self {
        let palette = match choice {
            ThemeChoice::Dark => DARK,
            ThemeChoice::Light => LIGHT,
        };
        Self { choice, palette }
    }

    pub fn tone(&self, tone: Tone) -> Color32 {
        let p = &self.palette;
        match tone {
            Tone::Ok => p.ok,
            Tone::Pending => p.pending,
            Tone::Warn => p.warn,
            Tone::Err => p.err,
            Tone::Done => p.done,
            Tone::Neutral => p.text_weak,
        }
    }

    /// A translucent version of a colour, for fills behind text (chips, selections).
    pub fn tint(color: Color32, alpha: u8) -> Color32 {
        Color32::from_rgba_unmultiplied(color.r(), color.g(), color.b(), alpha)
    }

    /// Installs this theme's visuals and text styles into the egui context.
    pub fn apply(&self, ctx: &egui::Context) {
        let p = &self.palette;
        let mut visuals = match self.choice {
            ThemeChoice::Dark => Visuals::dark(),
            ThemeChoice::Light => Visuals::light(),
        };
        visuals.panel_fill = p.bg;
        visuals.window_fill = p.panel;
        visuals.extreme_bg_color = p.surface;
        visuals.faint_bg_color = p.surface;
        visuals.override_text_color = Some(p.text);
        visuals.hyperlink_color = p.accent;
        visuals.selection.bg_fill = p.accent_weak;
        visuals.selection.stroke = Stroke::new(1.0, p.accent);
        visuals.window_stroke = Stroke::new(1.0, p.border);
        visuals.widgets.noninteractive.bg_stroke = Stroke::new(1.0, p.border);
        visuals.widgets.noninteractive.fg_stroke = Stroke::new(1.0, p.text);
        visuals.widgets.inactive.fg_stroke = Stroke::new(1.0, p.text);
        visuals.widgets.hovered.fg_stroke = Stroke::new(1.0, p.text_strong);
        visuals.widgets.active.fg_stroke = Stroke::new(1.0, p.text_strong);
        for w in [
            &mut visuals.widgets.noninteractive,
            &mut visuals.widgets.inactive,
            &mut visuals.widgets.hovered,
            &mut visuals.widgets.active,
            &mut visuals.widgets.open,
        ] {
            w.corner_radius = CornerRadius::same(4);
        }
        visuals.window_corner_radius = CornerRadius::same(size::CARD_RADIUS);
        ctx.set_visuals(visuals);

        ctx.all_styles_mut(|style| {
            style.text_styles = [
                (TextStyle::Heading, FontId::new(size::HEADING, FontFamily::Proportional)),
                (TextStyle::Body, FontId::new(14.0, FontFamily::Proportional)),
                (TextStyle::Button, FontId::new(14.0, FontFamily::Proportional)),
                (TextStyle::Small, FontId::new(11.5, FontFamily::Proportional)),
                (TextStyle::Monospace, FontId::new(13.0, FontFamily::Monospace)),
            ]
            .into();
            style.spacing.item_spacing = egui::vec2(8.0, 6.0);
            style.spacing.button_padding = egui::vec2(8.0, 4.0);
            style.spacing.interact_size.y = 24.0;
        });
    }
}

/// Converts a token colour into a plotters colour, for charts drawn to the screen or exported.
pub fn to_plotters(color: Color32) -> plotters::style::RGBColor {
    plotters::style::RGBColor(color.r(), color.g(), color.b())
}

/// Converts a plotters colour (with alpha) into an egui colour; used by the chart bridge.
pub fn from_plotters(rgb: (u8, u8, u8), alpha: f64) -> Color32 {
    let a = (alpha.clamp(0.0, 1.0) * 255.0).round() as u8;
    Color32::from_rgba_unmultiplied(rgb.0, rgb.1, rgb.2, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn themes_differ_and_toggle_round_trips() {
        assert_ne!(Theme::new(ThemeChoice::Dark).palette, Theme::new(ThemeChoice::Light).palette);
        assert_eq!(ThemeChoice::Dark.toggled().toggled(), ThemeChoice::Dark);
    }

    #[test]
    fn plotters_colour_conversion_keeps_channels() {
        let [r, g, b, a] = from_plotters((10, 20, 30), 0.5).to_srgba_unmultiplied();
        assert_eq!((r, g, b, a), (10, 20, 30, 128));
    }
}
