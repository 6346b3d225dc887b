//! Training: every training job on the cluster (whoever made it) with its flight recorder, and the launch form —
//! kind, image, roles and their resources, run policy, hyperparameters — with a live YAML preview and the fit
//! preview that says, before submitting, whether the pods can run.

use egui::{Color32, RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::resources::quantity::age;
use crate::resources::training::{MetricSpec, Recorder, TrainingJobRow};
use crate::resources::workload::WorkloadKind;
use crate::state::command::Command;
use crate::state::loadable::Loadable;
use crate::state::protocol::JobKey;
use crate::state::training::{Submit, Tab, TrainingCommand};
use crate::state::{Screen, cluster_view::ClusterSnapshot};
use crate::ui::ViewCtx;
use crate::ui::theme::{Theme, Tone};
use crate::ui::widgets::priority_picker::scheduling_rows;
use crate::ui::widgets::status_chip::status_chip;
use crate::workloads::JobKind;
use crate::workloads::fit::{FitReport, Verdict};
use crate::workloads::spec::{IMAGE_PRESETS, ParamsAs, RoleSpec, TrainingSpec, VolumeSpec};

/// Columns the jobs table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JobSort {
    Kind,
    Namespace,
    Name,
    State,
    Gpus,
    #[default]
    Age,
    Experiment,
}

const COLUMNS: [(&str, Option<JobSort>); 9] = [
    ("Kind", Some(JobSort::Kind)),
    ("Namespace", Some(JobSort::Namespace)),
    ("Name", Some(JobSort::Name)),
    ("State", Some(JobSort::State)),
    ("Replicas (act/ok/fail)", None),
    ("GPUs", Some(JobSort::Gpus)),
    ("Age", Some(JobSort::Age)),
    ("Duration", None),
    ("Experiment", Some(JobSort::Experiment)),
];

type OrderKey = (u64, String, JobSort, bool, Vec<String>);

/// The screen's own UI state.
#[derive(Debug)]
pub struct TrainingView {
    pub filter: String,
    pub sort: JobSort,
    pub ascending: bool,
    pub log_pod: Option<String>,
    pub log_search: String,
    pub confirm_delete: Option<JobKey>,
    /// The metric settings being edited, and the run they were read from.
    metric_edit: Option<(JobKey, MetricEdit)>,
    /// The row order for the current data, filter and sort (computed when one of them changes, not per frame).
    order: Option<(OrderKey, Vec<usize>)>,
}

impl Default for TrainingView {
    fn default() -> Self {
        Self {
            filter: String::new(),
            sort: JobSort::Age,
            ascending: true,
            log_pod: None,
            log_search: String::new(),
            confirm_delete: None,
            metric_edit: None,
            order: None,
        }
    }
}

impl TrainingView {
    fn order(&mut self, snap: &ClusterSnapshot, namespaces: &[String]) -> Vec<usize> {
        let key: OrderKey = (snap.generation, self.filter.clone(), self.sort, self.ascending, namespaces.to_vec());
        if let Some((k, order)) = &self.order
            && *k == key
        {
            return order.clone();
        }
        let words: Vec<String> = self.filter.to_lowercase().split_whitespace().map(str::to_string).collect();
        let rows = &snap.training_jobs;
        let mut idx: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                let r = &rows[i];
                (namespaces.is_empty() || namespaces.contains(&r.namespace))
                    && words.iter().all(|w| {
                        r.name.contains(w.as_str())
                            || r.namespace.contains(w.as_str())
                            || r.state.to_lowercase().contains(w.as_str())
                            || r.kind.to_lowercase().contains(w.as_str())
                            || r.experiment.contains(w.as_str())
                    })
            })
            .collect();
        idx.sort_by(|&a, &b| {
            let (x, y) = (&rows[a], &rows[b]);
            let ord = match self.sort {
                JobSort::Kind => x.kind.cmp(&y.kind),
                JobSort::Namespace => x.namespace.cmp(&y.namespace),
                JobSort::Name => x.name.cmp(&y.name),
                JobSort::State => x.state.cmp(&y.state),
                JobSort::Gpus => x.gpus.total_cmp(&y.gpus),
                JobSort::Age => y.created.cmp(&x.created),
                JobSort::Experiment => x.experiment.cmp(&y.experiment),
            }
            .then_with(|| (&x.namespace, &x.name, &x.kind).cmp(&(&y.namespace, &y.name, &y.kind)));
            if self.ascending { ord } else { ord.reverse() }
        });
        self.order = Some((key, idx.clone()));
        idx
    }
}

fn send(view: &ViewCtx<'_>, command: TrainingCommand) {
    view.commands.send(Command::Training(command));
}

/// How a job's state reads.
pub fn tone_of(state: &str) -> Tone {
    match state {
        "Succeeded" | "Complete" => Tone::Done,
        "Running" => Tone::Ok,
        "Failed" => Tone::Err,
        "Restarting" => Tone::Warn,
        "Suspended" => Tone::Neutral,
        _ => Tone::Pending,
    }
}

fn key_of(row: &TrainingJobRow) -> Option<JobKey> {
    Some(JobKey { kind: JobKind::from_kind(&row.kind)?, namespace: row.namespace.clone(), name: row.name.clone() })
}

pub fn ui(ui: &mut Ui, view: &ViewCtx<'_>, state: &mut TrainingView) {
    let Some(snap) = view.state.cluster.clone() else {
        crate::ui::views::empty_state::ui(ui, crate::ui::views::registry::info(Screen::Training), view);
        return;
    };
    let training = &view.state.training;
    ui.horizontal(|ui| {
        let jobs = format!("Jobs ({})", snap.training_jobs.len());
        if ui.selectable_label(training.tab == Tab::Jobs, jobs).clicked() {
            send(view, TrainingCommand::Tab(Tab::Jobs));
        }
        if ui.selectable_label(training.tab == Tab::Launch, "Launch a job").clicked() {
            send(view, TrainingCommand::Tab(Tab::Launch));
        }
    });
    ui.separator();
    match training.tab {
        Tab::Jobs => jobs(ui, view, &snap, state),
        Tab::Launch => launch(ui, view, &snap),
    }
}

// ---- the jobs list and the flight recorder ----

