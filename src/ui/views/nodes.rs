//! Nodes — the GPU ledger: every node with its accelerators (capacity, allocatable, requested, free), GPU model,
//! CPU and memory, taints and age; sortable, filterable, virtualized for thousands of nodes, with a detail panel.

use std::sync::Arc;

use egui::{Frame, Margin, RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::resources::accelerators::AcceleratorKind;
use crate::resources::ledger::LedgerRow;
use crate::resources::quantity::{age, count};
use crate::resources::{node, quantity};
use crate::state::cluster_view::ClusterSnapshot;
use crate::ui::ViewCtx;
use crate::ui::theme::{Tone, size};
use crate::ui::views::empty_state;
use crate::ui::widgets::sort_header::{sort_header, toggle_sort};
use crate::ui::widgets::status_chip::status_chip;
use crate::ui::widgets::usage_bar::usage_bar;

/// Columns the table can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Name,
    Status,
    Model,
    Allocatable,
    Free,
    Cpu,
    Memory,
    Pods,
    Age,
}

const COLUMNS: [(&str, SortBy); 9] = [
    ("Node", SortBy::Name),
    ("Status", SortBy::Status),
    ("GPU model", SortBy::Model),
    ("Accelerators alloc/req/free", SortBy::Allocatable),
    ("In use", SortBy::Free),
    ("CPU req/alloc", SortBy::Cpu),
    ("Memory req/alloc", SortBy::Memory),
    ("Pod count", SortBy::Pods),
    ("Age", SortBy::Age),
];

/// The screen's tabs: the per-node ledger, or what each namespace's pods ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Nodes,
    Namespaces,
    /// GPUs by team against their quotas, and the PriorityClasses.
    Teams,
    /// How many more nodes it takes to run everything waiting for accelerators.
    Planner,
}

/// Columns of the per-namespace allocation table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceSort {
    Name,
    Pods,
    Accelerators,
    Pending,
    Cpu,
    Memory,
}

const NAMESPACE_COLUMNS: [(&str, Option<NamespaceSort>); 7] = [
    ("Namespace", Some(NamespaceSort::Name)),
    ("Pods", Some(NamespaceSort::Pods)),
    ("Accelerators requested", Some(NamespaceSort::Accelerators)),
    ("Share of cluster", None),
    ("Waiting for a node", Some(NamespaceSort::Pending)),
    ("CPU", Some(NamespaceSort::Cpu)),
    ("Memory", Some(NamespaceSort::Memory)),
];

/// The screen's own state: filter, sort, selection, and the row order derived from them.
#[derive(Debug)]
pub struct NodesView {
    pub tab: Tab,
    pub namespace_sort: NamespaceSort,
    pub namespace_ascending: bool,
    pub filter: String,
    pub only_accelerators: bool,
    pub sort: SortBy,
    pub ascending: bool,
    pub selected: Option<String>,
    /// Indices into the snapshot's ledger, for (generation, filter, sort) — recomputed only when one changes.
    order: Option<(u64, String, bool, SortBy, bool, Vec<usize>)>,
}

impl Default for NodesView {
    fn default() -> Self {
        Self {
            tab: Tab::Nodes,
            namespace_sort: NamespaceSort::Accelerators,
            namespace_ascending: false,
            filter: String::new(),
            only_accelerators: false,
            sort: SortBy::Name,
            ascending: true,
            selected: None,
            order: None,
        }
    }
}

fn accelerators_allocatable(r: &LedgerRow) -> f64 {
    r.accelerators.values().map(|u| u.allocatable).sum()
}

fn accelerators_free(r: &LedgerRow) -> f64 {
    r.accelerators.values().map(|u| u.free()).sum()
}

fn matches(r: &LedgerRow, filter: &str, only_accelerators: bool) -> bool {
    if only_accelerators && r.accelerators.is_empty() && r.node.gpu.is_none() {
        return false;
    }
    if filter.is_empty() {
        return true;
    }
    let filter = filter.to_lowercase();
    let model = r.node.gpu.as_ref().map(|g| g.product.to_lowercase()).unwrap_or_default();
    r.node.name.to_lowercase().contains(&filter)
        || model.contains(&filter)
        || r.accelerators.keys().any(|k| k.contains(&filter))
        || r.node.taints.iter().any(|t| t.to_lowercase().contains(&filter))
}

