//! The frame around every screen: top bar (context, namespace, connection health), navigation, status bar, the
//! diagnostics panel, the command palette and notifications.

use egui::{Align, Frame, Key, Layout, Margin, Panel, Rect, RichText, Sense, Stroke, TextEdit, Ui, Vec2, pos2, vec2};

use crate::charts::ExportFormat;
use crate::resources::quantity::counted;
use crate::state::{Command, Connection, Contexts};
use crate::ui::ViewCtx;
use crate::ui::palette::UiCommand;
use crate::ui::theme::{Theme, Tone, size};
use crate::ui::views::{self, registry::SCREENS};
use crate::ui::widgets::{chart, status_chip::status_chip, toasts};

/// UI-only state of the shell (what is typed in the palette), which the app model does not need to know.
#[derive(Debug, Default)]
pub struct Shell {
    palette_query: String,
    palette_index: usize,
    screens: views::ScreenStates,
}

impl Shell {
    /// Draws the whole window for one frame.
    pub fn show(&mut self, ui: &mut Ui, view: &ViewCtx<'_>) {
        handle_shortcuts(ui.ctx(), view);
        let p = view.theme.palette;

        Panel::top("top_bar")
            .exact_size(size::TOP_BAR_HEIGHT)
            .frame(Frame::new().fill(p.panel).inner_margin(Margin::symmetric(12, 6)).stroke(Stroke::new(1.0, p.border)))
            .show(ui, |ui| top_bar(ui, view));
        Panel::bottom("status_bar")
            .exact_size(size::STATUS_BAR_HEIGHT)
            .frame(Frame::new().fill(p.panel).inner_margin(Margin::symmetric(12, 2)).stroke(Stroke::new(1.0, p.border)))
            .show(ui, |ui| status_bar(ui, view));
        Panel::left("navigation")
            .exact_size(size::NAV_WIDTH)
            .resizable(false)
            .frame(Frame::new().fill(p.panel).inner_margin(Margin::symmetric(8, 12)).stroke(Stroke::new(1.0, p.border)))
            .show(ui, |ui| navigation(ui, view));
        if view.state.settings.show_diagnostics {
            Panel::right("diagnostics")
                .default_size(420.0)
                .min_size(320.0)
                .frame(Frame::new().fill(p.panel).inner_margin(Margin::same(12)).stroke(Stroke::new(1.0, p.border)))
                .show(ui, |ui| diagnostics(ui, view));
        }
        egui::CentralPanel::default()
            .frame(Frame::new().fill(p.bg).inner_margin(Margin::same(size::PAGE_MARGIN)))
            .show(ui, |ui| {
                stale_banner(ui, view);
                let screen = view.state.settings.screen;
                let table_screen = matches!(screen, crate::state::Screen::Nodes | crate::state::Screen::Pods);
                let own_scrolling = matches!(screen, crate::state::Screen::Install)
                    && matches!(view.state.connection, crate::state::Connection::Connected(_));
                if (table_screen && view.state.cluster.is_some()) || own_scrolling {
                    // The table scrolls by itself (virtualized), the wizard keeps its buttons in view; an outer
                    // scroll area would defeat both.
                    views::show(ui, screen, view, &mut self.screens);
                } else {
                    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
                        views::show(ui, screen, view, &mut self.screens);
                    });
                }
            });

        if view.state.palette_open {
            self.palette(ui.ctx(), view);
        } else {
            self.palette_query.clear();
            self.palette_index = 0;
        }
        toasts::show(ui.ctx(), &view.state.toasts, view);
    }

    fn palette(&mut self, ctx: &egui::Context, view: &ViewCtx<'_>) {
        let matches: Vec<UiCommand> = UiCommand::all().into_iter().filter(|c| c.matches(&self.palette_query)).collect();
        self.palette_index = self.palette_index.min(matches.len().saturating_sub(1));
        let (down, up, enter) = ctx.input_mut(|i| {
            (
                i.consume_key(Default::default(), Key::ArrowDown),
                i.consume_key(Default::default(), Key::ArrowUp),
                i.consume_key(Default::default(), Key::Enter),
            )
        });
        if down {
            self.palette_index = (self.palette_index + 1).min(matches.len().saturating_sub(1));
        }
        if up {
            self.palette_index = self.palette_index.saturating_sub(1);
        }
        let mut chosen = enter.then(|| matches.get(self.palette_index).copied()).flatten();

        let modal = egui::Modal::new(egui::Id::unique("command_palette")).show(ctx, |ui| {
            ui.set_width(480.0);
            let edit = ui.add(
                TextEdit::singleline(&mut self.palette_query)
                    .hint_text("Type a command or a screen…")
                    .desired_width(f32::INFINITY),
            );
            edit.request_focus();
            ui.add_space(6.0);
            for (i, command) in matches.iter().enumerate() {
                let selected = i == self.palette_index;
                let row = ui.horizontal(|ui| {
                    let r = ui.selectable_label(selected, command.label());
                    if let Some(sc) = command.shortcut_text(ui.ctx()) {
                        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                            ui.label(RichText::new(sc).small().color(view.theme.palette.text_weak));
                        });
                    }
                    r
                });
                if row.inner.clicked() {
                    chosen = Some(*command);
                }
            }
            if matches.is_empty() {
                ui.label(RichText::new("No matching command").color(view.theme.palette.text_weak));
            }
        });
        if let Some(command) = chosen {
            view.commands.send(Command::ClosePalette);
            view.commands.send(command.command(view.theme));
        } else if modal.should_close() {
            view.commands.send(Command::ClosePalette);
        }
    }
}