fn jobs(ui: &mut Ui, view: &ViewCtx<'_>, snap: &ClusterSnapshot, state: &mut TrainingView) {
    let p = view.theme.palette;
    let namespaces = view.state.pod_query.namespaces.clone();
    let order = state.order(snap, &namespaces);
    let rows: Vec<&TrainingJobRow> =
        order.iter().filter_map(|&i| snap.training_jobs.get(i)).map(|r| r.as_ref()).collect();
    ui.horizontal(|ui| {
        let edit = ui.add(
            egui::TextEdit::singleline(&mut state.filter)
                .hint_text("Filter by name, namespace, state, kind or experiment")
                .desired_width(340.0),
        );
        edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Filter jobs"));
        ui.label(RichText::new(format!("{} of {} jobs", rows.len(), snap.training_jobs.len())).color(p.text_weak));
    });
    ui.add_space(6.0);
    if let Some(key) = view.state.training.open.clone() {
        egui::Panel::right("flight_recorder")
            .default_size(620.0)
            .min_size(420.0)
            .frame(egui::Frame::new().inner_margin(egui::Margin { left: 14, ..Default::default() }))
            .show(ui, |ui| recorder(ui, view, &key, state));
    }
    if rows.is_empty() {
        ui.label(RichText::new("No training jobs here yet. Launch one from the form.").color(p.text_weak));
        return;
    }
    let now = jiff::Timestamp::now().as_second();
    let mut clicked = None;
    let mut clicked_header = None;
    ui.style_mut().interaction.selectable_labels = false;
    egui::ScrollArea::horizontal().id_salt("training_table_scroll").show(ui, |ui| {
        TableBuilder::new(ui)
            .id_salt("training_table")
            .striped(true)
            .sense(egui::Sense::click())
            .column(Column::initial(96.0).clip(true))
            .column(Column::initial(110.0).clip(true).resizable(true))
            .column(Column::initial(170.0).clip(true).resizable(true))
            .column(Column::initial(96.0))
            .column(Column::initial(190.0).clip(true).resizable(true))
            .column(Column::initial(48.0))
            .column(Column::initial(54.0))
            .column(Column::initial(70.0))
            .column(Column::remainder().at_least(100.0).clip(true))
            .header(24.0, |mut header| {
                for (title, sort) in COLUMNS {
                    header.col(|ui| match sort {
                        Some(sort) => {
                            let ascending = (state.sort == sort).then_some(state.ascending);
                            if crate::ui::widgets::sort_header::sort_header(ui, view.theme, title, ascending) {
                                clicked_header = Some(sort);
                            }
                        }
                        None => crate::ui::widgets::sort_header::plain_header(ui, view.theme, title),
                    });
                }
            })
            .body(|body| {
                body.rows(24.0, rows.len(), |mut row| {
                    let Some(r) = rows.get(row.index()) else { return };
                    let key = key_of(r);
                    row.set_selected(key.is_some() && view.state.training.open == key);
                    row.col(|ui| {
                        ui.label(RichText::new(&r.kind).color(p.text_weak));
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(RichText::new(&r.namespace).color(p.text_weak)).truncate());
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(RichText::new(&r.name).color(p.text_strong)).truncate());
                    });
                    row.col(|ui| {
                        ui.horizontal(|ui| {
                            let chip = status_chip(ui, view.theme, tone_of(&r.state), &r.state);
                            if !r.message.is_empty() {
                                chip.on_hover_text(&r.message);
                            }
                            // An old refusal stays in the events for an hour: it matters until the job runs or ends.
                            let refused = if r.state == "Running" || r.is_finished() {
                                None
                            } else {
                                snap.quota_refusal(&r.namespace, &r.kind, &r.name)
                            };
                            if let Some(refusal) = refused {
                                let text = RichText::new("quota refuses its pods")
                                    .color(view.theme.tone(Tone::Err))
                                    .size(11.0);
                                ui.add(egui::Label::new(text).truncate()).on_hover_text(refusal);
                            }
                            if let Some(pre) = snap.preempted(&r.namespace, &r.name) {
                                let text = RichText::new(pre.by_text()).color(view.theme.tone(Tone::Warn)).size(11.0);
                                let when = age(now - pre.time);
                                ui.add(egui::Label::new(text).truncate())
                                    .on_hover_text(format!("{} on {}, {when} ago", pre.victim, pre.node));
                            }
                        });
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(r.replicas_text()).truncate());
                    });
                    row.col(|ui| {
                        ui.label(r.gpus_text());
                    });
                    row.col(|ui| {
                        ui.label(
                            RichText::new(if r.created > 0 { age(now - r.created) } else { "—".into() })
                                .color(p.text_weak),
                        );
                    });
                    row.col(|ui| {
                        ui.label(r.duration_text(now));
                    });
                    row.col(|ui| {
                        ui.label(
                            RichText::new(if r.experiment.is_empty() { "—" } else { &r.experiment }).color(p.text_weak),
                        );
                    });
                    if row.response().clicked() {
                        clicked = key;
                    }
                });
            });
    });
    if let Some(sort) = clicked_header {
        crate::ui::widgets::sort_header::toggle_sort(&mut state.sort, &mut state.ascending, sort, true);
    }
    if let Some(key) = clicked {
        if view.state.training.open.as_ref() == Some(&key) {
            send(view, TrainingCommand::Close);
        } else {
            state.log_pod = None;
            send(view, TrainingCommand::Open(key));
        }
    }
}

