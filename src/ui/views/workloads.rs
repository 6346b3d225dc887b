//! Workloads: everything that runs or serves pods — Deployments, StatefulSets, DaemonSets, Jobs, the Kubeflow
//! training jobs, Notebooks, InferenceServices — and what surrounds them (Services, HPAs, PVCs), in one table with
//! a state per row and the reason when a workload is not well. Shown as a tab of the Pods screen.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::resources::quantity::{self, age};
use crate::resources::workload::{WorkloadKind, WorkloadRow};
use crate::state::cluster_view::ClusterSnapshot;
use crate::ui::ViewCtx;
use crate::ui::theme::Tone;
use crate::ui::widgets::sort_header::{plain_header, sort_header, toggle_sort};
use crate::ui::widgets::status_chip::status_chip;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Kind,
    Namespace,
    Name,
    State,
    Accelerators,
    Age,
}

const COLUMNS: [(&str, Option<SortBy>); 8] = [
    ("Kind", Some(SortBy::Kind)),
    ("Namespace", Some(SortBy::Namespace)),
    ("Name", Some(SortBy::Name)),
    ("State", Some(SortBy::State)),
    ("Progress", None),
    ("Accelerators", Some(SortBy::Accelerators)),
    ("Age", Some(SortBy::Age)),
    ("Detail", None),
];

/// Filter, sort and selection of the workloads tab, and the row order derived from them.
#[derive(Debug)]
pub struct WorkloadsView {
    pub text: String,
    pub kind: Option<WorkloadKind>,
    /// Show ReplicaSets that a Deployment manages (hidden by default: the Deployment says it all).
    pub show_owned: bool,
    pub sort: SortBy,
    pub ascending: bool,
    pub selected: Option<(WorkloadKind, String, String)>,
    /// Set by "Show its pods": the Pods tab filter to switch to.
    pub show_pods: Option<String>,
    order: Option<(OrderKey, Vec<usize>)>,
}

type OrderKey = (u64, String, Option<WorkloadKind>, bool, SortBy, bool, Vec<String>);

impl Default for WorkloadsView {
    fn default() -> Self {
        Self {
            text: String::new(),
            kind: None,
            show_owned: false,
            sort: SortBy::Kind,
            ascending: true,
            selected: None,
            show_pods: None,
            order: None,
        }
    }
}

fn matches(w: &WorkloadRow, view: &WorkloadsView, namespaces: &[String]) -> bool {
    if view.kind.is_some_and(|k| k != w.kind) || (!namespaces.is_empty() && !namespaces.contains(&w.namespace)) {
        return false;
    }
    if !view.show_owned && w.kind == WorkloadKind::ReplicaSet && w.owner.is_some() {
        return false;
    }
    let text = view.text.to_lowercase();
    text.split_whitespace().all(|word| {
        w.name.contains(word)
            || w.namespace.contains(word)
            || w.state.to_lowercase().contains(word)
            || w.kind.name().to_lowercase().contains(word)
            || w.detail.to_lowercase().contains(word)
    })
}

impl WorkloadsView {
    /// Indices into the snapshot's workloads, recomputed only when the data, filter or order changed.
    fn order(&mut self, snap: &ClusterSnapshot, namespaces: &[String]) -> Vec<usize> {
        let key: OrderKey = (
            snap.generation,
            self.text.clone(),
            self.kind,
            self.show_owned,
            self.sort,
            self.ascending,
            namespaces.to_vec(),
        );
        if let Some((k, order)) = &self.order
            && *k == key
        {
            return order.clone();
        }
        let rows = &snap.workloads;
        let mut idx: Vec<usize> = (0..rows.len()).filter(|&i| matches(&rows[i], self, namespaces)).collect();
        idx.sort_by(|&a, &b| {
            let (x, y) = (&rows[a], &rows[b]);
            let ord = match self.sort {
                SortBy::Kind => x.kind.cmp(&y.kind),
                SortBy::Namespace => x.namespace.cmp(&y.namespace),
                SortBy::Name => x.name.cmp(&y.name),
                SortBy::State => x.state.cmp(&y.state),
                SortBy::Accelerators => x.accelerators.total_cmp(&y.accelerators),
                SortBy::Age => y.created.cmp(&x.created),
            }
            .then_with(|| (x.kind, &x.namespace, &x.name).cmp(&(y.kind, &y.namespace, &y.name)));
            if self.ascending { ord } else { ord.reverse() }
        });
        self.order = Some((key, idx.clone()));
        idx
    }
}

