//! Serving: the model servers on the cluster (Bosun's, other TF Serving and KServe-server Deployments, KServe
//! InferenceServices read-only) with readiness, autoscaler and canary share; a server's detail — roll-out progress,
//! scale, update, roll back, canary split / promote / abort, pods, revisions, events — and "Try it": the model's
//! status, a prediction from a JSON editor, and a load test with latency percentiles and throughput. The Deploy tab
//! is the form (TF Serving, scikit-learn, XGBoost) with its YAML.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::charts::ExportFormat;
use crate::resources::serving::{ModelServerRow, ServerFacts, ServerSource};
use crate::state::command::Command;
use crate::state::loadable::Loadable;
use crate::state::serving::{Deploy, Load, Risky, ServingCommand, Tab};
use crate::state::{Screen, cluster_view::ClusterSnapshot};
use crate::tone::Tone;
use crate::ui::ViewCtx;
use crate::ui::theme::Theme;
use crate::ui::views::training::{field_error, section, text_field};
use crate::ui::widgets::accelerator::accelerator_picker;
use crate::ui::widgets::chart::{bar_chart, chart_style, line_chart};
use crate::ui::widgets::priority_picker::scheduling_rows;
use crate::ui::widgets::status_chip::status_chip;
use crate::workloads::serving::{Autoscale, ModelSource, Runtime, ServingSpec, VersionPolicy, default_rest_port};

/// The screen's own UI state: what is typed into the action fields before it is sent.
#[derive(Debug)]
pub struct ServingView {
    replicas: u32,
    hpa: (u32, u32),
    image: String,
    version: String,
    canary_image: String,
    canary_version: String,
    canary_percent: u32,
    requests: usize,
    concurrency: usize,
    /// The server the fields were filled for.
    filled_for: Option<(String, String)>,
}

impl Default for ServingView {
    fn default() -> Self {
        Self {
            replicas: 1,
            hpa: (1, 4),
            image: String::new(),
            version: String::new(),
            canary_image: String::new(),
            canary_version: String::new(),
            canary_percent: 25,
            requests: 2000,
            concurrency: 16,
            filled_for: None,
        }
    }
}

fn send(view: &ViewCtx<'_>, command: ServingCommand) {
    view.commands.send(Command::Serving(command));
}

pub fn ui(ui: &mut Ui, view: &ViewCtx<'_>, own: &mut ServingView) {
    let Some(snap) = view.state.cluster.clone() else {
        crate::ui::views::empty_state::ui(ui, crate::ui::views::registry::info(Screen::Serving), view);
        return;
    };
    let serving = &view.state.serving;
    ui.horizontal(|ui| {
        let servers = format!("Servers ({})", serving.servers.len());
        if ui.selectable_label(serving.tab == Tab::Servers, servers).clicked() {
            send(view, ServingCommand::Tab(Tab::Servers));
        }
        if ui.selectable_label(serving.tab == Tab::Deploy, "Deploy a model").clicked() {
            send(view, ServingCommand::Tab(Tab::Deploy));
        }
    });
    ui.separator();
    match serving.tab {
        Tab::Servers => servers(ui, view, own),
        Tab::Deploy => deploy(ui, view, &snap),
    }
    confirmation(ui, view);
}

// ---- the list ----

fn servers(ui: &mut Ui, view: &ViewCtx<'_>, own: &mut ServingView) {
    let p = view.theme.palette;
    let serving = &view.state.serving;
    if serving.servers.is_empty() {
        ui.label(
            RichText::new(
                "No model servers on this cluster yet. Deploy one from the form: TensorFlow Serving, scikit-learn or XGBoost.",
            )
            .color(p.text_weak),
        );
        if ui.button("Deploy a model…").clicked() {
            send(view, ServingCommand::Tab(Tab::Deploy));
        }
        return;
    }
    let open = serving.open.clone();
    let list_height =
        if open.is_some() { (ui.available_height() * 0.3).clamp(120.0, 260.0) } else { ui.available_height() };
    ui.push_id("servers_table", |ui| {
        ui.set_max_height(list_height);
        server_table(ui, view, &serving.servers);
    });
    if let (Some(_), Some(row)) = (open, serving.open_row()) {
        ui.separator();
        let row = row.clone();
        egui::ScrollArea::vertical().id_salt("server_detail").show(ui, |ui| detail(ui, view, &row, own));
    }
}

