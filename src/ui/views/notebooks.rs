//! Notebooks: JupyterHub (its health, and "Open JupyterHub" through a forward to its proxy), every notebook server —
//! Bosun's, the user servers the hub spawned, Kubeflow Notebooks — with Open (a forward, then the system browser with
//! the token), Stop, Start and Delete, the open forwards, and the form that starts a server without a hub.

use egui::{RichText, Ui};

use crate::resources::notebook::NotebookSource;
use crate::state::Screen;
use crate::state::command::Command;
use crate::state::loadable::Loadable;
use crate::state::notebooks::NotebooksCommand;
use crate::tone::Tone;
use crate::ui::ViewCtx;
use crate::ui::views::training::{field_error, section, text_field};
use crate::ui::widgets::accelerator::accelerator_picker;
use crate::ui::widgets::priority_picker::scheduling_rows;
use crate::ui::widgets::status_chip::status_chip;
use crate::workloads::notebook::{IMAGE_PRESETS, NotebookSpec, Workspace};

fn send(view: &ViewCtx<'_>, command: NotebooksCommand) {
    view.commands.send(Command::Notebooks(command));
}

pub fn ui(ui: &mut Ui, view: &ViewCtx<'_>) {
    let Some(snap) = view.state.cluster.clone() else {
        crate::ui::views::empty_state::ui(ui, crate::ui::views::registry::info(Screen::Notebooks), view);
        return;
    };
    let p = view.theme.palette;
    let state = &view.state.notebooks;
    egui::Panel::right("notebook_form_panel").default_size(430.0).resizable(true).show(ui, |ui| {
        egui::ScrollArea::vertical().id_salt("notebooks_form").show(ui, |ui| form(ui, view, &snap));
    });
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().id_salt("notebooks_list").show(ui, |ui| {
            match &state.list {
                Loadable::Failed(e) => {
                    ui.colored_label(view.theme.tone(Tone::Err), e);
                }
                Loadable::Ready(list) => {
                    for hub in &list.hubs {
                        egui::Frame::group(ui.style()).show(ui, |ui| {
                            ui.horizontal(|ui| {
                                ui.label(RichText::new("JupyterHub").strong().color(p.text_strong));
                                let (tone, text) =
                                    if hub.healthy { (Tone::Ok, "Healthy") } else { (Tone::Err, "Not ready") };
                                status_chip(ui, view.theme, tone, text);
                                ui.label(RichText::new(&hub.namespace).color(p.text_weak));
                                if let Some((service, port)) = &hub.proxy
                                    && ui.button("Open JupyterHub").clicked()
                                {
                                    send(
                                        view,
                                        NotebooksCommand::OpenHub {
                                            namespace: hub.namespace.clone(),
                                            service: service.clone(),
                                            port: *port,
                                        },
                                    );
                                }
                            });
                            if let Some(problem) = &hub.problem {
                                ui.label(RichText::new(problem).color(view.theme.tone(Tone::Err)));
                            }
                        });
                    }
                    if list.hubs.is_empty() {
                        ui.horizontal_wrapped(|ui| {
                            ui.label(
                                RichText::new("No JupyterHub on this cluster: start servers without one below, or")
                                    .color(p.text_weak),
                            );
                            if ui.small_button("install it…").clicked() {
                                view.commands.send(Command::Navigate(Screen::Install));
                            }
                        });
                    }
                    ui.add_space(6.0);
                    servers(ui, view, &list.servers);
                }
                _ => {
                    ui.spinner();
                }
            }
            ui.add_space(8.0);
            forwards(ui, view);
        });
    });
}

