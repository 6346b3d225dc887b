//! Kubeconfig, connections and the live view: reading contexts, connecting, the watchers of the current connection
//! and the snapshots derived from them, the demo cluster, and pod details fetched on demand.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{CurrentClient, Outbox};
use crate::cluster::cache::{self, ClusterCache};
use crate::cluster::connect::{self, ClusterInfo};
use crate::cluster::keeper;
use crate::cluster::kubeconfig::KubeconfigSources;
use crate::resources::event::EventRow;
use crate::resources::pod::PodDetail;
use crate::state::cluster_view::{PodQuery, snapshot};
use crate::state::protocol::{ClusterEvent, ClusterRequest};
use crate::store::writer::Writer;

/// The cluster snapshot is derived at most this often while changes stream in.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(250);

/// How often the snapshot is re-derived while a watch is retrying.
const RETRY_CHECK: Duration = Duration::from_secs(1);

pub(super) struct ClusterArea {
    client: CurrentClient,
    outbox: Outbox,
    /// The current connection (connect, then watch); replaced on every new connection.
    live: Option<JoinHandle<()>>,
    query: watch::Sender<PodQuery>,
    /// The demo cluster, once started, lives as long as the app.
    demo: Option<kubesim::ServerHandle>,
    /// The local store's writer and file, for the keeper of each connection.
    keeper: Option<(Writer, PathBuf)>,
}

impl ClusterArea {
    pub fn new(client: CurrentClient, outbox: Outbox, keeper: Option<(Writer, PathBuf)>) -> Self {
        Self { client, outbox, live: None, query: watch::channel(PodQuery::default()).0, demo: None, keeper }
    }

    pub async fn handle(&mut self, request: ClusterRequest) {
        match request {
            ClusterRequest::LoadKubeconfig(sources) => {
                let outbox = self.outbox.clone();
                tokio::task::spawn_blocking(move || {
                    outbox.send(ClusterEvent::Kubeconfig(sources.load().map_err(|e| e.to_string())));
                });
            }
            ClusterRequest::PickKubeconfigFile => {
                let outbox = self.outbox.clone();
                tokio::spawn(async move {
                    let picked = rfd::AsyncFileDialog::new().set_title("Add a kubeconfig file").pick_file().await;
                    if let Some(file) = picked {
                        outbox.send(ClusterEvent::KubeconfigFilePicked(file.path().to_path_buf()));
                    }
                });
            }
            ClusterRequest::PodQuery(query) => {
                self.query.send_replace(query);
            }
            ClusterRequest::Disconnect => {
                self.stop();
            }
            ClusterRequest::Connect { sources, context, attempt } => {
                self.stop();
                let outbox = self.outbox.clone();
                let query = self.query.subscribe();
                let slot = self.client.clone();
                let keeper = self.keeper.clone();
                self.live = Some(tokio::spawn(async move {
                    match connect_to(sources, &context).await {
                        Ok((client, info)) => {
                            slot.set(Some((client.clone(), context.clone())));
                            outbox.send(ClusterEvent::Connected { attempt, result: Ok(info) });
                            // Ends with this task: aborting a connection drops its keeper too.
                            let cache = Arc::new(ClusterCache::default());
                            slot.set_cache(Some(cache.clone()));
                            let _keeper = keeper.map(|(writer, path)| {
                                let task = keeper::spawn(client.clone(), context.clone(), writer, path, cache.clone());
                                AbortOnDrop(task)
                            });
                            let _idle = AbortOnDrop(tokio::spawn(stop_idle_notebooks(client.clone(), outbox.clone())));
                            watch_cluster(client, cache, attempt, query, outbox).await;
                        }
                        Err(message) => outbox.send(ClusterEvent::Connected { attempt, result: Err(message) }),
                    }
                }));
            }
            ClusterRequest::StartDemo => {
                if self.demo.is_none() {
                    match kubesim::start(kubesim::Config::default()).await {
                        Ok(server) => {
                            let kubeconfig = server.kubeconfig_path().to_path_buf();
                            tokio::spawn(async move {
                                if let Err(e) = crate::demo::seed(&kubeconfig).await {
                                    tracing::warn!("the demo cluster could not be given its training jobs: {e:#}");
                                }
                            });
                            self.demo = Some(server);
                        }
                        Err(e) => self.outbox.send(ClusterEvent::DemoStarted(Err(e.to_string()))),
                    }
                }
                if let Some(server) = &self.demo {
                    self.outbox.send(ClusterEvent::DemoStarted(Ok(server.kubeconfig_path().to_path_buf())));
                }
            }
            ClusterRequest::PodDetail { namespace, name } => {
                let current = self.client.get();
                let outbox = self.outbox.clone();
                tokio::spawn(async move {
                    let result = match current {
                        Some(client) => pod_detail(client, &namespace, &name).await,
                        None => Err("not connected".into()),
                    };
                    outbox.send(ClusterEvent::PodDetail { namespace, name, result });
                });
            }
        }
    }

    /// Ends the current connection and its watchers.
    fn stop(&mut self) {
        if let Some(task) = self.live.take() {
            task.abort();
        }
        self.client.set(None);
    }
}

/// Aborts a task when dropped, so a task's helpers end with it.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
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
async fn watch_cluster(
    client: kube::Client,
    cache: Arc<ClusterCache>,
    attempt: u64,
    mut query: watch::Receiver<PodQuery>,
    outbox: Outbox,
) {
    let watchers = cache::spawn(client, cache.clone());
    // Abort the watchers together with this task.
    struct AbortOnDrop(Vec<JoinHandle<()>>);
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
            outbox.send(ClusterEvent::Snapshot { attempt, snapshot: Arc::new(snap) });
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
async fn pod_detail(client: kube::Client, namespace: &str, name: &str) -> Result<PodDetail, String> {
    use k8s_openapi::api::core::v1::{Event as KubeEvent, Pod};
    let pods: kube::Api<Pod> = kube::Api::namespaced(client.clone(), namespace);
    let pod = pods.get(name).await.map_err(|e| match e {
        kube::Error::Api(s) => s.message.clone(),
        other => other.to_string(),
    })?;
    let events: kube::Api<KubeEvent> = kube::Api::namespaced(client, namespace);
    let selector = format!("involvedObject.kind=Pod,involvedObject.name={name}");
    // Events are a courtesy: a user who may not list them still gets the containers.
    let mut events: Vec<EventRow> = events
        .list(&kube::api::ListParams::default().fields(&selector))
        .await
        .map(|l| l.items.iter().map(crate::resources::event::row).collect())
        .unwrap_or_default();
    events.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
    Ok(PodDetail { containers: crate::resources::pod::container_details(&pod), events })
}

/// While connected, every five minutes: Bosun's notebook servers idle past their idle-shutdown hours are scaled to
/// zero (their workspace stays), and the user is told.
async fn stop_idle_notebooks(client: kube::Client, outbox: Outbox) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
    loop {
        every.tick().await;
        let now = jiff::Timestamp::now().as_second();
        match crate::cluster::notebooks::stop_idle(&client, now).await {
            Ok(stopped) if !stopped.is_empty() => {
                let what = format!("Stopped idle notebook servers: {}", stopped.join(", "));
                outbox.send(crate::state::protocol::NotebooksEvent::Done { what, result: Ok(()) });
            }
            Ok(_) => {}
            Err(e) => tracing::info!("idle notebook check: {e}"),
        }
    }
}
