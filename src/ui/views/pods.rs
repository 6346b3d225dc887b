//! Pods: every pod in the cluster in one virtualized table. Filtering and sorting happen in the background (the
//! screen sends a query; the next snapshot carries the ordered rows), so 150,000 pods never stall a frame.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::resources::accelerators::AcceleratorKind;
use crate::resources::pod::PodRow;
use crate::resources::quantity::age;
use crate::resources::{pod, quantity};
use crate::state::cluster_view::{PodQuery, PodSort};
use crate::state::{Command, LogView};
use crate::ui::ViewCtx;
use crate::ui::theme::Tone;
use crate::ui::views::empty_state;
use crate::ui::widgets::sort_header::{plain_header, sort_header};
use crate::ui::widgets::status_chip::status_chip;

/// Columns and what they sort by (`None`: not sortable).
const COLUMNS: [(&str, Option<PodSort>); 8] = [
    ("Namespace", Some(PodSort::Namespace)),
    ("Name", Some(PodSort::Name)),
    ("Status", Some(PodSort::Status)),
    ("Ready", None),
    ("Restarts", Some(PodSort::Restarts)),
    ("Node", Some(PodSort::Node)),
    ("Accelerators", Some(PodSort::Gpus)),
    ("Age", Some(PodSort::Age)),
];

const PHASES: [&str; 5] = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];

/// The screen's own state: the filter being typed (sent to the background as the user types), the selected pod
/// and the log search.
#[derive(Debug, Default)]
pub struct PodsView {
    pub tab: Tab,
    pub workloads: super::workloads::WorkloadsView,
    text: String,
    selected: Option<(String, String)>,
    log_search: String,
    log_matches: LogMatches,
    /// The pod port typed into "Forward".
    forward_port: u16,
}

/// The screen's two tabs: every pod, or the workloads that run them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Pods,
    Workloads,
}

/// Which log lines match the search, worked out once per change of log or search rather than every frame (a log
/// holds up to 100,000 lines).
#[derive(Debug, Default)]
struct LogMatches {
    /// Log id, lines received so far, search text.
    key: (u64, usize, String),
    indices: Vec<usize>,
}

impl LogMatches {
    fn update(&mut self, logs: &LogView, search: &str) -> &[usize] {
        let key = (logs.id, logs.dropped + logs.lines.len(), search.to_string());
        if self.key != key {
            self.indices = logs.lines.iter().enumerate().filter(|(_, l)| l.contains(search)).map(|(i, _)| i).collect();
            self.key = key;
        }
        &self.indices
    }
}