fn servers(ui: &mut Ui, view: &ViewCtx<'_>, rows: &[crate::resources::notebook::NotebookRow]) {
    let p = view.theme.palette;
    section(ui, view.theme, &format!("Notebook servers ({})", rows.len()));
    if rows.is_empty() {
        ui.label(RichText::new("None yet. Start one with the form.").color(p.text_weak));
        return;
    }
    let now = jiff::Timestamp::now().as_second();
    let opening = view.state.notebooks.opening.clone();
    egui::Grid::new("notebook_servers").num_columns(6).striped(true).spacing([10.0, 6.0]).show(ui, |ui| {
        for h in ["Server", "From", "Image", "GPUs", "State", ""] {
            ui.label(RichText::new(h).color(p.text_weak));
        }
        ui.end_row();
        for r in rows {
            ui.vertical(|ui| {
                ui.add(egui::Label::new(RichText::new(&r.name).color(p.text_strong)).extend());
                let user = if r.user.is_empty() { String::new() } else { format!(" · {}", r.user) };
                let age = kubefmt::duration::human(now - r.created);
                let where_ = RichText::new(format!("{}{user} · {age}", r.namespace)).color(p.text_weak).size(11.0);
                ui.add(egui::Label::new(where_).extend());
            });
            ui.label(match r.source {
                NotebookSource::Bosun => "Bosun",
                NotebookSource::JupyterHub => "JupyterHub",
                NotebookSource::Kubeflow => "Kubeflow",
            });
            let short = r.image.rsplit('/').next().unwrap_or(&r.image);
            ui.add(egui::Label::new(RichText::new(short).size(12.0)).extend()).on_hover_text(&r.image);
            ui.label(if r.gpus > 0.0 { format!("{}", r.gpus) } else { "—".into() });
            ui.vertical(|ui| {
                let chip = status_chip(ui, view.theme, r.tone, &r.state);
                if r.idle_hours > 0 {
                    chip.on_hover_text(format!("Scales to zero after {} idle hours", r.idle_hours));
                }
                let preempted = view.state.cluster.as_ref().and_then(|s| s.preempted(&r.namespace, &r.name));
                if let Some(pre) = preempted {
                    let text = RichText::new(pre.by_text()).color(view.theme.tone(Tone::Warn)).size(11.0);
                    let when = kubefmt::duration::human(now - pre.time);
                    ui.label(text).on_hover_text(format!("{} on {}, {when} ago", pre.victim, pre.node));
                }
            });
            ui.horizontal(|ui| {
                if opening.as_deref() == Some(r.name.as_str()) {
                    ui.spinner();
                } else if ui.add_enabled(r.ready, egui::Button::new("Open")).clicked() {
                    send(
                        view,
                        NotebooksCommand::Open {
                            namespace: r.namespace.clone(),
                            name: r.name.clone(),
                            source: r.source,
                            user: r.user.clone(),
                        },
                    );
                }
                if r.source == NotebookSource::Bosun {
                    let (label, replicas) = if r.state == "Stopped" { ("Start", 1) } else { ("Stop", 0) };
                    if ui.small_button(label).clicked() {
                        let (namespace, name) = (r.namespace.clone(), r.name.clone());
                        send(view, NotebooksCommand::Scale { namespace, name, replicas });
                    }
                    let id = ui.make_persistent_id(("delete_notebook", &r.namespace, &r.name));
                    let armed: bool = ui.data(|d| d.get_temp(id)).unwrap_or(false);
                    let text = if armed { "Really delete" } else { "Delete" };
                    if ui.small_button(text).on_hover_text("Its workspace claim stays").clicked() {
                        if armed {
                            send(
                                view,
                                NotebooksCommand::Delete { namespace: r.namespace.clone(), name: r.name.clone() },
                            );
                        }
                        ui.data_mut(|d| d.insert_temp(id, !armed));
                    }
                }
            });
            ui.end_row();
        }
    });
}

fn forwards(ui: &mut Ui, view: &ViewCtx<'_>) {
    let forwards = &view.state.notebooks.forwards;
    if forwards.is_empty() {
        return;
    }
    section(ui, view.theme, "Open forwards");
    for f in forwards {
        ui.horizontal(|ui| {
            ui.label(format!("{} to {}", f.local, f.target));
            if ui.small_button("Open in browser").clicked() {
                send(view, NotebooksCommand::Reopen(f.id));
            }
            if ui.small_button("Stop").clicked() {
                send(view, NotebooksCommand::CloseForward(f.id));
            }
        });
    }
}

