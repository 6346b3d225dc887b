//! Live caches of compact rows, fed by watchers (kube-rs `watcher`, with backoff, resuming from the last
//! resourceVersion and re-listing after `410 Gone`). Objects are turned into rows as they arrive, so memory grows
//! with what the screens show, not with whole objects.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher;
use kube::{Api, Resource};
use tokio::sync::Notify;

use crate::resources::{event, ledger, node, pod};

/// Rows of one kind, keyed by `namespace/name`.
pub struct RowStore<R> {
    rows: RwLock<HashMap<String, Arc<R>>>,
    synced: AtomicBool,
    /// The watcher's last error, cleared by the next event (the watcher retries with backoff meanwhile).
    last_error: RwLock<Option<String>>,
}

impl<R: Clone> RowStore<R> {
    fn new() -> Self {
        Self { rows: RwLock::new(HashMap::new()), synced: AtomicBool::new(false), last_error: RwLock::new(None) }
    }

    /// Why the watcher is failing right now, if it is.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.read().ok().and_then(|e| e.clone())
    }

    fn set_error(&self, error: Option<String>) {
        if let Ok(mut e) = self.last_error.write() {
            *e = error;
        }
    }

    /// Whether the first complete list has arrived.
    pub fn is_synced(&self) -> bool {
        self.synced.load(Ordering::Acquire)
    }

    pub fn len(&self) -> usize {
        self.rows.read().map(|r| r.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every row (unsorted), shared rather than copied.
    pub fn rows_unsorted(&self) -> Vec<Arc<R>> {
        self.rows.read().map(|r| r.values().cloned().collect()).unwrap_or_default()
    }

    /// Runs `f` over the rows without copying them.
    pub fn with_rows<T>(&self, f: impl FnOnce(&HashMap<String, Arc<R>>) -> T) -> T {
        match self.rows.read() {
            Ok(rows) => f(&rows),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }
}

/// The cluster as the screens see it.
pub struct ClusterCache {
    pub nodes: RowStore<node::NodeRow>,
    pub pods: RowStore<pod::PodRow>,
    /// Namespace names.
    pub namespaces: RowStore<String>,
    /// Warning events (Normal events are not kept: they are many and the screens do not show them).
    pub warnings: RowStore<event::EventRow>,
    /// Bumped on every change, so views can recompute derived data only when something changed.
    pub generation: AtomicU64,
    pub changed: Notify,
}

impl Default for ClusterCache {
    fn default() -> Self {
        Self {
            nodes: RowStore::new(),
            pods: RowStore::new(),
            namespaces: RowStore::new(),
            warnings: RowStore::new(),
            generation: AtomicU64::new(0),
            changed: Notify::new(),
        }
    }
}

impl ClusterCache {
    pub fn is_synced(&self) -> bool {
        self.nodes.is_synced() && self.pods.is_synced()
    }

    /// The GPU ledger of the current rows.
    pub fn ledger(&self) -> Vec<ledger::LedgerRow> {
        let nodes: Vec<node::NodeRow> = self.nodes.rows_unsorted().iter().map(|n| (**n).clone()).collect();
        self.pods.with_rows(|pods| ledger::build(&nodes, pods.values().map(|p| p.as_ref())))
    }

    fn touch(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.changed.notify_waiters();
    }
}

fn key_of<K: Resource>(obj: &K) -> String {
    let m = obj.meta();
    format!("{}/{}", m.namespace.as_deref().unwrap_or(""), m.name.as_deref().unwrap_or(""))
}

/// Feeds one row store from a watcher until the task is dropped.
async fn feed<K, R>(
    api: Api<K>,
    config: watcher::Config,
    cache: Arc<ClusterCache>,
    store: impl Fn(&ClusterCache) -> &RowStore<R>,
    to_row: fn(&K) -> R,
) where
    K: Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + 'static,
    R: Clone,
{
    let stream = watcher(api, config).default_backoff();
    futures_util::pin_mut!(stream);
    let mut pending: Option<HashMap<String, Arc<R>>> = None;
    while let Some(event) = stream.next().await {
        let s = store(&cache);
        let event = match event {
            Ok(event) => {
                s.set_error(None);
                event
            }
            Err(e) => {
                let message = match &e {
                    watcher::Error::InitialListFailed(kube::Error::Api(status))
                    | watcher::Error::WatchStartFailed(kube::Error::Api(status))
                    | watcher::Error::WatchFailed(kube::Error::Api(status)) => status.message.clone(),
                    other => other.to_string(),
                };
                s.set_error(Some(message));
                cache.touch();
                continue;
            }
        };
        match event {
            watcher::Event::Init => pending = Some(HashMap::new()),
            watcher::Event::InitApply(obj) => {
                if let Some(p) = pending.as_mut() {
                    p.insert(key_of(&obj), Arc::new(to_row(&obj)));
                }
            }
            watcher::Event::InitDone => {
                if let (Some(rows), Ok(mut current)) = (pending.take(), s.rows.write()) {
                    *current = rows;
                }
                s.synced.store(true, Ordering::Release);
                cache.touch();
            }
            watcher::Event::Apply(obj) => {
                if let Ok(mut rows) = s.rows.write() {
                    rows.insert(key_of(&obj), Arc::new(to_row(&obj)));
                }
                cache.touch();
            }
            watcher::Event::Delete(obj) => {
                if let Ok(mut rows) = s.rows.write() {
                    rows.remove(&key_of(&obj));
                }
                cache.touch();
            }
        }
    }
}

/// Starts the node and pod watchers; they stop when the returned handles are aborted or dropped with the runtime.
pub fn spawn(client: kube::Client, cache: Arc<ClusterCache>) -> Vec<tokio::task::JoinHandle<()>> {
    fn namespace_name(ns: &Namespace) -> String {
        ns.metadata.name.clone().unwrap_or_default()
    }
    let paged = || watcher::Config::default().page_size(500);
    vec![
        tokio::spawn(feed(Api::<Node>::all(client.clone()), paged(), cache.clone(), |c| &c.nodes, node::row)),
        tokio::spawn(feed(
            Api::<Namespace>::all(client.clone()),
            paged(),
            cache.clone(),
            |c| &c.namespaces,
            namespace_name,
        )),
        tokio::spawn(feed(
            Api::<Event>::all(client.clone()),
            paged().fields("type=Warning"),
            cache.clone(),
            |c| &c.warnings,
            event::row,
        )),
        tokio::spawn(feed(Api::<Pod>::all(client), paged(), cache, |c| &c.pods, pod::row)),
    ]
}