fn recorder(ui: &mut Ui, view: &ViewCtx<'_>, key: &JobKey, state: &mut TrainingView) {
    let p = view.theme.palette;
    ui.horizontal(|ui| {
        ui.label(RichText::new(&key.name).size(crate::ui::theme::size::HEADING - 4.0).strong().color(p.text_strong));
        ui.label(RichText::new(format!("{} · {}", key.kind, key.namespace)).color(p.text_weak));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.small_button("✖").on_hover_text("Close the flight recorder").clicked() {
                send(view, TrainingCommand::Close);
            }
        });
    });
    let recorder = match &view.state.training.recorder {
        Loadable::Ready(r) => r,
        Loadable::Failed(e) => {
            status_chip(ui, view.theme, Tone::Err, &format!("The flight recorder could not be read: {e}"));
            return;
        }
        _ => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading the job's pods, events and logs…");
            });
            return;
        }
    };
    ui.horizontal(|ui| {
        match &recorder.job {
            Some(job) => {
                status_chip(ui, view.theme, tone_of(&job.state), &job.state);
                if let Some(pre) = view.state.cluster.as_ref().and_then(|s| s.preempted(&job.namespace, &job.name)) {
                    let when = age(jiff::Timestamp::now().as_second() - pre.time);
                    let text = format!("{}: {} on {}, {when} ago", pre.by_text(), pre.victim, pre.node);
                    ui.label(RichText::new(text).color(view.theme.tone(Tone::Warn)));
                }
            }
            None => {
                status_chip(ui, view.theme, Tone::Neutral, "Deleted from the cluster");
            }
        }
        if ui.button("Clone into the form").on_hover_text("Open this job's YAML in the launch form, renamed").clicked()
        {
            send(view, TrainingCommand::Clone(key.clone()));
        }
        if let Some(job) = &recorder.job
            && !job.is_finished()
        {
            let suspended = job.state == "Suspended";
            let (label, hint) = if suspended {
                ("Resume", "Let the job run again: its pods are created anew")
            } else {
                ("Suspend", "Stop the job's pods, keeping the job to resume later")
            };
            if ui.button(label).on_hover_text(hint).clicked() {
                send(view, TrainingCommand::Suspend(key.clone(), !suspended));
            }
        }
        if recorder.job.is_some() {
            if state.confirm_delete.as_ref() == Some(key) {
                if ui.button(RichText::new("Really delete").color(view.theme.tone(Tone::Err))).clicked() {
                    send(view, TrainingCommand::Delete(key.clone()));
                    state.confirm_delete = None;
                }
                if ui.button("Keep it").clicked() {
                    state.confirm_delete = None;
                }
            } else if ui.button("Delete…").clicked() {
                state.confirm_delete = Some(key.clone());
            }
        }
    });
    if let Some(job) = &recorder.job
        && !job.message.is_empty()
    {
        ui.label(RichText::new(&job.message).color(p.text));
    }
    if recorder.from_store {
        ui.label(
            RichText::new("Some pods are gone from the cluster; what they did is read from Bosun's local store.")
                .color(p.text_weak),
        );
    }
    egui::ScrollArea::vertical().id_salt("recorder_scroll").show(ui, |ui| {
        ui.add_space(8.0);
        section(ui, view.theme, "Timeline");
        timeline(ui, view.theme, recorder);
        ui.add_space(8.0);
        metrics(ui, view, recorder, key, state);
        section(ui, view.theme, "Replicas");
        replicas(ui, view, recorder);
        ui.add_space(8.0);
        section(ui, view.theme, "Events");
        events(ui, view.theme, recorder);
        ui.add_space(8.0);
        section(ui, view.theme, "Logs");
        logs(ui, view, recorder, state);
    });
}

/// The metric settings form of a run: names (comma-separated) and a pattern, as typed.
#[derive(Debug, Clone, PartialEq, Default)]
struct MetricEdit {
    names: String,
    pattern: String,
    /// The last spec checked and what the check said (a pattern is compiled once per change, not per frame).
    checked: Option<(MetricSpec, Result<(), String>)>,
}

/// The run's live curves (kept by the keeper from its primary pod's metric lines), how its log is read for them,
/// and the way to its experiment.
fn metrics(ui: &mut Ui, view: &ViewCtx<'_>, r: &Recorder, key: &JobKey, state: &mut TrainingView) {
    let charts = &view.state.training.recorder_charts;
    let Some(job) = &r.job else {
        if charts.is_empty() {
            return;
        }
        section(ui, view.theme, "Metrics");
        for chart in charts {
            crate::ui::widgets::chart::line_chart(ui, chart, view.theme, 170.0, |v| format!("{v:.4}"));
        }
        return;
    };
    ui.horizontal(|ui| {
        section(ui, view.theme, "Metrics");
        let experiment = if job.experiment.is_empty() { job.name.clone() } else { job.experiment.clone() };
        if !charts.is_empty() && ui.small_button("Compare in Experiments").clicked() {
            view.commands.send(Command::Experiments(crate::state::experiments::ExperimentsCommand::Select(experiment)));
            view.commands.send(Command::Navigate(Screen::Experiments));
        }
    });
    if let Some(why) = &view.state.training.recorder_no_metrics {
        ui.label(RichText::new(why).color(view.theme.palette.text_weak));
    }
    for chart in charts {
        crate::ui::widgets::chart::line_chart(ui, chart, view.theme, 170.0, |v| format!("{v:.4}"));
    }
    metric_settings(ui, view, job, key, state);
    ui.add_space(8.0);
}

/// Which names are metrics and the pattern that finds them, saved on the job (the keeper reads its kept log again).
fn metric_settings(ui: &mut Ui, view: &ViewCtx<'_>, job: &TrainingJobRow, key: &JobKey, state: &mut TrainingView) {
    let saved =
        MetricEdit { names: job.metric_spec.names.join(", "), pattern: job.metric_spec.pattern.clone(), checked: None };
    if state.metric_edit.as_ref().is_none_or(|(k, _)| k != key) {
        state.metric_edit = Some((key.clone(), saved.clone()));
    }
    let Some((_, edit)) = state.metric_edit.as_mut() else { return };
    egui::CollapsingHeader::new("Metric settings").id_salt("metric_settings").show(ui, |ui| {
        egui::Grid::new("metric_settings_grid").num_columns(2).show(ui, |ui| {
            ui.label("Metrics");
            let names = ui.add(
                egui::TextEdit::singleline(&mut edit.names)
                    .hint_text("any name=value with an epoch or step")
                    .desired_width(320.0),
            );
            names.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Metric names"));
            names.on_hover_text("Only these names, comma-separated (then lines without a step count too)");
            ui.end_row();
            ui.label("Pattern");
            let pattern = ui.add(
                egui::TextEdit::singleline(&mut edit.pattern)
                    .hint_text(crate::metrics::lines::KATIB_PATTERN)
                    .font(egui::TextStyle::Monospace)
                    .desired_width(320.0),
            );
            pattern.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Metric pattern"));
            pattern.on_hover_text("A regex whose first group is the name and second the value (Katib's metricsFormat)");
            ui.end_row();
        });
        let spec = MetricSpec { names: MetricSpec::names_from(&edit.names), pattern: edit.pattern.trim().to_string() };
        if edit.checked.as_ref().is_none_or(|(s, _)| *s != spec) {
            let result = crate::metrics::lines::LineParser::for_spec(&spec.names, &spec.pattern).map(|_| ());
            edit.checked = Some((spec.clone(), result));
        }
        let check = edit.checked.as_ref().map_or(Ok(()), |(_, r)| r.clone());
        ui.horizontal(|ui| {
            let changed = spec != job.metric_spec;
            let apply = ui.add_enabled(check.is_ok() && changed, egui::Button::new("Apply"));
            if apply.on_hover_text("Saved on the job; its kept log is read again with these settings").clicked() {
                send(view, TrainingCommand::SetMetrics(key.clone(), spec.clone()));
            }
            let typed = (&edit.names, &edit.pattern) != (&saved.names, &saved.pattern);
            if ui.add_enabled(typed, egui::Button::new("Revert")).clicked() {
                *edit = saved.clone();
            }
            if let Err(e) = &check {
                ui.label(RichText::new(e).color(view.theme.tone(Tone::Err)));
            }
        });
    });
}