fn server_table(ui: &mut Ui, view: &ViewCtx<'_>, rows: &[ModelServerRow]) {
    let p = view.theme.palette;
    let now = jiff::Timestamp::now().as_second();
    let open = view.state.serving.open.clone();
    TableBuilder::new(ui)
        .striped(true)
        .sense(egui::Sense::click())
        .column(Column::auto().at_least(160.0))
        .column(Column::auto().at_least(150.0))
        .column(Column::auto().at_least(90.0))
        .column(Column::auto().at_least(60.0))
        .column(Column::auto().at_least(50.0))
        .column(Column::auto().at_least(150.0))
        .column(Column::auto().at_least(120.0))
        .column(Column::remainder().at_least(40.0))
        .header(22.0, |mut h| {
            for title in ["Server", "Runtime", "Model", "Version", "Ready", "Autoscaler", "State", "Age"] {
                h.col(|ui| {
                    ui.label(RichText::new(title).color(p.text_weak).strong());
                });
            }
        })
        .body(|body| {
            body.rows(26.0, rows.len(), |mut table_row| {
                let Some(r) = rows.get(table_row.index()) else { return };
                let selected = open.as_ref() == Some(&(r.namespace.clone(), r.name.clone()));
                table_row.set_selected(selected);
                table_row.col(|ui| {
                    ui.label(RichText::new(&r.name).color(p.text_strong));
                    ui.label(RichText::new(&r.namespace).color(p.text_weak).size(11.0));
                });
                table_row.col(|ui| {
                    ui.label(&r.runtime);
                });
                table_row.col(|ui| {
                    ui.label(&r.model);
                });
                table_row.col(|ui| {
                    ui.label(&r.version);
                });
                table_row.col(|ui| {
                    ui.label(r.ready_text());
                });
                table_row.col(|ui| {
                    ui.label(r.hpa_text());
                });
                table_row.col(|ui| {
                    let text = match r.canary_share() {
                        Some(share) => format!("{} · {share:.0}%", r.state),
                        None => r.state.clone(),
                    };
                    ui.horizontal(|ui| {
                        let chip = status_chip(ui, view.theme, r.tone, &text);
                        if let Some(m) = &r.message {
                            chip.on_hover_text(m);
                        }
                        // An old refusal stays in the events for an hour: it matters while replicas are missing.
                        let snap = view.state.cluster.as_ref().filter(|_| r.ready < r.desired);
                        if let Some(refusal) = snap.and_then(|s| s.quota_refusal_of_replicas(&r.namespace, &r.name)) {
                            let warn =
                                RichText::new("quota refuses its pods").color(view.theme.tone(Tone::Err)).size(11.0);
                            ui.add(egui::Label::new(warn).truncate()).on_hover_text(refusal);
                        }
                    });
                });
                table_row.col(|ui| {
                    ui.label(kubefmt::duration::human(now - r.created));
                });
                if table_row.response().clicked() {
                    send(view, ServingCommand::Open { namespace: r.namespace.clone(), name: r.name.clone() });
                }
            });
        });
}

// ---- one server ----

fn detail(ui: &mut Ui, view: &ViewCtx<'_>, row: &ModelServerRow, own: &mut ServingView) {
    let p = view.theme.palette;
    let serving = &view.state.serving;
    let key = (row.namespace.clone(), row.name.clone());
    if own.filled_for.as_ref() != Some(&key) {
        // Fresh fields for another server: its current values.
        own.filled_for = Some(key);
        own.replicas = row.stable.as_ref().map_or(1, |s| u32::try_from(s.desired).unwrap_or(1));
        own.hpa = row.hpa.as_ref().map_or((1, 4), |h| (h.min.max(1) as u32, h.max.max(1) as u32));
        own.image = row.image.clone();
        own.version = String::new();
        own.canary_image = row.image.clone();
        own.canary_version = String::new();
    }
    ui.horizontal(|ui| {
        ui.heading(RichText::new(&row.name).strong().color(p.text_strong));
        status_chip(ui, view.theme, row.tone, &row.state);
        ui.label(RichText::new(format!("{} · {} · {}", row.namespace, row.runtime, row.url)).color(p.text_weak));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("Close").clicked() {
                send(view, ServingCommand::Close);
            }
            if row.source == ServerSource::Deployment
                && row.stable.as_ref().is_some_and(|s| s.managed_by_bosun)
                && ui.button("Delete…").clicked()
            {
                send(view, ServingCommand::Ask(Risky::Delete));
            }
        });
    });
    if let Some(m) = &row.message {
        ui.add(egui::Label::new(RichText::new(m).color(view.theme.tone(row.tone))).wrap());
    }
    if let Some(busy) = &serving.busy {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(busy);
        });
    }
    if row.source == ServerSource::InferenceService {
        ui.label(
            RichText::new(
                "A KServe InferenceService: KServe manages its pods, revisions and traffic. Bosun shows it; send \
                 requests to its URL.",
            )
            .color(p.text_weak),
        );
        return;
    }
    ui.add_space(6.0);
    ui.columns(2, |cols| {
        rollout(&mut cols[0], view, row);
        cols[0].add_space(8.0);
        actions(&mut cols[0], view, row, own);
        try_it(&mut cols[1], view, row, own);
    });
    ui.add_space(8.0);
    pods_and_history(ui, view);
}