pub fn ui(ui: &mut Ui, view: &ViewCtx<'_>, state: &mut PodsView) {
    let Some(snap) = view.state.cluster.clone() else {
        empty_state::ui(ui, crate::ui::views::registry::info(crate::state::Screen::Pods), view);
        return;
    };
    if let Some(error) = &snap.pods_error {
        status_chip(ui, view.theme, Tone::Err, &format!("Pods cannot be listed: {error}"));
        ui.add_space(8.0);
    }
    ui.horizontal(|ui| {
        ui.selectable_value(&mut state.tab, Tab::Pods, format!("Pods ({})", snap.pod_count));
        ui.selectable_value(&mut state.tab, Tab::Workloads, format!("Workloads ({})", snap.workloads.len()));
    });
    ui.add_space(6.0);
    if state.tab == Tab::Workloads {
        super::workloads::ui(ui, view, &snap, &mut state.workloads);
        if let Some(filter) = state.workloads.show_pods.take() {
            state.tab = Tab::Pods;
            state.text = filter.clone();
            view.commands.send(Command::SetPodQuery(PodQuery { text: filter, ..view.state.pod_query.clone() }));
        }
        return;
    }
    if !snap.pods_synced {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Listing pods…");
        });
        return;
    }
    let p = view.theme.palette;
    let query = view.state.pod_query.clone();
    let page = snap.pods.clone();
    ui.horizontal(|ui| {
        let edit = ui.add(
            egui::TextEdit::singleline(&mut state.text)
                .hint_text("Filter by name, namespace, node or status")
                .desired_width(320.0),
        );
        edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Filter pods"));
        if edit.changed() {
            view.commands.send(Command::SetPodQuery(PodQuery { text: state.text.clone(), ..query.clone() }));
        }
        let phase_label = query.phase.clone().unwrap_or_else(|| "All phases".into());
        let label = ui.label(RichText::new("Phase").color(p.text_weak));
        egui::ComboBox::from_id_salt("pod_phase")
            .selected_text(phase_label)
            .show_ui(ui, |ui| {
                if ui.selectable_label(query.phase.is_none(), "All phases").clicked() {
                    view.commands.send(Command::SetPodQuery(PodQuery { phase: None, ..query.clone() }));
                }
                for phase in PHASES {
                    if ui.selectable_label(query.phase.as_deref() == Some(phase), phase).clicked() {
                        view.commands
                            .send(Command::SetPodQuery(PodQuery { phase: Some(phase.into()), ..query.clone() }));
                    }
                }
            })
            .response
            .labelled_by(label.id);
        let pending = page.query != query;
        let text = format!("{} of {} pods", page.rows.len(), page.total);
        ui.label(RichText::new(if pending { format!("{text} · updating…") } else { text }).color(p.text_weak));
    });
    ui.add_space(6.0);
    // The open pod's row is found once per snapshot by the state, not searched among 150,000 rows every frame.
    if let Some((ns, name)) = state.selected.clone()
        && let Some(row) =
            view.state.pod_detail.as_ref().filter(|d| d.namespace == ns && d.name == name).and_then(|d| d.row.clone())
    {
        egui::Panel::right("pod_detail")
            .default_size(520.0)
            .min_size(360.0)
            .frame(egui::Frame::new().inner_margin(egui::Margin { left: 14, ..Default::default() }))
            .show(ui, |ui| detail(ui, view, &row, state));
    }
    let now = jiff::Timestamp::now().as_second();
    let mut clicked: Option<PodSort> = None;
    let mut clicked_row: Option<(String, String)> = None;
    // Clicks on cell text select the row rather than the text.
    ui.style_mut().interaction.selectable_labels = false;
    let selected = state.selected.clone();
    // Wide tables scroll sideways, clipped at the detail panel rather than reaching under it.
    egui::ScrollArea::horizontal().id_salt("pods_table_scroll").show(ui, |ui| {
        TableBuilder::new(ui)
            .id_salt("pods_table")
            .striped(true)
            .sense(egui::Sense::click())
            .column(Column::initial(130.0).clip(true).resizable(true))
            .column(Column::initial(260.0).clip(true).resizable(true))
            .column(Column::initial(140.0).clip(true))
            .column(Column::initial(54.0))
            .column(Column::initial(70.0))
            .column(Column::initial(150.0).clip(true).resizable(true))
            .column(Column::initial(130.0).clip(true))
            .column(Column::remainder().at_least(44.0))
            .header(24.0, |mut header| {
                for (title, sort) in COLUMNS {
                    header.col(|ui| match sort {
                        Some(sort) => {
                            let ascending = (query.sort == sort).then_some(!query.descending);
                            if sort_header(ui, view.theme, title, ascending) {
                                clicked = Some(sort);
                            }
                        }
                        None => plain_header(ui, view.theme, title),
                    });
                }
            })
            .body(|body| {
                body.rows(24.0, page.rows.len(), |mut row| {
                    let Some(r) = page.rows.get(row.index()) else { return };
                    row.set_selected(selected.as_ref().is_some_and(|(ns, n)| *ns == r.namespace && *n == r.name));
                    row.col(|ui| {
                        ui.add(egui::Label::new(RichText::new(&r.namespace).color(p.text_weak)).truncate());
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(RichText::new(&r.name).color(p.text_strong)).truncate());
                    });
                    row.col(|ui| {
                        status_chip(ui, view.theme, pod::health(r), &r.status);
                    });
                    row.col(|ui| {
                        ui.label(format!("{}/{}", r.ready.0, r.ready.1));
                    });
                    row.col(|ui| {
                        let text = RichText::new(r.restarts.to_string());
                        ui.label(if r.restarts > 0 { text.color(view.theme.tone(Tone::Warn)) } else { text });
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(r.node.as_deref().unwrap_or("—")).truncate());
                    });
                    row.col(|ui| {
                        let devices = r
                            .requests
                            .accelerators
                            .iter()
                            .map(|(res, a)| {
                                format!(
                                    "{} {}",
                                    quantity::cores(*a),
                                    AcceleratorKind::of(res).map_or_else(|| res.clone(), |k| k.label())
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(", ");
                        ui.add(egui::Label::new(if devices.is_empty() { "—".to_string() } else { devices }).truncate());
                    });
                    row.col(|ui| {
                        ui.label(RichText::new(age(now - r.created)).color(p.text_weak));
                    });
                    if row.response().clicked() {
                        clicked_row = Some((r.namespace.clone(), r.name.clone()));
                    }
                });
            });
    });
    if let Some(key) = clicked_row {
        let same = state.selected.as_ref() == Some(&key);
        if same {
            view.commands.send(Command::ClosePod);
        } else {
            view.commands.send(Command::OpenPod { namespace: key.0.clone(), name: key.1.clone() });
        }
        state.selected = if same { None } else { Some(key) };
        if same || view.state.logs.is_some() {
            view.commands.send(Command::CloseLogs);
        }
    }
    if let Some(sort) = clicked {
        let descending = if query.sort == sort { !query.descending } else { false };
        view.commands.send(Command::SetPodQuery(PodQuery { sort, descending, ..query }));
    }
}