pub(crate) fn section(ui: &mut Ui, theme: &Theme, title: &str) {
    ui.label(RichText::new(title).strong().color(theme.palette.text_strong));
}

/// A Gantt of the replicas: from creation (waiting) through running to the end, with the job's conditions as ticks.
fn timeline(ui: &mut Ui, theme: &Theme, r: &Recorder) {
    let now = jiff::Timestamp::now().as_second();
    let start = r
        .pods
        .iter()
        .map(|p| p.created)
        .filter(|t| *t > 0)
        .chain(r.conditions.iter().map(|c| c.time).filter(|t| *t > 0))
        .min();
    let Some(start) = start else {
        ui.label(RichText::new("No replicas yet.").color(theme.palette.text_weak));
        return;
    };
    let end = r
        .pods
        .iter()
        .map(|p| {
            if p.finished > 0 {
                p.finished
            } else if p.live {
                now
            } else {
                p.started.max(p.created)
            }
        })
        .chain(r.conditions.iter().map(|c| c.time))
        .max()
        .unwrap_or(now)
        .max(start + 1);
    let label_w = 150.0;
    let row_h = 18.0;
    let width = ui.available_width().max(label_w + 100.0);
    let height = row_h * r.pods.len() as f32 + 22.0;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(width, height), egui::Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Timeline of the replicas"));
    let painter = ui.painter_at(rect);
    let x_of = |t: i64| rect.min.x + label_w + (width - label_w - 8.0) * ((t - start) as f32 / (end - start) as f32);
    for (i, pod) in r.pods.iter().enumerate() {
        let y = rect.min.y + i as f32 * row_h;
        painter.text(
            egui::pos2(rect.min.x, y + 2.0),
            egui::Align2::LEFT_TOP,
            &pod.name,
            egui::FontId::proportional(12.0),
            theme.palette.text,
        );
        if pod.created == 0 {
            continue;
        }
        let bar = |from: i64, to: i64, color: Color32| {
            if to > from {
                painter.rect_filled(
                    egui::Rect::from_min_max(
                        egui::pos2(x_of(from), y + 4.0),
                        egui::pos2(x_of(to).max(x_of(from) + 2.0), y + row_h - 4.0),
                    ),
                    2.0,
                    color,
                );
            }
        };
        let running_from = if pod.started > 0 { pod.started } else { 0 };
        let stop = if pod.finished > 0 {
            pod.finished
        } else if pod.live {
            now
        } else {
            running_from.max(pod.created)
        };
        let waited_until = if running_from > 0 { running_from } else { stop };
        bar(pod.created, waited_until, Theme::tint(theme.tone(Tone::Pending), 160));
        if running_from > 0 {
            let tone = match (pod.phase.as_str(), pod.exit_code) {
                ("Failed", _) | (_, Some(1..)) => Tone::Err,
                ("Succeeded", _) => Tone::Done,
                _ => Tone::Ok,
            };
            bar(running_from, stop.max(running_from + 1), theme.tone(tone));
        }
        if pod.last_restart > 0 && pod.last_restart >= start {
            // The last restart, as a tick across the bar (earlier ones are counted, their times are not kept).
            let x = x_of(pod.last_restart);
            painter.line_segment(
                [egui::pos2(x, y + 2.0), egui::pos2(x, y + row_h - 2.0)],
                egui::Stroke::new(2.0, theme.tone(Tone::Warn)),
            );
        }
        if pod.restarts > 0 {
            painter.text(
                egui::pos2(x_of(stop) + 4.0, y + 2.0),
                egui::Align2::LEFT_TOP,
                format!("↻{}", pod.restarts),
                egui::FontId::proportional(11.0),
                theme.tone(Tone::Warn),
            );
        }
    }
    let axis_y = rect.min.y + row_h * r.pods.len() as f32 + 4.0;
    for c in r.conditions.iter().filter(|c| c.status == "True" && c.time > 0) {
        let x = x_of(c.time);
        painter.line_segment(
            [egui::pos2(x, rect.min.y), egui::pos2(x, axis_y)],
            egui::Stroke::new(1.0, theme.palette.border),
        );
        painter.text(
            egui::pos2(x + 2.0, axis_y),
            egui::Align2::LEFT_TOP,
            &c.type_,
            egui::FontId::proportional(11.0),
            theme.palette.text_weak,
        );
    }
    painter.text(
        egui::pos2(rect.max.x - 4.0, axis_y),
        egui::Align2::RIGHT_TOP,
        kubefmt::duration::human(end - start),
        egui::FontId::proportional(11.0),
        theme.palette.text_weak,
    );
}

fn replicas(ui: &mut Ui, view: &ViewCtx<'_>, r: &Recorder) {
    let p = view.theme.palette;
    egui::Grid::new("recorder_pods").num_columns(5).striped(true).spacing([12.0, 4.0]).show(ui, |ui| {
        for h in ["Pod", "Node", "Phase", "Restarts", "How it ended / why it waits"] {
            ui.label(RichText::new(h).color(p.text_weak));
        }
        ui.end_row();
        for pod in &r.pods {
            ui.label(RichText::new(&pod.name).color(p.text_strong));
            ui.label(if pod.node.is_empty() { "—".to_string() } else { pod.node.clone() });
            let tone = match pod.phase.as_str() {
                "Failed" => Tone::Err,
                "Succeeded" => Tone::Done,
                "Running" => Tone::Ok,
                "Deleted" => Tone::Neutral,
                _ => Tone::Pending,
            };
            status_chip(ui, view.theme, tone, &pod.phase);
            ui.label(pod.restarts.to_string());
            let how = match pod.exit_code {
                Some(code) => format!(
                    "exit code {code}{}",
                    if pod.reason.is_empty() { String::new() } else { format!(" ({})", pod.reason) }
                ),
                None if !pod.waiting.is_empty() => pod.waiting.clone(),
                None => "—".into(),
            };
            let bad = pod.exit_code.is_some_and(|c| c != 0) || !pod.waiting.is_empty();
            ui.add(
                egui::Label::new(RichText::new(how).color(if bad { view.theme.tone(Tone::Err) } else { p.text }))
                    .wrap(),
            );
            ui.end_row();
        }
    });
}

