//! The accelerator picker of the serving and notebook forms: which extended resource (`nvidia.com/gpu`, a MIG slice,
//! `amd.com/gpu` … as the cluster has them) and how many per pod.

use egui::Ui;

/// Shows the picker; `label` names the count for screen readers. Choosing a resource asks for at least one.
pub fn accelerator_picker(
    ui: &mut Ui,
    id_salt: &str,
    resources: &[String],
    accelerator: &mut Option<String>,
    count: &mut u32,
    label: &str,
) {
    ui.horizontal(|ui| {
        let current = accelerator.clone().unwrap_or_default();
        egui::ComboBox::from_id_salt(id_salt)
            .selected_text(if current.is_empty() { "none".to_string() } else { current.clone() })
            .show_ui(ui, |ui| {
                if ui.selectable_label(current.is_empty(), "none").clicked() {
                    *accelerator = None;
                    *count = 0;
                }
                for r in resources {
                    if ui.selectable_label(current == *r, r).clicked() {
                        *accelerator = Some(r.clone());
                        *count = (*count).max(1);
                    }
                }
            });
        if accelerator.is_some() {
            ui.add(egui::DragValue::new(count).range(0..=8))
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, label));
        }
    });
}
