//! The Nodes screen's Capacity planner tab: "what would it take to run everything waiting for GPUs?" — per kind of
//! node, how many more it takes; for the plan shown, the answer in one sentence, pods waiting and accelerator use
//! against nodes added, and what would still wait, in the scheduler's words.

use egui::{RichText, Ui};

use crate::charts::ExportFormat;
use crate::resources::quantity::count;
use crate::state::capacity::WhatIfDraft;
use crate::state::command::Command;
use crate::state::loadable::Loadable;
use crate::ui::ViewCtx;
use crate::ui::theme::Tone;
use crate::ui::widgets::chart::{chart_style, line_chart};
use crate::ui::widgets::status_chip::status_chip;
use crate::workloads::capacity::Plan;

fn percent(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// The answer in one sentence.
pub fn headline(plan: &Plan) -> String {
    if let Some(answer) = plan.nothing_to_add() {
        return answer;
    }
    let nodes = crate::resources::quantity::counted(plan.nodes_needed as usize, "more node");
    let run = if plan.nodes_needed == 1 { "runs" } else { "run" };
    let waiting = plan.waiting_pods();
    let placed = plan.pending_pods - waiting;
    let (never, held) = (waiting - plan.quota_held, plan.quota_held);
    let wait = if held == 1 { "waits" } else { "wait" };
    let rest = match (never, held) {
        (0, 0) => String::new(),
        (n, 0) => format!("; {n} can never run here"),
        (0, q) => format!("; {q} {wait} for a quota"),
        (n, q) => format!("; {q} {wait} for a quota, {n} can never run here"),
    };
    if !plan.enough {
        format!("Even {nodes} like {} leave {waiting} of {} waiting pods waiting.", plan.shape, plan.pending_pods)
    } else if plan.nodes_needed == 0 {
        format!("Every pod a node could run fits on the nodes there are ({placed} pods){rest}.")
    } else if waiting == 0 {
        format!("{nodes} like {} {run} all {} waiting pods.", plan.shape, plan.pending_pods)
    } else {
        format!("{nodes} like {} {run} {placed} of {} waiting pods{rest}.", plan.shape, plan.pending_pods)
    }
}

pub fn ui(ui: &mut Ui, view: &ViewCtx<'_>) {
    let p = &view.theme.palette;
    let planner = &view.state.planner;
    if let crate::state::Connection::Connected(info) = &view.state.connection
        && planner.stale(&info.context)
    {
        view.commands.send(Command::RefreshPlan);
    }
    ui.horizontal(|ui| {
        ui.label("At most");
        let mut max = planner.max;
        let drag = ui.add(egui::DragValue::new(&mut max).range(1..=500).suffix(" new nodes"));
        if drag.changed() {
            view.commands.send(Command::SetPlanMax(max));
        }
        if planner.shape.is_some() && ui.button("Try every kind of node").clicked() {
            view.commands.send(Command::SetPlanShape(None));
        }
        ui.separator();
        let ready = planner.plan().is_some();
        if ui
            .add_enabled(ready, egui::Button::new("Export CSV…"))
            .on_hover_text("What would still wait, and why")
            .clicked()
        {
            view.commands.send(Command::ExportPlanCsv);
        }
        for format in [ExportFormat::Svg, ExportFormat::Png] {
            let label = format!("Export chart {}…", format.extension().to_uppercase());
            if ui.add_enabled(ready, egui::Button::new(label)).clicked() {
                view.commands.send(Command::ExportPlanChart { format, style: chart_style(view.theme) });
            }
        }
        if matches!(planner.plans, Loadable::Loading) {
            ui.spinner();
        }
    });
    what_if_row(ui, view);
    ui.add_space(6.0);
    let plans = match &planner.plans {
        Loadable::Ready(plans) => plans,
        Loadable::Failed(e) => {
            status_chip(ui, view.theme, Tone::Err, e);
            return;
        }
        _ => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Replaying the scheduler on the nodes there are and on new ones…");
            });
            return;
        }
    };
    let Some(plan) = planner.plan() else { return };
    egui::ScrollArea::vertical().id_salt("planner_scroll").show(ui, |ui| {
        let tone = if plan.enough && plan.waiting_pods() == 0 { Tone::Ok } else { Tone::Warn };
        ui.label(RichText::new(headline(plan)).size(18.0).strong().color(view.theme.tone(tone)));
        if plan.pending_pods > 0 {
            ui.label(
                RichText::new(format!(
                    "{}. {} in use: {} now, {} after.",
                    plan.shape_description,
                    plan.resource,
                    percent(plan.utilisation_before),
                    percent(plan.utilisation_after)
                ))
                .color(p.text_weak),
            );
        }
        ui.add_space(8.0);
        if plans.len() > 1 || planner.shape.is_none() {
            shapes_table(ui, view, plans, planner.selected);
            ui.add_space(8.0);
        }
        if plan.pending_pods == 0 {
            return;
        }
        ui.columns(2, |cols| {
            if let Some(chart) = &planner.waiting_chart {
                line_chart(&mut cols[0], chart, view.theme, 200.0, |v| format!("{v:.0}"));
            }
            if let Some(chart) = &planner.utilisation_chart {
                line_chart(&mut cols[1], chart, view.theme, 200.0, |v| format!("{v:.0}%"));
            }
        });
        ui.add_space(8.0);
        if plan.still_waiting.is_empty() {
            return;
        }
        ui.label(RichText::new("Would still wait").strong().color(p.text_strong));
        egui::Grid::new("plan_waiting").num_columns(5).striped(true).spacing([14.0, 4.0]).show(ui, |ui| {
            for h in ["Namespace", "Job or pod", "Pods", "GPUs", "Why"] {
                ui.label(RichText::new(h).small().strong().color(p.text_weak));
            }
            ui.end_row();
            for w in &plan.still_waiting {
                ui.label(&w.namespace);
                ui.label(RichText::new(&w.name).color(p.text_strong));
                ui.label(w.pods.to_string());
                ui.label(count(w.gpus));
                ui.add(egui::Label::new(RichText::new(&w.reason).color(p.text_weak)).wrap());
                ui.end_row();
            }
        });
    });
}

