//! Experiments: the runs of one experiment side by side — hyperparameters, state, duration, GPUs and the last and
//! best value of the objective, with the best run marked — their curves of the objective's metric overlaid
//! (smoothing, log scale, x by step or time, hover read-out, export), and a parallel-coordinates chart of
//! hyperparameters → objective. Runs come from the local store, which the keeper fills while connected, so
//! finished and deleted runs stay comparable.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::charts::ExportFormat;
use crate::metrics::Goal;
use crate::resources::katib::KatibExperiment;
use crate::state::command::Command;
use crate::state::experiments::{ExperimentsCommand, XAxis};
use crate::state::protocol::JobKey;
use crate::state::training::TrainingCommand;
use crate::ui::ViewCtx;
use crate::ui::views::training::tone_of;
use crate::ui::widgets::chart::{chart_style, line_chart, parallel_chart};
use crate::ui::widgets::status_chip::status_chip;
use crate::workloads::JobKind;

/// The screen's own UI state.
#[derive(Debug, Default)]
pub struct ExperimentsView {
    /// The run (job UID) whose Delete was clicked once: the second click deletes.
    confirm_delete: Option<String>,
}

fn send(view: &ViewCtx<'_>, command: ExperimentsCommand) {
    view.commands.send(Command::Experiments(command));
}

use crate::metrics::short as number;

pub fn ui(ui: &mut Ui, view: &ViewCtx<'_>, own: &mut ExperimentsView) {
    let p = view.theme.palette;
    let state = &view.state.experiments;
    if let Some(e) = &state.error {
        ui.colored_label(p.err, format!("The local store could not be read: {e}"));
    }
    let experiments = state.experiments();
    let connected = matches!(view.state.connection, crate::state::Connection::Connected(_));
    if !connected && experiments.is_empty() {
        let info = crate::ui::views::registry::info(crate::state::Screen::Experiments);
        crate::ui::views::empty_state::ui(ui, info, view);
        ui.add_space(8.0);
        open_folder_button(ui, view);
        return;
    }
    if let Some(problems) = state.data.as_ref().map(|d| &d.problems).filter(|p| !p.is_empty()) {
        let first = problems.first().cloned().unwrap_or_default();
        ui.colored_label(p.warn, format!("{} problem(s) reading the opened folders, e.g. {first}", problems.len()))
            .on_hover_text(problems.join("\n"));
    }
    if experiments.is_empty() {
        let text = if state.data.is_some() {
            "No runs kept for this cluster yet. Launch a job or a sweep from Training: its metric lines appear here as it trains."
        } else {
            "Reading the runs kept for this cluster…"
        };
        ui.label(RichText::new(text).color(p.text_weak));
        open_folder_button(ui, view);
        return;
    }
    let current = state.current_experiment();
    egui::Panel::left("experiments_list").default_size(210.0).resizable(true).show(ui, |ui| {
        ui.label(RichText::new("Experiments").strong().color(p.text_strong));
        open_folder_button(ui, view);
        ui.add_space(4.0);
        egui::ScrollArea::vertical().id_salt("experiments_scroll").show(ui, |ui| {
            for e in experiments {
                let running = if e.running > 0 { format!(" · {} running", e.running) } else { String::new() };
                let katib = if e.katib { " · Katib" } else { "" };
                let runs = if e.runs == 1 { "" } else { "s" };
                let text = format!("{}\n{} run{runs}{running}{katib}", e.name, e.runs);
                if ui.selectable_label(current.as_deref() == Some(e.name.as_str()), text).clicked() {
                    send(view, ExperimentsCommand::Select(e.name.clone()));
                }
            }
        });
    });
    egui::CentralPanel::default()
        .frame(egui::Frame::new().inner_margin(egui::Margin { left: 12, ..Default::default() }))
        .show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("experiment_scroll").show(ui, |ui| experiment(ui, view, own));
        });
}

/// What Katib says of its Experiment, read-only: objective, search, trials and the best trial so far.
fn katib_card(ui: &mut Ui, view: &ViewCtx<'_>, k: &KatibExperiment) {
    let p = view.theme.palette;
    ui.add_space(6.0);
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Katib Experiment").strong().color(p.text_strong));
            status_chip(ui, view.theme, tone_of(&k.state), &k.state);
            let goal = k.goal.map(|g| format!(", goal {}", crate::metrics::short(g))).unwrap_or_default();
            ui.label(format!("{} {}{goal}", k.objective, k.metric));
            if !k.algorithm.is_empty() {
                ui.label(
                    RichText::new(format!("· {} search over {}", k.algorithm, k.parameters.join(", ")))
                        .color(p.text_weak),
                );
            }
        });
        let max = k.max_trials.map(|m| format!(" of {m}")).unwrap_or_default();
        ui.label(
            RichText::new(format!(
                "{} trials{max}: {} running, {} succeeded, {} failed",
                k.trials, k.running, k.succeeded, k.failed
            ))
            .color(p.text),
        );
        if let Some(best) = &k.optimal_trial {
            let params: Vec<String> = best.parameters.iter().map(|(n, v)| format!("{n}={v}")).collect();
            let value =
                best.objective.map(|v| format!(" {} = {}", k.metric, crate::metrics::short(v))).unwrap_or_default();
            ui.label(RichText::new(format!("Best trial {}:{value} ({})", best.name, params.join(" "))).color(p.text));
        }
        if !k.message.is_empty() {
            ui.label(RichText::new(&k.message).color(p.text_weak));
        }
    });
}