fn rollout(ui: &mut Ui, view: &ViewCtx<'_>, row: &ModelServerRow) {
    section(ui, view.theme, "Roll-out");
    for facts in row.stable.iter().chain(row.canary.iter()) {
        rollout_bar(ui, view.theme, facts);
    }
    if let Some(share) = row.canary_share() {
        ui.label(format!("The canary gets about {share:.0}% of requests (the Service spreads them over ready pods)."));
    }
    if let Some(Loadable::Ready(detail)) = Some(&view.state.serving.detail) {
        for (deployment, type_, status, reason, message) in &detail.conditions {
            if status == "False" || reason == "ProgressDeadlineExceeded" {
                let text = format!("{deployment}: {type_} {status} — {reason}: {message}");
                ui.add(egui::Label::new(RichText::new(text).color(view.theme.tone(Tone::Err)).size(12.0)).wrap());
                if reason == "ProgressDeadlineExceeded" {
                    ui.label(
                        RichText::new(
                            "The new pods did not become ready in time: look at their events below (image, probe, \
                             scheduling), then fix the image or version, or roll back.",
                        )
                        .color(view.theme.palette.text_weak)
                        .size(12.0),
                    );
                }
            }
        }
    }
}

/// Updated, ready and available replicas of one Deployment against its wanted count.
fn rollout_bar(ui: &mut Ui, theme: &Theme, f: &ServerFacts) {
    let wanted = f.desired.max(0) as f32;
    let fraction = if wanted == 0.0 { 1.0 } else { (f.available as f32 / wanted).clamp(0.0, 1.0) };
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!("{} ({}, rev {})", f.deployment, f.track, f.revision)).color(theme.palette.text),
        );
        let tone = if f.rolling() { Tone::Pending } else { Tone::Ok };
        let bar = egui::ProgressBar::new(fraction)
            .desired_width(150.0)
            // A tint of the tone: the theme's text reads on it in dark and light alike.
            .fill(Theme::tint(theme.tone(tone), 110))
            .text(
                RichText::new(format!("{} of {} available", f.available, f.desired)).color(theme.palette.text_strong),
            );
        ui.add(bar).widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::ProgressIndicator, true, format!("Roll-out of {}", f.deployment))
        });
        ui.label(RichText::new(format!("{} updated · {} ready", f.updated, f.ready)).color(theme.palette.text_weak));
    });
    ui.label(
        RichText::new(format!("image {} · version {}", f.image, f.version)).color(theme.palette.text_weak).size(12.0),
    );
}