impl NodesView {
    fn order(&mut self, snap: &ClusterSnapshot) -> &[usize] {
        let key = (snap.generation, self.filter.clone(), self.only_accelerators, self.sort, self.ascending);
        let fresh = self.order.as_ref().is_some_and(|(g, f, o, s, a, _)| (*g, f.clone(), *o, *s, *a) == key);
        if !fresh {
            let mut idx: Vec<usize> = (0..snap.ledger.len())
                .filter(|&i| matches(&snap.ledger[i], &self.filter, self.only_accelerators))
                .collect();
            let l = &snap.ledger;
            idx.sort_by(|&a, &b| {
                let (x, y) = (&l[a], &l[b]);
                let ord = match self.sort {
                    SortBy::Name => x.node.name.cmp(&y.node.name),
                    SortBy::Status => (x.node.ready, x.node.hint.is_none()).cmp(&(y.node.ready, y.node.hint.is_none())),
                    SortBy::Model => {
                        x.node.gpu.as_ref().map(|g| &g.product).cmp(&y.node.gpu.as_ref().map(|g| &g.product))
                    }
                    SortBy::Allocatable => accelerators_allocatable(x).total_cmp(&accelerators_allocatable(y)),
                    SortBy::Free => accelerators_free(x).total_cmp(&accelerators_free(y)),
                    SortBy::Cpu => x.cpu.requested.total_cmp(&y.cpu.requested),
                    SortBy::Memory => x.memory.requested.total_cmp(&y.memory.requested),
                    SortBy::Pods => x.pods.cmp(&y.pods),
                    SortBy::Age => y.node.created.cmp(&x.node.created),
                };
                let ord = ord.then_with(|| x.node.name.cmp(&y.node.name));
                if self.ascending { ord } else { ord.reverse() }
            });
            self.order = Some((key.0, key.1, key.2, key.3, key.4, idx));
        }
        self.order.as_ref().map_or(&[], |o| &o.5)
    }
}

pub fn ui(ui: &mut Ui, view: &ViewCtx<'_>, state: &mut NodesView) {
    let Some(snap) = view.state.cluster.clone() else {
        empty_state::ui(ui, crate::ui::views::registry::info(crate::state::Screen::Nodes), view);
        return;
    };
    if let Some(error) = &snap.nodes_error {
        status_chip(ui, view.theme, Tone::Err, &format!("Nodes cannot be listed: {error}"));
        ui.add_space(8.0);
    }
    if !snap.nodes_synced {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Listing nodes…");
        });
        return;
    }
    summary(ui, view, &snap);
    ui.add_space(10.0);
    ui.horizontal(|ui| {
        ui.selectable_value(&mut state.tab, Tab::Nodes, format!("Nodes ({})", snap.ledger.len()));
        ui.selectable_value(
            &mut state.tab,
            Tab::Namespaces,
            format!("By namespace ({})", snap.namespace_allocation.len()),
        );
        ui.selectable_value(&mut state.tab, Tab::Teams, "Teams and quotas");
        ui.selectable_value(&mut state.tab, Tab::Planner, "Capacity planner");
    });
    ui.add_space(6.0);
    if state.tab == Tab::Namespaces {
        namespaces_table(ui, view, &snap, state);
        return;
    }
    if state.tab == Tab::Teams {
        teams_tab(ui, view);
        return;
    }
    if state.tab == Tab::Planner {
        crate::ui::views::capacity::ui(ui, view);
        return;
    }
    toolbar(ui, view, state);
    ui.add_space(6.0);
    if let Some(name) = state.selected.clone()
        && let Some(row) = snap.ledger.iter().find(|r| r.node.name == name)
    {
        egui::Panel::right("node_detail")
            .default_size(380.0)
            .min_size(300.0)
            .frame(Frame::new().inner_margin(Margin { left: 14, ..Default::default() }))
            .show(ui, |ui| detail(ui, view, &snap, row, state));
    }
    // Wide tables scroll sideways rather than hiding columns under the detail panel.
    egui::ScrollArea::horizontal().id_salt("nodes_table_scroll").show(ui, |ui| table(ui, view, &snap, state));
}