/// "If a team's quota were N": the team and accelerator among the quotas there are, the number, and whether the
/// plan assumes it.
fn what_if_row(ui: &mut Ui, view: &ViewCtx<'_>) {
    let p = &view.theme.palette;
    let planner = &view.state.planner;
    // The accelerator quota lines there are (of the namespace planned for, when it is one): (namespace, resource,
    // hard).
    let planned_for = view.state.launch.namespace.as_deref();
    let mut lines: Vec<(String, String, f64)> = Vec::new();
    let quotas = view.state.cluster.iter().flat_map(|s| s.quotas.iter());
    for q in quotas.filter(|q| planned_for.is_none_or(|ns| q.namespace == ns)) {
        for (line, hard) in &q.hard {
            let resource = line.strip_prefix("requests.").unwrap_or(line);
            let key = (q.namespace.clone(), resource.to_string());
            if crate::resources::accelerators::AcceleratorKind::of(resource).is_some()
                && !lines.iter().any(|(n, r, _)| (n, r) == (&key.0, &key.1))
            {
                lines.push((key.0, key.1, *hard));
            }
        }
    }
    ui.horizontal_wrapped(|ui| {
        if lines.is_empty() {
            ui.label(RichText::new("No team has an accelerator quota: nothing waits for one.").color(p.text_weak));
            return;
        }
        // Until the user picks, the guess follows the plan shown (it may not have come yet).
        let start = if planner.draft.namespace.is_empty() {
            first_guess(planner.plan(), &lines)
        } else {
            planner.draft.clone()
        };
        let mut draft = start.clone();
        ui.label("If the quota of");
        let shown = format!("{} on {}", draft.namespace, draft.resource);
        egui::ComboBox::from_id_salt("plan_what_if_line").selected_text(shown).show_ui(ui, |ui| {
            for (ns, r, hard) in &lines {
                let chosen = draft.namespace == *ns && draft.resource == *r;
                let label = format!("{ns} on {r} (now {})", count(*hard));
                if ui.selectable_label(chosen, label).clicked() {
                    (draft.namespace, draft.resource) = (ns.clone(), r.clone());
                }
            }
        });
        ui.label("were");
        ui.add(egui::DragValue::new(&mut draft.hard).range(0..=100_000))
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "What-if quota"));
        let asked = planner.what_if.is_some() && planner.what_if == draft.what_if();
        let mut use_it = None;
        if ui
            .add_enabled(!asked, egui::Button::new("Plan with it"))
            .on_hover_text("Plan the pods the quota would then let their controllers create, too")
            .clicked()
        {
            use_it = Some(true);
        }
        if planner.what_if.is_some() && ui.button("Back to the quotas as they are").clicked() {
            use_it = Some(false);
        }
        if let Some(w) = &planner.what_if {
            status_chip(ui, view.theme, Tone::Pending, &format!("planned as if {w}"));
        }
        // The draft first: the plan is asked with it.
        if draft != start || (use_it.is_some() && draft != planner.draft) {
            view.commands.send(Command::SetPlanDraft(draft));
        }
        if let Some(on) = use_it {
            view.commands.send(Command::UsePlanWhatIf(on));
        }
    });
}

