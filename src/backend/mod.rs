//! The background side of the app: a tokio runtime on its own threads that does everything slow (disk, network,
//! file dialogs) on behalf of the UI.
//!
//! The UI thread sends [`Request`]s and never waits; results come back as [`Event`]s on a channel that the app
//! drains once per frame. After sending an event the backend calls the `notify` hook (the app passes
//! `egui::Context::request_repaint`), so an idle window does not poll.

mod stack;

pub use stack::{StackEvent, StackRequest};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::charts::{ChartStyle, ExportFormat, LineChart, export};
use crate::cluster::cache::{self, ClusterCache};
use crate::cluster::connect::{self, ClusterInfo};
use crate::cluster::kubeconfig::{KubeconfigSources, KubeconfigSummary};
use crate::settings::{Settings, SettingsStore};
use crate::state::cluster_view::{ClusterSnapshot, PodQuery, snapshot};

/// The cluster snapshot is derived at most this often while changes stream in.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(250);

/// How often the snapshot is re-derived while a watch is retrying.
const RETRY_CHECK: Duration = Duration::from_secs(1);

/// Settings changes are written at most this often; bursts (window resizing) collapse into one write.
const SAVE_DEBOUNCE: Duration = Duration::from_millis(300);

/// Work the UI asks the background to do.
#[derive(Debug)]
pub enum Request {
    /// Persist these settings (debounced; the latest wins).
    SaveSettings(Settings),
    /// Read the kubeconfig files and report their contexts.
    LoadKubeconfig(KubeconfigSources),
    /// Let the user pick a kubeconfig file with the system file dialog.
    PickKubeconfigFile,
    /// Save a chart; with no path, ask for one with a save dialog.
    ExportChart { chart: LineChart, style: ChartStyle, format: ExportFormat, path: Option<PathBuf> },
    /// Connect to a kubeconfig context; `attempt` identifies the answer.
    Connect { sources: KubeconfigSources, context: String, attempt: u64 },
    /// Stop connecting (or stop watching the current cluster).
    Disconnect,
    /// Filter and sort the pod list this way from now on.
    PodQuery(PodQuery),
    /// Start the built-in demo cluster (kubesim) and report its kubeconfig.
    StartDemo,
    /// Stream a container's log (replacing any stream before); `id` identifies the answers.
    StreamLogs { id: u64, namespace: String, pod: String, container: String, follow: bool },
    /// Stop the log stream.
    StopLogs,
    /// Work for the Install screen.
    Stack(StackRequest),
    /// Fetch a pod's containers and events for its detail.
    PodDetail { namespace: String, name: String },
}

/// Results of background work, applied to the app state in order.
#[derive(Debug)]
pub enum Event {
    /// Writing the settings file failed (the message says where and why).
    SettingsSaveFailed(String),
    /// The kubeconfig files were read (or why they could not be).
    Kubeconfig(Result<KubeconfigSummary, String>),
    /// The user picked a kubeconfig file to add.
    KubeconfigFilePicked(PathBuf),
    /// A chart was written to this file.
    ChartExported(PathBuf),
    /// Writing a chart failed.
    ChartExportFailed(String),
    /// The result of connection attempt `attempt`.
    Connected { attempt: u64, result: Result<ClusterInfo, String> },
    /// A fresh view of the cluster of connection `attempt`.
    Snapshot { attempt: u64, snapshot: Arc<ClusterSnapshot> },
    /// The demo cluster runs; its kubeconfig is here (or why it could not start).
    DemoStarted(Result<PathBuf, String>),
    /// More lines of log stream `id`; `done` when the stream ended (with an error, if it failed).
    LogLines { id: u64, lines: Vec<String>, done: Option<Result<(), String>> },
    /// Answers for the Install screen.
    Stack(StackEvent),
    /// A pod's detail (or why it could not be read).
    PodDetail { namespace: String, name: String, result: Result<crate::resources::pod::PodDetail, String> },
}

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