fn actions(ui: &mut Ui, view: &ViewCtx<'_>, row: &ModelServerRow, own: &mut ServingView) {
    let busy = view.state.serving.busy.is_some();
    section(ui, view.theme, "Scale");
    ui.horizontal(|ui| match &row.hpa {
        Some(_) => {
            ui.label("Autoscale between");
            ui.add(egui::DragValue::new(&mut own.hpa.0).range(1..=1000))
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Minimum replicas"));
            ui.label("and");
            ui.add(egui::DragValue::new(&mut own.hpa.1).range(1..=1000))
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Maximum replicas"));
            if ui.add_enabled(!busy, egui::Button::new("Set bounds")).clicked() {
                send(view, ServingCommand::Autoscale { min: own.hpa.0, max: own.hpa.1.max(own.hpa.0) });
            }
        }
        None => {
            ui.label("Replicas");
            ui.add(egui::DragValue::new(&mut own.replicas).range(0..=1000))
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Replicas"));
            if ui.add_enabled(!busy, egui::Button::new("Scale")).clicked() {
                send(view, ServingCommand::Scale(own.replicas));
            }
        }
    });
    ui.add_space(6.0);
    section(ui, view.theme, "Update (rolling)");
    egui::Grid::new("server_update").num_columns(2).show(ui, |ui| {
        ui.label("Image");
        text_field(ui, "New image", &mut own.image, "tensorflow/serving:2.16.1", 260.0);
        ui.end_row();
        ui.label("Version");
        text_field(ui, "New model version", &mut own.version, "unchanged (latest, 3, 2,3)", 260.0);
        ui.end_row();
    });
    ui.horizontal(|ui| {
        if ui.add_enabled(!busy, egui::Button::new("Roll out")).clicked() {
            send(view, ServingCommand::Update { image: own.image.clone(), version: own.version.clone() });
        }
        let has_history = matches!(&view.state.serving.detail, Loadable::Ready(d) if d.revisions.len() > 1);
        if ui
            .add_enabled(!busy && has_history, egui::Button::new("Roll back…"))
            .on_hover_text("Back to the previous revision's image and version")
            .clicked()
        {
            send(view, ServingCommand::Ask(Risky::Rollback));
        }
    });
    ui.add_space(6.0);
    section(ui, view.theme, "Canary");
    let managed = row.stable.as_ref().is_some_and(|s| s.managed_by_bosun);
    match &row.canary {
        None if !managed => {
            ui.label(
                RichText::new("Canaries are for servers Bosun deployed (their pods carry bosun.dev/server).")
                    .color(view.theme.palette.text_weak),
            );
        }
        None => {
            egui::Grid::new("canary_start").num_columns(2).show(ui, |ui| {
                ui.label("Image");
                text_field(ui, "Canary image", &mut own.canary_image, "tensorflow/serving:2.16.1", 260.0);
                ui.end_row();
                ui.label("Version");
                text_field(ui, "Canary model version", &mut own.canary_version, "unchanged (latest, 3)", 260.0);
                ui.end_row();
                ui.label("Share");
                split_slider(ui, row, &mut own.canary_percent);
                ui.end_row();
            });
            if ui.add_enabled(!busy, egui::Button::new("Start canary")).clicked() {
                send(
                    view,
                    ServingCommand::StartCanary {
                        image: own.canary_image.clone(),
                        version: own.canary_version.clone(),
                        percent: own.canary_percent,
                    },
                );
            }
        }
        Some(canary) => {
            ui.label(format!("Canary {}: image {} · version {}", canary.deployment, canary.image, canary.version));
            split_slider(ui, row, &mut own.canary_percent);
            ui.horizontal(|ui| {
                if ui.add_enabled(!busy, egui::Button::new("Apply split")).clicked() {
                    send(view, ServingCommand::Split(own.canary_percent));
                }
                if ui.add_enabled(!busy, egui::Button::new("Promote…")).clicked() {
                    send(view, ServingCommand::Ask(Risky::Promote));
                }
                if ui.add_enabled(!busy, egui::Button::new("Abort…")).clicked() {
                    send(view, ServingCommand::Ask(Risky::AbortCanary));
                }
            });
        }
    }
}

/// The canary's share of requests, and the replica split it means.
fn split_slider(ui: &mut Ui, row: &ModelServerRow, percent: &mut u32) {
    ui.horizontal(|ui| {
        ui.add(egui::Slider::new(percent, 1..=99).suffix(" %"))
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Slider, true, "Canary share"));
        let total = match &row.canary {
            Some(_) => u32::try_from(row.desired.max(2)).unwrap_or(2),
            None => row.stable.as_ref().map_or(2, |s| u32::try_from(s.desired.max(1)).unwrap_or(1) + 1),
        };
        let (stable, canary) = crate::workloads::serving::split(total, *percent);
        let share = crate::workloads::serving::traffic_share(stable, canary);
        ui.label(format!("{stable} stable : {canary} canary: about {share:.0}% of requests"));
    });
}

