//! Overview: the cluster at a glance. Until a connection exists it lists the kubeconfig contexts found, so the
//! user can pick one, and explains what the overview will show.

use egui::{RichText, Ui};

use crate::resources::quantity::{self, counted};
use egui_extras::{Column, TableBuilder};

use crate::state::{Command, Connection, Contexts};
use crate::ui::ViewCtx;
use crate::ui::theme::Tone;
use crate::ui::views::empty_state::{self, card};
use crate::ui::views::registry;
use crate::ui::widgets::status_chip::status_chip;

pub fn ui(ui: &mut Ui, view: &ViewCtx<'_>) {
    connection_card(ui, view);
    ui.add_space(12.0);
    if let Some(snap) = view.state.cluster.clone() {
        cluster_card(ui, view, &snap);
        ui.add_space(12.0);
        if !snap.recent_warnings.is_empty() {
            warnings_card(ui, view, &snap);
            ui.add_space(12.0);
        }
        let hour_ago = jiff::Timestamp::now().as_second() - 3600;
        if snap.preemptions.iter().any(|x| x.time >= hour_ago) {
            preemptions_card(ui, view, &snap, hour_ago);
            ui.add_space(12.0);
        }
    }
    contexts_card(ui, view);
    ui.add_space(12.0);
    let connected = matches!(view.state.connection, Connection::Connected(_));
    empty_state::show(ui, registry::info(crate::state::Screen::Overview), view, !connected);
}

/// What Bosun knows about the connection: the server, who we are, what we may do — or why it failed.
fn connection_card(ui: &mut Ui, view: &ViewCtx<'_>) {
    let p = &view.theme.palette;
    match &view.state.connection {
        Connection::Idle => {}
        Connection::Connecting { context } => {
            card(ui, view, |ui| {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("Connecting to {context}…"));
                    if ui.button("Cancel").on_hover_text("Stop trying to connect").clicked() {
                        view.commands.send(Command::CancelConnect);
                    }
                });
            });
        }
        Connection::Failed { context, message } => {
            card(ui, view, |ui| {
                status_chip(ui, view.theme, Tone::Err, &format!("Could not connect to {context}"));
                ui.add_space(4.0);
                ui.add(egui::Label::new(RichText::new(message).color(p.text)).wrap());
                ui.add_space(6.0);
                if ui.button("Retry").on_hover_text("Connect to this context again").clicked() {
                    view.commands.send(Command::Reconnect);
                }
            });
        }
        Connection::Connected(info) => {
            card(ui, view, |ui| {
                ui.horizontal(|ui| {
                    status_chip(ui, view.theme, Tone::Ok, &format!("Connected to {}", info.context));
                    ui.label(RichText::new(format!("Kubernetes {}", info.version)).color(p.text_weak));
                });
                ui.add_space(6.0);
                egui::Grid::new("connection_facts").num_columns(2).spacing([18.0, 4.0]).show(ui, |ui| {
                    let row = |ui: &mut Ui, k: &str, v: String| {
                        ui.label(RichText::new(k).color(p.text_weak));
                        ui.label(v);
                        ui.end_row();
                    };
                    row(ui, "Server", info.server.clone());
                    row(ui, "User", info.user.clone());
                    row(ui, "Groups", if info.groups.is_empty() { "—".into() } else { info.groups.join(", ") });
                    row(ui, "Namespace", info.namespace.clone());
                    if let Some(proxy) = &info.proxy {
                        row(ui, "Proxy", proxy.clone());
                    }
                });
                for warning in &info.warnings {
                    ui.add_space(6.0);
                    status_chip(ui, view.theme, Tone::Warn, "Warning");
                    ui.add(egui::Label::new(RichText::new(warning).color(p.text)).wrap());
                }
                ui.add_space(8.0);
                ui.label(RichText::new("What you may do").color(p.text_strong).strong());
                ui.horizontal_wrapped(|ui| {
                    for perm in &info.permissions {
                        let (tone, text) = if perm.allowed {
                            (Tone::Ok, perm.label.to_string())
                        } else {
                            (Tone::Warn, format!("{} (not allowed)", perm.label))
                        };
                        status_chip(ui, view.theme, tone, &text).on_hover_text(format!(
                            "{} {}{}",
                            perm.verb,
                            perm.resource,
                            if perm.group.is_empty() { String::new() } else { format!(".{}", perm.group) }
                        ));
                        ui.add_space(10.0);
                    }
                });
            });
        }
    }
}

