//! The priority-class picker of the launch forms: the cluster's PriorityClasses (highest first, with their value and
//! whether they preempt), or the cluster's default. Typing stays possible while the classes are unknown.

use egui::{RichText, Ui};

use crate::state::teams::PriorityRow;
use crate::ui::theme::Theme;

/// The launch forms' "Priority class" and "Kueue queue" rows of a grid: the cluster's classes, and the LocalQueues of
/// `namespace`.
pub fn scheduling_rows(
    ui: &mut Ui,
    theme: &Theme,
    id: &str,
    teams: &crate::state::teams::TeamsState,
    namespace: &str,
    priority_class: &mut String,
    queue: &mut String,
) {
    ui.label("Priority class");
    priority_picker(ui, theme, &format!("{id}_priority"), &teams.classes, priority_class);
    ui.end_row();
    ui.label("Kueue queue");
    super::queue_picker::queue_picker(ui, &format!("{id}_queue"), &teams.local_queues, namespace, queue);
    ui.end_row();
}

/// A combo box over `classes` editing `value` (empty: the cluster's default); a text field when none are known.
pub fn priority_picker(ui: &mut Ui, theme: &Theme, id: &str, classes: &[PriorityRow], value: &mut String) {
    if classes.is_empty() {
        let edit = ui.add(egui::TextEdit::singleline(value).hint_text("cluster default").desired_width(160.0));
        edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Priority class"));
        return;
    }
    let shown = if value.is_empty() { "cluster default".to_string() } else { value.clone() };
    egui::ComboBox::from_id_salt(id).selected_text(shown).width(200.0).show_ui(ui, |ui| {
        ui.selectable_value(value, String::new(), "cluster default");
        for c in classes.iter().filter(|c| !c.name.starts_with("system-")) {
            let preempts = if c.preemption == "Never" { "never preempts" } else { "may preempt" };
            let label = format!("{} ({}, {preempts})", c.name, c.value);
            ui.selectable_value(value, c.name.clone(), label).on_hover_text(&c.description);
        }
    });
    if !value.is_empty() && !classes.iter().any(|c| c.name == *value) {
        let warn = theme.tone(crate::ui::theme::Tone::Warn);
        ui.label(RichText::new(format!("no PriorityClass {value:?} on this cluster")).color(warn).small());
    }
}