fn try_it(ui: &mut Ui, view: &ViewCtx<'_>, row: &ModelServerRow, own: &mut ServingView) {
    let p = view.theme.palette;
    let t = &view.state.serving.try_it;
    section(ui, view.theme, "Try it");
    ui.label(
        RichText::new("Through a port-forward to a ready pod (re-chosen if it goes away).")
            .color(p.text_weak)
            .size(12.0),
    );
    ui.horizontal(|ui| {
        ui.label("Model");
        let mut model = t.model.clone();
        text_field(ui, "Model to ask", &mut model, &row.model, 160.0);
        if model != t.model {
            send(view, ServingCommand::Model(model));
        }
        if ui.button("Model status").clicked() {
            send(view, ServingCommand::Status);
        }
    });
    reply(ui, view, &t.status);
    ui.label(RichText::new("Request").color(p.text_weak));
    let mut body = t.body.clone();
    let edit = ui.add(egui::TextEdit::multiline(&mut body).code_editor().desired_rows(4).desired_width(f32::INFINITY));
    edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::MultilineTextInput, true, "Prediction request"));
    if body != t.body {
        send(view, ServingCommand::Body(body));
    }
    if let Some(e) = &t.body_error {
        ui.label(RichText::new(e).color(view.theme.tone(Tone::Err)).size(12.0));
    }
    ui.horizontal(|ui| {
        let loading = matches!(t.reply, Loadable::Loading);
        if ui.add_enabled(!loading, egui::Button::new(RichText::new("Predict").strong())).clicked() {
            send(view, ServingCommand::Predict);
        }
        if loading {
            ui.spinner();
        }
    });
    reply(ui, view, &t.reply);
    ui.add_space(8.0);
    section(ui, view.theme, "Load test");
    ui.horizontal(|ui| {
        ui.add(
            egui::DragValue::new(&mut own.requests)
                .range(1..=crate::state::serving::MAX_LOAD_REQUESTS)
                .suffix(" requests"),
        )
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Load test requests"));
        ui.add(
            egui::DragValue::new(&mut own.concurrency)
                .range(1..=crate::state::serving::MAX_LOAD_CONCURRENCY)
                .suffix(" at once"),
        )
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Load test concurrency"));
        let running = matches!(t.load, Load::Running { .. });
        if ui.add_enabled(!running, egui::Button::new("Run load test")).clicked() {
            send(view, ServingCommand::LoadTest { requests: own.requests, concurrency: own.concurrency });
        }
    });
    match &t.load {
        Load::Idle => {}
        Load::Running { done, of } => {
            let fraction = *done as f32 / (*of).max(1) as f32;
            ui.add(egui::ProgressBar::new(fraction).text(format!("{done} of {of}")).show_percentage());
        }
        Load::Failed(e) => {
            ui.add(egui::Label::new(RichText::new(e).color(view.theme.tone(Tone::Err))).wrap());
        }
        Load::Done(v) => {
            let r = &v.report;
            let ms = |q: f64| r.percentile(q).as_secs_f64() * 1000.0;
            ui.label(format!(
                "{} answered, {} failed in {:.2} s: {:.0} requests/s · p50 {:.2} ms · p95 {:.2} ms · p99 {:.2} ms",
                r.ok,
                r.failed,
                r.elapsed.as_secs_f64(),
                r.throughput(),
                ms(0.5),
                ms(0.95),
                ms(0.99)
            ));
            if let Some(e) = &r.first_error {
                ui.label(RichText::new(format!("First failure: {e}")).color(view.theme.tone(Tone::Err)).size(12.0));
            }
            bar_chart(ui, &v.percentiles, view.theme, 150.0);
            line_chart(ui, &v.latency, view.theme, 190.0, |y| format!("{:.2} ms", 10f64.powf(y)));
            line_chart(ui, &v.throughput, view.theme, 190.0, |y| format!("{y:.0}/s"));
            ui.horizontal(|ui| {
                for format in [ExportFormat::Svg, ExportFormat::Png] {
                    if ui.small_button(format!("Export latency {}…", format.label())).clicked() {
                        let style = chart_style(view.theme);
                        send(view, ServingCommand::ExportLoadChart { format, style });
                    }
                }
            });
        }
    }
}

/// A server's answer: status, latency, pod, and the body (pretty-printed JSON).
fn reply(ui: &mut Ui, view: &ViewCtx<'_>, reply: &Loadable<crate::state::serving::Reply>) {
    match reply {
        Loadable::Idle => {}
        Loadable::Loading => {
            ui.spinner();
        }
        Loadable::Failed(e) => {
            ui.add(egui::Label::new(RichText::new(e).color(view.theme.tone(Tone::Err))).wrap());
        }
        Loadable::Ready(r) => {
            let tone = if (200..300).contains(&r.status) { Tone::Ok } else { Tone::Err };
            ui.horizontal(|ui| {
                status_chip(ui, view.theme, tone, &format!("HTTP {}", r.status));
                ui.label(format!("{:.1} ms from {}", r.latency.as_secs_f64() * 1000.0, r.pod));
            });
            let pretty = serde_json::from_str::<serde_json::Value>(&r.body)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| r.body.clone());
            let mut text = pretty;
            ui.add(
                egui::TextEdit::multiline(&mut text)
                    .code_editor()
                    .desired_rows(3)
                    .desired_width(f32::INFINITY)
                    .interactive(true),
            )
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::MultilineTextInput, true, "Server answer"));
        }
    }
}