/// Nodes, accelerators and pods at a glance, from the live snapshot.
fn cluster_card(ui: &mut Ui, view: &ViewCtx<'_>, snap: &crate::state::cluster_view::ClusterSnapshot) {
    let p = &view.theme.palette;
    card(ui, view, |ui| {
        if !snap.is_synced() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Listing nodes and pods…");
            });
            return;
        }
        ui.horizontal_wrapped(|ui| {
            let metric = |ui: &mut Ui, value: String, label: &str| {
                ui.vertical(|ui| {
                    ui.label(RichText::new(value).size(24.0).strong().color(p.text_strong));
                    ui.label(RichText::new(label).color(p.text_weak));
                });
                ui.add_space(28.0);
            };
            // A list this user may not read is "not allowed", never a count of zero.
            if snap.health.is_forbidden("nodes") {
                metric(ui, "not allowed".into(), "nodes");
            } else {
                metric(ui, format!("{}/{}", snap.nodes_ready, snap.ledger.len()), "nodes ready");
            }
            if snap.health.is_forbidden("pods") {
                metric(ui, "not allowed".into(), "pods");
            } else {
                metric(ui, snap.pod_count.to_string(), "pods");
            }
            for (phase, count) in &snap.pods_by_phase {
                metric(ui, count.to_string(), &phase.to_lowercase());
            }
            if !snap.jobs_by_state.is_empty() {
                ui.separator();
                ui.add_space(20.0);
                metric(ui, snap.jobs_by_state.values().sum::<usize>().to_string(), "jobs");
                for (state, count) in &snap.jobs_by_state {
                    metric(ui, count.to_string(), &state.to_lowercase());
                }
            }
        });
        ml_kinds(ui, view, snap);
        ui.add_space(10.0);
        charts(ui, view, snap);
        if snap.totals.is_empty() {
            return;
        }
        ui.add_space(8.0);
        ui.label(RichText::new("Accelerators").strong().color(p.text_strong));
        egui::Grid::new("overview_accelerators").num_columns(4).spacing([16.0, 6.0]).show(ui, |ui| {
            for (resource, usage) in &snap.totals {
                let name = crate::resources::accelerators::AcceleratorKind::of(resource)
                    .map_or_else(|| resource.clone(), |k| k.label());
                ui.label(name);
                crate::ui::widgets::usage_bar::usage_bar(
                    ui,
                    view.theme,
                    usage.requested,
                    usage.allocatable,
                    180.0,
                    &format!("{resource} in use"),
                );
                ui.label(format!(
                    "{} of {} requested",
                    quantity::count(usage.requested),
                    quantity::count(usage.allocatable)
                ));
                ui.label(RichText::new(format!("{} free", quantity::count(usage.free()))).color(p.text_weak));
                ui.end_row();
            }
        });
        let unadvertised: Vec<&str> =
            snap.ledger.iter().filter(|r| r.node.hint.is_some()).map(|r| r.node.name.as_str()).collect();
        if !unadvertised.is_empty() {
            ui.add_space(6.0);
            status_chip(
                ui,
                view.theme,
                Tone::Warn,
                &format!(
                    "GPUs no device plugin advertises on {}: {}",
                    counted(unadvertised.len(), "node"),
                    unadvertised.join(", ")
                ),
            );
        }
    });
}

/// Which ML kinds the cluster serves (their CRDs are installed), so a missing training operator is obvious.
fn ml_kinds(ui: &mut Ui, view: &ViewCtx<'_>, snap: &crate::state::cluster_view::ClusterSnapshot) {
    use crate::resources::workload::WorkloadKind;
    let p = &view.theme.palette;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("ML kinds").color(p.text_weak));
        for custom in WorkloadKind::CUSTOM {
            match snap.custom_kinds.get(&custom.kind) {
                Some(version) => {
                    let n = snap.workload_counts.get(&custom.kind).copied().unwrap_or(0);
                    status_chip(ui, view.theme, Tone::Ok, &counted(n, custom.kind.name()))
                        .on_hover_text(format!("{}/{version} is installed", custom.group));
                }
                None => {
                    status_chip(ui, view.theme, Tone::Neutral, &format!("{}: not installed", custom.kind.name()))
                        .on_hover_text(format!(
                            "No CRD for {}.{} — the Install screen installs the stack",
                            custom.plural, custom.group
                        ));
                }
            }
            ui.add_space(8.0);
        }
        if snap.custom_kinds.is_empty()
            && ui.small_button("Install the ML stack…").on_hover_text("Open the Install screen").clicked()
        {
            view.commands.send(Command::Navigate(crate::state::Screen::Install));
        }
    });
}