pub fn ui(ui: &mut Ui, view: &ViewCtx<'_>, snap: &ClusterSnapshot, state: &mut WorkloadsView) {
    let p = view.theme.palette;
    for (kind, error) in &snap.workload_errors {
        status_chip(ui, view.theme, Tone::Warn, &format!("{}s cannot be listed: {error}", kind.name()));
    }
    let namespaces = view.state.pod_query.namespaces.clone();
    let order = state.order(snap, &namespaces);
    ui.horizontal(|ui| {
        let edit = ui.add(
            egui::TextEdit::singleline(&mut state.text)
                .hint_text("Filter by name, namespace, state, kind or image")
                .desired_width(320.0),
        );
        edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Filter workloads"));
        let label = ui.label(RichText::new("Kind").color(p.text_weak));
        egui::ComboBox::from_id_salt("workload_kind")
            .selected_text(state.kind.map_or("All kinds", |k| k.name()))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.kind, None, "All kinds");
                for kind in WorkloadKind::ALL {
                    let n = snap.workload_counts.get(&kind).copied().unwrap_or(0);
                    let served = kind.custom().is_none() || snap.custom_kinds.contains_key(&kind);
                    let text =
                        if served { format!("{} ({n})", kind.name()) } else { format!("{} (no CRD)", kind.name()) };
                    ui.selectable_value(&mut state.kind, Some(kind), text);
                }
            })
            .response
            .labelled_by(label.id);
        ui.checkbox(&mut state.show_owned, "Managed ReplicaSets")
            .on_hover_text("Also list the ReplicaSets that Deployments create and manage");
        ui.label(RichText::new(format!("{} of {} workloads", order.len(), snap.workloads.len())).color(p.text_weak));
    });
    ui.add_space(6.0);
    if let Some((kind, ns, name)) = state.selected.clone()
        && let Some(row) = snap.workloads.iter().find(|w| w.kind == kind && w.namespace == ns && w.name == name)
    {
        egui::Panel::right("workload_detail")
            .default_size(420.0)
            .min_size(300.0)
            .frame(egui::Frame::new().inner_margin(egui::Margin { left: 14, ..Default::default() }))
            .show(ui, |ui| detail(ui, view, row, state));
    }
    table(ui, view, snap, &order, state);
}