/// Each container's state (with exit codes and how the last run ended) and the pod's events.
fn containers_and_events(ui: &mut Ui, view: &ViewCtx<'_>, row: &PodRow) {
    use crate::state::loadable::Loadable;
    let p = view.theme.palette;
    let Some(open) = view.state.pod_detail.as_ref().filter(|d| d.namespace == row.namespace && d.name == row.name)
    else {
        return;
    };
    let detail = match &open.detail {
        Loadable::Ready(d) => d,
        Loadable::Failed(e) => {
            status_chip(ui, view.theme, Tone::Err, &format!("The pod could not be read: {e}"));
            return;
        }
        _ => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading containers and events…");
            });
            return;
        }
    };
    ui.label(RichText::new("Containers").strong().color(p.text_strong));
    egui::Grid::new("pod_containers").num_columns(3).spacing([12.0, 4.0]).show(ui, |ui| {
        for c in &detail.containers {
            let name = if c.init { format!("{} (init)", c.name) } else { c.name.clone() };
            ui.label(RichText::new(name).color(p.text_strong)).on_hover_text(&c.image);
            let tone = match (c.state.as_str(), c.exit_code) {
                ("Running", _) if c.ready => Tone::Ok,
                ("Running", _) => Tone::Warn,
                ("Terminated", Some(0)) => Tone::Done,
                ("Waiting", _) if c.reason.as_deref().is_some_and(|r| r.contains("BackOff") || r.contains("Err")) => {
                    Tone::Err
                }
                ("Waiting", _) | ("Not started", _) => Tone::Pending,
                _ => Tone::Err,
            };
            let word = c.reason.clone().unwrap_or_else(|| c.state.clone());
            let chip = match c.exit_code {
                Some(code) => format!("{word} (exit {code})"),
                None => word,
            };
            status_chip(ui, view.theme, tone, &chip);
            let mut facts = Vec::new();
            if c.restarts > 0 {
                facts.push(crate::resources::quantity::counted(c.restarts.max(0) as usize, "restart"));
            }
            if let Some((code, reason)) = &c.last_exit {
                facts.push(format!("last run: {reason} (exit {code})"));
            }
            if let Some(message) = &c.message {
                facts.push(message.clone());
            }
            ui.add(egui::Label::new(RichText::new(facts.join(" · ")).color(p.text_weak)).wrap());
            ui.end_row();
        }
    });
    ui.add_space(8.0);
    ui.label(RichText::new("Events").strong().color(p.text_strong));
    if detail.events.is_empty() {
        ui.label(RichText::new("none recorded").color(p.text_weak));
    }
    let now = jiff::Timestamp::now().as_second();
    for e in detail.events.iter().take(12) {
        ui.horizontal_wrapped(|ui| {
            let tone = if e.type_ == "Warning" { Tone::Warn } else { Tone::Neutral };
            status_chip(ui, view.theme, tone, &e.reason);
            let times = if e.count > 1 { format!(" ×{}", e.count) } else { String::new() };
            ui.label(RichText::new(format!("{}{times}", age(now - e.last_seen))).color(p.text_weak));
            ui.add(egui::Label::new(&e.message).wrap());
        });
    }
}