/// GPUs by team against their quotas (who holds them, who waits), and the PriorityClasses with the preset ladder.
fn teams_tab(ui: &mut Ui, view: &ViewCtx<'_>) {
    use crate::state::loadable::Loadable;
    let p = &view.theme.palette;
    let teams = &view.state.teams;
    if let crate::state::Connection::Connected(info) = &view.state.connection
        && teams.stale(&info.context)
    {
        view.commands.send(crate::state::command::Command::RefreshTeams);
    }
    let data = match &teams.data {
        Loadable::Ready(data) => data,
        Loadable::Failed(e) => {
            status_chip(ui, view.theme, Tone::Err, e);
            return;
        }
        _ => {
            ui.spinner();
            return;
        }
    };
    let now = jiff::Timestamp::now().as_second();
    egui::ScrollArea::vertical().id_salt("teams_scroll").show(ui, |ui| {
        if data.teams.is_empty() {
            ui.label(RichText::new("No GPU pods and no accelerator quotas on this cluster.").color(p.text_weak));
        }
        egui::Grid::new("teams_table").num_columns(8).striped(true).spacing([14.0, 6.0]).show(ui, |ui| {
            for h in
                ["Team", "Quota (used / hard)", "GPUs requested", "In use", "Running", "Waiting", "Oldest wait", "Who"]
            {
                ui.label(RichText::new(h).small().strong().color(p.text_weak));
            }
            ui.end_row();
            for t in &data.teams {
                ui.label(RichText::new(&t.namespace).color(p.text_strong));
                ui.vertical(|ui| {
                    if t.quotas.is_empty() {
                        ui.label(RichText::new("no GPU quota").color(p.text_weak));
                    }
                    // One line per quota'd accelerator: what the quota counts as used, of its hard limit.
                    for q in &t.quotas {
                        let resource = q.resource.trim_start_matches("requests.");
                        let name = AcceleratorKind::of(resource).map_or_else(|| resource.to_string(), |k| k.label());
                        let used = q.used.unwrap_or(0.0);
                        ui.label(format!("{name} {} / {}", count(used), count(q.hard)));
                        let label = format!("{} {name} quota", t.namespace);
                        usage_bar(ui, view.theme, used, q.hard, 140.0, &label);
                    }
                });
                ui.label(count(t.gpus_requested));
                ui.label(count(t.gpus_in_use));
                ui.label(t.running.to_string());
                let waiting = RichText::new(t.pending.to_string());
                ui.label(if t.pending > 0 { waiting.color(view.theme.tone(Tone::Warn)) } else { waiting });
                ui.label(t.oldest_pending.map_or("—".to_string(), |c| age(now - c)));
                let who: Vec<String> = t.creators.iter().map(|c| format!("{} ({})", c.who, c.pods)).collect();
                ui.label(RichText::new(who.join(", ")).color(p.text_weak));
                ui.end_row();
            }
        });
        ui.add_space(10.0);
        if data.may_edit_quotas {
            quota_form(ui, view);
        } else {
            ui.label(RichText::new("Your account may not set quotas.").color(p.text_weak).small());
        }
        if let Some(queues) = &data.kueue {
            kueue_queues(ui, view, queues);
        }
        // Who took whose GPUs: the scheduler's preemptions, newest first.
        if let Some(snap) = &view.state.cluster
            && !snap.preemptions.is_empty()
        {
            ui.add_space(14.0);
            ui.label(RichText::new("Recent preemptions").strong().color(p.text_strong));
            for x in snap.preemptions.iter().take(6) {
                ui.horizontal_wrapped(|ui| {
                    status_chip(ui, view.theme, Tone::Warn, "Preempted");
                    ui.label(RichText::new(format!("{}/{}", x.namespace, x.victim)).color(p.text_strong));
                    ui.label(format!("{} on {}", x.by_text(), x.node));
                    ui.label(RichText::new(format!("{} ago", age(now - x.time))).color(p.text_weak));
                });
            }
        }
        ui.add_space(14.0);
        ui.label(RichText::new("Priority classes").strong().color(p.text_strong));
        if data.priorities.is_empty() {
            ui.label(RichText::new("None besides the built-in system classes.").color(p.text_weak));
        }
        egui::Grid::new("priority_classes").num_columns(4).striped(true).spacing([14.0, 4.0]).show(ui, |ui| {
            for c in &data.priorities {
                let name = if c.global_default { format!("{} (default)", c.name) } else { c.name.clone() };
                ui.label(RichText::new(name).color(p.text_strong));
                ui.label(c.value.to_string());
                ui.label(if c.preemption == "Never" { "never preempts" } else { "may preempt" });
                ui.label(RichText::new(&c.description).color(p.text_weak));
                ui.end_row();
            }
        });
        let ladder: Vec<&str> = crate::workloads::priority::LADDER.iter().map(|r| r.name).collect();
        let missing = ladder.iter().any(|n| !data.priorities.iter().any(|c| c.name == *n));
        if data.may_create_priorities && missing {
            ui.add_space(6.0);
            let button = egui::Button::new(format!("Create the ladder: {}", ladder.join(", ")));
            if ui.add_enabled(!teams.applying, button).clicked() {
                view.commands.send(crate::state::command::Command::ApplyPriorityLadder);
            }
        } else if !data.may_create_priorities {
            ui.label(RichText::new("Your account may not create priority classes.").color(p.text_weak).small());
        }
    });
}

