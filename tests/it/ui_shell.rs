use std::time::{Duration, Instant};

use bosun::settings::ThemeChoice;
use bosun::settings::{Settings, SettingsStore};
use bosun::state::{Connection, Contexts, Screen};
use bosun::ui::views::registry::SCREENS;
use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;

use crate::util::{app, wait_for, write_kubeconfig};

#[test]
fn every_navigation_item_opens_its_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), write_kubeconfig(dir.path()));
    harness.run_steps(2);
    for info in SCREENS.iter().rev() {
        harness.get_by_role_and_label(Role::Button, info.title).click();
        harness.run_steps(3);
        assert_eq!(harness.state().state().settings.screen, info.screen, "clicking {}", info.title);
        // The page shows the screen's own summary and what it holds — and nothing of another screen.
        harness.get_by_label(info.summary);
        harness.get_by_label(info.features[0]);
        for other in SCREENS.iter().filter(|o| o.screen != info.screen) {
            assert!(
                harness.query_by_label(other.summary).is_none() && harness.query_by_label(other.features[0]).is_none(),
                "{} shows {}'s content",
                info.title,
                other.title
            );
        }
    }
}

#[test]
fn ctrl_digit_shortcuts_switch_screens() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), write_kubeconfig(dir.path()));
    harness.run_steps(2);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num3);
    harness.run_steps(3);
    assert_eq!(harness.state().state().settings.screen, Screen::Pods);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num9);
    harness.run_steps(3);
    assert_eq!(harness.state().state().settings.screen, Screen::Notebooks);
}

#[test]
fn command_palette_finds_and_runs_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), write_kubeconfig(dir.path()));
    harness.run_steps(2);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::K);
    harness.run_steps(3);
    assert!(harness.state().state().palette_open);
    harness.get_by_role(Role::TextInput).type_text("serving");
    harness.run_steps(3);
    assert!(harness.query_by_label("Go to Nodes").is_none(), "filtered out");
    harness.key_press(Key::Enter);
    harness.run_steps(3);
    let state = harness.state().state();
    assert_eq!(state.settings.screen, Screen::Serving);
    assert!(!state.palette_open);
}

#[test]
fn theme_toggle_switches_visuals() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), write_kubeconfig(dir.path()));
    harness.run_steps(2);
    assert!(harness.ctx.global_style().visuals.dark_mode);
    harness.get_by_label("☀ Light theme").click();
    harness.run_steps(3);
    assert_eq!(harness.state().state().settings.theme, ThemeChoice::Light);
    assert!(!harness.ctx.global_style().visuals.dark_mode);
    harness.get_by_label("🌙 Dark theme").click();
    harness.run_steps(3);
    assert!(harness.ctx.global_style().visuals.dark_mode);
}

#[test]
fn settings_round_trip_through_the_config_dir() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_kubeconfig(dir.path());
    let config_dir = dir.path().join("config");
    {
        let mut harness = app(&config_dir, kubeconfig.clone());
        harness.run_steps(2);
        harness.get_by_label("☀ Light theme").click();
        harness.run_steps(2);
        harness.get_by_role_and_label(Role::Button, "Nodes").click();
        harness.run_steps(3);
        // The background writes the file shortly after the change (debounced), while the app runs.
        let store = SettingsStore::in_dir(&config_dir);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let saved = store.load().settings;
            if saved.theme == ThemeChoice::Light && saved.screen == Screen::Nodes {
                break;
            }
            assert!(Instant::now() < deadline, "settings not saved: {saved:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
        // A change right before closing is written when the app closes.
        harness.key_press(Key::F12);
        harness.run_steps(3);
    }
    let mut harness = app(&config_dir, kubeconfig);
    harness.run_steps(2);
    let state = harness.state().state();
    assert_eq!((state.settings.theme, state.settings.screen), (ThemeChoice::Light, Screen::Nodes));
    assert!(state.settings.show_diagnostics);
    assert!(!harness.ctx.global_style().visuals.dark_mode);
    harness.get_by_label(SCREENS[1].summary);
}

#[test]
fn corrupt_settings_are_reported_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("config");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(config_dir.join("settings.json"), "{ not json").unwrap();
    let mut harness = app(&config_dir, write_kubeconfig(dir.path()));
    harness.run_steps(2);
    harness.get_by_label_contains("settings file");
    let kept = std::fs::read_dir(&config_dir)
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with("settings.json.corrupt-"));
    assert!(kept, "the unreadable file is kept aside");
    assert_eq!(harness.state().state().settings, Settings::default());
}

#[test]
fn kubeconfig_contexts_are_listed_and_selectable() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), write_kubeconfig(dir.path()));
    wait_for(&mut harness, "kubeconfig", |s| matches!(s.contexts, Contexts::Ready(_)));
    assert_eq!(harness.state().state().selected_context(), Some("alpha"));
    // Nothing listens at the made-up servers: wait for the connection attempt to settle before clicking.
    wait_for(&mut harness, "connection attempt", |s| matches!(s.connection, Connection::Failed { .. }));
    harness.get_by_label("https://127.0.0.2:1");
    harness.get_by_label("beta").click();
    harness.run_steps(3);
    assert_eq!(harness.state().state().selected_context(), Some("beta"));
    assert_eq!(harness.state().state().settings.last_context.as_deref(), Some("beta"));
}

#[test]
fn a_broken_kubeconfig_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.yaml");
    std::fs::write(&path, "contexts: [ {name: a, context: {cluster: }").unwrap();
    let mut harness = app(dir.path(), path);
    wait_for(&mut harness, "kubeconfig error", |s| matches!(s.contexts, Contexts::Failed(_)));
    harness.get_by_label("The kubeconfig could not be read");
    assert!(harness.get_all_by_label_contains("broken.yaml").count() >= 1);
}

#[test]
fn diagnostics_panel_shows_the_frame_time_chart() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), write_kubeconfig(dir.path()));
    harness.run_steps(2);
    harness.key_press(Key::F12);
    harness.run_steps(3);
    assert!(harness.state().state().settings.show_diagnostics);
    harness.get_by_label("UI frame time");
    harness.get_by_label("Export SVG…");
}