fn handle_shortcuts(ctx: &egui::Context, view: &ViewCtx<'_>) {
    for command in UiCommand::all() {
        let Some(shortcut) = command.shortcut() else { continue };
        if ctx.input_mut(|i| i.consume_shortcut(&shortcut)) {
            view.commands.send(command.command(view.theme));
        }
    }
}

fn top_bar(ui: &mut Ui, view: &ViewCtx<'_>) {
    let p = &view.theme.palette;
    ui.horizontal_centered(|ui| {
        ui.label(RichText::new("⚓ Bosun").size(17.0).strong().color(p.text_strong));
        ui.add_space(18.0);
        context_picker(ui, view);
        ui.add_space(8.0);
        namespace_picker(ui, view);

        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            let theme_label = match view.theme.choice {
                crate::settings::ThemeChoice::Dark => "☀ Light theme",
                crate::settings::ThemeChoice::Light => "🌙 Dark theme",
            };
            let toggle = UiCommand::ToggleTheme;
            if ui
                .button(theme_label)
                .on_hover_text(format!("Switch theme ({})", toggle.shortcut_text(ui.ctx()).unwrap_or_default()))
                .clicked()
            {
                view.commands.send(toggle.command(view.theme));
            }
            let palette = UiCommand::CommandPalette;
            let hint = palette.shortcut_text(ui.ctx()).unwrap_or_default();
            if ui.button(format!("🔍 Commands  {hint}")).on_hover_text("Jump to any screen or action").clicked() {
                view.commands.send(Command::OpenPalette);
            }
            ui.add_space(8.0);
            connection_chip(ui, view);
        });
    });
}