fn events(ui: &mut Ui, theme: &Theme, r: &Recorder) {
    let p = theme.palette;
    if r.events.is_empty() {
        ui.label(RichText::new("No events.").color(p.text_weak));
        return;
    }
    // What explains a stuck or failed job comes first.
    let mut ordered: Vec<_> = r.events.iter().collect();
    ordered.sort_by_key(|e| (!e.is_prominent(), -e.time));
    for e in ordered.iter().take(30) {
        let color = if e.is_prominent() { theme.tone(Tone::Err) } else { p.text };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(&e.reason).strong().color(color));
            ui.label(RichText::new(&e.object).color(p.text_weak));
            if e.count > 1 {
                ui.label(RichText::new(format!("×{}", e.count)).color(p.text_weak));
            }
            ui.label(RichText::new(&e.message).color(color));
        });
    }
}

fn logs(ui: &mut Ui, view: &ViewCtx<'_>, r: &Recorder, state: &mut TrainingView) {
    let p = view.theme.palette;
    if r.logs.is_empty() {
        ui.label(RichText::new("No log lines kept yet.").color(p.text_weak));
        return;
    }
    let chosen = state
        .log_pod
        .clone()
        .filter(|n| r.logs.iter().any(|(pod, _, _)| pod == n))
        .unwrap_or_else(|| r.logs[0].0.clone());
    ui.horizontal(|ui| {
        let label = ui.label(RichText::new("Replica").color(p.text_weak));
        egui::ComboBox::from_id_salt("recorder_log_pod")
            .selected_text(&chosen)
            .show_ui(ui, |ui| {
                for (pod, _, _) in &r.logs {
                    if ui.selectable_label(*pod == chosen, pod).clicked() {
                        state.log_pod = Some(pod.clone());
                    }
                }
            })
            .response
            .labelled_by(label.id);
        let search = ui.add(egui::TextEdit::singleline(&mut state.log_search).hint_text("Search").desired_width(160.0));
        search.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Search the log"));
    });
    let Some((pod, container, lines)) = r.logs.iter().find(|(pod, _, _)| *pod == chosen) else { return };
    let needle = state.log_search.to_lowercase();
    let shown: Vec<&String> =
        lines.iter().filter(|l| needle.is_empty() || l.to_lowercase().contains(&needle)).collect();
    ui.horizontal(|ui| {
        if ui.button("Copy").on_hover_text("Copy the lines shown").clicked() {
            ui.ctx().copy_text(shown.iter().map(|l| l.as_str()).collect::<Vec<_>>().join("\n"));
        }
        if ui.button("Save…").on_hover_text("Save the lines shown to a file").clicked() {
            let lines = shown.iter().map(|l| l.to_string()).collect();
            send(view, TrainingCommand::SaveLog { pod: pod.clone(), lines });
        }
        let live = r.pods.iter().any(|p| p.name == *pod && p.live);
        if live && ui.button("Follow live").on_hover_text("Stream this replica's log on the Pods screen").clicked() {
            view.commands.send(Command::OpenLogs {
                namespace: view.state.training.open.as_ref().map(|k| k.namespace.clone()).unwrap_or_default(),
                pod: pod.clone(),
                container: container.clone(),
                follow: true,
            });
            view.commands.send(Command::Navigate(Screen::Pods));
        }
        ui.label(RichText::new(format!("{} of {} lines", shown.len(), lines.len())).color(p.text_weak));
    });
    egui::Frame::new().fill(p.surface).corner_radius(4).inner_margin(8).show(ui, |ui| {
        egui::ScrollArea::vertical().id_salt("recorder_log").max_height(260.0).stick_to_bottom(true).show(ui, |ui| {
            for l in shown {
                let failing = l.contains("Error") || l.contains("Traceback");
                ui.label(RichText::new(l).monospace().size(12.0).color(if failing {
                    view.theme.tone(Tone::Err)
                } else {
                    p.text
                }));
            }
        });
    });
}

// ---- the launch form ----

/// The job kinds this cluster serves (a plain Job always; the operator's once their CRDs are there).
fn served(kind: JobKind, snap: &ClusterSnapshot) -> bool {
    let workload = match kind {
        JobKind::Job => return true,
        JobKind::TFJob => WorkloadKind::TFJob,
        JobKind::PyTorchJob => WorkloadKind::PyTorchJob,
        JobKind::XGBoostJob => WorkloadKind::XGBoostJob,
        JobKind::MPIJob => WorkloadKind::MPIJob,
    };
    snap.custom_kinds.contains_key(&workload)
}

pub(crate) fn field_error(ui: &mut Ui, theme: &Theme, errors: &[crate::workloads::spec::FieldError], field: &str) {
    for e in errors.iter().filter(|e| e.field == field || e.field.starts_with(&format!("{field}["))) {
        ui.label(RichText::new(&e.message).color(theme.tone(Tone::Err)).size(12.0));
    }
}

/// What the team's quota would refuse, in the API server's words, with what to do about it.
/// The fit preview of a one-role form (a notebook, a model server): the verdict, why, and the quotas' refusals.
pub(crate) fn single_role_fit(ui: &mut Ui, theme: &crate::ui::theme::Theme, fit: Option<&FitReport>) {
    let Some(fit) = fit else { return };
    if let Some(role) = fit.roles.first() {
        let tone = match role.verdict {
            Verdict::FitsNow => Tone::Ok,
            Verdict::FitsLater => Tone::Warn,
            Verdict::Never => Tone::Err,
        };
        status_chip(ui, theme, tone, role.verdict.describe());
        for reason in &role.reasons {
            ui.add(egui::Label::new(RichText::new(reason).size(12.0)).wrap());
        }
    }
    quota_refusals(ui, theme, &fit.quota);
}

pub(crate) fn quota_refusals(ui: &mut Ui, theme: &crate::ui::theme::Theme, refusals: &[String]) {
    for refusal in refusals {
        status_chip(ui, theme, Tone::Err, "The namespace's quota refuses it");
        ui.add(egui::Label::new(RichText::new(refusal).size(12.0).color(theme.palette.text)).wrap());
        let hint = "Ask for less, or raise the quota (Nodes, Teams and quotas).";
        ui.label(RichText::new(hint).size(12.0).color(theme.palette.text_weak));
    }
}

