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
    let text = header_text(theme, &format!("{title}{arrow}"));
    ui.add(egui::Button::new(text).frame(false)).on_hover_text(format!("Sort by {title}")).clicked()
}

/// The header of a column that does not sort: laid out like a sortable one (same padding, so titles line up) but
/// not clickable.
pub fn plain_header(ui: &mut Ui, theme: &Theme, title: &str) {
    let text = header_text(theme, title);
    ui.add(egui::Button::new(text).frame(false).sense(egui::Sense::hover()));
}

fn header_text(theme: &Theme, title: &str) -> RichText {
    RichText::new(title).small().strong().color(theme.palette.text_weak)
}

/// A click on column `clicked`: the same column flips its direction, another one becomes the sort column in its
/// `first` direction (ascending for names, descending for amounts).
pub fn toggle_sort<S: PartialEq>(sort: &mut S, ascending: &mut bool, clicked: S, first_ascending: bool) {
    if *sort == clicked {
        *ascending = !*ascending;
    } else {
        *sort = clicked;
        *ascending = first_ascending;
    }
}