/// The connection-health indicator.
fn connection_chip(ui: &mut Ui, view: &ViewCtx<'_>) {
    match &view.state.connection {
        Connection::Idle => {
            status_chip(ui, view.theme, Tone::Neutral, "Not connected")
                .on_hover_text("Pick a context to connect to a cluster.");
        }
        Connection::Connecting { context } => {
            ui.spinner();
            status_chip(ui, view.theme, Tone::Pending, &format!("Connecting to {context}…"));
        }
        Connection::Connected(info) => {
            let identity = format!("{} as {}", info.server, info.user);
            match view.state.cluster.as_deref() {
                Some(snap) if snap.health.attempt > 0 => {
                    let failing: Vec<String> =
                        snap.health.failing.iter().map(|(kind, error)| format!("{kind}: {error}")).collect();
                    status_chip(ui, view.theme, Tone::Warn, &format!("Reconnecting (attempt {})", snap.health.attempt))
                        .on_hover_text(format!(
                            "{identity}\nA watch failed and is retrying; data may be stale.\n{}",
                            failing.join("\n")
                        ));
                }
                Some(snap) if snap.is_synced() => {
                    let now = jiff::Timestamp::now().as_second();
                    let last = if snap.health.last_change == 0 {
                        "no changes yet".to_string()
                    } else {
                        format!("last change {} ago", crate::resources::quantity::age(now - snap.health.last_change))
                    };
                    if snap.health.forbidden.is_empty() {
                        status_chip(ui, view.theme, Tone::Ok, &format!("Synced · {}", info.version))
                            .on_hover_text(format!("{identity}\nLive: {last}"));
                    } else {
                        // Synced, but with holes: say which lists this user may not read.
                        let refused = snap.health.forbidden.join(", ");
                        status_chip(ui, view.theme, Tone::Warn, &format!("Synced · not allowed: {refused}"))
                            .on_hover_text(format!(
                                "{identity}\nLive: {last}\nThis account may not list {refused}: those screens stay empty. Ask a cluster admin for list permission, or pick a context with more rights."
                            ));
                    }
                }
                Some(snap) => {
                    ui.spinner();
                    status_chip(ui, view.theme, Tone::Pending, &format!("Syncing {}%", snap.health.percent()))
                        .on_hover_text(format!(
                            "{identity}\n{} of {} lists complete",
                            snap.health.lists_done, snap.health.lists
                        ));
                }
                None => {
                    ui.spinner();
                    status_chip(ui, view.theme, Tone::Pending, "Syncing…").on_hover_text(identity);
                }
            }
            if !info.warnings.is_empty() {
                status_chip(ui, view.theme, Tone::Warn, "⚠ Insecure").on_hover_text(info.warnings.join("\n"));
            }
        }
        Connection::Failed { message, .. } => {
            status_chip(ui, view.theme, Tone::Err, "Connection failed").on_hover_text(message);
        }
    }
}

/// Says so above every screen while a watch is retrying: what is shown may be out of date.
fn stale_banner(ui: &mut Ui, view: &ViewCtx<'_>) {
    let Some(snap) = view.state.cluster.as_deref() else { return };
    let Some((kind, error)) = snap.health.failing.first().filter(|_| snap.health.attempt > 0) else { return };
    let what = match snap.health.failing.len() {
        1 => format!("the {kind} watch is"),
        n => format!("{n} watches are"),
    };
    let p = &view.theme.palette;
    let since = if snap.health.last_change > 0 {
        jiff::Timestamp::from_second(snap.health.last_change)
            .map(|t| format!(" Last update at {}.", t.to_zoned(jiff::tz::TimeZone::system()).strftime("%H:%M:%S")))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Frame::new()
        .fill(crate::ui::theme::Theme::tint(view.theme.tone(Tone::Warn), 40))
        .corner_radius(4)
        .inner_margin(8)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.add(
                egui::Label::new(
                    RichText::new(format!(
                        "Data may be stale: {what} reconnecting (attempt {}): {error}.{since}",
                        snap.health.attempt
                    ))
                    .color(p.text_strong),
                )
                .wrap(),
            );
        });
    ui.add_space(8.0);
}