/// Accelerator requests by namespace, and pods by phase over the last minutes.
fn charts(ui: &mut Ui, view: &ViewCtx<'_>, snap: &crate::state::cluster_view::ClusterSnapshot) {
    use crate::charts::{BarChart, LineChart, Series};
    use crate::ui::widgets::chart;
    ui.columns(2, |cols| {
        let bars: Vec<(String, f64)> = snap.accelerators_by_namespace.iter().take(8).cloned().collect();
        if bars.is_empty() {
            cols[0].label(RichText::new("No pod requests accelerators yet.").color(view.theme.palette.text_weak));
        } else {
            // Bars keep a sensible thickness: the chart grows with the number of namespaces.
            let height = (80.0 + 32.0 * bars.len() as f32).clamp(130.0, 240.0);
            let bar =
                BarChart { title: "Accelerators requested by namespace".into(), value_label: "devices".into(), bars };
            chart::bar_chart(&mut cols[0], &bar, view.theme, height);
        }
        if snap.pod_count == 0 {
            cols[1].label(RichText::new("No pods yet.").color(view.theme.palette.text_weak));
            return;
        }
        let history = &view.state.phase_history;
        let now = history.back().map_or(0, |(t, _)| *t);
        // Time runs up to 0 (now) from the left; seconds until the history spans two minutes, then minutes.
        let span = now - history.front().map_or(now, |(t, _)| *t);
        let (unit, per_unit) = if span < 120 { ("seconds", 1.0) } else { ("minutes", 60.0) };
        let mut phases: Vec<String> = history.iter().flat_map(|(_, c)| c.keys().cloned()).collect();
        phases.sort();
        phases.dedup();
        let series = phases
            .iter()
            .map(|phase| Series {
                name: phase.clone(),
                points: history
                    .iter()
                    .map(|(t, c)| ((t - now) as f64 / per_unit, *c.get(phase).unwrap_or(&0) as f64))
                    .collect(),
            })
            .collect();
        let line = LineChart {
            title: "Pods by phase".into(),
            x_label: format!("{unit} (0 = now)"),
            y_label: "pods".into(),
            series,
            fill_first: false,
            fit_y: false,
            log_y: false,
        };
        chart::line_chart(&mut cols[1], &line, view.theme, 220.0, |v| format!("{v:.0} pods"));
    });
}

/// Pods evicted for higher-priority ones in the last hour, and who took their place.
fn preemptions_card(ui: &mut Ui, view: &ViewCtx<'_>, snap: &crate::state::cluster_view::ClusterSnapshot, since: i64) {
    let p = &view.theme.palette;
    let now = jiff::Timestamp::now().as_second();
    let recent: Vec<_> = snap.preemptions.iter().filter(|x| x.time >= since).collect();
    card(ui, view, |ui| {
        let title = format!("Preemptions in the last hour: {}", recent.len());
        ui.label(RichText::new(title).strong().color(p.text_strong));
        ui.add_space(4.0);
        for x in recent.iter().take(6) {
            ui.horizontal_wrapped(|ui| {
                status_chip(ui, view.theme, Tone::Warn, "Preempted");
                ui.label(RichText::new(format!("{}/{}", x.namespace, x.victim)).color(p.text_strong));
                ui.label(format!("{} on {}", x.by_text(), x.node));
                ui.label(RichText::new(crate::resources::quantity::age(now - x.time)).color(p.text_weak));
            });
        }
    });
}

/// The latest warning events: what went wrong, where, how often.
fn warnings_card(ui: &mut Ui, view: &ViewCtx<'_>, snap: &crate::state::cluster_view::ClusterSnapshot) {
    let p = &view.theme.palette;
    let now = jiff::Timestamp::now().as_second();
    card(ui, view, |ui| {
        ui.label(RichText::new("Recent warnings").strong().color(p.text_strong));
        ui.add_space(4.0);
        for w in &snap.recent_warnings {
            ui.horizontal_wrapped(|ui| {
                status_chip(ui, view.theme, Tone::Warn, &w.reason);
                ui.label(RichText::new(format!("{}/{}", w.namespace, w.object)).color(p.text_strong));
                let times = if w.count > 1 { format!(" (×{})", w.count) } else { String::new() };
                ui.label(
                    RichText::new(format!("{}{times}", crate::resources::quantity::age(now - w.last_seen)))
                        .color(p.text_weak),
                );
            });
            ui.add(egui::Label::new(RichText::new(&w.message).color(p.text)).wrap());
            ui.add_space(4.0);
        }
    });
}