pub(crate) fn text_field(ui: &mut Ui, label: &str, value: &mut String, hint: &str, width: f32) {
    let edit = ui.add(egui::TextEdit::singleline(value).hint_text(hint).desired_width(width));
    edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, label));
}

/// A text field over a parsed value. The typed text is kept (in egui's memory) while it still parses to the value,
/// so a separator being typed (`lr=0.1 `, `loss,`) is not swallowed; it is rendered anew when the value changed
/// elsewhere (a template, an import, a clone).
fn parsed_field<T: PartialEq>(
    ui: &mut Ui,
    label: &str,
    value: &mut T,
    render: impl Fn(&T) -> String,
    parse: impl Fn(&str) -> T,
    hint: &str,
    width: f32,
) {
    let id = ui.make_persistent_id(("parsed_field", label));
    let kept: Option<String> = ui.data(|d| d.get_temp(id));
    let mut text = kept.filter(|t| parse(t) == *value).unwrap_or_else(|| render(value));
    text_field(ui, label, &mut text, hint, width);
    *value = parse(&text);
    ui.data_mut(|d| d.insert_temp(id, text));
}

fn launch(ui: &mut Ui, view: &ViewCtx<'_>, snap: &ClusterSnapshot) {
    let training = &view.state.training;
    let mut spec = training.form.clone();
    let errors = match &training.submit {
        Submit::Failed { fields, .. } if !fields.is_empty() => {
            let mut all = training.errors.clone();
            all.extend(fields.iter().cloned());
            all
        }
        _ => training.errors.clone(),
    };
    let width = ui.available_width();
    ui.columns(2, |cols| {
        egui::ScrollArea::vertical().id_salt("launch_form").show(&mut cols[0], |ui| {
            ui.set_max_width(width / 2.0 - 16.0);
            form(ui, view, snap, &mut spec, &errors);
        });
        egui::ScrollArea::vertical().id_salt("launch_preview").show(&mut cols[1], |ui| preview(ui, view));
    });
    if spec != training.form {
        send(view, TrainingCommand::Form(Box::new(spec)));
    }
}