/// All namespaces, or a chosen set; applies to the pod list.
fn namespace_picker(ui: &mut Ui, view: &ViewCtx<'_>) {
    let p = &view.theme.palette;
    let label = ui.label(RichText::new("Namespace").color(p.text_weak));
    let query = &view.state.pod_query;
    let names = view.state.cluster.as_ref().map(|c| c.namespaces.clone()).unwrap_or_default();
    let text = match query.namespaces.as_slice() {
        [] => "All namespaces".to_string(),
        [one] => one.clone(),
        many => format!("{} namespaces", many.len()),
    };
    let enabled = !names.is_empty();
    ui.add_enabled_ui(enabled, |ui| {
        egui::ComboBox::from_id_salt("namespace")
            .selected_text(text)
            .width(160.0)
            .show_ui(ui, |ui| {
                if ui.selectable_label(query.namespaces.is_empty(), "All namespaces").clicked() {
                    view.commands.send(Command::SetPodQuery(crate::state::cluster_view::PodQuery {
                        namespaces: Vec::new(),
                        ..query.clone()
                    }));
                }
                ui.separator();
                for name in &names {
                    let mut chosen = query.namespaces.contains(name);
                    if ui.checkbox(&mut chosen, name).changed() {
                        let mut namespaces: Vec<String> =
                            query.namespaces.iter().filter(|n| *n != name).cloned().collect();
                        if chosen {
                            namespaces.push(name.clone());
                            namespaces.sort();
                        }
                        view.commands.send(Command::SetPodQuery(crate::state::cluster_view::PodQuery {
                            namespaces,
                            ..query.clone()
                        }));
                    }
                }
            })
            .response
            .labelled_by(label.id)
            .on_disabled_hover_text("Namespaces are listed once Bosun is connected to a cluster (and may list them).");
    });
}

fn context_picker(ui: &mut Ui, view: &ViewCtx<'_>) {
    let p = &view.theme.palette;
    let label = ui.label(RichText::new("Context").color(p.text_weak));
    let selected = view.state.selected_context().map(str::to_owned);
    let text = match (&view.state.contexts, &selected) {
        (Contexts::Loading, _) => "Reading kubeconfig…".to_owned(),
        (Contexts::Failed(_), _) => "Kubeconfig error".to_owned(),
        (Contexts::Ready(s), _) if s.contexts.is_empty() => "No contexts".to_owned(),
        (Contexts::Ready(_), Some(name)) => name.clone(),
        (Contexts::Ready(_), None) => "Choose a context".to_owned(),
    };
    egui::ComboBox::from_id_salt("context")
        .selected_text(text)
        .width(220.0)
        .show_ui(ui, |ui| {
            if let Contexts::Ready(summary) = &view.state.contexts {
                for ctx in &summary.contexts {
                    let is_selected = selected.as_deref() == Some(ctx.name.as_str());
                    let r = ui.selectable_label(is_selected, &ctx.name);
                    let r = match &ctx.server {
                        Some(server) => r.on_hover_text(server),
                        None => r,
                    };
                    if r.clicked() {
                        view.commands.send(Command::SelectContext(ctx.name.clone()));
                    }
                }
            }
            ui.separator();
            if ui.button("Add kubeconfig file…").clicked() {
                view.commands.send(Command::AddKubeconfigFile);
            }
        })
        .response
        .labelled_by(label.id);
}

fn navigation(ui: &mut Ui, view: &ViewCtx<'_>) {
    let current = view.state.settings.screen;
    for info in &SCREENS {
        let shortcut = UiCommand::GoTo(info.screen).shortcut_text(ui.ctx());
        if nav_item(ui, view.theme, info.icon, info.title, shortcut.as_deref(), info.screen == current).clicked() {
            view.commands.send(Command::Navigate(info.screen));
        }
        ui.add_space(2.0);
    }
}

/// One navigation entry: icon, title and shortcut, with an accent bar when selected. Accessible as a button
/// labelled with the screen's title.
fn nav_item(
    ui: &mut Ui,
    theme: &Theme,
    icon: &str,
    title: &str,
    shortcut: Option<&str>,
    selected: bool,
) -> egui::Response {
    let p = &theme.palette;
    let (rect, response) = ui.allocate_exact_size(vec2(ui.available_width(), 32.0), Sense::click());
    response.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, title));
    if ui.is_rect_visible(rect) {
        let painter = ui.painter();
        if selected {
            painter.rect_filled(rect, 5.0, p.accent_weak);
            let bar = Rect::from_min_size(rect.min + vec2(0.0, 6.0), vec2(3.0, rect.height() - 12.0));
            painter.rect_filled(bar, 2.0, p.accent);
        } else if response.hovered() {
            painter.rect_filled(rect, 5.0, p.surface);
        }
        let text_color = if selected { p.text_strong } else { p.text };
        let y = rect.center().y;
        painter.text(
            pos2(rect.min.x + 14.0, y),
            egui::Align2::LEFT_CENTER,
            icon,
            egui::FontId::proportional(15.0),
            text_color,
        );
        painter.text(
            pos2(rect.min.x + 40.0, y),
            egui::Align2::LEFT_CENTER,
            title,
            egui::FontId::proportional(14.0),
            text_color,
        );
        if let Some(sc) = shortcut {
            painter.text(
                pos2(rect.max.x - 8.0, y),
                egui::Align2::RIGHT_CENTER,
                sc,
                egui::FontId::proportional(11.0),
                p.text_weak,
            );
        }
    }
    response
}