fn contexts_card(ui: &mut Ui, view: &ViewCtx<'_>) {
    let p = &view.theme.palette;
    card(ui, view, |ui| {
        ui.horizontal(|ui| {
            ui.label(RichText::new("Kubeconfig contexts").color(p.text_strong).strong());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Add kubeconfig file…").clicked() {
                    view.commands.send(Command::AddKubeconfigFile);
                }
                if ui.button("Reload").on_hover_text("Read the kubeconfig files again (F5)").clicked() {
                    view.commands.send(Command::ReloadKubeconfig);
                }
            });
        });
        ui.add_space(6.0);
        match &view.state.contexts {
            Contexts::Loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Reading kubeconfig files…");
                });
            }
            Contexts::Failed(message) => {
                status_chip(ui, view.theme, Tone::Err, "The kubeconfig could not be read");
                ui.label(RichText::new(message).monospace().color(p.text));
                ui.label(RichText::new("Fix the file and press Reload, or add another file.").color(p.text_weak));
            }
            Contexts::Ready(summary) if summary.contexts.is_empty() => {
                status_chip(ui, view.theme, Tone::Warn, "No kubeconfig contexts found");
                let looked: Vec<String> = summary.searched.iter().map(|p| p.display().to_string()).collect();
                if !looked.is_empty() {
                    ui.label(RichText::new(format!("Looked in: {}", looked.join(", "))).color(p.text_weak));
                }
                ui.add_space(6.0);
                ui.horizontal(|ui| {
                    if ui
                        .button("Try the demo cluster")
                        .on_hover_text("Start a simulated GPU cluster inside Bosun and connect to it")
                        .clicked()
                    {
                        view.commands.send(Command::StartDemo);
                    }
                    ui.label(
                        RichText::new("or add a kubeconfig file, or start Bosun with --kubeconfig PATH.")
                            .color(p.text_weak),
                    );
                });
            }
            Contexts::Ready(summary) => {
                let files: Vec<String> = summary.files.iter().map(|f| f.display().to_string()).collect();
                ui.label(RichText::new(format!("From {}", files.join(", "))).color(p.text_weak).small());
                ui.add_space(4.0);
                contexts_table(ui, view, summary);
            }
        }
    });
}

fn contexts_table(ui: &mut Ui, view: &ViewCtx<'_>, summary: &crate::resources::context::KubeconfigSummary) {
    let selected = view.state.selected_context();
    let p = &view.theme.palette;
    TableBuilder::new(ui)
        .id_salt("contexts")
        .striped(true)
        .column(Column::auto().at_least(160.0))
        .column(Column::remainder().at_least(200.0))
        .column(Column::auto().at_least(120.0))
        .column(Column::auto().at_least(100.0))
        .header(22.0, |mut header| {
            for title in ["Context", "Server", "User", "Namespace"] {
                header.col(|ui| {
                    ui.label(RichText::new(title).color(p.text_weak).small().strong());
                });
            }
        })
        .body(|body| {
            body.rows(24.0, summary.contexts.len(), |mut row| {
                let Some(ctx) = summary.contexts.get(row.index()) else { return };
                let is_selected = selected == Some(ctx.name.as_str());
                row.set_selected(is_selected);
                row.col(|ui| {
                    let text = if is_selected { format!("✔ {}", ctx.name) } else { ctx.name.clone() };
                    if ui.selectable_label(is_selected, text).on_hover_text("Use this context").clicked() {
                        view.commands.send(Command::SelectContext(ctx.name.clone()));
                    }
                });
                row.col(|ui| {
                    ui.label(ctx.server.as_deref().unwrap_or("(cluster entry missing)"));
                });
                row.col(|ui| {
                    ui.label(ctx.user.as_deref().unwrap_or("—"));
                });
                row.col(|ui| {
                    ui.label(ctx.namespace.as_deref().unwrap_or("default"));
                });
            });
        });
}