fn pods_and_history(ui: &mut Ui, view: &ViewCtx<'_>) {
    let p = view.theme.palette;
    let detail = match &view.state.serving.detail {
        Loadable::Ready(d) => d,
        Loadable::Loading => {
            ui.spinner();
            return;
        }
        Loadable::Failed(e) => {
            ui.colored_label(view.theme.tone(Tone::Err), e);
            return;
        }
        Loadable::Idle => return,
    };
    let Some((namespace, _)) = view.state.serving.open.clone() else { return };
    ui.columns(2, |cols| {
        let ui = &mut cols[0];
        section(ui, view.theme, &format!("Pods ({})", detail.pods.len()));
        egui::Grid::new("server_pods").num_columns(6).striped(true).show(ui, |ui| {
            for h in ["Pod", "Track", "Node", "Status", "Restarts", ""] {
                ui.label(RichText::new(h).color(p.text_weak));
            }
            ui.end_row();
            for pod in &detail.pods {
                ui.label(&pod.name);
                ui.label(&pod.track);
                ui.label(&pod.node);
                let (tone, text) =
                    if pod.ready { (Tone::Ok, "Ready".to_string()) } else { (Tone::Pending, pod.status.clone()) };
                status_chip(ui, view.theme, tone, &text);
                ui.label(pod.restarts.to_string());
                if ui.small_button("Logs").clicked() {
                    view.commands.send(Command::OpenLogs {
                        namespace: namespace.clone(),
                        pod: pod.name.clone(),
                        container: pod.container.clone(),
                        follow: true,
                    });
                }
                ui.end_row();
            }
        });
        ui.add_space(6.0);
        section(ui, view.theme, "Revisions");
        for (revision, name, image, ready) in &detail.revisions {
            ui.label(RichText::new(format!("{revision}  {name}  {image}  {ready}")).size(12.0));
        }
        if let Some(logs) = view.state.logs.as_ref().filter(|l| detail.pods.iter().any(|p| p.name == l.pod)) {
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                section(ui, view.theme, &format!("Log of {}", logs.pod));
                if ui.small_button("Close log").clicked() {
                    view.commands.send(Command::CloseLogs);
                }
            });
            egui::ScrollArea::vertical().id_salt("server_log").max_height(220.0).stick_to_bottom(true).show_rows(
                ui,
                14.0,
                logs.lines.len(),
                |ui, range| {
                    for line in &logs.lines[range] {
                        ui.label(RichText::new(line).monospace().size(11.0));
                    }
                },
            );
            if let Some(Err(e)) = &logs.done {
                ui.colored_label(view.theme.tone(Tone::Err), e);
            }
        }
        let ui = &mut cols[1];
        section(ui, view.theme, "Events");
        if detail.events.is_empty() {
            ui.label(RichText::new("No events.").color(p.text_weak));
        }
        for (age, type_, reason, message) in &detail.events {
            let tone = if type_ == "Warning" { Tone::Warn } else { Tone::Neutral };
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(kubefmt::duration::human(*age)).color(p.text_weak).size(12.0));
                ui.label(RichText::new(reason).color(view.theme.tone(tone)).size(12.0));
                ui.label(RichText::new(message).size(12.0));
            });
        }
    });
}

/// The "are you sure?" of a risky action.
fn confirmation(ui: &mut Ui, view: &ViewCtx<'_>) {
    let serving = &view.state.serving;
    let (Some(action), Some((_, name))) = (serving.confirm, serving.open.as_ref()) else { return };
    egui::Modal::new(egui::Id::unique("serving_confirm")).show(ui.ctx(), |ui| {
        ui.set_max_width(420.0);
        ui.label(RichText::new(action.label()).strong().color(view.theme.palette.text_strong));
        ui.add(egui::Label::new(action.question(name)).wrap());
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button(RichText::new(action.label()).strong()).clicked() {
                send(view, ServingCommand::Confirm);
            }
            if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                send(view, ServingCommand::Cancel);
            }
        });
    });
}

// ---- the deploy form ----

fn deploy(ui: &mut Ui, view: &ViewCtx<'_>, snap: &ClusterSnapshot) {
    let serving = &view.state.serving;
    let mut spec = serving.form.clone();
    let errors = match &serving.deploy {
        Deploy::Failed { fields, .. } if !fields.is_empty() => {
            let mut all = serving.errors.clone();
            all.extend(fields.iter().cloned());
            all
        }
        _ => serving.errors.clone(),
    };
    let width = ui.available_width();
    ui.columns(2, |cols| {
        egui::ScrollArea::vertical().id_salt("serving_form").show(&mut cols[0], |ui| {
            ui.set_max_width(width / 2.0 - 16.0);
            form(ui, view, snap, &mut spec, &errors);
        });
        egui::ScrollArea::vertical().id_salt("serving_preview").show(&mut cols[1], |ui| preview(ui, view));
    });
    if spec != serving.form {
        send(view, ServingCommand::Form(Box::new(spec)));
    }
}