/// Kueue's queues, read-only: per ClusterQueue its quota per flavor and what it borrows; per LocalQueue what waits.
fn kueue_queues(ui: &mut Ui, view: &ViewCtx<'_>, queues: &crate::resources::kueue::Queues) {
    let p = &view.theme.palette;
    ui.add_space(14.0);
    ui.label(RichText::new("Kueue queues").strong().color(p.text_strong));
    if queues.cluster_queues.is_empty() {
        ui.label(RichText::new("Kueue is installed, with no ClusterQueue yet.").color(p.text_weak));
        return;
    }
    egui::Grid::new("kueue_cluster_queues").num_columns(5).striped(true).spacing([14.0, 4.0]).show(ui, |ui| {
        for h in ["ClusterQueue", "Cohort", "Quota (used of nominal) by flavor", "Waiting", "Admitted"] {
            ui.label(RichText::new(h).small().strong().color(p.text_weak));
        }
        ui.end_row();
        for cq in &queues.cluster_queues {
            ui.label(RichText::new(&cq.name).color(p.text_strong));
            ui.label(cq.cohort.as_deref().unwrap_or("—"));
            ui.vertical(|ui| {
                for q in &cq.quotas {
                    ui.label(format!("{}: {}", q.flavor, q.describe()));
                }
            });
            let waiting = RichText::new(cq.pending.to_string());
            ui.label(if cq.pending > 0 { waiting.color(view.theme.tone(Tone::Warn)) } else { waiting });
            ui.label(cq.admitted.to_string());
            ui.end_row();
        }
    });
    if !queues.local_queues.is_empty() {
        ui.add_space(6.0);
        egui::Grid::new("kueue_local_queues").num_columns(4).striped(true).spacing([14.0, 4.0]).show(ui, |ui| {
            for h in ["LocalQueue", "Into", "Waiting", "Admitted"] {
                ui.label(RichText::new(h).small().strong().color(p.text_weak));
            }
            ui.end_row();
            for lq in &queues.local_queues {
                ui.label(RichText::new(format!("{}/{}", lq.namespace, lq.name)).color(p.text_strong));
                ui.label(&lq.cluster_queue);
                ui.label(lq.pending.to_string());
                ui.label(lq.admitted.to_string());
                ui.end_row();
            }
        });
    }
}

