//! The app model that the UI draws: which screen is open, the theme, notifications, the kubeconfig contexts.
//!
//! State changes in exactly two places: [`AppState::handle`] for the user's [`Command`]s and [`AppState::apply`]
//! for background [`Event`]s. Both are plain functions that return the background [`Request`]s they need, so
//! they are tested without a window or a runtime. Nothing here knows egui.

pub mod capacity;
pub mod cluster_view;
pub mod command;
pub mod experiments;
pub mod frame_times;
pub mod install;
pub mod loadable;
pub mod model_analysis;
pub mod notebooks;
pub mod protocol;
pub mod serving;
pub mod teams;
pub mod toasts;
pub mod training;

use std::path::PathBuf;

pub use command::{Command, CommandReceiver, CommandSender, command_channel};

use crate::cluster::connect::ClusterInfo;
use crate::cluster::kubeconfig::KubeconfigSources;
use crate::resources::context::KubeconfigSummary;
pub use crate::settings::Screen;
use crate::settings::Settings;
use crate::tone::Tone;
use frame_times::FrameTimes;
use protocol::{
    ClusterEvent, ClusterRequest, Event, ExportEvent, ExportRequest, LogEvent, LogRequest, Request, TeamsEvent,
};
use toasts::Toasts;

/// What the command line asked for at start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaunchOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
}

/// The kubeconfig contexts as far as they are known.
#[derive(Debug, Clone, PartialEq)]
pub enum Contexts {
    Loading,
    Ready(KubeconfigSummary),
    Failed(String),
}

/// The connection to the selected context.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    /// No context selected yet.
    Idle,
    Connecting {
        context: String,
    },
    Connected(ClusterInfo),
    Failed {
        context: String,
        message: String,
    },
}

/// The log being shown.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogView {
    pub id: u64,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub follow: bool,
    pub lines: Vec<String>,
    /// Older lines dropped to stay within [`MAX_LOG_LINES`]; with `lines.len()` it counts every line received, which
    /// is what tells a view its cached work on the lines is stale.
    pub dropped: usize,
    /// Set when the stream ended: `Ok` for the end of a finished container's log, `Err` with the reason.
    pub done: Option<Result<(), String>>,
}

/// The pod whose detail is open, and what was fetched for it.
#[derive(Debug, Clone, PartialEq)]
pub struct PodDetailView {
    pub namespace: String,
    pub name: String,
    pub detail: loadable::Loadable<crate::resources::pod::PodDetail>,
    /// The pod's row in the current pod list, found once per snapshot (not per frame); `None` when it is not
    /// listed (filtered out, or gone).
    pub row: Option<std::sync::Arc<crate::resources::pod::PodRow>>,
}

/// Most lines a log view keeps (older ones are dropped).
pub const MAX_LOG_LINES: usize = 100_000;

/// Everything the UI draws from, apart from per-widget egui memory.
#[derive(Debug)]
pub struct AppState {
    pub settings: Settings,
    pub launch: LaunchOptions,
    pub palette_open: bool,
    pub toasts: Toasts,
    pub frame_times: FrameTimes,
    pub contexts: Contexts,
    pub connection: Connection,
    /// The live cluster, as last derived from the watchers of the current connection.
    pub cluster: Option<std::sync::Arc<cluster_view::ClusterSnapshot>>,
    /// How the pod list is filtered and sorted (applied in the background).
    pub pod_query: cluster_view::PodQuery,
    pub logs: Option<LogView>,
    /// The open pod detail's containers and events.
    pub pod_detail: Option<PodDetailView>,
    /// Pods by phase over time, sampled from snapshots: (Unix seconds, phase → count).
    pub phase_history: std::collections::VecDeque<(i64, std::collections::BTreeMap<String, usize>)>,
    /// The Install screen's wizard.
    pub install: install::InstallWizard,
    /// The Training screen: launch form, submit, flight recorder.
    pub training: training::TrainingState,
    /// The Experiments screen: runs, objective, curves.
    pub experiments: experiments::ExperimentsState,
    /// The Serving screen: deploy form, model servers, canary, try it.
    pub serving: serving::ServingState,
    /// The Notebooks screen: servers, JupyterHub, the start form, open forwards.
    pub notebooks: notebooks::NotebooksState,
    /// The Model analysis screen: evaluations, the slice table and charts, comparisons.
    pub model_analysis: model_analysis::ModelAnalysisState,
    /// The Nodes screen's Teams tab: GPUs by team against quotas, PriorityClasses.
    pub teams: teams::TeamsState,
    /// The Nodes screen's Capacity planner tab: the question and the planner's answer.
    pub planner: capacity::PlannerState,
    /// Numbers connection attempts, so a late answer for an earlier context is ignored.
    connect_attempt: u64,
    extra_kubeconfigs: Vec<PathBuf>,
    /// The settings as last handed to the background for saving.
    saved: Settings,
}

