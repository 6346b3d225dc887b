//! Install: the ML stack in six steps — cluster & checks, components, settings, review (a server-side dry run
//! with diffs), install (progress per object, with the reason when something waits), done (what next). When the
//! stack is already there, the first step shows it with Repair/Upgrade and Uninstall.

use egui::{RichText, Ui};

use crate::stack::catalog::ParamType;
use crate::stack::params::Globals;
use crate::stack::report::{Outcome, Verdict};
use crate::state::install::{InstallWizard, Loadable, Step, WizardCommand};
use crate::state::{Command, Connection, Screen};
use crate::ui::ViewCtx;
use crate::ui::theme::Tone;
use crate::ui::views::empty_state::{self, card};
use crate::ui::views::registry;
use crate::ui::widgets::status_chip::status_chip;

/// The screen's own state: the uninstall confirmation and its data option.
#[derive(Debug, Default)]
pub struct InstallView {
    confirm_uninstall: bool,
    delete_data: bool,
}

fn send(view: &ViewCtx<'_>, command: WizardCommand) {
    view.commands.send(Command::Wizard(command));
}

pub fn ui(ui: &mut Ui, view: &ViewCtx<'_>, state: &mut InstallView) {
    if !matches!(view.state.connection, Connection::Connected(_)) {
        empty_state::ui(ui, registry::info(Screen::Install), view);
        return;
    }
    let w = &view.state.install;
    if let Err(e) = &w.catalog {
        status_chip(ui, view.theme, Tone::Err, &format!("The stack's manifests are broken: {e}"));
        return;
    }
    steps(ui, view, w);
    ui.add_space(8.0);
    // Back and Next stay in view however long the step is.
    egui::Panel::bottom("install_footer")
        .frame(egui::Frame::new().inner_margin(egui::Margin { top: 10, ..Default::default() }))
        .show(ui, |ui| footer(ui, view, w));
    egui::ScrollArea::vertical().id_salt(("install_step", w.step)).auto_shrink(false).show(ui, |ui| match w.step {
        Step::Cluster => cluster_step(ui, view, w, state),
        Step::Components => components_step(ui, view, w),
        Step::Settings => settings_step(ui, view, w),
        Step::Review => review_step(ui, view, w),
        Step::Install => install_step(ui, view, w),
        Step::Done => done_step(ui, view, w),
    });
}

/// The step list: done steps can be revisited by clicking them.
fn steps(ui: &mut Ui, view: &ViewCtx<'_>, w: &InstallWizard) {
    let p = &view.theme.palette;
    ui.horizontal_wrapped(|ui| {
        for (i, step) in Step::ALL.iter().enumerate() {
            let current = *step == w.step;
            let text = format!("{} {}", i + 1, step.title());
            let rich = if current {
                RichText::new(text).strong().color(p.accent)
            } else if *step < w.step {
                RichText::new(text).color(p.text)
            } else {
                RichText::new(text).color(p.text_weak)
            };
            // A folder has no components or settings to choose.
            let skipped = w.folder.is_some() && matches!(step, Step::Components | Step::Settings);
            let reachable = *step < w.step && !skipped && w.run.as_ref().is_none_or(|r| r.done.is_some());
            if ui.add_enabled(reachable || current, egui::Button::new(rich).frame(current)).clicked() && reachable {
                send(view, WizardCommand::Go(*step));
            }
            if i + 1 < Step::ALL.len() {
                ui.label(RichText::new("›").color(p.text_weak));
            }
        }
    });
}

fn footer(ui: &mut Ui, view: &ViewCtx<'_>, w: &InstallWizard) {
    let running = w.run.as_ref().is_some_and(|r| r.done.is_none());
    ui.horizontal(|ui| {
        if w.step > Step::Cluster
            && w.step < Step::Done
            && ui.add_enabled(!running, egui::Button::new("‹ Back")).clicked()
        {
            send(view, WizardCommand::Back);
        }
        let next = match w.step {
            Step::Review => Some("Install now"),
            Step::Install | Step::Done => None,
            _ => Some("Next ›"),
        };
        if let Some(label) = next {
            let button = ui.add_enabled(w.can_advance(), egui::Button::new(RichText::new(label).strong()));
            let button = if w.can_advance() { button } else { button.on_disabled_hover_text(blocker(w)) };
            if button.clicked() {
                send(view, WizardCommand::Next);
            }
        }
        if running && ui.button("Cancel").on_hover_text("Stop; installing again resumes where it stopped").clicked() {
            send(view, WizardCommand::Cancel);
        }
    });
}