fn form(
    ui: &mut Ui,
    view: &ViewCtx<'_>,
    snap: &ClusterSnapshot,
    spec: &mut ServingSpec,
    errors: &[crate::workloads::spec::FieldError],
) {
    let p = view.theme.palette;
    let theme = view.theme;
    if let Some((namespace, _)) = &view.state.serving.template {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!("The stack's model-server template is installed in {namespace}."))
                    .color(p.text_weak),
            );
            if ui
                .small_button("Use it")
                .on_hover_text("Image, ports, requests, GPU resource and service account")
                .clicked()
            {
                send(view, ServingCommand::UseTemplate);
            }
        });
    }
    section(ui, theme, "Model server");
    egui::Grid::new("serving_form_grid").num_columns(2).spacing([10.0, 6.0]).show(ui, |ui| {
        ui.label("Runtime");
        ui.horizontal(|ui| {
            for runtime in Runtime::ALL {
                if ui.selectable_label(spec.runtime == runtime, runtime.label()).clicked() && spec.runtime != runtime {
                    spec.runtime = runtime;
                    spec.image = runtime.default_image().into();
                    spec.rest_port = default_rest_port(runtime);
                    if runtime != Runtime::TfServing {
                        spec.versions = VersionPolicy::Latest;
                    }
                }
            }
        });
        ui.end_row();
        ui.label("Name");
        ui.vertical(|ui| {
            text_field(ui, "Server name", &mut spec.name, "resnet", 220.0);
            field_error(ui, theme, errors, "name");
        });
        ui.end_row();
        ui.label("Namespace");
        ui.vertical(|ui| {
            text_field(ui, "Server namespace", &mut spec.namespace, "default", 220.0);
            field_error(ui, theme, errors, "namespace");
        });
        ui.end_row();
        ui.label("Model");
        ui.vertical(|ui| {
            text_field(ui, "Model name", &mut spec.model_name, "resnet", 220.0);
            field_error(ui, theme, errors, "model_name");
        });
        ui.end_row();
        ui.label("Model from");
        ui.vertical(|ui| {
            let on_claim = matches!(spec.source, ModelSource::Claim { .. });
            ui.horizontal(|ui| {
                if ui.selectable_label(!on_claim, "URI").clicked() && on_claim {
                    spec.source = ModelSource::Uri(String::new());
                }
                if ui.selectable_label(on_claim, "Volume claim").clicked() && !on_claim {
                    spec.source = ModelSource::Claim { claim: String::new(), path: String::new() };
                }
            });
            match &mut spec.source {
                ModelSource::Uri(uri) => text_field(ui, "Model URI", uri, "gs://bucket/models/resnet", 300.0),
                ModelSource::Claim { claim, path } => {
                    ui.horizontal(|ui| {
                        text_field(ui, "Model claim", claim, "models", 120.0);
                        text_field(ui, "Path on the claim", path, "resnet", 170.0);
                    });
                }
            }
            ui.label(RichText::new(format!("The server reads {}", spec.base_path())).color(p.text_weak).size(12.0));
            field_error(ui, theme, errors, "source");
        });
        ui.end_row();
        ui.label("Image");
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                text_field(ui, "Server image", &mut spec.image, spec.runtime.default_image(), 260.0);
                if spec.runtime == Runtime::TfServing {
                    ui.menu_button("Presets", |ui| {
                        for image in [
                            "tensorflow/serving:2.15.0",
                            "tensorflow/serving:2.15.0-gpu",
                            "tensorflow/serving:latest-gpu",
                        ] {
                            if ui.button(image).clicked() {
                                spec.image = image.into();
                                ui.close();
                            }
                        }
                    });
                }
            });
            field_error(ui, theme, errors, "image");
        });
        ui.end_row();
        if spec.runtime == Runtime::TfServing {
            ui.label("Versions");
            ui.vertical(|ui| {
                let mut text = spec.versions.text();
                text_field(ui, "Model versions", &mut text, "latest, all, or 2,3", 160.0);
                if let Ok(v) = VersionPolicy::parse(&text) {
                    spec.versions = v;
                }
                field_error(ui, theme, errors, "versions");
            });
            ui.end_row();
        }
        ui.label("Ports");
        ui.horizontal(|ui| {
            ui.label("REST");
            ui.add(egui::DragValue::new(&mut spec.rest_port).range(1..=65535))
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "REST port"));
            if spec.runtime == Runtime::TfServing {
                ui.label("gRPC");
                ui.add(egui::DragValue::new(&mut spec.grpc_port).range(1..=65535))
                    .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "gRPC port"));
            }
        });
        ui.end_row();
    });
    ui.add_space(8.0);
    section(ui, theme, "Replicas and resources");
    egui::Grid::new("serving_resources").num_columns(2).spacing([10.0, 6.0]).show(ui, |ui| {
        ui.label("CPU / memory");
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                text_field(ui, "CPU per replica", &mut spec.cpu, "500m", 70.0);
                text_field(ui, "Memory per replica", &mut spec.memory, "1Gi", 70.0);
            });
            field_error(ui, theme, errors, "cpu");
            field_error(ui, theme, errors, "memory");
        });
        ui.end_row();
        ui.label("Accelerator");
        ui.vertical(|ui| {
            let resources: Vec<String> = snap.totals.keys().cloned().collect();
            let before = spec.accelerator.clone();
            let label = "Accelerators per replica";
            accelerator_picker(ui, "serving_acc", &resources, &mut spec.accelerator, &mut spec.accelerators, label);
            // A GPU server wants TF Serving's GPU build.
            let picked = before.is_none() && spec.accelerator.is_some();
            if picked && spec.runtime == Runtime::TfServing && !spec.image.ends_with("-gpu") {
                spec.image = "tensorflow/serving:2.15.0-gpu".into();
            }
            crate::ui::views::training::single_role_fit(ui, theme, view.state.serving.fit.as_ref());
            field_error(ui, theme, errors, "accelerator");
        });
        ui.end_row();
        let (class, queue) = (&mut spec.priority_class, &mut spec.queue);
        scheduling_rows(ui, theme, "serving", &view.state.teams, &spec.namespace, class, queue);
        ui.label("Replicas");
        ui.vertical(|ui| {
            let mut auto = spec.autoscale.is_some();
            ui.horizontal(|ui| {
                if spec.autoscale.is_none() {
                    ui.add(egui::DragValue::new(&mut spec.replicas).range(0..=1000))
                        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Server replicas"));
                }
                ui.checkbox(&mut auto, "Autoscale on CPU");
            });
            if auto != spec.autoscale.is_some() {
                spec.autoscale = auto.then(Autoscale::default);
            }
            if let Some(a) = spec.autoscale.as_mut() {
                ui.horizontal(|ui| {
                    ui.label("from");
                    ui.add(egui::DragValue::new(&mut a.min).range(1..=1000))
                        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Autoscale minimum"));
                    ui.label("to");
                    ui.add(egui::DragValue::new(&mut a.max).range(1..=1000))
                        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Autoscale maximum"));
                    ui.label("at");
                    ui.add(egui::DragValue::new(&mut a.cpu_percent).range(1..=1000).suffix(" % CPU"))
                        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "CPU target"));
                });
            }
            field_error(ui, theme, errors, "autoscale");
        });
        ui.end_row();
    });
}