impl AppState {
    pub fn new(settings: Settings, launch: LaunchOptions) -> Self {
        let runs_folders = settings.runs_folders.clone();
        let pod_query =
            cluster_view::PodQuery { namespaces: launch.namespace.iter().cloned().collect(), ..Default::default() };
        Self {
            saved: settings.clone(),
            settings,
            launch,
            palette_open: false,
            toasts: Toasts::default(),
            frame_times: FrameTimes::default(),
            contexts: Contexts::Loading,
            connection: Connection::Idle,
            cluster: None,
            pod_query,
            logs: None,
            pod_detail: None,
            phase_history: Default::default(),
            install: install::InstallWizard::default(),
            training: training::TrainingState::new(crate::workloads::TrainingSpec::default()),
            experiments: experiments::ExperimentsState::with_folders(runs_folders),
            serving: serving::ServingState::new(crate::workloads::serving::ServingSpec::default()),
            notebooks: notebooks::NotebooksState::new(crate::workloads::notebook::NotebookSpec::default()),
            model_analysis: model_analysis::ModelAnalysisState::default(),
            teams: teams::TeamsState::default(),
            planner: capacity::PlannerState::default(),
            connect_attempt: 0,
            extra_kubeconfigs: Vec::new(),
        }
    }

    /// Background work to start with the app.
    pub fn startup_requests(&mut self) -> Vec<Request> {
        let mut requests = vec![
            Request::Cluster(ClusterRequest::LoadKubeconfig(self.kubeconfig_sources())),
            Request::Cluster(ClusterRequest::PodQuery(self.pod_query.clone())),
        ];
        let remembered = self.settings.evaluation_files.clone();
        requests.extend(self.model_analysis.restore(&remembered).into_iter().map(Request::ModelAnalysis));
        requests
    }

    fn kubeconfig_sources(&self) -> KubeconfigSources {
        KubeconfigSources { explicit: self.launch.kubeconfig.clone(), extra: self.extra_kubeconfigs.clone() }
    }

    /// The context Bosun works with: the one chosen on the command line, else the one picked last time (if it
    /// still exists), else the kubeconfig's current context.
    pub fn selected_context(&self) -> Option<&str> {
        let Contexts::Ready(summary) = &self.contexts else { return None };
        let exists = |name: &str| summary.contexts.iter().any(|c| c.name == name);
        self.launch
            .context
            .as_deref()
            .or(self.settings.last_context.as_deref().filter(|n| exists(n)))
            .or(summary.current_context.as_deref())
    }