fn form(ui: &mut Ui, view: &ViewCtx<'_>, snap: &crate::state::cluster_view::ClusterSnapshot) {
    let theme = view.theme;
    let state = &view.state.notebooks;
    let mut spec: NotebookSpec = state.form.clone();
    let errors = &state.errors;
    section(ui, theme, "Start a notebook server");
    ui.label(
        RichText::new("Without a hub: a Deployment, a Service, a workspace claim and a token Secret, all Bosun's.")
            .color(theme.palette.text_weak)
            .size(12.0),
    );
    egui::Grid::new("notebook_form").num_columns(2).spacing([10.0, 6.0]).show(ui, |ui| {
        ui.label("Name");
        ui.vertical(|ui| {
            text_field(ui, "Notebook name", &mut spec.name, "ana", 200.0);
            field_error(ui, theme, errors, "name");
        });
        ui.end_row();
        ui.label("Namespace");
        ui.vertical(|ui| {
            text_field(ui, "Notebook namespace", &mut spec.namespace, "default", 200.0);
            field_error(ui, theme, errors, "namespace");
        });
        ui.end_row();
        ui.label("Image");
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                text_field(ui, "Notebook image", &mut spec.image, "quay.io/jupyter/scipy-notebook", 260.0);
                ui.menu_button("Presets", |ui| {
                    for (label, image) in IMAGE_PRESETS {
                        if ui.button(*label).clicked() {
                            spec.image = (*image).into();
                            ui.close();
                        }
                    }
                });
            });
            field_error(ui, theme, errors, "image");
        });
        ui.end_row();
        ui.label("CPU / memory");
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                text_field(ui, "Notebook CPU", &mut spec.cpu, "1", 60.0);
                text_field(ui, "Notebook memory", &mut spec.memory, "4Gi", 60.0);
            });
            field_error(ui, theme, errors, "cpu");
            field_error(ui, theme, errors, "memory");
        });
        ui.end_row();
        ui.label("Accelerator");
        ui.vertical(|ui| {
            let resources: Vec<String> = snap.totals.keys().cloned().collect();
            let label = "Notebook accelerators";
            accelerator_picker(ui, "notebook_acc", &resources, &mut spec.accelerator, &mut spec.accelerators, label);
            crate::ui::views::training::single_role_fit(ui, theme, state.fit.as_ref());
            field_error(ui, theme, errors, "accelerator");
        });
        ui.end_row();
        let (class, queue) = (&mut spec.priority_class, &mut spec.queue);
        scheduling_rows(ui, theme, "notebook", &view.state.teams, &spec.namespace, class, queue);
        ui.label("Workspace");
        ui.vertical(|ui| {
            let new = matches!(spec.workspace, Workspace::New { .. });
            ui.horizontal(|ui| {
                if ui.selectable_label(new, "New claim").clicked() && !new {
                    spec.workspace = Workspace::New { size: "10Gi".into() };
                }
                if ui.selectable_label(!new, "Existing claim").clicked() && new {
                    spec.workspace = Workspace::Existing { claim: String::new() };
                }
            });
            match &mut spec.workspace {
                Workspace::New { size } => text_field(ui, "Workspace size", size, "10Gi", 80.0),
                Workspace::Existing { claim } => text_field(ui, "Workspace claim", claim, "shared-data", 160.0),
            }
            field_error(ui, theme, errors, "workspace");
        });
        ui.end_row();
        ui.label("Idle shutdown");
        ui.horizontal(|ui| {
            ui.add(egui::DragValue::new(&mut spec.idle_hours).range(0..=168).suffix(" h"))
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Idle shutdown hours"));
            ui.label(RichText::new("0: never").color(theme.palette.text_weak).size(12.0));
        });
        ui.end_row();
    });
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        if ui.add_enabled(!state.starting, egui::Button::new(RichText::new("Start notebook").strong())).clicked() {
            send(view, NotebooksCommand::Start);
        }
        if state.starting {
            ui.spinner();
        }
    });
    if let Some(e) = &state.start_error {
        ui.add(egui::Label::new(RichText::new(e).color(theme.tone(Tone::Err))).wrap());
    }
    if spec != state.form {
        send(view, NotebooksCommand::Form(Box::new(spec)));
    }
}
