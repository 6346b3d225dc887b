//! Widgets shared by several screens.

pub mod accelerator;
pub mod chart;
pub mod priority_picker;
pub mod queue_picker;
pub mod sort_header;
pub mod status_chip;
pub mod toasts;
pub mod usage_bar;