    /// Applies one user command.
    pub fn handle(&mut self, command: Command) -> Vec<Request> {
        let mut requests = Vec::new();
        match command {
            Command::Navigate(screen) => {
                self.settings.screen = screen;
                self.palette_open = false;
                requests.extend(self.refresh_install_if_stale());
                requests.extend(self.refresh_notebooks_if_due());
                requests.extend(self.refresh_model_analysis_if_due());
            }
            Command::OpenPod { namespace, name } => {
                let row = self.listed_pod(&namespace, &name);
                self.pod_detail = Some(PodDetailView {
                    namespace: namespace.clone(),
                    name: name.clone(),
                    detail: loadable::Loadable::Loading,
                    row,
                });
                requests.push(Request::Cluster(ClusterRequest::PodDetail { namespace, name }));
            }
            Command::ClosePod => self.pod_detail = None,
            Command::Wizard(command) => {
                requests.extend(self.install.handle(command).into_iter().map(Request::Stack));
            }
            Command::Training(command) => {
                requests.extend(self.training.handle(command).into_iter().map(Request::Training));
            }
            Command::Notebooks(command) => {
                requests.extend(self.notebooks.handle(command).into_iter().map(Request::Notebooks));
            }
            Command::ModelAnalysis(command) => {
                requests.extend(self.model_analysis.handle(command).into_iter().map(Request::ModelAnalysis));
                requests.extend(self.refresh_model_analysis_if_due());
                self.settings.evaluation_files = self.model_analysis.remembered();
            }
            Command::RefreshTeams => {
                if let Connection::Connected(info) = &self.connection {
                    let (context, namespace) = (info.context.clone(), self.launch.namespace.clone());
                    requests.extend(self.teams.refresh(&context, namespace).map(Request::Teams));
                }
            }
            Command::SetQuotaForm(form) => self.teams.quota_form = form,
            Command::ApplyQuota => requests.extend(self.teams.apply_quota().map(Request::Teams)),
            Command::ApplyPriorityLadder => requests.push(Request::Teams(self.teams.apply_ladder())),
            Command::RefreshPlan => {
                // Asked once the caches have a snapshot: the plan is of what they hold.
                if let (Connection::Connected(info), Some(_)) = (&self.connection, &self.cluster) {
                    let (context, namespace) = (info.context.clone(), self.launch.namespace.clone());
                    requests.extend(self.planner.ask(&context, namespace).map(Request::Teams));
                }
            }
            Command::SetPlanShape(shape) => self.planner.set_shape(shape),
            Command::SetPlanMax(max) => self.planner.set_max(max),
            Command::SetPlanDraft(draft) => self.planner.draft = draft,
            Command::UsePlanWhatIf(on) => self.planner.use_what_if(on),
            Command::SelectPlan(i) => self.planner.select(i),
            Command::ExportPlanCsv => {
                if let Some((file_name, text)) = self.planner.csv() {
                    let title = "Export what would still wait as CSV".to_string();
                    requests.push(Request::Training(protocol::TrainingRequest::SaveText { title, file_name, text }));
                }
            }
            Command::ExportPlanChart { format, style } => {
                if let Some(chart) = self.planner.waiting_chart.clone() {
                    let chart = crate::charts::Chart::from(chart);
                    requests.push(Request::Export(ExportRequest::Chart { chart, style, format, path: None }));
                }
            }
            Command::ExportSlicesCsv => {
                if let Some((file_name, text)) = self.model_analysis.csv() {
                    let title = "Export the slices as CSV".to_string();
                    requests.push(Request::Training(protocol::TrainingRequest::SaveText { title, file_name, text }));
                }
            }
            Command::ExportSlicesChart { history, format, style } => {
                let chart = if history {
                    self.model_analysis.history.clone().map(crate::charts::Chart::from)
                } else {
                    self.model_analysis.chart.clone().map(crate::charts::Chart::from)
                };
                if let Some(chart) = chart {
                    requests.push(Request::Export(ExportRequest::Chart { chart, style, format, path: None }));
                }
            }
            Command::Serving(command) => {
                requests.extend(self.serving.handle(command));
                if let Some((tone, message)) = self.serving.pending_toast.take() {
                    self.toasts.push(tone, message);
                }
            }
            Command::Experiments(command) => self.experiments.handle(command),
            Command::ExportExperimentCsv => {
                if let Some(text) = self.experiments.csv() {
                    let experiment = self.experiments.current_experiment().unwrap_or_else(|| "runs".into());
                    let metric = self.experiments.current_metric().unwrap_or_else(|| "metrics".into());
                    let file_name = format!("{experiment}-{metric}.csv").replace(['/', '\\'], "_");
                    let title = "Export the curves as CSV".to_string();
                    let save = protocol::TrainingRequest::SaveText { title, file_name, text };
                    requests.push(Request::Training(save));
                }
            }
            Command::OpenRunsFolder => requests.push(Request::Experiments(protocol::ExperimentsRequest::PickFolder)),
            Command::ToggleTheme => self.settings.theme = self.settings.theme.toggled(),
            Command::SetTheme(theme) => self.settings.theme = theme,
            Command::OpenPalette => self.palette_open = true,
            Command::ClosePalette => self.palette_open = false,
            Command::ToggleDiagnostics => self.settings.show_diagnostics = !self.settings.show_diagnostics,
            Command::SelectContext(name) => {
                // A context picked in the app overrides the one given on the command line from now on.
                self.launch.context = None;
                self.settings.last_context = Some(name);
                requests.extend(self.connect_selected());
            }
            Command::Reconnect => requests.extend(self.connect_selected()),
            Command::CancelConnect => {
                if let Connection::Connecting { context } = &self.connection {
                    // Later answers of the abandoned attempt are ignored.
                    self.connect_attempt += 1;
                    self.connection =
                        Connection::Failed { context: context.clone(), message: "connection cancelled".into() };
                    requests.push(Request::Cluster(ClusterRequest::Disconnect));
                }
            }
            Command::OpenLogs { namespace, pod, container, follow } => {
                let id = self.logs.as_ref().map_or(1, |l| l.id + 1);
                self.logs = Some(LogView {
                    id,
                    namespace: namespace.clone(),
                    pod: pod.clone(),
                    container: container.clone(),
                    follow,
                    ..Default::default()
                });
                requests.push(Request::Logs(LogRequest::Stream { id, namespace, pod, container, follow }));
            }
            Command::CloseLogs => {
                self.logs = None;
                requests.push(Request::Logs(LogRequest::Stop));
            }
            Command::StartDemo => {
                self.toasts.push(Tone::Pending, "Starting the demo cluster…");
                requests.push(Request::Cluster(ClusterRequest::StartDemo));
            }
            Command::SetPodQuery(query) => {
                if query != self.pod_query {
                    if query.namespaces != self.pod_query.namespaces
                        && let Some(context) = self.selected_context().map(str::to_string)
                    {
                        // Remembered per context: namespaces differ from cluster to cluster.
                        if query.namespaces.is_empty() {
                            self.settings.namespaces.remove(&context);
                        } else {
                            self.settings.namespaces.insert(context, query.namespaces.clone());
                        }
                    }
                    self.pod_query = query.clone();
                    requests.push(Request::Cluster(ClusterRequest::PodQuery(query)));
                }
            }
            Command::AddKubeconfigFile => requests.push(Request::Cluster(ClusterRequest::PickKubeconfigFile)),
            Command::ReloadKubeconfig => {
                self.contexts = Contexts::Loading;
                requests.push(Request::Cluster(ClusterRequest::LoadKubeconfig(self.kubeconfig_sources())));
            }
            Command::ExportFrameChart { format, style } => requests.push(Request::Export(ExportRequest::Chart {
                chart: self.frame_times.chart().into(),
                style,
                format,
                path: None,
            })),
            Command::ExportExperimentChart { format, style } => {
                if let Some(chart) = self.experiments.chart.clone() {
                    let chart = chart.into();
                    requests.push(Request::Export(ExportRequest::Chart { chart, style, format, path: None }));
                }
            }
            Command::DismissToast(id) => self.toasts.dismiss(id),
            Command::WindowResized(size) => self.settings.window_size = size,
        }
        requests.extend(self.save_if_changed());
        requests
    }

