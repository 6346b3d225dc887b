//! Pods: every pod in the cluster in one virtualized table. Filtering and sorting happen in the background (the
//! screen sends a query; the next snapshot carries the ordered rows), so 150,000 pods never stall a frame.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::resources::accelerators::AcceleratorKind;
use crate::resources::{pod, quantity};
use crate::state::Command;
use crate::state::cluster_view::{PodQuery, PodSort};
use crate::ui::ViewCtx;
use crate::ui::theme::Tone;
use crate::ui::views::empty_state;
use crate::ui::views::nodes::age;
use crate::ui::widgets::status_chip::status_chip;

const COLUMNS: [(&str, PodSort); 8] = [
    ("Namespace", PodSort::Namespace),
    ("Name", PodSort::Name),
    ("Status", PodSort::Status),
    ("Ready", PodSort::Status),
    ("Restarts", PodSort::Restarts),
    ("Node", PodSort::Node),
    ("Accelerators", PodSort::Gpus),
    ("Age", PodSort::Age),
];

const PHASES: [&str; 5] = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];

/// The filter text being typed (sent to the background as the user types).
#[derive(Debug, Default)]
pub struct PodsView {
    text: String,
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
    let now = jiff::Timestamp::now().as_second();
    let mut clicked: Option<PodSort> = None;
    TableBuilder::new(ui)
        .id_salt("pods_table")
        .striped(true)
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
                header.col(|ui| {
                    let arrow = if query.sort == sort && title != "Ready" {
                        if query.descending { " ⬇" } else { " ⬆" }
                    } else {
                        ""
                    };
                    let text = RichText::new(format!("{title}{arrow}")).small().strong().color(p.text_weak);
                    if ui.add(egui::Button::new(text).frame(false)).on_hover_text(format!("Sort by {title}")).clicked()
                    {
                        clicked = Some(sort);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(24.0, page.rows.len(), |mut row| {
                let Some(r) = page.rows.get(row.index()) else { return };
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
            });
        });
    if let Some(sort) = clicked {
        let descending = if query.sort == sort { !query.descending } else { false };
        view.commands.send(Command::SetPodQuery(PodQuery { sort, descending, ..query }));
    }
}
