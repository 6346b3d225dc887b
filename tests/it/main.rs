//! Integration tests, compiled as one binary. Each module says what it covers.

/// The app shell driven headlessly through its accessibility tree: navigation, shortcuts, palette, theme,
/// settings persistence, kubeconfig contexts.
mod ui_shell;
mod util;