    /// Applies one result of background work.
    pub fn apply(&mut self, event: Event) -> Vec<Request> {
        let mut requests = Vec::new();
        match event {
            Event::SettingsSaveFailed(message) => {
                self.toasts.push(Tone::Err, format!("Settings were not saved: {message}"));
            }
            Event::Cluster(ClusterEvent::Kubeconfig(Ok(summary))) => {
                self.contexts = Contexts::Ready(summary);
                let already = matches!(&self.connection, Connection::Connected(info) if Some(info.context.as_str()) == self.selected_context());
                if !already {
                    requests.extend(self.connect_selected());
                }
            }
            Event::Cluster(ClusterEvent::Kubeconfig(Err(message))) => {
                self.toasts.push(Tone::Err, message.clone());
                self.contexts = Contexts::Failed(message);
            }
            Event::Cluster(ClusterEvent::KubeconfigFilePicked(path)) => {
                if !self.extra_kubeconfigs.contains(&path) {
                    self.extra_kubeconfigs.push(path);
                }
                self.contexts = Contexts::Loading;
                requests.push(Request::Cluster(ClusterRequest::LoadKubeconfig(self.kubeconfig_sources())));
            }
            Event::Export(ExportEvent::Saved(path)) => {
                self.toasts.push(Tone::Ok, format!("Chart saved to {}", path.display()));
            }
            Event::Export(ExportEvent::Failed(message)) => {
                self.toasts.push(Tone::Err, format!("Chart export failed: {message}"));
            }
            Event::Cluster(ClusterEvent::Connected { attempt, result }) if attempt == self.connect_attempt => {
                let context = match &self.connection {
                    Connection::Connecting { context } => context.clone(),
                    _ => String::new(),
                };
                self.connection = match result {
                    Ok(info) => {
                        // A different cluster: what the Install screen knew is for the old one.
                        self.install.status = install::Loadable::Idle;
                        self.install.checks = install::Loadable::Idle;
                        self.install.review = install::Loadable::Idle;
                        self.pod_detail = None;
                        Connection::Connected(info)
                    }
                    Err(message) => {
                        self.toasts.push(Tone::Err, format!("Could not connect to {context}: {message}"));
                        Connection::Failed { context, message }
                    }
                };
            }
            Event::Cluster(ClusterEvent::Connected { .. }) => {} // an answer for a context no longer selected
            Event::Cluster(ClusterEvent::Snapshot { attempt, snapshot }) if attempt == self.connect_attempt => {
                self.record_phases(&snapshot);
                requests.extend(self.training.on_snapshot(&snapshot).into_iter().map(Request::Training));
                for news in self.training.quota_news(&snapshot) {
                    self.toasts.push(Tone::Err, news);
                }
                self.notebooks.refresh_fit(&snapshot);
                // The forms' PriorityClass and queue pickers: read once per cluster.
                if let Connection::Connected(info) = &self.connection {
                    requests.extend(self.teams.want_classes(&info.context).map(Request::Teams));
                }
                self.serving.refresh_fit(&snapshot);
                let servers = snapshot.model_servers.clone();
                requests.extend(self.serving.on_snapshot(servers).into_iter().map(Request::Serving));
                self.cluster = Some(snapshot);
                // The open pod changed (a restart, a new status): its containers and events did too.
                if let Some((namespace, name)) = self.pod_detail.as_ref().map(|v| (v.namespace.clone(), v.name.clone()))
                {
                    let row = self.listed_pod(&namespace, &name);
                    let state = |r: &Option<std::sync::Arc<crate::resources::pod::PodRow>>| {
                        r.as_ref().map(|p| (p.status.clone(), p.restarts))
                    };
                    if let Some(view) = self.pod_detail.as_mut() {
                        if row.is_some() && state(&row) != state(&view.row) {
                            requests.push(Request::Cluster(ClusterRequest::PodDetail { namespace, name }));
                        }
                        view.row = row;
                    }
                }
            }
            Event::Cluster(ClusterEvent::PodDetail { namespace, name, result }) => {
                if let Some(view) = self.pod_detail.as_mut().filter(|v| v.namespace == namespace && v.name == name) {
                    view.detail = match result {
                        Ok(d) => loadable::Loadable::Ready(d),
                        Err(e) => loadable::Loadable::Failed(e),
                    };
                }
            }
            Event::Cluster(ClusterEvent::DemoStarted(Ok(kubeconfig))) => {
                // The demo's kubeconfig replaces the others for this run, and its admin context is selected.
                self.launch.kubeconfig = Some(kubeconfig);
                self.launch.context = Some("kubesim-admin".into());
                self.extra_kubeconfigs.clear();
                self.contexts = Contexts::Loading;
                requests.push(Request::Cluster(ClusterRequest::LoadKubeconfig(self.kubeconfig_sources())));
            }
            Event::Logs(LogEvent::Lines { id, lines, done }) => {
                if let Some(view) = self.logs.as_mut().filter(|l| l.id == id) {
                    view.lines.extend(lines);
                    if view.lines.len() > MAX_LOG_LINES {
                        let excess = view.lines.len() - MAX_LOG_LINES;
                        view.lines.drain(..excess);
                        view.dropped += excess;
                    }
                    if done.is_some() {
                        view.done = done;
                    }
                }
            }
            Event::Cluster(ClusterEvent::DemoStarted(Err(message))) => {
                self.toasts.push(Tone::Err, format!("The demo cluster could not start: {message}"));
            }
            Event::Cluster(ClusterEvent::Snapshot { .. }) => {}
            Event::Stack(event) => requests.extend(self.install.apply(event).into_iter().map(Request::Stack)),
            Event::Experiments(protocol::ExperimentsEvent::Loaded(result)) => self.experiments.loaded(result),
            Event::Experiments(protocol::ExperimentsEvent::FolderPicked(folder)) => {
                self.experiments.folder_opened(folder);
                // Remembered: the folder is opened again at the next start.
                self.settings.runs_folders = self.experiments.folders.clone();
                requests.extend(self.save_if_changed());
            }
            Event::Teams(TeamsEvent::Planned(result)) => {
                if let Some(e) = self.planner.apply(result) {
                    self.toasts.push(Tone::Warn, e);
                }
            }
            Event::Teams(event) => {
                let (toast, again) = self.teams.apply(event);
                if let Some((tone, message)) = toast {
                    self.toasts.push(tone, message);
                }
                if again && let Connection::Connected(info) = &self.connection {
                    let (context, namespace) = (info.context.clone(), self.launch.namespace.clone());
                    requests.extend(self.teams.refresh(&context, namespace).map(Request::Teams));
                }
            }
            Event::ModelAnalysis(event) => {
                if let Some((tone, message)) = self.model_analysis.apply(event) {
                    self.toasts.push(tone, message);
                }
                self.settings.evaluation_files = self.model_analysis.remembered();
                requests.extend(self.save_if_changed());
            }
            Event::Notebooks(event) => {
                let (toast, follow) = self.notebooks.apply(event);
                if let Some((tone, message)) = toast {
                    self.toasts.push(tone, message);
                }
                requests.extend(follow.into_iter().map(Request::Notebooks));
            }
            Event::Serving(event) => {
                let (toast, follow) = self.serving.apply(event);
                if let Some((tone, message)) = toast {
                    self.toasts.push(tone, message);
                }
                requests.extend(follow.into_iter().map(Request::Serving));
            }
            Event::Training(event) => {
                let form_before = self.training.form.clone();
                if let Some((tone, message)) = self.training.apply(event) {
                    self.toasts.push(tone, message);
                }
                // A job read from a file or cloned filled the form: it is the draft now, as if typed.
                if self.training.form != form_before {
                    let draft = Box::new(self.training.form.clone());
                    requests.push(Request::Training(crate::state::protocol::TrainingRequest::SaveDraft(draft)));
                }
            }
        }
        requests.extend(self.refresh_install_if_stale());
        requests.extend(self.refresh_experiments_if_due());
        requests.extend(self.refresh_notebooks_if_due());
        requests.extend(self.refresh_model_analysis_if_due());
        requests
    }

