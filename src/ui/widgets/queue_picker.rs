//! The Kueue queue picker of the launch forms: the LocalQueues of the form's namespace (the label
//! `kueue.x-k8s.io/queue-name`), or none; a text field when the cluster shows none (Kueue absent or not readable).

use egui::Ui;

use crate::resources::kueue::LocalQueueRow;

/// A combo box over the LocalQueues of `namespace` editing `value` (empty: not queued).
pub fn queue_picker(ui: &mut Ui, id: &str, queues: &[LocalQueueRow], namespace: &str, value: &mut String) {
    let ours: Vec<&LocalQueueRow> = queues.iter().filter(|q| q.namespace == namespace).collect();
    if ours.is_empty() {
        let edit = ui.add(egui::TextEdit::singleline(value).hint_text("not queued").desired_width(160.0));
        edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Kueue queue"));
        return;
    }
    let shown = if value.is_empty() { "none (not queued)".to_string() } else { value.clone() };
    egui::ComboBox::from_id_salt(id).selected_text(shown).show_ui(ui, |ui| {
        ui.selectable_value(value, String::new(), "none (not queued)");
        for q in ours {
            let label = format!("{} (→ {}, {} waiting)", q.name, q.cluster_queue, q.pending);
            ui.selectable_value(value, q.name.clone(), label);
        }
    });
}