/// Why Next is disabled.
fn blocker(w: &InstallWizard) -> String {
    match w.step {
        Step::Cluster => match &w.checks {
            Loadable::Ready(_) => "A check failed: fix it first (see above).".into(),
            Loadable::Failed(e) => format!("The checks could not run: {e}"),
            _ => "Waiting for the checks.".into(),
        },
        Step::Components => "Choose at least one component.".into(),
        Step::Settings => w.errors().into_iter().next().map_or_else(String::new, |(f, e)| format!("{f}: {e}")),
        Step::Review => "Waiting for the dry run.".into(),
        _ => String::new(),
    }
}

fn loading(ui: &mut Ui, text: &str) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(text);
    });
}

fn cluster_step(ui: &mut Ui, view: &ViewCtx<'_>, w: &InstallWizard, state: &mut InstallView) {
    let p = &view.theme.palette;
    card(ui, view, |ui| {
        ui.horizontal(|ui| {
            ui.label(RichText::new("Installed stack").strong().color(p.text_strong));
            if ui.small_button("⟳").on_hover_text("Check the cluster again").clicked() {
                send(view, WizardCommand::Refresh);
            }
        });
        ui.add_space(4.0);
        match &w.status {
            Loadable::Idle | Loadable::Loading => loading(ui, "Looking for an existing install…"),
            Loadable::Failed(e) => {
                status_chip(ui, view.theme, Tone::Err, "Could not read the install record");
                ui.label(e);
            }
            Loadable::Ready(None) => {
                ui.label("Nothing installed yet. The wizard installs the stack from scratch.");
            }
            Loadable::Ready(Some(status)) => {
                ui.label(
                    RichText::new(format!(
                        "In namespace {} · {:?} · updated {}",
                        status.namespace, status.record.state, status.record.updated
                    ))
                    .color(p.text_weak),
                );
                egui::Grid::new("installed_components").num_columns(3).spacing([18.0, 4.0]).show(ui, |ui| {
                    for c in &status.components {
                        ui.label(RichText::new(&c.name).color(p.text_strong));
                        ui.label(RichText::new(&c.version).color(p.text_weak));
                        if c.waiting.is_empty() {
                            status_chip(ui, view.theme, Tone::Ok, "healthy");
                        } else {
                            status_chip(ui, view.theme, Tone::Warn, &format!("{}/{} ready", c.ready, c.total))
                                .on_hover_text(
                                    c.waiting.iter().map(|(o, r)| format!("{o}: {r}")).collect::<Vec<_>>().join("\n"),
                                );
                        }
                        ui.end_row();
                    }
                });
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    let interrupted = status.record.state == crate::stack::record::InstallState::Installing;
                    let label = if interrupted { "Resume the interrupted install…" } else { "Repair or upgrade…" };
                    if ui
                        .button(label)
                        .on_hover_text("Start from the installed settings; the review shows what would change")
                        .clicked()
                    {
                        send(view, WizardCommand::FromInstalled);
                    }
                    if ui.button("Uninstall…").clicked() {
                        state.confirm_uninstall = true;
                    }
                });
                if state.confirm_uninstall {
                    ui.add_space(6.0);
                    ui.label(RichText::new("Uninstall removes these objects:").color(p.text_strong));
                    egui::ScrollArea::vertical().id_salt("uninstall_list").max_height(160.0).show(ui, |ui| {
                        for o in &status.record.objects {
                            let kept = o.kind == "PersistentVolumeClaim" && !state.delete_data;
                            let text = if kept { format!("{} (kept: holds data)", o.display()) } else { o.display() };
                            ui.label(RichText::new(text).monospace().small());
                        }
                    });
                    ui.checkbox(&mut state.delete_data, "Also delete volumes that hold data");
                    ui.horizontal(|ui| {
                        if ui.button(RichText::new("Uninstall now").color(view.theme.tone(Tone::Err))).clicked() {
                            send(view, WizardCommand::Uninstall { delete_data: state.delete_data });
                            state.confirm_uninstall = false;
                        }
                        if ui.button("Keep it").clicked() {
                            state.confirm_uninstall = false;
                        }
                    });
                }
            }
        }
    });
    ui.add_space(12.0);
    checks_card(ui, view, w);
    ui.add_space(12.0);
    folder_card(ui, view, w);
}

