//! The background side of the app: a tokio runtime on its own threads that does everything slow (disk, network,
//! file dialogs) on behalf of the UI.
//!
//! The model hands [`Request`]s over and never waits; results come back as [`Event`]s on a channel that the app
//! drains once per frame. After sending an event the backend calls the `notify` hook (the app passes
//! `egui::Context::request_repaint`), so an idle window does not poll.
//!
//! The protocol is the model's (`state::protocol`). Each area of work has one file here that serves its part of
//! the protocol; [`dispatch`] only routes.

mod cluster;
mod draft;
mod experiments;
mod export;
mod logs;
mod model_analysis;
mod notebooks;
mod serving;
mod settings;
mod stack;
mod teams;
mod training;

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use crate::settings::SettingsStore;
use crate::state::protocol::{Event, Request};

/// Called after every event so the UI wakes up to read it.
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// Handle to the background runtime; dropping it stops the background work.
pub struct Backend {
    requests: mpsc::UnboundedSender<Request>,
    runtime: Option<tokio::runtime::Runtime>,
}

/// Where the app reads [`Event`]s from.
pub struct EventReceiver(std::sync::mpsc::Receiver<Event>);

impl EventReceiver {
    /// All events that arrived since the last call.
    pub fn drain(&self) -> Vec<Event> {
        self.0.try_iter().collect()
    }
}

/// Where every area sends its answers.
#[derive(Clone)]
struct Outbox {
    events: std::sync::mpsc::Sender<Event>,
    notify: Notify,
}

impl Outbox {
    fn send(&self, event: impl Into<Event>) {
        let _ = self.events.send(event.into());
        (self.notify)();
    }
}

/// The client of the current connection, shared by the areas that talk to the cluster outside the watchers (logs,
/// pod detail, the installer), and its watch caches once they run. `None` while not connected.
#[derive(Clone, Default)]
struct CurrentClient {
    client: Arc<Mutex<Option<(kube::Client, String)>>>,
    cache: Arc<Mutex<Option<Arc<crate::cluster::cache::ClusterCache>>>>,
}

impl CurrentClient {
    fn get(&self) -> Option<kube::Client> {
        self.client.lock().ok().and_then(|c| c.as_ref().map(|(client, _)| client.clone()))
    }

    /// The client with its context's name (which keys the local store).
    fn with_context(&self) -> Option<(kube::Client, String)> {
        self.client.lock().ok().and_then(|c| c.clone())
    }

    /// Sets the connection's client; a new connection (or none) has no caches yet.
    fn set(&self, client: Option<(kube::Client, String)>) {
        if let Ok(mut slot) = self.client.lock() {
            *slot = client;
        }
        self.set_cache(None);
    }

    /// The connection's watch caches (for answers that must agree with one another, e.g. the planner's).
    fn cache(&self) -> Option<Arc<crate::cluster::cache::ClusterCache>> {
        self.cache.lock().ok().and_then(|c| c.clone())
    }

    fn set_cache(&self, cache: Option<Arc<crate::cluster::cache::ClusterCache>>) {
        if let Ok(mut slot) = self.cache.lock() {
            *slot = cache;
        }
    }
}

impl Backend {
    /// Starts the background runtime (two worker threads).
    pub fn start(store: SettingsStore, notify: Notify) -> std::io::Result<(Self, EventReceiver)> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bosun-background")
            .enable_all()
            .build()?;
        let (requests, rx) = mpsc::unbounded_channel();
        let (events, events_rx) = std::sync::mpsc::channel();
        let outbox = Outbox { events, notify };
        runtime.spawn(dispatch(rx, store, outbox));
        Ok((Self { requests, runtime: Some(runtime) }, EventReceiver(events_rx)))
    }

    /// Queues a request; never blocks.
    pub fn send(&self, request: Request) {
        let _ = self.requests.send(request);
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        // Do not wait for work such as an open file dialog: the app is closing.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Routes each request to its area, in order.
async fn dispatch(mut requests: mpsc::UnboundedReceiver<Request>, store: SettingsStore, outbox: Outbox) {
    let client = CurrentClient::default();
    // The job history; without it the app works, it just cannot keep logs past their pods.
    let store_path = store.store_path();
    let store_path_for_reads = store_path.clone();
    let keeper = match crate::store::writer::Writer::start(&store_path) {
        Ok((writer, _thread)) => Some((writer, store_path)),
        Err(e) => {
            tracing::warn!("{e}; logs of training jobs will not be kept");
            None
        }
    };
    let draft = store.dir().join(crate::workloads::spec::DRAFT_FILE);
    let serving_draft = store.dir().join(crate::workloads::serving::DRAFT_FILE);
    let notebook_draft = store.dir().join(crate::workloads::notebook::DRAFT_FILE);
    let mut training =
        training::TrainingArea::new(client.clone(), outbox.clone(), draft, keeper.as_ref().map(|(_, p)| p.clone()));
    let settings = settings::SettingsArea::start(store, outbox.clone());
    let mut cluster = cluster::ClusterArea::new(client.clone(), outbox.clone(), keeper);
    let mut logs = logs::LogsArea::new(client.clone(), outbox.clone());
    let experiments = experiments::ExperimentsArea::new(store_path_for_reads, client.clone(), outbox.clone());
    let mut serving = serving::ServingArea::new(client.clone(), outbox.clone(), serving_draft);
    let mut notebooks = notebooks::NotebooksArea::new(client.clone(), outbox.clone(), notebook_draft);
    let mut model_analysis = model_analysis::ModelAnalysisArea::new(client.clone(), outbox.clone());
    let mut teams = teams::TeamsArea::new(client.clone(), outbox.clone());
    let mut stack = stack::StackArea::new(client, outbox.clone());
    while let Some(request) = requests.recv().await {
        match request {
            Request::SaveSettings(s) => settings.save(s),
            Request::Cluster(r) => cluster.handle(r).await,
            Request::Logs(r) => logs.handle(r),
            Request::Stack(r) => stack.handle(r),
            Request::Export(r) => export::handle(r, outbox.clone()),
            Request::Training(r) => training.handle(r),
            Request::Experiments(r) => experiments.handle(r),
            Request::Serving(r) => serving.handle(r),
            Request::Notebooks(r) => notebooks.handle(r),
            Request::ModelAnalysis(r) => model_analysis.handle(r),
            Request::Teams(r) => teams.handle(r),
        }
    }
}