/// Sets a team's accelerator quota and the most one container may ask for (server-side apply).
fn quota_form(ui: &mut Ui, view: &ViewCtx<'_>) {
    use crate::state::command::Command;
    let teams = &view.state.teams;
    let mut form = teams.quota_form.clone();
    let mut apply = false;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Set a team's quota").strong().color(view.theme.palette.text_strong));
        let namespaces = view.state.cluster.as_ref().map_or(&[][..], |s| s.namespaces.as_slice());
        let shown = if form.namespace.is_empty() { "team (namespace)".to_string() } else { form.namespace.clone() };
        egui::ComboBox::from_id_salt("quota_namespace").selected_text(shown).show_ui(ui, |ui| {
            for ns in namespaces.iter().filter(|n| !n.starts_with("kube-")) {
                ui.selectable_value(&mut form.namespace, ns.clone(), ns);
            }
        });
        let mut resources: Vec<String> =
            view.state.cluster.as_ref().map(|s| s.totals.keys().cloned().collect()).unwrap_or_default();
        if !resources.contains(&form.resource) {
            resources.insert(0, form.resource.clone());
        }
        egui::ComboBox::from_id_salt("quota_resource").selected_text(&form.resource).show_ui(ui, |ui| {
            for r in &resources {
                let name = AcceleratorKind::of(r).map_or_else(|| r.clone(), |k| k.label());
                ui.selectable_value(&mut form.resource, r.clone(), format!("{name} ({r})"));
            }
        });
        ui.add(egui::DragValue::new(&mut form.hard).range(0..=100_000).suffix(" for the team"))
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Quota for the team"));
        ui.add(
            egui::DragValue::new(&mut form.max_per_container)
                .range(0..=1024)
                .prefix("at most ")
                .suffix(" per container"),
        )
        .on_hover_text("A LimitRange: 0 leaves containers uncapped")
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Most per container"));
        let ready = !form.namespace.is_empty() && !teams.applying_quota;
        apply = ui.add_enabled(ready, egui::Button::new("Apply quota")).clicked();
        if teams.applying_quota {
            ui.spinner();
        }
    });
    if form != teams.quota_form {
        view.commands.send(Command::SetQuotaForm(form));
    }
    if apply {
        view.commands.send(Command::ApplyQuota);
    }
}

fn summary(ui: &mut Ui, view: &ViewCtx<'_>, snap: &ClusterSnapshot) {
    let p = &view.theme.palette;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("{} nodes", snap.ledger.len())).strong().color(p.text_strong));
        ui.label(RichText::new(format!("{} ready", snap.nodes_ready)).color(p.text_weak));
        for (resource, usage) in &snap.totals {
            let name = AcceleratorKind::of(resource).map_or_else(|| resource.clone(), |k| k.label());
            ui.separator();
            ui.label(RichText::new(name).strong());
            ui.label(format!(
                "{} allocatable · {} requested · {} free",
                count(usage.allocatable),
                count(usage.requested),
                count(usage.free())
            ));
        }
    });
}

fn toolbar(ui: &mut Ui, view: &ViewCtx<'_>, state: &mut NodesView) {
    ui.horizontal(|ui| {
        let filter = ui.add(
            egui::TextEdit::singleline(&mut state.filter)
                .hint_text("Filter by name, GPU model, resource or taint")
                .desired_width(320.0),
        );
        filter.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Filter nodes"));
        ui.checkbox(&mut state.only_accelerators, "Only nodes with accelerators");
        let _ = view;
    });
}