#[derive(Clone)]
struct Outbox {
    events: std::sync::mpsc::Sender<Event>,
    notify: Notify,
}

impl Outbox {
    fn send(&self, event: Event) {
        let _ = self.events.send(event);
        (self.notify)();
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

async fn dispatch(mut requests: mpsc::UnboundedReceiver<Request>, store: SettingsStore, outbox: Outbox) {
    let (settings_tx, settings_rx) = watch::channel(None::<Settings>);
    tokio::spawn(save_settings_loop(settings_rx, store, outbox.clone()));
    // The watchers of the current connection; replaced on every new connection.
    let mut live: Vec<tokio::task::JoinHandle<()>> = Vec::new();
    let (query_tx, query_rx) = watch::channel(PodQuery::default());
    // The demo cluster, once started, lives as long as the app.
    let mut demo: Option<kubesim::ServerHandle> = None;
    // The client of the current connection, for requests outside the watchers (logs).
    let client: Arc<std::sync::Mutex<Option<kube::Client>>> = Arc::default();
    let mut logs_task: Option<tokio::task::JoinHandle<()>> = None;
    // The running install or uninstall, so it can be cancelled.
    let mut stack_task: Option<tokio::task::JoinHandle<()>> = None;
    while let Some(request) = requests.recv().await {
        match request {
            Request::SaveSettings(settings) => {
                let _ = settings_tx.send(Some(settings));
            }
            Request::LoadKubeconfig(sources) => {
                let outbox = outbox.clone();
                tokio::task::spawn_blocking(move || {
                    outbox.send(Event::Kubeconfig(sources.load().map_err(|e| e.to_string())));
                });
            }
            Request::PickKubeconfigFile => {
                let outbox = outbox.clone();
                tokio::spawn(async move {
                    let picked = rfd::AsyncFileDialog::new().set_title("Add a kubeconfig file").pick_file().await;
                    if let Some(file) = picked {
                        outbox.send(Event::KubeconfigFilePicked(file.path().to_path_buf()));
                    }
                });
            }
            Request::PodQuery(query) => {
                let _ = query_tx.send(query);
            }
            Request::Disconnect => {
                for task in live.drain(..) {
                    task.abort();
                }
                if let Ok(mut c) = client.lock() {
                    *c = None;
                }
            }
            Request::StreamLogs { id, namespace, pod, container, follow } => {
                if let Some(task) = logs_task.take() {
                    task.abort();
                }
                let current = client.lock().ok().and_then(|c| c.clone());
                let outbox = outbox.clone();
                logs_task = Some(tokio::spawn(async move {
                    let Some(client) = current else {
                        outbox.send(Event::LogLines { id, lines: Vec::new(), done: Some(Err("not connected".into())) });
                        return;
                    };
                    let result = stream_logs(client, id, &namespace, &pod, container, follow, &outbox).await;
                    outbox.send(Event::LogLines { id, lines: Vec::new(), done: Some(result) });
                }));
            }
            Request::Stack(StackRequest::Cancel) => {
                if let Some(task) = stack_task.take() {
                    task.abort();
                }
            }
            Request::Stack(request) => {
                let current = client.lock().ok().and_then(|c| c.clone());
                let long = matches!(request, StackRequest::Install { .. } | StackRequest::Uninstall { .. });
                let task = tokio::spawn(stack::run(current, request, outbox.clone()));
                if long {
                    stack_task = Some(task);
                }
            }
            Request::PodDetail { namespace, name } => {
                let current = client.lock().ok().and_then(|c| c.clone());
                let outbox = outbox.clone();
                tokio::spawn(async move {
                    let result = match current {
                        Some(client) => pod_detail(client, &namespace, &name).await,
                        None => Err("not connected".into()),
                    };
                    outbox.send(Event::PodDetail { namespace, name, result });
                });
            }
            Request::StopLogs => {
                if let Some(task) = logs_task.take() {
                    task.abort();
                }
            }
            Request::StartDemo => {
                if demo.is_none() {
                    match kubesim::start(kubesim::Config::default()).await {
                        Ok(server) => demo = Some(server),
                        Err(e) => outbox.send(Event::DemoStarted(Err(e.to_string()))),
                    }
                }
                if let Some(server) = &demo {
                    outbox.send(Event::DemoStarted(Ok(server.kubeconfig_path().to_path_buf())));
                }
            }
            Request::ExportChart { chart, style, format, path } => {
                tokio::spawn(export_chart(chart, style, format, path, outbox.clone()));
            }
            Request::Connect { sources, context, attempt } => {
                for task in live.drain(..) {
                    task.abort();
                }
                let outbox = outbox.clone();
                let query = query_rx.clone();
                let slot = client.clone();
                live.push(tokio::spawn(async move {
                    match connect_to(sources, &context).await {
                        Ok((client, info)) => {
                            if let Ok(mut s) = slot.lock() {
                                *s = Some(client.clone());
                            }
                            outbox.send(Event::Connected { attempt, result: Ok(info) });
                            watch_cluster(client, attempt, query, outbox).await;
                        }
                        Err(message) => outbox.send(Event::Connected { attempt, result: Err(message) }),
                    }
                }));
            }
        }
    }
}

async fn connect_to(sources: KubeconfigSources, context: &str) -> Result<(kube::Client, ClusterInfo), String> {
    let kubeconfig = tokio::task::spawn_blocking(move || sources.merged())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    connect::connect(kubeconfig, context).await.map_err(|e| e.to_string())
}

/// Runs the watchers of a connection and sends a snapshot whenever the cache or the pod query changed (at most
/// every [`SNAPSHOT_EVERY`] for cache changes), until the connection is replaced (the task is aborted).
async fn watch_cluster(client: kube::Client, attempt: u64, mut query: watch::Receiver<PodQuery>, outbox: Outbox) {
    let cache = Arc::new(ClusterCache::default());
    let watchers = cache::spawn(client, cache.clone());
    // Abort the watchers together with this task.
    struct AbortOnDrop(Vec<tokio::task::JoinHandle<()>>);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            for w in &self.0 {
                w.abort();
            }
        }
    }
    let _guard = AbortOnDrop(watchers);
    let mut sent: Option<(u64, PodQuery)> = None;
    let mut retrying = false;
    loop {
        let changed = cache.changed.notified();
        let generation = cache.generation.load(std::sync::atomic::Ordering::Acquire);
        let current_query = query.borrow_and_update().clone();
        let stale = sent.as_ref().is_none_or(|(g, q)| *g != generation || *q != current_query);
        if stale {
            let c = cache.clone();
            let q = current_query.clone();
            let Ok(snap) = tokio::task::spawn_blocking(move || snapshot(&c, &q)).await else { return };
            let query_changed = sent.as_ref().is_some_and(|(_, q)| *q != current_query);
            sent = Some((snap.generation, current_query));
            retrying = snap.health.attempt > 0;
            outbox.send(Event::Snapshot { attempt, snapshot: Arc::new(snap) });
            if !query_changed {
                tokio::time::sleep(SNAPSHOT_EVERY).await;
            }
            continue;
        }
        tokio::select! {
            _ = changed => {}
            result = query.changed() => if result.is_err() { return },
            // While a watch is retrying, its state changes with time alone (see `RowStore::is_retrying`).
            _ = tokio::time::sleep(RETRY_CHECK), if retrying => sent = None,
        }
    }
}