/// The other thing to install: any folder of manifests, through the same checks, dry run and progress.
fn folder_card(ui: &mut Ui, view: &ViewCtx<'_>, w: &InstallWizard) {
    let p = &view.theme.palette;
    card(ui, view, |ui| {
        ui.label(RichText::new("Or apply a folder of YAML").strong().color(p.text_strong));
        match &w.folder {
            None => {
                ui.label(
                    RichText::new(
                        "Any folder of manifests (searched recursively, like kubectl apply -f DIR -R) goes through the \
                         same checks, dry run and progress.",
                    )
                    .color(p.text_weak),
                );
                if ui.button("Choose a folder…").clicked() {
                    send(view, WizardCommand::PickFolder);
                }
            }
            Some(dir) => {
                ui.label(format!("Applying {}", dir.display()));
                if ui.button("Install the stack instead").clicked() {
                    send(view, WizardCommand::UseFolder(None));
                }
            }
        }
    });
}

fn checks_card(ui: &mut Ui, view: &ViewCtx<'_>, w: &InstallWizard) {
    let p = &view.theme.palette;
    card(ui, view, |ui| {
        ui.label(RichText::new("Preflight checks").strong().color(p.text_strong));
        ui.add_space(4.0);
        match &w.checks {
            Loadable::Idle | Loadable::Loading => loading(ui, "Checking the cluster…"),
            Loadable::Failed(e) => {
                status_chip(ui, view.theme, Tone::Err, "The checks could not run");
                ui.add(egui::Label::new(e).wrap());
            }
            Loadable::Ready(checks) => {
                for c in checks {
                    ui.horizontal_wrapped(|ui| {
                        let (tone, word) = match c.verdict {
                            Verdict::Pass => (Tone::Ok, "pass"),
                            Verdict::Warn => (Tone::Warn, "warn"),
                            Verdict::Fail => (Tone::Err, "fail"),
                        };
                        status_chip(ui, view.theme, tone, word);
                        ui.label(RichText::new(&c.title).strong());
                        ui.add(egui::Label::new(&c.detail).wrap());
                    });
                    if let Some(fix) = c.fix.as_ref().filter(|_| c.verdict != Verdict::Pass) {
                        ui.label(RichText::new(format!("Fix: {fix}")).color(p.text_weak));
                    }
                    ui.add_space(2.0);
                }
            }
        }
    });
}

fn components_step(ui: &mut Ui, view: &ViewCtx<'_>, w: &InstallWizard) {
    let p = &view.theme.palette;
    let Ok(catalog) = &w.catalog else { return };
    let included = w.components();
    for c in &catalog.components {
        let name = &c.spec.name;
        let required_by = w.required_by(name);
        let chosen = w.chosen.contains(name);
        card(ui, view, |ui| {
            ui.horizontal(|ui| {
                let mut ticked = chosen || included.contains(name);
                let locked = !required_by.is_empty();
                let response = ui.add_enabled(
                    !locked || chosen,
                    egui::Checkbox::new(&mut ticked, RichText::new(&c.spec.title).strong()),
                );
                if response.clicked() {
                    send(view, WizardCommand::Toggle(name.clone()));
                }
                ui.label(RichText::new(format!("{name} {}", c.spec.version)).color(p.text_weak));
                if locked && !chosen {
                    ui.label(
                        RichText::new(format!("needed by {}", required_by.join(", "))).color(p.text_weak).italics(),
                    );
                }
            });
            ui.add(egui::Label::new(RichText::new(&c.spec.description).color(p.text)).wrap());
        });
        ui.add_space(8.0);
    }
}