fn table(ui: &mut Ui, view: &ViewCtx<'_>, snap: &ClusterSnapshot, order: &[usize], state: &mut WorkloadsView) {
    let p = view.theme.palette;
    let now = jiff::Timestamp::now().as_second();
    let mut clicked_header = None;
    let mut clicked_row = None;
    ui.style_mut().interaction.selectable_labels = false;
    egui::ScrollArea::horizontal().id_salt("workloads_table_scroll").show(ui, |ui| {
        TableBuilder::new(ui)
            .id_salt("workloads_table")
            .striped(true)
            .sense(egui::Sense::click())
            .column(Column::initial(120.0).clip(true).resizable(true))
            .column(Column::initial(120.0).clip(true).resizable(true))
            .column(Column::initial(220.0).clip(true).resizable(true))
            .column(Column::initial(120.0).clip(true))
            .column(Column::initial(56.0))
            .column(Column::initial(96.0))
            .column(Column::initial(50.0))
            .column(Column::remainder().at_least(160.0).clip(true))
            .header(24.0, |mut header| {
                for (title, sort) in COLUMNS {
                    header.col(|ui| match sort {
                        Some(sort) => {
                            let ascending = (state.sort == sort).then_some(state.ascending);
                            if sort_header(ui, view.theme, title, ascending) {
                                clicked_header = Some(sort);
                            }
                        }
                        None => plain_header(ui, view.theme, title),
                    });
                }
            })
            .body(|body| {
                body.rows(24.0, order.len(), |mut row| {
                    let Some(w) = order.get(row.index()).and_then(|&i| snap.workloads.get(i)) else { return };
                    let selected = state
                        .selected
                        .as_ref()
                        .is_some_and(|(k, ns, n)| *k == w.kind && *ns == w.namespace && *n == w.name);
                    row.set_selected(selected);
                    row.col(|ui| {
                        ui.label(RichText::new(w.kind.name()).color(p.text_weak));
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(RichText::new(&w.namespace).color(p.text_weak)).truncate());
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(RichText::new(&w.name).color(p.text_strong)).truncate());
                    });
                    row.col(|ui| {
                        let chip = status_chip(ui, view.theme, w.tone, &w.state);
                        if let Some(message) = &w.message {
                            chip.on_hover_text(message);
                        }
                    });
                    row.col(|ui| {
                        ui.label(&w.ready).on_hover_text(w.kind.progress_label());
                    });
                    row.col(|ui| {
                        ui.label(if w.accelerators > 0.0 { quantity::count(w.accelerators) } else { "—".into() });
                    });
                    row.col(|ui| {
                        ui.label(RichText::new(age(now - w.created)).color(p.text_weak));
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(RichText::new(&w.detail).color(p.text_weak)).truncate());
                    });
                    if row.response().clicked() {
                        clicked_row = Some((w.kind, w.namespace.clone(), w.name.clone()));
                    }
                });
            });
    });
    if let Some(sort) = clicked_header {
        toggle_sort(&mut state.sort, &mut state.ascending, sort, true);
    }
    if let Some(key) = clicked_row {
        state.selected = if state.selected.as_ref() == Some(&key) { None } else { Some(key) };
    }
}

fn detail(ui: &mut Ui, view: &ViewCtx<'_>, w: &WorkloadRow, state: &mut WorkloadsView) {
    let p = view.theme.palette;
    ui.horizontal(|ui| {
        ui.label(RichText::new(&w.name).size(crate::ui::theme::size::HEADING - 4.0).strong().color(p.text_strong));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.small_button("✖").on_hover_text("Close the detail").clicked() {
                state.selected = None;
            }
        });
    });
    status_chip(ui, view.theme, w.tone, &w.state);
    if let Some(message) = &w.message {
        ui.add_space(6.0);
        egui::Frame::new()
            .fill(crate::ui::theme::Theme::tint(view.theme.tone(w.tone), 40))
            .corner_radius(4)
            .inner_margin(8)
            .show(ui, |ui| {
                ui.add(egui::Label::new(RichText::new(message).color(p.text_strong)).wrap());
            });
    }
    ui.add_space(8.0);
    egui::Grid::new("workload_facts").num_columns(2).spacing([14.0, 4.0]).show(ui, |ui| {
        let mut fact = |k: &str, v: String| {
            ui.label(RichText::new(k).color(p.text_weak));
            ui.add(egui::Label::new(v).wrap());
            ui.end_row();
        };
        fact("Kind", w.kind.name().to_string());
        fact("Namespace", w.namespace.clone());
        if !w.ready.is_empty() {
            fact(w.kind.progress_label(), w.ready.clone());
        }
        if w.accelerators > 0.0 {
            fact("Accelerators", quantity::count(w.accelerators));
        }
        if let Some(owner) = &w.owner {
            fact("Managed by", owner.clone());
        }
        fact("Detail", if w.detail.is_empty() { "—".into() } else { w.detail.clone() });
    });
    let runs_pods = !matches!(
        w.kind,
        WorkloadKind::Service | WorkloadKind::HorizontalPodAutoscaler | WorkloadKind::PersistentVolumeClaim
    );
    if runs_pods {
        ui.add_space(8.0);
        // Pods are named after what runs them (web-5d8f…, mnist-worker-0), so namespace and name find them.
        if ui.button("Show its pods").on_hover_text("The Pods tab, filtered by this namespace and name").clicked() {
            state.show_pods = Some(format!("{} {}", w.namespace, w.name));
        }
    }
}