fn detail(ui: &mut Ui, view: &ViewCtx<'_>, row: &PodRow, state: &mut PodsView) {
    let p = view.theme.palette;
    ui.horizontal(|ui| {
        ui.label(RichText::new(&row.name).size(17.0).strong().color(p.text_strong));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.small_button("✖").on_hover_text("Close the pod detail").clicked() {
                state.selected = None;
                view.commands.send(Command::CloseLogs);
                view.commands.send(Command::ClosePod);
            }
        });
    });
    egui::Grid::new("pod_facts").num_columns(2).spacing([14.0, 4.0]).show(ui, |ui| {
        let mut fact = |k: &str, v: String| {
            ui.label(RichText::new(k).color(p.text_weak));
            ui.label(v);
            ui.end_row();
        };
        fact("Namespace", row.namespace.clone());
        fact("Node", row.node.clone().unwrap_or_else(|| "not scheduled".into()));
        fact(
            "Status",
            if row.status == row.phase { row.status.clone() } else { format!("{} (phase {})", row.status, row.phase) },
        );
        fact("Ready", format!("{}/{} containers, {} restarts", row.ready.0, row.ready.1, row.restarts));
        fact(
            "Requests",
            format!("{} CPU, {} memory", quantity::cores(row.requests.cpu), quantity::bytes(row.requests.memory)),
        );
        for (r, a) in &row.requests.accelerators {
            fact("Accelerators", format!("{} {r}", quantity::cores(*a)));
        }
    });
    ui.add_space(10.0);
    // Containers and events take what room they need up to a point; the log below keeps the rest.
    egui::ScrollArea::vertical()
        .id_salt("pod_containers_events")
        .max_height(240.0)
        .auto_shrink([false, true])
        .show(ui, |ui| containers_and_events(ui, view, row));
    ui.add_space(6.0);
    forward_row(ui, view, row, &mut state.forward_port);
    ui.add_space(10.0);
    let logs = view.state.logs.as_ref().filter(|l| l.namespace == row.namespace && l.pod == row.name);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Logs").strong().color(p.text_strong));
        for container in &row.containers {
            let showing = logs.is_some_and(|l| &l.container == container);
            let label = if row.containers.len() == 1 { "Show logs".to_string() } else { container.clone() };
            let button = egui::Button::new(label).selected(showing);
            if ui.add(button).on_hover_text(format!("Logs of container {container}")).clicked() {
                view.commands.send(Command::OpenLogs {
                    namespace: row.namespace.clone(),
                    pod: row.name.clone(),
                    container: container.clone(),
                    follow: true,
                });
            }
        }
    });
    let Some(logs) = logs else { return };
    let mut copy = false;
    ui.horizontal(|ui| {
        let search =
            ui.add(egui::TextEdit::singleline(&mut state.log_search).hint_text("Search the log").desired_width(200.0));
        search.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Search the log"));
        let mut follow = logs.follow;
        if ui.checkbox(&mut follow, "Follow").changed() {
            view.commands.send(Command::OpenLogs {
                namespace: logs.namespace.clone(),
                pod: logs.pod.clone(),
                container: logs.container.clone(),
                follow,
            });
        }
        copy = ui.button("Copy").on_hover_text("Copy the shown lines").clicked();
    });
    let matches = (!state.log_search.is_empty()).then(|| state.log_matches.update(logs, &state.log_search));
    let shown_len = matches.map_or(logs.lines.len(), <[usize]>::len);
    let line = |i: usize| logs.lines[matches.map_or(i, |m| m[i])].as_str();
    if let Some(Err(e)) = &logs.done {
        status_chip(ui, view.theme, Tone::Err, e);
    } else {
        let mut summary = quantity::counted(logs.lines.len(), "line");
        if logs.dropped > 0 {
            summary += &format!(" ({} older dropped)", logs.dropped);
        }
        if matches.is_some() {
            summary += &format!(" · {shown_len} matching");
        }
        summary += match (&logs.done, logs.follow) {
            (Some(_), _) => " · end of log",
            (None, true) => " · following",
            (None, false) => "",
        };
        ui.label(RichText::new(summary).small().color(p.text_weak));
    }
    if copy {
        ui.ctx().copy_text((0..shown_len).map(line).collect::<Vec<_>>().join("\n"));
    }
    let height = ui.text_style_height(&egui::TextStyle::Monospace);
    egui::Frame::new().fill(p.surface).corner_radius(4).inner_margin(6).show(ui, |ui| {
        egui::ScrollArea::both().id_salt("pod_log").auto_shrink(false).stick_to_bottom(logs.follow).show_rows(
            ui,
            height,
            shown_len,
            |ui, range| {
                for i in range {
                    ui.label(RichText::new(line(i)).monospace().color(p.text));
                }
            },
        );
    });
}