fn settings_step(ui: &mut Ui, view: &ViewCtx<'_>, w: &InstallWizard) {
    let p = &view.theme.palette;
    let Ok(catalog) = &w.catalog else { return };
    let errors = w.errors();
    let error_line = |ui: &mut Ui, key: &str| {
        if let Some(e) = errors.get(key) {
            ui.label(RichText::new(e).color(view.theme.tone(Tone::Err)));
        }
    };
    card(ui, view, |ui| {
        ui.label(RichText::new("Stack").strong().color(p.text_strong));
        let defaults = Globals::default();
        let help = [
            ("namespace", "Namespace of the stack's objects", defaults.namespace.as_str()),
            ("registry", "Image registry prefix (a mirror for air-gapped clusters); empty: as published", ""),
            ("storageClass", "Storage class of the stack's volumes; empty: the cluster's default", ""),
            ("gpuResource", "The extended resource GPU workloads ask for", defaults.gpu_resource.as_str()),
        ];
        egui::Grid::new("stack_settings").num_columns(2).spacing([14.0, 6.0]).show(ui, |ui| {
            for (name, description, hint) in help {
                ui.label(name).on_hover_text(description);
                ui.vertical(|ui| {
                    let mut text = w.globals.get(name).cloned().unwrap_or_default();
                    let edit = ui.add(egui::TextEdit::singleline(&mut text).hint_text(hint).desired_width(360.0));
                    edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, name));
                    if edit.changed() {
                        send(view, WizardCommand::SetGlobal(name.to_string(), text));
                    }
                    ui.label(RichText::new(description).small().color(p.text_weak));
                    error_line(ui, name);
                });
                ui.end_row();
            }
        });
    });
    for name in w.components() {
        let Some(c) = catalog.get(&name) else { continue };
        if c.spec.parameters.is_empty() {
            continue;
        }
        ui.add_space(10.0);
        card(ui, view, |ui| {
            ui.label(RichText::new(&c.spec.title).strong().color(p.text_strong));
            egui::Grid::new(("component_settings", &name)).num_columns(2).spacing([14.0, 6.0]).show(ui, |ui| {
                for param in &c.spec.parameters {
                    let key = format!("{name}.{}", param.name);
                    ui.label(&param.name).on_hover_text(&param.description);
                    ui.vertical(|ui| {
                        let text = w.param_text(&name, &param.name);
                        let set = |value: String| {
                            send(
                                view,
                                WizardCommand::SetParam { component: name.clone(), param: param.name.clone(), value },
                            )
                        };
                        match param.kind {
                            ParamType::Boolean => {
                                let mut on = text == "true";
                                if ui.checkbox(&mut on, &param.description).changed() {
                                    set(on.to_string());
                                }
                            }
                            ParamType::Enum => {
                                egui::ComboBox::from_id_salt(&key).selected_text(&text).show_ui(ui, |ui| {
                                    for v in &param.values {
                                        if ui.selectable_label(*v == text, v).clicked() {
                                            set(v.clone());
                                        }
                                    }
                                });
                            }
                            _ => {
                                let mut edit_text = text.clone();
                                let edit = ui.add(egui::TextEdit::singleline(&mut edit_text).desired_width(360.0));
                                edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, &key));
                                if edit.changed() {
                                    set(edit_text);
                                }
                            }
                        }
                        if param.kind != ParamType::Boolean {
                            ui.label(RichText::new(&param.description).small().color(p.text_weak));
                        }
                        error_line(ui, &key);
                    });
                    ui.end_row();
                }
            });
        });
    }
}

