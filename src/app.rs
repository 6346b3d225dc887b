//! The eframe application: owns the state, the command queue and the background handle, and runs one frame.
//!
//! Each frame: apply background events, draw the shell (widgets queue commands), then handle the queued commands
//! and pass the resulting requests to the background. Nothing here waits on disk or network.

use std::sync::Arc;

use crate::backend::{Backend, EventReceiver};
use crate::settings::ThemeChoice;
use crate::settings::{Settings, SettingsError, SettingsStore};
use crate::state::protocol::Request;
use crate::state::{AppState, CommandReceiver, CommandSender, LaunchOptions, command_channel};
use crate::tone::Tone;
use crate::ui::ViewCtx;
use crate::ui::shell::Shell;
use crate::ui::theme::Theme;
use crate::ui::widgets::toasts;

/// What the app needs to start: where settings live, what was loaded from there, and the command line.
pub struct AppInit {
    pub store: SettingsStore,
    pub settings: Settings,
    /// A problem found while loading the settings, shown once the window is up.
    pub settings_problem: Option<SettingsError>,
    pub launch: LaunchOptions,
    /// The launch form's draft, if one was saved.
    pub draft: Option<crate::workloads::TrainingSpec>,
    /// The launch form's saved templates, by name.
    pub templates: Vec<(String, crate::workloads::TrainingSpec)>,
    /// The Serving form's draft, if one was saved.
    pub serving_draft: Option<crate::workloads::serving::ServingSpec>,
    /// The Notebooks form's draft, if one was saved.
    pub notebook_draft: Option<crate::workloads::notebook::NotebookSpec>,
}

impl AppInit {
    /// Loads the settings from `store` (disk I/O: call before the window opens).
    pub fn load(store: SettingsStore, launch: LaunchOptions) -> Self {
        let loaded = store.load();
        // The launch form as it was left (a crash or a restart loses nothing typed); unreadable: a fresh form.
        let draft = std::fs::read_to_string(store.dir().join(crate::workloads::spec::DRAFT_FILE))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        let templates = crate::workloads::spec::read_templates(store.dir());
        let serving_draft = std::fs::read_to_string(store.dir().join(crate::workloads::serving::DRAFT_FILE))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        let notebook_draft = std::fs::read_to_string(store.dir().join(crate::workloads::notebook::DRAFT_FILE))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        Self {
            notebook_draft,
            store,
            settings: loaded.settings,
            settings_problem: loaded.problem,
            launch,
            draft,
            templates,
            serving_draft,
        }
    }
}

pub struct BosunApp {
    state: AppState,
    sender: CommandSender,
    commands: CommandReceiver,
    backend: Backend,
    events: EventReceiver,
    store: SettingsStore,
    shell: Shell,
    theme: Theme,
    applied_theme: Option<ThemeChoice>,
}

impl BosunApp {
    /// Creates the app and starts its background runtime.
    pub fn new(ctx: &egui::Context, init: AppInit) -> std::io::Result<Self> {
        let repaint = ctx.clone();
        let (backend, events) = Backend::start(init.store.clone(), Arc::new(move || repaint.request_repaint()))?;
        let (sender, commands) = command_channel();
        let mut state = AppState::new(init.settings, init.launch);
        if let Some(draft) = init.draft {
            state.training = crate::state::training::TrainingState::new(draft);
        }
        state.training.templates = init.templates;
        if let Some(draft) = init.notebook_draft {
            state.notebooks = crate::state::notebooks::NotebooksState::new(draft);
        }
        if let Some(draft) = init.serving_draft {
            state.serving = crate::state::serving::ServingState::new(draft);
        }
        if let Some(problem) = init.settings_problem {
            state.toasts.push(Tone::Warn, problem.to_string());
        }
        for request in state.startup_requests() {
            backend.send(request);
        }
        let theme = Theme::new(state.settings.theme);
        Ok(Self {
            state,
            sender,
            commands,
            backend,
            events,
            store: init.store,
            shell: Shell::default(),
            theme,
            applied_theme: None,
        })
    }

    /// The app model (for tests and headless checks).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A sender for commands, as widgets use it (for tests).
    pub fn command_sender(&self) -> CommandSender {
        self.sender.clone()
    }

    fn send_all(&self, requests: Vec<Request>) {
        for request in requests {
            self.backend.send(request);
        }
    }

    fn apply_events(&mut self, ctx: &egui::Context) {
        for event in self.events.drain() {
            let requests = self.state.apply(event);
            self.send_all(requests);
        }
        // A notebook's forward is up: its page opens in the system browser.
        if let Some(url) = self.state.notebooks.open_url.take() {
            ctx.open_url(egui::OpenUrl::new_tab(url));
        }
    }

    fn handle_commands(&mut self, ctx: &egui::Context) {
        let commands = self.commands.drain();
        if commands.is_empty() {
            return;
        }
        for command in commands {
            let requests = self.state.handle(command);
            self.send_all(requests);
        }
        // The changes become visible in the next frame.
        ctx.request_repaint();
    }

    fn track_window_size(&mut self, ctx: &egui::Context) {
        let Some(rect) = ctx.input(|i| i.viewport().inner_rect) else { return };
        let size = [rect.width().round(), rect.height().round()];
        if size != self.state.settings.window_size && size[0] > 0.0 && size[1] > 0.0 {
            self.sender.send(crate::state::Command::WindowResized(size));
        }
    }
}

impl Drop for BosunApp {
    fn drop(&mut self) {
        // The last change may still sit in the background's debounce window; write it now, on the way out.
        if let Err(e) = self.store.save(&self.state.settings) {
            tracing::error!("{e}");
        }
    }
}

impl eframe::App for BosunApp {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.apply_events(ctx);
        if let Some(cpu) = frame.info().cpu_usage {
            let now = ctx.input(|i| i.time);
            self.state.frame_times.record(now, cpu);
        }
        if self.applied_theme != Some(self.state.settings.theme) {
            self.theme = Theme::new(self.state.settings.theme);
            self.theme.apply(ctx);
            self.applied_theme = Some(self.state.settings.theme);
        }
        let now = ctx.input(|i| i.time);
        toasts::schedule_expiry(ctx, self.state.toasts.tick(now));
        self.track_window_size(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let view = ViewCtx { state: &self.state, theme: &self.theme, commands: &self.sender };
        self.shell.show(ui, &view);
        self.handle_commands(ui.ctx());
    }

    fn clear_color(&self, _visuals: &egui::Visuals) -> [f32; 4] {
        self.theme.palette.bg.to_normalized_gamma_f32()
    }
}