/// A pod's containers (with exit codes and last runs) and its events, newest first.
async fn pod_detail(
    client: kube::Client,
    namespace: &str,
    name: &str,
) -> Result<crate::resources::pod::PodDetail, String> {
    use k8s_openapi::api::core::v1::{Event as KubeEvent, Pod};
    let pods: kube::Api<Pod> = kube::Api::namespaced(client.clone(), namespace);
    let pod = pods.get(name).await.map_err(|e| match e {
        kube::Error::Api(s) => s.message.clone(),
        other => other.to_string(),
    })?;
    let events: kube::Api<KubeEvent> = kube::Api::namespaced(client, namespace);
    let selector = format!("involvedObject.kind=Pod,involvedObject.name={name}");
    // Events are a courtesy: a user who may not list them still gets the containers.
    let mut events: Vec<crate::resources::event::EventRow> = events
        .list(&kube::api::ListParams::default().fields(&selector))
        .await
        .map(|l| l.items.iter().map(crate::resources::event::row).collect())
        .unwrap_or_default();
    events.sort_by_key(|e: &crate::resources::event::EventRow| std::cmp::Reverse(e.last_seen));
    Ok(crate::resources::pod::PodDetail { containers: crate::resources::pod::container_details(&pod), events })
}

/// Lines kept from the end of a log when it is first opened.
const LOG_TAIL: i64 = 5000;