/// Opens a folder of TensorBoard runs: its runs join the list beside the cluster's, tailed while they grow.
fn open_folder_button(ui: &mut Ui, view: &ViewCtx<'_>) {
    let button = ui.button("Open TensorBoard folder…").on_hover_text(
        "Runs from event files on this machine (one run per folder, read recursively), compared with cluster runs",
    );
    if button.clicked() {
        view.commands.send(Command::OpenRunsFolder);
    }
}

fn experiment(ui: &mut Ui, view: &ViewCtx<'_>, own: &mut ExperimentsView) {
    let p = view.theme.palette;
    let state = &view.state.experiments;
    let metric = state.current_metric();
    let goal = state.current_goal();
    ui.horizontal_wrapped(|ui| {
        let metrics = state.metrics();
        egui::ComboBox::new("objective_metric", "Objective")
            .selected_text(metric.clone().unwrap_or_else(|| "no metrics yet".into()))
            .show_ui(ui, |ui| {
                for m in metrics {
                    if ui.selectable_label(metric.as_deref() == Some(m.as_str()), m.as_str()).clicked() {
                        send(view, ExperimentsCommand::Metric(m.clone()));
                    }
                }
            });
        for g in [Goal::Minimize, Goal::Maximize] {
            if ui.selectable_label(goal == g, g.word()).clicked() {
                send(view, ExperimentsCommand::Goal(g));
            }
        }
        ui.separator();
        ui.label("Smoothing");
        let mut smoothing = state.smoothing;
        let slider = ui.add(egui::Slider::new(&mut smoothing, 0.0..=0.99).fixed_decimals(2));
        slider.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Slider, true, "Smoothing"));
        if slider.changed() {
            send(view, ExperimentsCommand::Smoothing(smoothing));
        }
        let mut log_y = state.log_y;
        if ui.checkbox(&mut log_y, "Log scale").changed() {
            send(view, ExperimentsCommand::LogY(log_y));
        }
        egui::ComboBox::new("x_axis", "x axis").selected_text(format!("x: {}", state.x_axis.label())).show_ui(
            ui,
            |ui| {
                for x in XAxis::ALL {
                    if ui.selectable_label(state.x_axis == x, x.label()).clicked() {
                        send(view, ExperimentsCommand::XAxis(x));
                    }
                }
            },
        );
        if ui
            .button("Export CSV…")
            .on_hover_text("Every point of the charted runs, as bosun metrics prints them")
            .clicked()
        {
            view.commands.send(Command::ExportExperimentCsv);
        }
        for format in [ExportFormat::Svg, ExportFormat::Png] {
            if ui.button(format!("Export {}…", format.extension().to_uppercase())).clicked() {
                view.commands.send(Command::ExportExperimentChart { format, style: chart_style(view.theme) });
            }
        }
    });
    if let Some(k) = state.katib() {
        katib_card(ui, view, k);
    }
    ui.add_space(8.0);
    runs_table(ui, view, own);
    ui.add_space(10.0);
    match &state.chart {
        Some(chart) if !chart.series.is_empty() => {
            line_chart(ui, chart, view.theme, 320.0, number);
        }
        _ => {
            let why = if metric.is_none() {
                "These runs have no metrics yet: the keeper reads name=value and JSON lines with a step or epoch from each run's chief (or worker 0) as they are printed. `bosun metrics --run NS/NAME` says what a run printed instead."
            } else {
                "Every run is taken off the chart: tick some in the table."
            };
            ui.label(RichText::new(why).color(p.text_weak));
        }
    }
    if let Some(parallel) = &state.parallel {
        ui.add_space(10.0);
        ui.label(RichText::new("Hyperparameters vs. objective").strong().color(p.text_strong));
        parallel_chart(ui, parallel, view.theme, 220.0);
    }
}