fn preview(ui: &mut Ui, view: &ViewCtx<'_>) {
    let serving = &view.state.serving;
    let theme = view.theme;
    section(ui, theme, "What will be created");
    ui.label(
        RichText::new(
            "A Deployment (readiness on the model's status endpoint), a Service on its ports and, with autoscaling, a \
             HorizontalPodAutoscaler — all labelled app.kubernetes.io/managed-by=bosun.",
        )
        .color(theme.palette.text_weak)
        .size(12.0),
    );
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let busy = serving.deploy == Deploy::Deploying;
        if ui.add_enabled(!busy, egui::Button::new(RichText::new("Deploy").strong())).clicked() {
            send(view, ServingCommand::Deploy);
        }
        if busy {
            ui.spinner();
        }
        if ui.button("Export YAML…").clicked() {
            send(view, ServingCommand::ExportYaml);
        }
    });
    match &serving.deploy {
        Deploy::Failed { message, .. } => {
            ui.add(egui::Label::new(RichText::new(message).color(theme.tone(Tone::Err))).wrap());
        }
        Deploy::Done(created) => {
            ui.label(RichText::new(format!("Deployed {}", created.join(", "))).color(theme.tone(Tone::Ok)));
        }
        _ => {}
    }
    ui.add_space(8.0);
    section(ui, theme, "YAML");
    let mut yaml = serving.yaml.clone();
    ui.add(
        egui::TextEdit::multiline(&mut yaml)
            .code_editor()
            .desired_width(f32::INFINITY)
            .desired_rows(24)
            .interactive(true),
    )
    .widget_info(|| egui::WidgetInfo::labeled(egui::Role::MultilineTextInput, true, "Server YAML"));
}