fn review_step(ui: &mut Ui, view: &ViewCtx<'_>, w: &InstallWizard) {
    let p = &view.theme.palette;
    if let Some(dir) = &w.folder {
        status_chip(ui, view.theme, Tone::Neutral, &format!("Applying the folder {}", dir.display()));
        ui.add_space(8.0);
    }
    checks_card(ui, view, w);
    ui.add_space(12.0);
    card(ui, view, |ui| {
        ui.label(RichText::new("What will change").strong().color(p.text_strong));
        ui.add_space(4.0);
        match &w.review {
            Loadable::Idle | Loadable::Loading => loading(ui, "Asking the server for a dry run of every object…"),
            Loadable::Failed(e) => {
                status_chip(ui, view.theme, Tone::Err, "The dry run failed");
                ui.add(egui::Label::new(e).wrap());
            }
            Loadable::Ready(diffs) => {
                let count = |o: Outcome| diffs.iter().filter(|d| d.outcome == o).count();
                ui.horizontal(|ui| {
                    status_chip(ui, view.theme, Tone::Ok, &format!("{} new", count(Outcome::Created)));
                    status_chip(ui, view.theme, Tone::Warn, &format!("{} changed", count(Outcome::Changed)));
                    status_chip(ui, view.theme, Tone::Neutral, &format!("{} unchanged", count(Outcome::Unchanged)));
                });
                ui.add_space(6.0);
                for d in diffs {
                    let (tone, word) = match d.outcome {
                        Outcome::Created => (Tone::Ok, "new"),
                        Outcome::Changed => (Tone::Warn, "changed"),
                        Outcome::Unchanged => (Tone::Neutral, "unchanged"),
                    };
                    if d.diff.is_empty() {
                        ui.horizontal(|ui| {
                            status_chip(ui, view.theme, tone, word);
                            ui.label(&d.object);
                        });
                        continue;
                    }
                    let header =
                        egui::CollapsingHeader::new(format!("{word} · {}", d.object)).id_salt(("diff", &d.object));
                    header.show(ui, |ui| {
                        egui::ScrollArea::vertical().id_salt(("diff_text", &d.object)).max_height(260.0).show(
                            ui,
                            |ui| {
                                for line in d.diff.lines() {
                                    let color = match line.chars().next() {
                                        Some('+') => view.theme.tone(Tone::Ok),
                                        Some('-') => view.theme.tone(Tone::Err),
                                        _ => p.text_weak,
                                    };
                                    ui.label(RichText::new(line).monospace().color(color));
                                }
                            },
                        );
                    });
                }
            }
        }
    });
}

fn install_step(ui: &mut Ui, view: &ViewCtx<'_>, w: &InstallWizard) {
    let p = &view.theme.palette;
    let Some(run) = &w.run else { return };
    card(ui, view, |ui| {
        let what = if run.uninstall { "Uninstalling" } else { "Installing" };
        let title = match &run.done {
            None => format!("{what}…"),
            Some(Ok(_)) => "Finished".into(),
            Some(Err(_)) => "Stopped".into(),
        };
        ui.label(RichText::new(title).strong().color(p.text_strong));
        let bar = egui::ProgressBar::new(run.fraction()).show_percentage().desired_width(ui.available_width());
        ui.add(bar).widget_info(|| egui::WidgetInfo::labeled(egui::Role::ProgressIndicator, true, "Install progress"));
        if let Some(Err(e)) = &run.done {
            ui.add_space(6.0);
            status_chip(ui, view.theme, Tone::Err, "Not finished");
            ui.add(egui::Label::new(RichText::new(e).color(p.text)).wrap());
            if !run.uninstall
                && ui.button("Resume").on_hover_text("Install again: done objects stay as they are").clicked()
            {
                send(view, WizardCommand::Install);
            }
        }
        ui.add_space(8.0);
        egui::Grid::new("install_objects").num_columns(3).spacing([14.0, 3.0]).striped(true).show(ui, |ui| {
            for o in &run.objects {
                ui.label(RichText::new(&o.object).monospace());
                let (tone, word) = match (o.applied, o.ready, &o.waiting) {
                    (_, true, _) => (Tone::Ok, "ready"),
                    (_, false, Some(_)) => (Tone::Pending, "waiting"),
                    (Some(_), false, None) if run.uninstall => (Tone::Done, "deleted"),
                    (Some(outcome), false, None) => (Tone::Done, outcome.word()),
                    (None, false, None) => (Tone::Neutral, "pending"),
                };
                status_chip(ui, view.theme, tone, word);
                ui.label(RichText::new(o.waiting.clone().unwrap_or_default()).color(p.text_weak));
                ui.end_row();
            }
        });
    });
    ui.add_space(12.0);
    card(ui, view, |ui| {
        ui.label(RichText::new("Log").strong().color(p.text_strong));
        egui::ScrollArea::vertical().id_salt("install_log").max_height(200.0).stick_to_bottom(true).show(ui, |ui| {
            for line in &run.log {
                ui.label(RichText::new(line).monospace().small());
            }
        });
    });
}