    /// A read of the cluster's evaluations while the Model analysis screen is open on a connected cluster.
    fn refresh_model_analysis_if_due(&mut self) -> Option<Request> {
        let Connection::Connected(info) = &self.connection else { return None };
        let open = self.settings.screen == Screen::ModelAnalysis;
        let namespace = self.launch.namespace.clone();
        self.model_analysis.due(open, &info.context.clone(), namespace).map(Request::ModelAnalysis)
    }

    /// A read of the notebook servers while the Notebooks screen is open on a connected cluster.
    fn refresh_notebooks_if_due(&mut self) -> Option<Request> {
        let Connection::Connected(info) = &self.connection else { return None };
        let open = self.settings.screen == Screen::Notebooks;
        let namespace = self.launch.namespace.clone();
        self.notebooks.due(open, &info.context.clone(), namespace).map(Request::Notebooks)
    }

    /// A pod's row in the current pod list, if it is listed.
    fn listed_pod(&self, namespace: &str, name: &str) -> Option<std::sync::Arc<crate::resources::pod::PodRow>> {
        self.cluster.as_ref()?.pods.rows.iter().find(|p| p.namespace == namespace && p.name == name).cloned()
    }

    /// Asks what is installed when the Install screen is open on a connected cluster and does not know yet.
    /// A read of the store for the open Experiments screen, every few seconds while connected.
    fn refresh_experiments_if_due(&mut self) -> Option<Request> {
        // Without a cluster, opened folders are still read (the store's runs are keyed by cluster).
        let cluster = match &self.connection {
            Connection::Connected(info) => info.context.clone(),
            _ if !self.experiments.folders.is_empty() => String::new(),
            _ => return None,
        };
        let open = self.settings.screen == Screen::Experiments;
        let (experiment, metric, folders) = self.experiments.due(open, &cluster)?;
        Some(Request::Experiments(protocol::ExperimentsRequest::Load { cluster, experiment, metric, folders }))
    }