fn status_bar(ui: &mut Ui, view: &ViewCtx<'_>) {
    let p = &view.theme.palette;
    ui.horizontal_centered(|ui| {
        let text = match (&view.state.connection, &view.state.contexts) {
            (Connection::Connected(info), _) => {
                format!("{} · {} · {} · namespace {}", info.context, info.server, info.user, info.namespace)
            }
            (_, contexts) => match contexts {
                Contexts::Loading => "Reading kubeconfig…".to_owned(),
                Contexts::Failed(_) => "Kubeconfig could not be read".to_owned(),
                Contexts::Ready(s) => {
                    let n = s.contexts.len();
                    match s.files.len() {
                        0 => "No kubeconfig found".to_owned(),
                        1 => format!("{} in {}", counted(n, "context"), s.files[0].display()),
                        f => format!("{} in {f} kubeconfig files", counted(n, "context")),
                    }
                }
            },
        };
        ui.label(RichText::new(text).small().color(p.text_weak));
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            ui.label(RichText::new(concat!("Bosun ", env!("CARGO_PKG_VERSION"))).small().color(p.text_weak));
            ui.separator();
            let frame_text = match view.state.frame_times.median_ms() {
                Some(ms) => format!("Frame {ms:.1} ms"),
                None => "Diagnostics".to_owned(),
            };
            let shown = view.state.settings.show_diagnostics;
            if ui
                .selectable_label(shown, RichText::new(frame_text).small())
                .on_hover_text("Show or hide the diagnostics panel (F12)")
                .clicked()
            {
                view.commands.send(Command::ToggleDiagnostics);
            }
        });
    });
}

fn diagnostics(ui: &mut Ui, view: &ViewCtx<'_>) {
    let p = &view.theme.palette;
    let times = &view.state.frame_times;
    ui.horizontal(|ui| {
        ui.label(RichText::new("Diagnostics").strong().color(p.text_strong).size(16.0));
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui.small_button("✖").on_hover_text("Close diagnostics (F12)").clicked() {
                view.commands.send(Command::ToggleDiagnostics);
            }
        });
    });
    ui.label(
        RichText::new("Bosun draws a frame only when something changes; an idle window draws none.")
            .color(p.text_weak)
            .small(),
    );
    ui.add_space(6.0);
    egui::Grid::new("diagnostics_numbers").num_columns(2).spacing(Vec2::new(16.0, 4.0)).show(ui, |ui| {
        ui.label("Frames drawn");
        ui.label(times.total_frames().to_string());
        ui.end_row();
        ui.label("Median CPU per frame");
        ui.label(times.median_ms().map_or("—".to_owned(), |ms| format!("{ms:.2} ms")));
        ui.end_row();
    });
    ui.add_space(8.0);
    chart::line_chart(ui, &times.chart(), view.theme, 240.0, |v| format!("{v:.2} ms"));
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        for format in [ExportFormat::Svg, ExportFormat::Png] {
            let command = UiCommand::ExportFrameChart(format);
            if ui
                .button(format!("Export {}…", format.extension().to_uppercase()))
                .on_hover_text(command.label())
                .clicked()
            {
                view.commands.send(command.command(view.theme));
            }
        }
    });
}
