//! The table of user actions ([`UiCommand`]): label, shortcut and the [`Command`] each one sends. Navigation,
//! keyboard shortcuts and the command palette (Ctrl+K) are all driven by this one table.

use egui::{Key, KeyboardShortcut, Modifiers};

use crate::charts::ExportFormat;
use crate::state::{Command, Screen};
use crate::ui::theme::Theme;
use crate::ui::views::registry::{self, SCREENS};
use crate::ui::widgets::chart::chart_style;

/// An action the user can trigger from a menu, a shortcut or the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiCommand {
    GoTo(Screen),
    ToggleTheme,
    CommandPalette,
    ToggleDiagnostics,
    AddKubeconfig,
    ReloadKubeconfig,
    Reconnect,
    StartDemo,
    ExportFrameChart(ExportFormat),
}

const DIGITS: [Key; 9] =
    [Key::Num1, Key::Num2, Key::Num3, Key::Num4, Key::Num5, Key::Num6, Key::Num7, Key::Num8, Key::Num9];

impl UiCommand {
    /// Every action, in the order the palette lists them.
    pub fn all() -> Vec<UiCommand> {
        let mut all: Vec<UiCommand> = SCREENS.iter().map(|s| UiCommand::GoTo(s.screen)).collect();
        all.extend([
            UiCommand::ToggleTheme,
            UiCommand::ToggleDiagnostics,
            UiCommand::AddKubeconfig,
            UiCommand::ReloadKubeconfig,
            UiCommand::Reconnect,
            UiCommand::StartDemo,
            UiCommand::ExportFrameChart(ExportFormat::Svg),
            UiCommand::ExportFrameChart(ExportFormat::Png),
            UiCommand::CommandPalette,
        ]);
        all
    }

    pub fn label(self) -> String {
        match self {
            UiCommand::GoTo(screen) => format!("Go to {}", registry::info(screen).title),
            UiCommand::ToggleTheme => "Switch dark / light theme".into(),
            UiCommand::CommandPalette => "Command palette".into(),
            UiCommand::ToggleDiagnostics => "Show / hide diagnostics (frame times)".into(),
            UiCommand::AddKubeconfig => "Add a kubeconfig file…".into(),
            UiCommand::ReloadKubeconfig => "Reload kubeconfig files".into(),
            UiCommand::Reconnect => "Reconnect to the cluster".into(),
            UiCommand::StartDemo => "Try the demo cluster (simulated GPU lab)".into(),
            UiCommand::ExportFrameChart(f) => format!("Export frame-time chart as {}…", f.extension().to_uppercase()),
        }
    }

    pub fn shortcut(self) -> Option<KeyboardShortcut> {
        match self {
            UiCommand::GoTo(screen) => {
                let index = SCREENS.iter().position(|s| s.screen == screen)?;
                DIGITS.get(index).map(|&key| KeyboardShortcut::new(Modifiers::COMMAND, key))
            }
            UiCommand::ToggleTheme => Some(KeyboardShortcut::new(Modifiers::COMMAND | Modifiers::SHIFT, Key::T)),
            UiCommand::CommandPalette => Some(KeyboardShortcut::new(Modifiers::COMMAND, Key::K)),
            UiCommand::ToggleDiagnostics => Some(KeyboardShortcut::new(Modifiers::NONE, Key::F12)),
            UiCommand::ReloadKubeconfig => Some(KeyboardShortcut::new(Modifiers::NONE, Key::F5)),
            UiCommand::AddKubeconfig | UiCommand::Reconnect | UiCommand::StartDemo | UiCommand::ExportFrameChart(_) => {
                None
            }
        }
    }

    /// The shortcut as text for menus and tooltips, e.g. "Ctrl+K".
    pub fn shortcut_text(self, ctx: &egui::Context) -> Option<String> {
        self.shortcut().map(|s| ctx.format_shortcut(&s))
    }

    /// The state command this action sends.
    pub fn command(self, theme: &Theme) -> Command {
        match self {
            UiCommand::GoTo(screen) => Command::Navigate(screen),
            UiCommand::ToggleTheme => Command::ToggleTheme,
            UiCommand::CommandPalette => Command::OpenPalette,
            UiCommand::ToggleDiagnostics => Command::ToggleDiagnostics,
            UiCommand::AddKubeconfig => Command::AddKubeconfigFile,
            UiCommand::ReloadKubeconfig => Command::ReloadKubeconfig,
            UiCommand::Reconnect => Command::Reconnect,
            UiCommand::StartDemo => Command::StartDemo,
            UiCommand::ExportFrameChart(format) => Command::ExportFrameChart { format, style: chart_style(theme) },
        }
    }

    /// Whether `query` matches this action: every word of the query occurs in the label (case-insensitive).
    pub fn matches(self, query: &str) -> bool {
        let label = self.label().to_lowercase();
        query.split_whitespace().all(|word| label.contains(&word.to_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_are_unique_and_screens_get_ctrl_digits() {
        let shortcuts: Vec<_> = UiCommand::all().into_iter().filter_map(UiCommand::shortcut).collect();
        for (i, a) in shortcuts.iter().enumerate() {
            assert!(!shortcuts[i + 1..].contains(a), "duplicate shortcut {a:?}");
        }
        assert_eq!(
            UiCommand::GoTo(Screen::Nodes).shortcut(),
            Some(KeyboardShortcut::new(Modifiers::COMMAND, Key::Num2))
        );
    }

    #[test]
    fn palette_query_matches_words_in_any_order() {
        assert!(UiCommand::GoTo(Screen::ModelAnalysis).matches("analysis go"));
        assert!(UiCommand::ToggleTheme.matches("THEME"));
        assert!(!UiCommand::ToggleTheme.matches("nodes"));
        assert!(UiCommand::ToggleTheme.matches(""));
    }
}