fn form(
    ui: &mut Ui,
    view: &ViewCtx<'_>,
    snap: &ClusterSnapshot,
    spec: &mut TrainingSpec,
    errors: &[crate::workloads::spec::FieldError],
) {
    let p = view.theme.palette;
    let theme = view.theme;
    section(ui, theme, "Job");
    ui.horizontal(|ui| {
        let label = ui.label(RichText::new("Kind").color(p.text_weak));
        egui::ComboBox::from_id_salt("launch_kind")
            .selected_text(spec.kind.name())
            .show_ui(ui, |ui| {
                for kind in JobKind::ALL {
                    let ok = served(kind, snap);
                    let text = if ok { kind.name().to_string() } else { format!("{} (not installed)", kind.name()) };
                    if ui.add_enabled(ok, egui::Button::selectable(spec.kind == kind, text)).clicked()
                        && spec.kind != kind
                    {
                        spec.kind = kind;
                        spec.roles = kind
                            .roles()
                            .iter()
                            .take(2)
                            .map(|r| RoleSpec { role: r.to_string(), ..Default::default() })
                            .collect();
                    }
                }
            })
            .response
            .labelled_by(label.id);
    });
    if JobKind::ALL.iter().any(|k| !served(*k, snap)) {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("TFJob, PyTorchJob, XGBoostJob and MPIJob need the training operator, which this cluster does not have.").color(p.text_weak));
            if ui.small_button("Install it…").clicked() {
                view.commands.send(Command::Navigate(Screen::Install));
            }
        });
    }
    egui::Grid::new("launch_job").num_columns(2).spacing([10.0, 6.0]).show(ui, |ui| {
        ui.label("Name");
        ui.vertical(|ui| {
            text_field(ui, "Job name", &mut spec.name, "mnist-1", 220.0);
            field_error(ui, theme, errors, "name");
        });
        ui.end_row();
        ui.label("Namespace");
        ui.vertical(|ui| {
            text_field(ui, "Job namespace", &mut spec.namespace, "default", 220.0);
            field_error(ui, theme, errors, "namespace");
        });
        ui.end_row();
        ui.label("Image");
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                text_field(ui, "Container image", &mut spec.image, "registry/image:tag", 300.0);
                ui.menu_button("Presets", |ui| {
                    for (label, image) in IMAGE_PRESETS {
                        if ui.button(*label).clicked() {
                            spec.image = image.to_string();
                            ui.close();
                        }
                    }
                });
            });
            field_error(ui, theme, errors, "image");
        });
        ui.end_row();
        ui.label("Command");
        let hint = "python train.py (empty: the image's)";
        parsed_field(ui, "Container command", &mut spec.command, |w| w.join(" "), words, hint, 300.0);
        ui.end_row();
        ui.label("Args");
        parsed_field(ui, "Container args", &mut spec.args, |w| w.join(" "), words, "--epochs=10", 300.0);
        ui.end_row();
        ui.label("Env");
        parsed_field(ui, "Container env", &mut spec.env, |p| pairs_text(p), pairs, "NAME=value …", 300.0);
        ui.end_row();
    });
    ui.add_space(8.0);
    section(ui, theme, "Roles and resources");
    let resources: Vec<String> = snap.totals.keys().cloned().collect();
    let products: Vec<String> = {
        let mut v: Vec<String> =
            snap.ledger.iter().filter_map(|r| r.node.gpu.as_ref().map(|g| g.product.clone())).collect();
        v.sort();
        v.dedup();
        v
    };
    let roles_allowed = spec.kind.roles();
    let mut remove = None;
    egui::Grid::new("launch_roles").num_columns(6).spacing([8.0, 6.0]).show(ui, |ui| {
        for h in ["Role", "Replicas", "CPU", "Memory", "Accelerator", ""] {
            ui.label(RichText::new(h).color(p.text_weak));
        }
        ui.end_row();
        for (i, role) in spec.roles.iter_mut().enumerate() {
            egui::ComboBox::from_id_salt(("role_kind", i)).selected_text(&role.role).show_ui(ui, |ui| {
                for r in roles_allowed {
                    ui.selectable_value(&mut role.role, r.to_string(), *r);
                }
            });
            ui.add(egui::DragValue::new(&mut role.replicas).range(1..=512)).widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::SpinButton, true, format!("{} replicas", role.role))
            });
            text_field(ui, &format!("{} CPU", role.role), &mut role.cpu, "4", 56.0);
            text_field(ui, &format!("{} memory", role.role), &mut role.memory, "16Gi", 64.0);
            ui.horizontal(|ui| {
                let current = role.accelerator.clone().unwrap_or_default();
                egui::ComboBox::from_id_salt(("role_acc", i))
                    .selected_text(if current.is_empty() { "none".to_string() } else { current.clone() })
                    .show_ui(ui, |ui| {
                        if ui.selectable_label(current.is_empty(), "none").clicked() {
                            role.accelerator = None;
                            role.accelerators = 0;
                        }
                        for r in &resources {
                            if ui.selectable_label(current == *r, r).clicked() {
                                role.accelerator = Some(r.clone());
                                role.accelerators = role.accelerators.max(1);
                            }
                        }
                    });
                if role.accelerator.is_some() {
                    ui.add(egui::DragValue::new(&mut role.accelerators).range(0..=64));
                }
            });
            if ui.small_button("−").on_hover_text("Remove this role").clicked() {
                remove = Some(i);
            }
            ui.end_row();
        }
    });
    if let Some(i) = remove.filter(|_| spec.roles.len() > 1) {
        spec.roles.remove(i);
    }
    field_error(ui, theme, errors, "roles");
    if spec.roles.len() < roles_allowed.len() && ui.small_button("+ Add a role").clicked() {
        let next = roles_allowed.iter().find(|r| !spec.roles.iter().any(|x| x.role == **r)).unwrap_or(&"Worker");
        spec.roles.push(RoleSpec { role: next.to_string(), ..Default::default() });
    }
    if spec.roles.iter().any(|r| r.accelerator.is_some()) {
        ui.horizontal(|ui| {
            let label = ui.label(RichText::new("GPU model").color(p.text_weak));
            egui::ComboBox::from_id_salt("launch_gpu_model")
                .selected_text(if spec.gpu_product.is_empty() { "any".to_string() } else { spec.gpu_product.clone() })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut spec.gpu_product, String::new(), "any");
                    for product in &products {
                        ui.selectable_value(&mut spec.gpu_product, product.clone(), product);
                    }
                })
                .response
                .labelled_by(label.id);
        });
        let tolerated: Vec<String> = spec
            .roles
            .iter()
            .filter_map(|r| r.accelerator.as_deref())
            .filter_map(crate::workloads::render::toleration_for)
            .filter_map(|t| t.get("key").and_then(|k| k.as_str()).map(str::to_string))
            .collect();
        if !tolerated.is_empty() {
            ui.label(
                RichText::new(format!("Tolerates the GPU taint {} (added for GPU roles).", tolerated[0]))
                    .color(p.text_weak),
            );
        }
    }
    ui.add_space(8.0);
    section(ui, theme, "Run policy");
    egui::Grid::new("launch_policy").num_columns(2).spacing([10.0, 6.0]).show(ui, |ui| {
        let namespace = if spec.namespace.is_empty() { "default".to_string() } else { spec.namespace.clone() };
        let policy = &mut spec.run_policy;
        ui.label("Restart policy");
        egui::ComboBox::from_id_salt("launch_restart")
            .selected_text(if policy.restart_policy.is_empty() {
                "default".to_string()
            } else {
                policy.restart_policy.clone()
            })
            .show_ui(ui, |ui| {
                for r in ["", "Never", "OnFailure", "Always", "ExitCode"] {
                    ui.selectable_value(
                        &mut policy.restart_policy,
                        r.to_string(),
                        if r.is_empty() { "default" } else { r },
                    );
                }
            });
        ui.end_row();
        ui.label("Clean pods when done");
        egui::ComboBox::from_id_salt("launch_clean")
            .selected_text(if policy.clean_pod_policy.is_empty() {
                "default".to_string()
            } else {
                policy.clean_pod_policy.clone()
            })
            .show_ui(ui, |ui| {
                for r in ["", "None", "Running", "All"] {
                    ui.selectable_value(
                        &mut policy.clean_pod_policy,
                        r.to_string(),
                        if r.is_empty() { "default" } else { r },
                    );
                }
            });
        ui.end_row();
        let number = |ui: &mut Ui, label: &str, value: &mut Option<u32>| {
            ui.label(label);
            let mut text = value.map(|v| v.to_string()).unwrap_or_default();
            text_field(ui, label, &mut text, "not set", 100.0);
            *value = text.trim().parse().ok();
            ui.end_row();
        };
        number(ui, "Backoff limit", &mut policy.backoff_limit);
        number(ui, "Delete after (s)", &mut policy.ttl_seconds_after_finished);
        ui.label("Deadline (s)");
        let mut deadline = policy.active_deadline_seconds.map(|v| v.to_string()).unwrap_or_default();
        text_field(ui, "Deadline (s)", &mut deadline, "not set", 100.0);
        policy.active_deadline_seconds = deadline.trim().parse().ok();
        ui.end_row();
        let (class, queue) = (&mut policy.priority_class, &mut policy.queue);
        scheduling_rows(ui, theme, "training", &view.state.teams, &namespace, class, queue);
        ui.label("");
        ui.checkbox(&mut policy.suspend, "Create suspended");
        ui.end_row();
    });
    ui.add_space(8.0);
    section(ui, theme, "Hyperparameters");
    parsed_field(
        ui,
        "Hyperparameters",
        &mut spec.hyperparameters,
        |params| pairs_text(params),
        pairs,
        "lr=0.01 batch-size=128",
        300.0,
    );
    field_error(ui, theme, errors, "hyperparameters");
    ui.horizontal(|ui| {
        ui.radio_value(&mut spec.params_as, ParamsAs::Args, "as --name=value args");
        ui.radio_value(&mut spec.params_as, ParamsAs::Env, "as environment variables");
    });
    ui.add_space(4.0);
    ui.label(RichText::new("Sweep: one run per combination of lists, or N samples over ranges").color(p.text_weak));
    parsed_field(
        ui,
        "Sweep",
        &mut spec.sweep,
        |sweep| sweep.join(" "),
        words,
        "lr=0.1,0.01 batch-size=32,64  or  lr=1e-4..1e-1:log",
        300.0,
    );
    ui.horizontal(|ui| {
        let mut random = spec.sweep_random > 0;
        ui.checkbox(&mut random, "Sample at random");
        if random {
            let mut n = spec.sweep_random.max(1);
            ui.add(egui::DragValue::new(&mut n).range(1..=200).suffix(" runs"));
            spec.sweep_random = n;
        } else {
            spec.sweep_random = 0;
        }
        if !spec.sweep.is_empty()
            && let Ok(runs) = crate::workloads::render::runs(spec)
        {
            ui.label(RichText::new(format!("{} runs", runs.len())).color(p.text_weak));
        }
    });
    field_error(ui, theme, errors, "sweep");
    ui.add_space(8.0);
    section(ui, theme, "Metrics");
    ui.label(
        RichText::new("Read from the chief's (or first worker's) log: Katib's name=value lines, or JSON lines")
            .color(p.text_weak),
    );
    ui.horizontal(|ui| {
        let names = &mut spec.metrics.names;
        let hint = "any name with an epoch or step";
        parsed_field(ui, "Metric names", names, |n| n.join(", "), MetricSpec::names_from, hint, 220.0);
        let pattern = &mut spec.metrics.pattern;
        let hint = "Katib's name=value pattern";
        parsed_field(ui, "Metric pattern", pattern, String::clone, |t| t.trim().to_string(), hint, 220.0);
    });
    field_error(ui, theme, errors, "metrics");
    ui.add_space(8.0);
    section(ui, theme, "Volume");
    let mut volume = spec.volumes.first().cloned().unwrap_or_default();
    ui.horizontal(|ui| {
        text_field(ui, "Claim", &mut volume.claim, "claim name (empty: none)", 150.0);
        text_field(ui, "Mount path", &mut volume.mount_path, "/out", 100.0);
        text_field(ui, "Create with size", &mut volume.create_size, "existing (or 50Gi)", 110.0);
    });
    spec.volumes = if volume.claim.is_empty() { Vec::new() } else { vec![VolumeSpec { ..volume }] };
    field_error(ui, theme, errors, "volumes");
}