/// Forward a local port to one of the pod's ports and open it in the browser; the pod's open forwards, to stop.
fn forward_row(ui: &mut Ui, view: &ViewCtx<'_>, row: &crate::resources::pod::PodRow, port: &mut u16) {
    use crate::state::notebooks::NotebooksCommand;
    if *port == 0 {
        *port = 8080;
    }
    let target = format!("pod/{} in {}", row.name, row.namespace);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Port-forward").strong().color(view.theme.palette.text_strong));
        ui.add(egui::DragValue::new(port).range(1..=65535))
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Pod port to forward"));
        if ui.button("Forward and open").on_hover_text("A local port to this pod port, opened in the browser").clicked()
        {
            view.commands.send(Command::Notebooks(NotebooksCommand::ForwardPort {
                namespace: row.namespace.clone(),
                target: format!("pod/{}", row.name),
                port: *port,
            }));
        }
        for f in view.state.notebooks.forwards.iter().filter(|f| f.target == target) {
            ui.label(RichText::new(&f.local).monospace());
            if ui.small_button("Stop").on_hover_text(format!("Stop forwarding {}", f.local)).clicked() {
                view.commands.send(Command::Notebooks(NotebooksCommand::CloseForward(f.id)));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_matches_follow_new_lines_even_when_the_log_is_full() {
        let mut logs = LogView { id: 1, lines: vec!["loss=0.9".into(), "step".into()], ..Default::default() };
        let mut matches = LogMatches::default();
        assert_eq!(matches.update(&logs, "loss"), [0]);
        // At the cap the length stays put while lines move: the count of dropped lines still makes the cache stale.
        logs.lines = vec!["step".into(), "loss=0.5".into()];
        logs.dropped = 1;
        assert_eq!(matches.update(&logs, "loss"), [1]);
        assert_eq!(matches.update(&logs, "step"), [0]);
        logs.id = 2;
        logs.lines.clear();
        logs.dropped = 0;
        assert!(matches.update(&logs, "step").is_empty());
    }
}