fn runs_table(ui: &mut Ui, view: &ViewCtx<'_>, own: &mut ExperimentsView) {
    let p = view.theme.palette;
    let state = &view.state.experiments;
    let runs = state.runs();
    let best = state.best_run();
    let metric = state.current_metric().unwrap_or_default();
    let params: Vec<String> = {
        let mut names: Vec<String> = Vec::new();
        for r in &runs {
            for (k, _) in &r.job.hyperparameters {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
        names
    };
    let gpus_of = |uid: &str| -> String {
        let snap = view.state.cluster.as_ref();
        snap.and_then(|s| s.training_jobs.iter().find(|j| j.uid == uid)).map_or("—".into(), |j| j.gpus_text())
    };
    let now = jiff::Timestamp::now().as_second();
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("{} runs", runs.len())).color(p.text_weak));
        if !state.hidden.is_empty() && ui.button("Show all on the chart").clicked() {
            send(view, ExperimentsCommand::ShowAll);
        }
    });
    let mut table = TableBuilder::new(ui)
        .id_salt("runs_table")
        .striped(true)
        .column(Column::exact(24.0))
        .column(Column::initial(190.0).clip(true).resizable(true))
        .column(Column::initial(92.0))
        .column(Column::initial(70.0));
    for _ in &params {
        table = table.column(Column::initial(70.0).clip(true));
    }
    table
        .column(Column::initial(40.0))
        .column(Column::initial(90.0))
        .column(Column::initial(90.0))
        .column(Column::remainder().at_least(60.0))
        .header(22.0, |mut h| {
            let mut titles: Vec<String> = vec!["✔".into(), "Run".into(), "State".into(), "Duration".into()];
            titles.extend(params.iter().cloned());
            titles.extend(["GPUs".into(), format!("last {metric}"), format!("best {metric}"), "Actions".into()]);
            for t in titles {
                h.col(|ui| crate::ui::widgets::sort_header::plain_header(ui, view.theme, &t));
            }
        })
        .body(|mut body| {
            for r in &runs {
                body.row(24.0, |mut row| {
                    let j = &r.job;
                    row.col(|ui| {
                        let mut shown = !state.hidden.contains(&j.uid);
                        let check = ui.checkbox(&mut shown, "");
                        check.widget_info(|| {
                            egui::WidgetInfo::selected(egui::Role::CheckBox, true, shown, format!("Chart {}", j.name))
                        });
                        if check.changed() {
                            send(view, ExperimentsCommand::ToggleRun(j.uid.clone()));
                        }
                    });
                    row.col(|ui| {
                        let star = if best.as_deref() == Some(j.uid.as_str()) { "★ " } else { "" };
                        let name = RichText::new(format!("{star}{}", j.name)).color(p.text_strong);
                        ui.add(egui::Label::new(name).truncate()).on_hover_text(format!("{}/{}", j.namespace, j.name));
                    });
                    row.col(|ui| {
                        let s = if j.state.is_empty() { "—" } else { &j.state };
                        status_chip(ui, view.theme, tone_of(s), s);
                    });
                    row.col(|ui| {
                        ui.label(j.duration(now).map_or("—".into(), kubefmt::duration::human));
                    });
                    for name in &params {
                        row.col(|ui| {
                            let v =
                                j.hyperparameters.iter().find(|(k, _)| k == name).map_or("—", |(_, v)| v.as_str());
                            ui.label(v);
                        });
                    }
                    row.col(|ui| {
                        ui.label(gpus_of(&j.uid));
                    });
                    let summary = r.metrics.iter().find(|m| m.metric == metric);
                    row.col(|ui| {
                        ui.label(summary.map_or("—".into(), |m| number(m.last)));
                    });
                    row.col(|ui| {
                        ui.label(RichText::new(state.best_of(r).map_or("—".into(), number)).color(p.text_strong));
                    });
                    row.col(|ui| {
                        let Some(kind) = JobKind::from_kind(&j.kind) else { return };
                        let key = JobKey { kind, namespace: j.namespace.clone(), name: j.name.clone() };
                        let live =
                            view.state.cluster.as_ref().is_some_and(|s| s.training_jobs.iter().any(|t| t.uid == j.uid));
                        if !live {
                            return;
                        }
                        if own.confirm_delete.as_deref() == Some(j.uid.as_str()) {
                            if ui.small_button(RichText::new("Really delete?").color(p.err)).clicked() {
                                view.commands.send(Command::Training(TrainingCommand::Delete(key)));
                                own.confirm_delete = None;
                            }
                        } else if ui
                            .small_button("Delete")
                            .on_hover_text("Delete the job and its pods from the cluster (its metrics stay here)")
                            .clicked()
                        {
                            own.confirm_delete = Some(j.uid.clone());
                        }
                    });
                });
            }
        });
}
