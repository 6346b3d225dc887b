//! Bosun: machine learning on Kubernetes in one fast desktop window.
//!
//! Layout (see ARCHITECTURE.md): `ui` draws, `state` holds what is drawn and applies commands and events,
//! `backend` runs slow work on a tokio runtime, `cluster` does all Kubernetes I/O, `charts` defines plotters
//! charts for screen and export, `settings` persists what the user chose.

pub mod app;
pub mod atomic_file;
pub mod backend;
pub mod charts;
pub mod cli;
pub mod cluster;
pub mod demo;
pub mod metrics;
pub mod resources;
pub mod settings;
pub mod stack;
pub mod state;
pub mod store;
pub mod tone;
pub mod ui;
pub mod workloads;

use anyhow::Context as _;

/// Runs the desktop app until its window closes; with `demo`, against a built-in simulated cluster.
pub fn run_gui(
    mut launch: state::LaunchOptions,
    config_dir: Option<std::path::PathBuf>,
    demo: bool,
) -> anyhow::Result<()> {
    let demo_cluster = if demo { Some(demo::DemoCluster::start()?) } else { None };
    if let Some(cluster) = &demo_cluster {
        launch.kubeconfig = Some(cluster.kubeconfig_path());
        launch.context = Some(cluster.context().to_string());
    }
    let store = settings::SettingsStore::chosen(config_dir)?;
    let init = app::AppInit::load(store, launch);
    let [w, h] = init.settings.window_size;
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Bosun")
            .with_app_id("bosun")
            .with_inner_size([w.max(640.0), h.max(420.0)])
            .with_min_inner_size([640.0, 420.0]),
        ..Default::default()
    };
    eframe::run_native("Bosun", options, Box::new(move |cc| Ok(Box::new(app::BosunApp::new(&cc.egui_ctx, init)?))))
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context(
            "could not open the Bosun window: is a display available (DISPLAY or WAYLAND_DISPLAY), and are Vulkan or \
             OpenGL drivers installed (on Debian/Ubuntu: mesa-vulkan-drivers libgl1-mesa-dri libegl1)?",
        )
}