/// The words of a text (a command line split at blanks).
fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// Pairs as `a=1 b=2`.
fn pairs_text(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

/// `a=1 b=2` as pairs (a word without `=` is a name with an empty value, which validation reports).
fn pairs(text: &str) -> Vec<(String, String)> {
    text.split_whitespace()
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (pair.to_string(), String::new()),
        })
        .collect()
}

fn preview(ui: &mut Ui, view: &ViewCtx<'_>) {
    let training = &view.state.training;
    let p = view.theme.palette;
    section(ui, view.theme, "Will it fit?");
    match &training.fit {
        None => {
            ui.label(RichText::new("The fit shows once the job is valid.").color(p.text_weak));
        }
        Some(report) => {
            for role in &report.roles {
                let tone = match role.verdict {
                    Verdict::FitsNow => Tone::Ok,
                    Verdict::FitsLater => Tone::Warn,
                    Verdict::Never => Tone::Err,
                };
                status_chip(
                    ui,
                    view.theme,
                    tone,
                    &format!("{} ×{}: {}", role.role, role.replicas, role.verdict.describe()),
                );
                if role.verdict == Verdict::FitsNow {
                    ui.label(RichText::new(format!("on {}", role.nodes.join(", "))).color(p.text_weak).size(12.0));
                }
                for reason in &role.reasons {
                    ui.add(egui::Label::new(RichText::new(reason).size(12.0).color(p.text)).wrap());
                }
            }
            if report.roles.len() > 1 {
                let (tone, text) = if report.all_at_once {
                    (Tone::Ok, "All replicas fit at the same time")
                } else {
                    (Tone::Warn, "Not every replica fits at the same time")
                };
                status_chip(ui, view.theme, tone, text);
            }
            quota_refusals(ui, view.theme, &report.quota);
        }
    }
    ui.add_space(10.0);
    ui.horizontal(|ui| {
        let busy = training.submit == Submit::Submitting;
        if ui.add_enabled(!busy, egui::Button::new(RichText::new("Submit").strong())).clicked() {
            send(view, TrainingCommand::Submit);
        }
        if busy {
            ui.spinner();
        }
        if ui.button("Export YAML…").clicked() {
            send(view, TrainingCommand::ExportYaml);
        }
        if ui.button("Open YAML…").on_hover_text("Read a job from a YAML file into the form").clicked() {
            send(view, TrainingCommand::ImportYaml);
        }
        ui.menu_button("Templates", |ui| {
            if training.templates.is_empty() {
                ui.label(RichText::new("No templates yet").color(p.text_weak));
            }
            for (name, _) in &training.templates {
                if ui.button(name).on_hover_text("Fill the form from this template").clicked() {
                    send(view, TrainingCommand::UseTemplate(name.clone()));
                    ui.close();
                }
            }
            ui.separator();
            let id = egui::Id::unique("template_name");
            let mut name: String = ui.data_mut(|d| d.get_temp(id)).unwrap_or_else(|| training.form.name.clone());
            text_field(ui, "Template name", &mut name, "name", 160.0);
            if ui.button("Save the form as a template").clicked() {
                send(view, TrainingCommand::SaveTemplate(name.clone()));
                ui.close();
            }
            ui.data_mut(|d| d.insert_temp(id, name));
        });
    });
    match &training.submit {
        Submit::Failed { message, .. } => {
            ui.add(egui::Label::new(RichText::new(message).color(view.theme.tone(Tone::Err))).wrap());
        }
        Submit::Done(created) => {
            ui.label(RichText::new(format!("Submitted {}", created.join(", "))).color(view.theme.tone(Tone::Ok)));
        }
        _ => {}
    }
    ui.add_space(10.0);
    ui.horizontal(|ui| {
        section(ui, view.theme, "YAML");
        if training.yaml_edited {
            status_chip(ui, view.theme, Tone::Warn, "Edited by hand: the form no longer reflects it");
            if ui.small_button("Back to the form").clicked() {
                send(view, TrainingCommand::ResetYaml);
            }
        }
    });
    if let Some(e) = &training.yaml_error {
        ui.add(egui::Label::new(RichText::new(e).color(view.theme.tone(Tone::Err)).size(12.0)).wrap());
    }
    let mut yaml = training.yaml.clone();
    let edit = ui.add(egui::TextEdit::multiline(&mut yaml).code_editor().desired_width(f32::INFINITY).desired_rows(24));
    edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::MultilineTextInput, true, "Job YAML"));
    if yaml != training.yaml {
        send(view, TrainingCommand::Yaml(yaml));
    }
}