/// Streams a container log, sending lines in batches (at most every 100 ms) so a chatty container does not flood
/// the UI with repaints.
async fn stream_logs(
    client: kube::Client,
    id: u64,
    namespace: &str,
    pod: &str,
    container: String,
    follow: bool,
    outbox: &Outbox,
) -> Result<(), String> {
    use futures_util::AsyncBufReadExt;
    let api: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(client, namespace);
    let params =
        kube::api::LogParams { container: Some(container), follow, tail_lines: Some(LOG_TAIL), ..Default::default() };
    let reader = api.log_stream(pod, &params).await.map_err(|e| match e {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    })?;
    let mut lines = reader.lines();
    let mut batch = Vec::new();
    let mut last_sent = tokio::time::Instant::now();
    loop {
        let next = tokio::time::timeout(Duration::from_millis(100), futures_util::StreamExt::next(&mut lines)).await;
        match next {
            Ok(Some(Ok(line))) => batch.push(line),
            Ok(Some(Err(e))) => return Err(e.to_string()),
            Ok(None) => break,
            Err(_) => {} // quiet for a moment: flush what we have
        }
        if !batch.is_empty() && (batch.len() >= 500 || last_sent.elapsed() >= Duration::from_millis(100)) {
            outbox.send(Event::LogLines { id, lines: std::mem::take(&mut batch), done: None });
            last_sent = tokio::time::Instant::now();
        }
    }
    if !batch.is_empty() {
        outbox.send(Event::LogLines { id, lines: batch, done: None });
    }
    Ok(())
}

async fn save_settings_loop(mut latest: watch::Receiver<Option<Settings>>, store: SettingsStore, outbox: Outbox) {
    while latest.changed().await.is_ok() {
        tokio::time::sleep(SAVE_DEBOUNCE).await;
        let Some(settings) = latest.borrow_and_update().clone() else { continue };
        let store = store.clone();
        let result = tokio::task::spawn_blocking(move || store.save(&settings)).await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => outbox.send(Event::SettingsSaveFailed(e.to_string())),
            Err(e) => outbox.send(Event::SettingsSaveFailed(e.to_string())),
        }
    }
}

async fn export_chart(
    chart: LineChart,
    style: ChartStyle,
    format: ExportFormat,
    path: Option<PathBuf>,
    outbox: Outbox,
) {
    let path = match path {
        Some(path) => path,
        None => {
            let dialog = rfd::AsyncFileDialog::new()
                .set_title("Export chart")
                .set_file_name(format!("bosun-chart.{}", format.extension()))
                .add_filter(format.label(), &[format.extension()]);
            match dialog.save_file().await {
                Some(file) => file.path().to_path_buf(),
                None => return, // cancelled by the user
            }
        }
    };
    let result =
        tokio::task::spawn_blocking(move || export::write(&chart, &style, (1200, 600), format, &path).map(|()| path))
            .await;
    match result {
        Ok(Ok(path)) => outbox.send(Event::ChartExported(path)),
        Ok(Err(e)) => outbox.send(Event::ChartExportFailed(e.to_string())),
        Err(e) => outbox.send(Event::ChartExportFailed(e.to_string())),
    }
}
