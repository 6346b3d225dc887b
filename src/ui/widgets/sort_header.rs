//! A table column header that sorts: click to sort by it, click again to reverse; an arrow shows the direction.

use egui::{RichText, Ui};

use crate::ui::theme::Theme;

/// Draws the header of a sortable column. `ascending` is `Some` when the table is sorted by this column.
/// Returns true when clicked.
pub fn sort_header(ui: &mut Ui, theme: &Theme, title: &str, ascending: Option<bool>) -> bool {
    let arrow = match ascending {
        Some(true) => " ⬆",
        Some(false) => " ⬇",
        None => "",
    };
    let text = RichText::new(format!("{title}{arrow}")).small().strong().color(theme.palette.text_weak);
    ui.add(egui::Button::new(text).frame(false)).on_hover_text(format!("Sort by {title}")).clicked()
}

/// The header of a column that does not sort.
pub fn plain_header(ui: &mut Ui, theme: &Theme, title: &str) {
    ui.label(RichText::new(title).small().strong().color(theme.palette.text_weak));
}
