//! Everything egui: the app shell, one module per screen, shared widgets and the theme. The only place that knows
//! egui. Views read a borrowed [`ViewCtx`] and change things only by sending [`crate::state::Command`]s.

pub mod palette;
pub mod shell;
pub mod theme;
pub mod views;
pub mod widgets;

use crate::state::{AppState, CommandSender};
use theme::Theme;

/// What a view gets for one frame: the state to draw, the theme, and the way to ask for changes.
pub struct ViewCtx<'a> {
    pub state: &'a AppState,
    pub theme: &'a Theme,
    pub commands: &'a CommandSender,
}