fn done_step(ui: &mut Ui, view: &ViewCtx<'_>, w: &InstallWizard) {
    let p = &view.theme.palette;
    let Some(run) = &w.run else { return };
    card(ui, view, |ui| {
        let Some(Ok(report)) = &run.done else { return };
        if run.uninstall {
            status_chip(ui, view.theme, Tone::Ok, "The stack is uninstalled");
            ui.label(format!("{} objects deleted.", report.pruned));
        } else if let Some(dir) = &w.folder {
            status_chip(ui, view.theme, Tone::Ok, &format!("Everything in {} is applied and ready", dir.display()));
            ui.label(format!(
                "{} created, {} updated, {} unchanged.",
                report.created, report.changed, report.unchanged
            ));
        } else {
            status_chip(ui, view.theme, Tone::Ok, "The stack is installed and ready");
            ui.label(format!(
                "{} created, {} updated, {} unchanged{}.",
                report.created,
                report.changed,
                report.unchanged,
                if report.pruned > 0 { format!(", {} removed", report.pruned) } else { String::new() }
            ));
        }
        for note in &report.notes {
            ui.label(RichText::new(format!("Note: {note}")).color(p.text_weak));
        }
        if let Some(Some(status)) = w.status.ready().filter(|_| !run.uninstall && w.folder.is_none()) {
            ui.add_space(10.0);
            ui.label(RichText::new("What is ready").strong().color(p.text_strong));
            egui::Grid::new("ready_components").num_columns(3).spacing([18.0, 4.0]).show(ui, |ui| {
                for c in &status.components {
                    ui.label(RichText::new(&c.name).color(p.text_strong));
                    ui.label(RichText::new(&c.version).color(p.text_weak));
                    let (tone, text) = if c.waiting.is_empty() {
                        (Tone::Ok, "healthy".to_string())
                    } else {
                        (Tone::Warn, format!("{}/{} ready", c.ready, c.total))
                    };
                    status_chip(ui, view.theme, tone, &text);
                    ui.end_row();
                }
            });
        }
        ui.add_space(10.0);
        if !run.uninstall && w.folder.is_none() {
            ui.label(RichText::new("Where to go next").strong().color(p.text_strong));
            let installed = w.components();
            let next = [
                ("training-operator", "Launch a training job", Screen::Training, "TFJob and PyTorchJob are served now"),
                ("jupyterhub", "Open Jupyter", Screen::Notebooks, "notebook servers with the image and GPUs you set"),
                ("tf-serving", "Serve a model", Screen::Serving, "TensorFlow Serving from the model-server template"),
            ];
            for (component, label, screen, what) in next {
                if !installed.iter().any(|c| c == component) {
                    continue;
                }
                ui.horizontal(|ui| {
                    if ui.button(label).clicked() {
                        view.commands.send(Command::Navigate(screen));
                    }
                    ui.label(RichText::new(what).color(p.text_weak));
                });
            }
            ui.add_space(6.0);
        }
        if ui.button("Back to the start").clicked() {
            send(view, WizardCommand::Reset);
        }
    });
}