/// The what-if to offer first: the quota a job waits for, raised by what it waits for; else the first quota, doubled.
fn first_guess(plan: Option<&Plan>, lines: &[(String, String, f64)]) -> WhatIfDraft {
    let held = plan.into_iter().flat_map(|p| &p.still_waiting).find_map(|w| {
        let (_, asked) = w.reason.split_once("requested: requests.")?;
        let resource = asked.split_once('=')?.0;
        let (ns, r, hard) = lines.iter().find(|(ns, r, _)| *ns == w.namespace && r == resource)?;
        Some(WhatIfDraft { namespace: ns.clone(), resource: r.clone(), hard: (hard + w.gpus).round() as u32 })
    });
    held.or_else(|| {
        let (ns, r, hard) = lines.first()?;
        Some(WhatIfDraft { namespace: ns.clone(), resource: r.clone(), hard: (hard * 2.0).round() as u32 })
    })
    .unwrap_or_default()
}

/// One row per kind of node: how many it takes, what still waits, the use after; a click shows that plan.
fn shapes_table(ui: &mut Ui, view: &ViewCtx<'_>, plans: &[Plan], selected: usize) {
    let p = &view.theme.palette;
    egui::Grid::new("plan_shapes").num_columns(5).striped(true).spacing([14.0, 4.0]).show(ui, |ui| {
        for h in ["Add nodes like", "Nodes needed", "Still waiting", "In use after", "Node type"] {
            ui.label(RichText::new(h).small().strong().color(p.text_weak));
        }
        ui.end_row();
        for (i, plan) in plans.iter().enumerate() {
            let name = RichText::new(&plan.shape).color(p.text_strong);
            if ui.selectable_label(i == selected, name).on_hover_text("Show this plan").clicked() {
                view.commands.send(Command::SelectPlan(i));
            }
            let needed =
                if plan.enough { plan.nodes_needed.to_string() } else { format!("more than {}", plan.nodes_needed) };
            ui.label(needed);
            let waiting = plan.waiting_pods();
            let text = RichText::new(format!("{waiting} pods"));
            ui.label(if waiting > 0 { text.color(view.theme.tone(Tone::Warn)) } else { text });
            ui.label(percent(plan.utilisation_after));
            ui.label(RichText::new(&plan.shape_description).color(p.text_weak));
            ui.end_row();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(needed: u32, enough: bool, pending: usize, waiting: usize) -> Plan {
        let still_waiting = (0..waiting)
            .map(|i| crate::workloads::capacity::Waiting {
                namespace: "ml".into(),
                name: format!("p{i}"),
                pods: 1,
                gpus: 1.0,
                reason: String::new(),
            })
            .collect();
        Plan {
            shape: "gpu-h100-1".into(),
            shape_description: String::new(),
            nodes_needed: needed,
            enough,
            still_waiting,
            resource: "nvidia.com/gpu".into(),
            utilisation_before: 0.0,
            utilisation_after: 0.0,
            pending_pods: pending,
            quota_held: 0,
            new_nodes: vec![],
            curve: vec![],
        }
    }

    #[test]
    fn headlines_say_the_answer() {
        assert_eq!(headline(&plan(0, true, 0, 0)), "No pod is waiting for accelerators.");
        assert_eq!(headline(&plan(0, true, 1, 1)), "No kind of node here would run the waiting pod.");
        assert_eq!(headline(&plan(0, true, 3, 0)), "Every pod a node could run fits on the nodes there are (3 pods).");
        assert_eq!(headline(&plan(2, true, 5, 0)), "2 more nodes like gpu-h100-1 run all 5 waiting pods.");
        assert_eq!(
            headline(&plan(1, true, 5, 1)),
            "1 more node like gpu-h100-1 runs 4 of 5 waiting pods; 1 can never run here."
        );
        assert_eq!(
            headline(&plan(50, false, 9, 2)),
            "Even 50 more nodes like gpu-h100-1 leave 2 of 9 waiting pods waiting."
        );
        let held = |needed, pending, waiting, quota_held| Plan { quota_held, ..plan(needed, true, pending, waiting) };
        assert_eq!(
            headline(&held(0, 2, 2, 2)),
            "No pod waits for a node; 2 pods wait for a quota to let their operator create them."
        );
        assert_eq!(
            headline(&held(1, 5, 3, 2)),
            "1 more node like gpu-h100-1 runs 2 of 5 waiting pods; 2 wait for a quota, 1 can never run here."
        );
        assert_eq!(
            headline(&held(0, 3, 1, 1)),
            "Every pod a node could run fits on the nodes there are (2 pods); 1 waits for a quota."
        );
    }
}