fn table(ui: &mut Ui, view: &ViewCtx<'_>, snap: &Arc<ClusterSnapshot>, state: &mut NodesView) {
    let p = view.theme.palette;
    let now = jiff::Timestamp::now().as_second();
    let order = state.order(snap).to_vec();
    // Clicks on cell text select the row rather than the text.
    ui.style_mut().interaction.selectable_labels = false;
    let mut clicked_header = None;
    let mut clicked_row = None;
    TableBuilder::new(ui)
        .id_salt("nodes_table")
        .striped(true)
        .sense(egui::Sense::click())
        .column(Column::initial(150.0).at_least(100.0).clip(true).resizable(true))
        .column(Column::initial(92.0).resizable(true))
        .column(Column::initial(160.0).clip(true).resizable(true))
        .column(Column::initial(190.0).clip(true).resizable(true))
        .column(Column::initial(80.0))
        .column(Column::initial(100.0))
        .column(Column::initial(140.0))
        .column(Column::initial(70.0))
        .column(Column::remainder().at_least(44.0))
        .header(24.0, |mut header| {
            for (title, sort) in COLUMNS {
                header.col(|ui| {
                    let ascending = (state.sort == sort).then_some(state.ascending);
                    if sort_header(ui, view.theme, title, ascending) {
                        clicked_header = Some(sort);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(26.0, order.len(), |mut row| {
                let Some(r) = order.get(row.index()).and_then(|&i| snap.ledger.get(i)) else { return };
                let n_ = &r.node;
                row.set_selected(state.selected.as_deref() == Some(n_.name.as_str()));
                row.col(|ui| {
                    ui.add(egui::Label::new(RichText::new(&n_.name).color(p.text_strong)).truncate().selectable(false));
                });
                row.col(|ui| {
                    let (tone, text) = match node::health(n_) {
                        Tone::Ok => (Tone::Ok, "Ready"),
                        Tone::Warn if !n_.ready => (Tone::Err, "NotReady"),
                        Tone::Warn if n_.unschedulable => (Tone::Warn, "Cordoned"),
                        Tone::Warn => (Tone::Warn, "No plugin"),
                        _ => (Tone::Err, "NotReady"),
                    };
                    let chip = status_chip(ui, view.theme, tone, text);
                    if let Some(hint) = &n_.hint {
                        chip.on_hover_text(hint);
                    }
                });
                row.col(|ui| {
                    let model = n_.gpu.as_ref().map(|g| g.product.replace('_', " ")).unwrap_or_else(|| "—".into());
                    ui.add(egui::Label::new(model).truncate().selectable(false));
                });
                row.col(|ui| {
                    let text = if r.accelerators.is_empty() {
                        if n_.hint.is_some() { "none advertised".to_string() } else { "—".to_string() }
                    } else {
                        r.accelerators
                            .iter()
                            .map(|(res, u)| {
                                let name = AcceleratorKind::of(res).map_or_else(|| res.clone(), |k| k.label());
                                format!("{name} {}/{}/{}", count(u.allocatable), count(u.requested), count(u.free()))
                            })
                            .collect::<Vec<_>>()
                            .join(" · ")
                    };
                    ui.add(egui::Label::new(text).truncate().selectable(false));
                });
                row.col(|ui| {
                    let alloc = accelerators_allocatable(r);
                    let req: f64 = r.accelerators.values().map(|u| u.requested).sum();
                    if alloc > 0.0 {
                        usage_bar(ui, view.theme, req, alloc, 80.0, &format!("{} accelerators in use", n_.name));
                    }
                });
                row.col(|ui| {
                    ui.label(format!("{} / {}", quantity::cores(r.cpu.requested), quantity::cores(r.cpu.allocatable)));
                });
                row.col(|ui| {
                    ui.label(format!(
                        "{} / {}",
                        quantity::bytes(r.memory.requested),
                        quantity::bytes(r.memory.allocatable)
                    ));
                });
                row.col(|ui| {
                    ui.label(r.pods.to_string());
                });
                row.col(|ui| {
                    ui.label(RichText::new(age(now - n_.created)).color(p.text_weak));
                });
                if row.response().clicked() {
                    clicked_row = Some(n_.name.clone());
                }
            });
        });
    if let Some(sort) = clicked_header {
        toggle_sort(&mut state.sort, &mut state.ascending, sort, true);
    }
    if let Some(name) = clicked_row {
        state.selected = if state.selected.as_deref() == Some(name.as_str()) { None } else { Some(name) };
    }
}

/// What each namespace's running and waiting pods request, against what the cluster can allocate.
fn namespaces_table(ui: &mut Ui, view: &ViewCtx<'_>, snap: &ClusterSnapshot, state: &mut NodesView) {
    let p = view.theme.palette;
    let rows = &snap.namespace_allocation;
    let cluster_accelerators: f64 = snap.totals.values().map(|u| u.allocatable).sum();
    let mut order: Vec<usize> = (0..rows.len()).collect();
    // A few hundred namespaces at most: sorting them is cheaper than caching the order.
    order.sort_by(|&a, &b| {
        let (x, y) = (&rows[a], &rows[b]);
        let ord = match state.namespace_sort {
            NamespaceSort::Name => x.namespace.cmp(&y.namespace),
            NamespaceSort::Pods => x.pods.cmp(&y.pods),
            NamespaceSort::Accelerators => x.accelerators_total().total_cmp(&y.accelerators_total()),
            NamespaceSort::Pending => x.accelerators_pending.total_cmp(&y.accelerators_pending),
            NamespaceSort::Cpu => x.cpu.total_cmp(&y.cpu),
            NamespaceSort::Memory => x.memory.total_cmp(&y.memory),
        }
        .then_with(|| x.namespace.cmp(&y.namespace));
        if state.namespace_ascending { ord } else { ord.reverse() }
    });
    let mut clicked = None;
    TableBuilder::new(ui)
        .id_salt("namespace_allocation")
        .striped(true)
        .column(Column::initial(180.0).clip(true).resizable(true))
        .column(Column::initial(60.0))
        .column(Column::initial(260.0).clip(true).resizable(true))
        .column(Column::initial(130.0))
        .column(Column::initial(150.0))
        .column(Column::initial(90.0))
        .column(Column::remainder().at_least(80.0))
        .header(24.0, |mut header| {
            for (title, sort) in NAMESPACE_COLUMNS {
                header.col(|ui| match sort {
                    Some(sort) => {
                        let ascending = (state.namespace_sort == sort).then_some(state.namespace_ascending);
                        if sort_header(ui, view.theme, title, ascending) {
                            clicked = Some(sort);
                        }
                    }
                    None => crate::ui::widgets::sort_header::plain_header(ui, view.theme, title),
                });
            }
        })
        .body(|body| {
            body.rows(26.0, order.len(), |mut row| {
                let Some(a) = order.get(row.index()).and_then(|&i| rows.get(i)) else { return };
                row.col(|ui| {
                    ui.add(egui::Label::new(RichText::new(&a.namespace).color(p.text_strong)).truncate());
                });
                row.col(|ui| {
                    ui.label(a.pods.to_string());
                });
                row.col(|ui| {
                    let text = if a.accelerators.is_empty() {
                        "—".to_string()
                    } else {
                        a.accelerators
                            .iter()
                            .map(|(res, n)| {
                                let name = AcceleratorKind::of(res).map_or_else(|| res.clone(), |k| k.label());
                                format!("{} {name}", count(*n))
                            })
                            .collect::<Vec<_>>()
                            .join(" · ")
                    };
                    ui.add(egui::Label::new(text).truncate());
                });
                row.col(|ui| {
                    // Only devices the cluster advertises count: a request for GPUs no node offers has no share.
                    let held: f64 = a
                        .accelerators
                        .iter()
                        .filter(|(res, _)| snap.totals.get(*res).is_some_and(|u| u.allocatable > 0.0))
                        .map(|(_, n)| n)
                        .sum();
                    if held > 0.0 && cluster_accelerators > 0.0 {
                        let share = held / cluster_accelerators * 100.0;
                        usage_bar(
                            ui,
                            view.theme,
                            held,
                            cluster_accelerators,
                            110.0,
                            &format!("{}'s share of the cluster's accelerators", a.namespace),
                        )
                        .on_hover_text(format!(
                            "{} of the cluster's {} allocatable devices ({share:.0} %)",
                            count(held),
                            count(cluster_accelerators)
                        ));
                    }
                });
                row.col(|ui| {
                    if a.pending == 0 {
                        ui.label(RichText::new("—").color(p.text_weak));
                    } else {
                        let pods = crate::resources::quantity::counted(a.pending, "pod");
                        let text = if a.accelerators_pending > 0.0 {
                            format!("{pods}, {} devices", count(a.accelerators_pending))
                        } else {
                            pods
                        };
                        ui.label(RichText::new(text).color(view.theme.tone(Tone::Warn)));
                    }
                });
                row.col(|ui| {
                    ui.label(quantity::cores(a.cpu));
                });
                row.col(|ui| {
                    ui.label(quantity::bytes(a.memory));
                });
            });
        });
    if let Some(sort) = clicked {
        let first_ascending = sort == NamespaceSort::Name;
        toggle_sort(&mut state.namespace_sort, &mut state.namespace_ascending, sort, first_ascending);
    }
}

fn detail(ui: &mut Ui, view: &ViewCtx<'_>, snap: &ClusterSnapshot, row: &LedgerRow, state: &mut NodesView) {
    let p = view.theme.palette;
    let n_ = &row.node;
    egui::ScrollArea::vertical().id_salt("node_detail_scroll").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(RichText::new(&n_.name).size(size::HEADING - 4.0).strong().color(p.text_strong));
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.small_button("✖").on_hover_text("Close the node detail").clicked() {
                    state.selected = None;
                }
            });
        });
        let facts = [
            ("Status", if n_.ready { "Ready".to_string() } else { "NotReady".to_string() }),
            ("Instance type", n_.instance_type.clone().unwrap_or_else(|| "—".into())),
            ("Zone", n_.zone.clone().unwrap_or_else(|| "—".into())),
            ("Roles", if n_.roles.is_empty() { "—".into() } else { n_.roles.join(", ") }),
        ];
        egui::Grid::new("node_facts").num_columns(2).spacing([14.0, 4.0]).show(ui, |ui| {
            for (k, v) in facts {
                ui.label(RichText::new(k).color(p.text_weak));
                ui.label(v);
                ui.end_row();
            }
            if let Some(g) = &n_.gpu {
                ui.label(RichText::new("GPU").color(p.text_weak));
                let product = g.product.replace('_', " ");
                ui.label(if product.starts_with(&g.vendor) { product } else { format!("{} {product}", g.vendor) });
                ui.end_row();
                if let Some(m) = g.memory_mib {
                    ui.label(RichText::new("GPU memory").color(p.text_weak));
                    ui.label(quantity::bytes(m as f64 * 1048576.0));
                    ui.end_row();
                }
                if let Some(d) = &g.driver {
                    ui.label(RichText::new("Driver / CUDA").color(p.text_weak));
                    ui.label(format!("{d} / {}", g.cuda.clone().unwrap_or_else(|| "—".into())));
                    ui.end_row();
                }
            }
        });
        if let Some(hint) = &n_.hint {
            ui.add_space(8.0);
            Frame::new()
                .fill(crate::ui::theme::Theme::tint(view.theme.tone(Tone::Warn), 40))
                .corner_radius(4)
                .inner_margin(8)
                .show(ui, |ui| {
                    ui.add(egui::Label::new(RichText::new(hint).color(p.text_strong)).wrap());
                });
        }
        ui.add_space(10.0);
        ui.label(RichText::new("Resources").strong().color(p.text_strong));
        egui::Grid::new("node_resources").num_columns(3).spacing([12.0, 6.0]).show(ui, |ui| {
            let line = |ui: &mut Ui, name: String, req: f64, alloc: f64, text: String| {
                ui.label(name.clone());
                usage_bar(ui, view.theme, req, alloc, 110.0, &format!("{name} in use"));
                ui.label(RichText::new(text).color(p.text_weak));
                ui.end_row();
            };
            for (res, u) in &row.accelerators {
                let name = AcceleratorKind::of(res).map_or_else(|| res.clone(), |k| k.label());
                line(
                    ui,
                    name,
                    u.requested,
                    u.allocatable,
                    format!("{} of {} requested, {} free", count(u.requested), count(u.allocatable), count(u.free())),
                );
            }
            line(
                ui,
                "CPU".into(),
                row.cpu.requested,
                row.cpu.allocatable,
                format!("{} of {} cores", quantity::cores(row.cpu.requested), quantity::cores(row.cpu.allocatable)),
            );
            line(
                ui,
                "Memory".into(),
                row.memory.requested,
                row.memory.allocatable,
                format!("{} of {}", quantity::bytes(row.memory.requested), quantity::bytes(row.memory.allocatable)),
            );
        });
        let here: Vec<_> = snap.preemptions.iter().filter(|x| x.node == n_.name).take(5).collect();
        if !here.is_empty() {
            ui.add_space(10.0);
            ui.label(RichText::new("Recent preemptions").strong().color(p.text_strong));
            let now = jiff::Timestamp::now().as_second();
            for x in here {
                let text = format!("{}/{} {}, {} ago", x.namespace, x.victim, x.by_text(), age(now - x.time));
                ui.add(egui::Label::new(RichText::new(text).color(view.theme.tone(Tone::Warn))).wrap());
            }
        }
        ui.add_space(10.0);
        ui.label(RichText::new("Taints").strong().color(p.text_strong));
        if n_.taints.is_empty() {
            ui.label(RichText::new("none").color(p.text_weak));
        }
        for t in &n_.taints {
            ui.label(RichText::new(t).monospace());
        }
        ui.add_space(10.0);
        ui.label(RichText::new("Pods using accelerators").strong().color(p.text_strong));
        match snap.device_pods.get(&n_.name) {
            Some(pods) => {
                for pod in pods {
                    let devices = pod
                        .devices
                        .iter()
                        .map(|(r, a)| {
                            format!("{} {}", count(*a), AcceleratorKind::of(r).map_or_else(|| r.clone(), |k| k.label()))
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    ui.label(format!("{}/{} · {} · {devices}", pod.namespace, pod.name, pod.status));
                }
            }
            None => {
                ui.label(RichText::new("none").color(p.text_weak));
            }
        }
    });
}