    fn refresh_install_if_stale(&mut self) -> Vec<Request> {
        let open = self.settings.screen == Screen::Install;
        let connected = matches!(self.connection, Connection::Connected(_));
        if open && connected && self.install.status == install::Loadable::Idle {
            return self.install.handle(install::WizardCommand::Refresh).into_iter().map(Request::Stack).collect();
        }
        Vec::new()
    }

    /// Keeps a sample of pods by phase at most every few seconds, for the history chart.
    fn record_phases(&mut self, snapshot: &cluster_view::ClusterSnapshot) {
        const EVERY: i64 = 5;
        const KEEP: usize = 720; // an hour
        if !snapshot.pods_synced {
            return;
        }
        let due = self
            .phase_history
            .back()
            .is_none_or(|(t, counts)| snapshot.taken_at - t >= EVERY || *counts != snapshot.pods_by_phase);
        if due {
            if self.phase_history.len() == KEEP {
                self.phase_history.pop_front();
            }
            self.phase_history.push_back((snapshot.taken_at, snapshot.pods_by_phase.clone()));
        }
    }

    /// Starts connecting to the selected context, if there is one, with the namespaces chosen for it before.
    fn connect_selected(&mut self) -> Vec<Request> {
        let Some(context) = self.selected_context().map(str::to_string) else { return Vec::new() };
        if let Contexts::Ready(summary) = &self.contexts
            && !summary.contexts.iter().any(|c| c.name == context)
        {
            let known: Vec<&str> = summary.contexts.iter().map(|c| c.name.as_str()).collect();
            let message = if known.is_empty() {
                format!("context {context} is not in the kubeconfig, which has no contexts")
            } else {
                format!("context {context} is not in the kubeconfig; pick one of: {}", known.join(", "))
            };
            self.connection = Connection::Failed { context, message };
            return Vec::new();
        }
        self.connect_attempt += 1;
        self.connection = Connection::Connecting { context: context.clone() };
        self.cluster = None;
        self.phase_history.clear();
        let namespaces = match &self.launch.namespace {
            Some(ns) => vec![ns.clone()],
            None => self.settings.namespaces.get(&context).cloned().unwrap_or_default(),
        };
        let mut requests = Vec::new();
        if namespaces != self.pod_query.namespaces {
            self.pod_query.namespaces = namespaces;
            requests.push(Request::Cluster(ClusterRequest::PodQuery(self.pod_query.clone())));
        }
        requests.push(Request::Cluster(ClusterRequest::Connect {
            sources: self.kubeconfig_sources(),
            context,
            attempt: self.connect_attempt,
        }));
        requests
    }

