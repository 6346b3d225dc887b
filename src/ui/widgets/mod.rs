//! Widgets shared by several screens.

pub mod chart;
pub mod status_chip;
pub mod toasts;
pub mod usage_bar;