    /// A save request when the settings differ from what was last saved.
    fn save_if_changed(&mut self) -> Option<Request> {
        (self.settings != self.saved).then(|| {
            self.saved = self.settings.clone();
            Request::SaveSettings(self.settings.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::context::ContextInfo;

    fn summary(names: &[&str], current: &str) -> KubeconfigSummary {
        KubeconfigSummary {
            contexts: names
                .iter()
                .map(|n| ContextInfo {
                    name: n.to_string(),
                    cluster: "c".into(),
                    server: None,
                    user: None,
                    namespace: None,
                })
                .collect(),
            current_context: Some(current.into()),
            ..Default::default()
        }
    }

    #[test]
    fn an_opened_runs_folder_is_remembered_and_read_without_a_cluster() {
        let mut state = AppState::new(Settings::default(), LaunchOptions::default());
        state.settings.screen = Screen::Experiments;
        let folder = PathBuf::from("/data/tb/mnist");
        let requests = state.apply(Event::Experiments(protocol::ExperimentsEvent::FolderPicked(folder.clone())));
        assert_eq!(state.settings.runs_folders, std::slice::from_ref(&folder));
        assert!(requests.iter().any(|r| matches!(r, Request::SaveSettings(s) if s.runs_folders == [folder.clone()])));
        let load = requests.iter().find_map(|r| match r {
            Request::Experiments(protocol::ExperimentsRequest::Load { cluster, experiment, folders, .. }) => {
                Some((cluster.clone(), experiment.is_none(), folders.clone()))
            }
            _ => None,
        });
        // Read at once, without a cluster; the folder's experiment is chosen once its runs are known.
        assert_eq!(load, Some((String::new(), true, vec![folder.clone()])));
        assert_eq!(state.experiments.experiment.as_deref(), Some("mnist"));
        let again = AppState::new(state.settings.clone(), LaunchOptions::default());
        assert_eq!(again.experiments.folders, [folder]);
    }

    #[test]
    fn navigation_and_theme_changes_request_a_save_once() {
        let mut state = AppState::new(Settings::default(), LaunchOptions::default());
        let requests = state.handle(Command::Navigate(Screen::Nodes));
        assert!(matches!(requests.as_slice(), [Request::SaveSettings(s)] if s.screen == Screen::Nodes));
        // Navigating to the same screen again changes nothing and saves nothing.
        assert!(state.handle(Command::Navigate(Screen::Nodes)).is_empty());
        assert!(!state.handle(Command::ToggleTheme).is_empty());
    }

    #[test]
    fn context_choice_prefers_cli_then_last_used_then_current() {
        let settings = Settings { last_context: Some("b".into()), ..Default::default() };
        let launch = LaunchOptions { context: Some("c".into()), ..Default::default() };
        let mut state = AppState::new(settings, launch);
        assert_eq!(state.selected_context(), None, "unknown until the kubeconfig is read");
        state.apply(Event::Cluster(ClusterEvent::Kubeconfig(Ok(summary(&["a", "b", "c"], "a")))));
        assert_eq!(state.selected_context(), Some("c"));
        state.handle(Command::SelectContext("a".into()));
        assert_eq!(state.selected_context(), Some("a"));

        let stale = Settings { last_context: Some("gone".into()), ..Default::default() };
        let mut state = AppState::new(stale, LaunchOptions::default());
        state.apply(Event::Cluster(ClusterEvent::Kubeconfig(Ok(summary(&["a"], "a")))));
        assert_eq!(state.selected_context(), Some("a"));
    }

    #[test]
    fn a_pod_detail_is_fetched_when_opened_and_answers_for_other_pods_are_ignored() {
        let mut state = AppState::new(Settings::default(), LaunchOptions::default());
        let requests = state.handle(Command::OpenPod { namespace: "ml".into(), name: "p".into() });
        assert!(
            matches!(requests.as_slice(), [Request::Cluster(ClusterRequest::PodDetail { namespace, name })] if namespace == "ml" && name == "p")
        );
        let detail = crate::resources::pod::PodDetail::default();
        state.apply(Event::Cluster(ClusterEvent::PodDetail {
            namespace: "ml".into(),
            name: "other".into(),
            result: Ok(detail.clone()),
        }));
        assert_eq!(state.pod_detail.as_ref().map(|d| &d.detail), Some(&loadable::Loadable::Loading));
        state.apply(Event::Cluster(ClusterEvent::PodDetail {
            namespace: "ml".into(),
            name: "p".into(),
            result: Ok(detail.clone()),
        }));
        assert_eq!(state.pod_detail.as_ref().map(|d| &d.detail), Some(&loadable::Loadable::Ready(detail)));
        state.handle(Command::ClosePod);
        assert!(state.pod_detail.is_none());
    }

    #[test]
    fn an_open_pod_is_fetched_again_when_its_row_changes() {
        use crate::resources::pod::PodRow;
        use crate::state::cluster_view::{ClusterSnapshot, PodsPage};
        let row = |status: &str, restarts: u32| {
            std::sync::Arc::new(PodRow {
                namespace: "ml".into(),
                name: "p".into(),
                node: None,
                phase: "Running".into(),
                status: status.into(),
                ready: (1, 1),
                restarts,
                requests: Default::default(),
                created: 0,
                containers: vec![],
                uid: 0,
                daemon: false,
            })
        };
        let snapshot = |r| {
            let pods = std::sync::Arc::new(PodsPage { rows: vec![r], ..Default::default() });
            Event::Cluster(ClusterEvent::Snapshot {
                attempt: 0,
                snapshot: std::sync::Arc::new(ClusterSnapshot { pods, ..Default::default() }),
            })
        };
        let mut state = AppState::new(Settings::default(), LaunchOptions::default());
        state.apply(snapshot(row("Running", 0)));
        state.handle(Command::OpenPod { namespace: "ml".into(), name: "p".into() });
        assert!(state.pod_detail.as_ref().is_some_and(|d| d.row.is_some()));
        assert!(
            state
                .apply(snapshot(row("Running", 0)))
                .iter()
                .all(|r| !matches!(r, Request::Cluster(ClusterRequest::PodDetail { .. })))
        );
        let again = state.apply(snapshot(row("CrashLoopBackOff", 1)));
        assert!(
            again.iter().any(|r| matches!(r, Request::Cluster(ClusterRequest::PodDetail { .. }))),
            "a restart refetches"
        );
    }

    #[test]
    fn a_log_keeps_its_newest_lines_and_counts_the_dropped_ones() {
        let mut state = AppState::new(Settings::default(), LaunchOptions::default());
        let open = Command::OpenLogs { namespace: "ml".into(), pod: "p".into(), container: "c".into(), follow: true };
        assert!(matches!(state.handle(open).as_slice(), [Request::Logs(LogRequest::Stream { id: 1, .. })]));
        let batch = |from: usize| (from..from + MAX_LOG_LINES / 2 + 1).map(|i| i.to_string()).collect::<Vec<_>>();
        state.apply(Event::Logs(LogEvent::Lines { id: 1, lines: batch(0), done: None }));
        state.apply(Event::Logs(LogEvent::Lines { id: 1, lines: batch(MAX_LOG_LINES / 2 + 1), done: None }));
        // Lines of a stream that is no longer shown are ignored.
        state.apply(Event::Logs(LogEvent::Lines { id: 7, lines: vec!["stale".into()], done: None }));
        let logs = state.logs.as_ref().expect("log view open");
        assert_eq!(logs.lines.len(), MAX_LOG_LINES);
        assert_eq!(logs.dropped, 2);
        assert_eq!(logs.lines.first().map(String::as_str), Some("2"));
        assert_eq!(logs.lines.last().map(String::as_str), Some((MAX_LOG_LINES + 1).to_string()).as_deref());
    }

    #[test]
    fn background_failures_become_sticky_error_toasts() {
        let mut state = AppState::new(Settings::default(), LaunchOptions::default());
        state.apply(Event::Cluster(ClusterEvent::Kubeconfig(Err("kubeconfig file x: bad".into()))));
        assert_eq!(state.contexts, Contexts::Failed("kubeconfig file x: bad".into()));
        let toast = state.toasts.iter().next().unwrap();
        assert!(toast.sticky && toast.text.contains("bad"));
    }

    #[test]
    fn loading_the_kubeconfig_connects_to_the_selected_context_and_stale_answers_are_ignored() {
        let mut state = AppState::new(Settings::default(), LaunchOptions::default());
        let requests = state.apply(Event::Cluster(ClusterEvent::Kubeconfig(Ok(summary(&["a", "b"], "a")))));
        assert!(
            matches!(requests.as_slice(), [Request::Cluster(ClusterRequest::Connect { context, attempt: 1, .. })] if context == "a")
        );
        let requests = state.handle(Command::SelectContext("b".into()));
        assert!(requests.iter().any(
            |r| matches!(r, Request::Cluster(ClusterRequest::Connect { context, attempt: 2, .. }) if context == "b")
        ));
        // The answer for "a" arrives late and changes nothing.
        state.apply(Event::Cluster(ClusterEvent::Connected { attempt: 1, result: Err("late".into()) }));
        assert_eq!(state.connection, Connection::Connecting { context: "b".into() });
        state.apply(Event::Cluster(ClusterEvent::Connected { attempt: 2, result: Err("refused".into()) }));
        assert_eq!(state.connection, Connection::Failed { context: "b".into(), message: "refused".into() });
    }

    #[test]
    fn namespace_choices_are_remembered_per_context() {
        let mut state = AppState::new(Settings::default(), LaunchOptions::default());
        state.apply(Event::Cluster(ClusterEvent::Kubeconfig(Ok(summary(&["a", "b"], "a")))));
        let query = cluster_view::PodQuery { namespaces: vec!["ml".into()], ..Default::default() };
        let requests = state.handle(Command::SetPodQuery(query));
        assert!(
            requests.iter().any(
                |r| matches!(r, Request::SaveSettings(s) if s.namespaces.get("a") == Some(&vec!["ml".to_string()]))
            )
        );
        // Another context starts with all namespaces; coming back restores the choice.
        state.handle(Command::SelectContext("b".into()));
        assert!(state.pod_query.namespaces.is_empty());
        state.handle(Command::SelectContext("a".into()));
        assert_eq!(state.pod_query.namespaces, ["ml"]);
    }

    #[test]
    fn a_connection_attempt_can_be_cancelled() {
        let mut state = AppState::new(Settings::default(), LaunchOptions::default());
        state.apply(Event::Cluster(ClusterEvent::Kubeconfig(Ok(summary(&["a"], "a")))));
        let requests = state.handle(Command::CancelConnect);
        assert!(requests.iter().any(|r| matches!(r, Request::Cluster(ClusterRequest::Disconnect))));
        state.apply(Event::Cluster(ClusterEvent::Connected { attempt: 1, result: Err("late".into()) }));
        assert_eq!(
            state.connection,
            Connection::Failed { context: "a".into(), message: "connection cancelled".into() }
        );
    }

    #[test]
    fn an_unknown_context_is_explained_without_trying_to_connect() {
        let launch = LaunchOptions { context: Some("prod".into()), ..Default::default() };
        let mut state = AppState::new(Settings::default(), launch);
        let requests = state.apply(Event::Cluster(ClusterEvent::Kubeconfig(Ok(summary(&["a", "b"], "a")))));
        assert!(!requests.iter().any(|r| matches!(r, Request::Cluster(ClusterRequest::Connect { .. }))));
        let Connection::Failed { message, .. } = &state.connection else { panic!("{:?}", state.connection) };
        assert_eq!(message, "context prod is not in the kubeconfig; pick one of: a, b");
    }

    #[test]
    fn picked_kubeconfig_is_merged_on_reload() {
        let mut state = AppState::new(Settings::default(), LaunchOptions::default());
        let requests = state.apply(Event::Cluster(ClusterEvent::KubeconfigFilePicked("/extra/config".into())));
        let [Request::Cluster(ClusterRequest::LoadKubeconfig(sources))] = requests.as_slice() else {
            panic!("{requests:?}")
        };
        assert_eq!(sources.extra, vec![PathBuf::from("/extra/config")]);
        assert_eq!(state.contexts, Contexts::Loading);
    }
}
