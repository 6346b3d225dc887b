//! Live caches of compact rows, fed by watchers (kube-rs `watcher`, with backoff, resuming from the last
//! resourceVersion and re-listing after `410 Gone`). Objects are turned into rows as they arrive, so memory grows
//! with what the screens show, not with whole objects.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Event, Namespace, Node, PersistentVolumeClaim, Pod, ResourceQuota, Service};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::core::{ApiResource, DynamicObject};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher;
use kube::{Api, Resource};
use tokio::sync::Notify;

use crate::resources::workload::{self, WorkloadKind, WorkloadRow};
use crate::resources::{event, ledger, node, pod};

/// Rows of one kind, keyed by `namespace/name`.
pub struct RowStore<R> {
    rows: RwLock<HashMap<String, Arc<R>>>,
    synced: AtomicBool,
    /// The watcher's last error, cleared by the next event (the watcher retries with backoff meanwhile).
    last_error: RwLock<Option<String>>,
    /// Failures in a row since the last success: the reconnect attempt.
    failures: AtomicU32,
    /// The last failure was 403: the user may not read this kind, which retrying will not change.
    forbidden: AtomicBool,
    /// When the watcher retries next (Unix milliseconds), set by [`RecordingBackoff`].
    retry_at_ms: Arc<AtomicI64>,
}

impl<R: Clone> RowStore<R> {
    fn new() -> Self {
        Self {
            rows: RwLock::new(HashMap::new()),
            synced: AtomicBool::new(false),
            last_error: RwLock::new(None),
            failures: AtomicU32::new(0),
            forbidden: AtomicBool::new(false),
            retry_at_ms: Arc::new(AtomicI64::new(0)),
        }
    }

    /// Why the watcher is failing right now, if it is.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.read().ok().and_then(|e| e.clone())
    }

    /// The error to show now: the last one while the watch is retrying or forbidden, none once it recovered.
    pub fn current_error(&self) -> Option<String> {
        if self.is_retrying() || self.is_forbidden() { self.last_error() } else { None }
    }

    /// Forgets every row (the kind went away, e.g. its CRD was deleted).
    fn clear(&self) {
        if let Ok(mut rows) = self.rows.write() {
            rows.clear();
        }
        self.synced.store(false, Ordering::Release);
        self.set_error(None);
    }

    /// Failures in a row (0 while the watch is healthy).
    pub fn failures(&self) -> u32 {
        self.failures.load(Ordering::Acquire)
    }

    /// Whether the user may not read this kind at all (403).
    pub fn is_forbidden(&self) -> bool {
        self.forbidden.load(Ordering::Acquire)
    }

    /// Whether the watch is failing in a way that retrying may fix (its rows are then stale).
    ///
    /// The watcher reports failures but not a successful restart (a quiet resource sends nothing), so a failure
    /// counts until its scheduled retry has had time to fail too.
    pub fn is_retrying(&self) -> bool {
        let retry_at = self.retry_at_ms.load(Ordering::Acquire);
        self.failures() > 0
            && !self.is_forbidden()
            && jiff::Timestamp::now().as_millisecond() < retry_at + RETRY_GRACE.as_millis() as i64
    }

    fn set_error(&self, error: Option<String>) {
        if error.is_none() {
            self.failures.store(0, Ordering::Release);
            self.forbidden.store(false, Ordering::Release);
        } else {
            self.failures.fetch_add(1, Ordering::AcqRel);
        }
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

/// How long a retried watch request may take to fail before the retry counts as a success. Longer than the
/// client's connect timeout, so an unreachable server keeps showing as reconnecting.
pub const RETRY_GRACE: std::time::Duration = std::time::Duration::from_secs(12);

/// The watcher's default backoff (exponential, 0.8 s to 30 s with jitter), recording when the next retry is due.
struct RecordingBackoff {
    inner: watcher::DefaultBackoff,
    retry_at_ms: Arc<AtomicI64>,
}

impl Iterator for RecordingBackoff {
    type Item = std::time::Duration;

    fn next(&mut self) -> Option<std::time::Duration> {
        let delay = self.inner.next()?;
        let at = jiff::Timestamp::now().as_millisecond() + delay.as_millis() as i64;
        self.retry_at_ms.store(at, Ordering::Release);
        Some(delay)
    }
}

impl kube::runtime::utils::Backoff for RecordingBackoff {
    fn reset(&mut self) {
        self.inner.reset();
    }
}

/// One watch, for [`SyncHealth`].
struct SyncState {
    /// Listed, or not permitted to (nothing more will come).
    done: bool,
    /// The reconnect attempt (0: healthy; forbidden watches count as healthy).
    attempt: u32,
    error: Option<String>,
    /// The user may not list this at all.
    forbidden: bool,
}

impl<R: Clone> RowStore<R> {
    fn sync_state(&self) -> SyncState {
        SyncState {
            done: self.is_synced() || self.is_forbidden(),
            attempt: if self.is_retrying() { self.failures() } else { 0 },
            error: self.last_error(),
            forbidden: self.is_forbidden(),
        }
    }
}

/// How the watches are doing, for the connection indicator.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncHealth {
    /// Lists complete (or not permitted) out of all started.
    pub lists_done: usize,
    pub lists: usize,
    /// The highest reconnect attempt among failing watches (0: none failing).
    pub attempt: u32,
    /// Watches failing now that retrying may fix, with why.
    pub failing: Vec<(String, String)>,
    /// Lists this user may not read (done, but empty for lack of permission).
    pub forbidden: Vec<String>,
    /// When something last changed (Unix seconds, 0: never).
    pub last_change: i64,
}

impl SyncHealth {
    /// Percent of lists complete.
    pub fn percent(&self) -> u32 {
        (self.lists_done * 100).checked_div(self.lists).unwrap_or(0) as u32
    }

    /// Whether this user may not list `name` (e.g. `nodes`).
    pub fn is_forbidden(&self, name: &str) -> bool {
        self.forbidden.iter().any(|f| f == name)
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
    /// ResourceQuotas, for the fit preview's quota check.
    pub quotas: RowStore<crate::resources::teams::QuotaRow>,
    /// The scheduler's `Preempted` events (Normal, but the story of who took whose GPUs).
    pub preemptions: RowStore<event::EventRow>,
    /// Pods not bound to a node, as the capacity planner sees them (`None`: not waiting for the default scheduler
    /// or asking for no accelerator). Watched apart from `pods` (few rows, all a plan needs) and read at the same
    /// moment as the ledger: a pod being bound is never counted twice, and missed only while its two watch events
    /// are apart (milliseconds), not for as long as a list call takes.
    pub unscheduled: RowStore<Option<crate::workloads::capacity::PendingPod>>,
    /// One store per [`WorkloadKind`], indexed by [`WorkloadKind::index`].
    pub workloads: Vec<RowStore<WorkloadRow>>,
    /// The custom kinds whose CRDs are installed, with the version being watched.
    pub custom_kinds: RwLock<BTreeMap<WorkloadKind, String>>,
    /// Bumped on every change, so views can recompute derived data only when something changed.
    pub generation: AtomicU64,
    /// When something last changed (Unix seconds).
    pub last_change: AtomicI64,
    pub changed: Notify,
}

impl Default for ClusterCache {
    fn default() -> Self {
        Self {
            nodes: RowStore::new(),
            pods: RowStore::new(),
            namespaces: RowStore::new(),
            warnings: RowStore::new(),
            preemptions: RowStore::new(),
            unscheduled: RowStore::new(),
            quotas: RowStore::new(),
            workloads: WorkloadKind::ALL.iter().map(|_| RowStore::new()).collect(),
            custom_kinds: RwLock::new(BTreeMap::new()),
            generation: AtomicU64::new(0),
            last_change: AtomicI64::new(0),
            changed: Notify::new(),
        }
    }
}

impl ClusterCache {
    pub fn is_synced(&self) -> bool {
        self.nodes.is_synced() && self.pods.is_synced() && self.unscheduled.is_synced()
    }

    /// What the capacity planner needs, read together: the ledger and the pods waiting for accelerators (of
    /// `namespace`, all when `None`).
    pub fn capacity_view(
        &self,
        namespace: Option<&str>,
    ) -> (Vec<ledger::LedgerRow>, Vec<crate::workloads::capacity::PendingPod>) {
        let mut pending: Vec<crate::workloads::capacity::PendingPod> = self.unscheduled.with_rows(|rows| {
            let ours = rows.values().filter_map(|p| p.as_ref().as_ref());
            ours.filter(|p| namespace.is_none_or(|ns| p.namespace == ns)).cloned().collect()
        });
        let nodes = self.node_rows();
        let ledger = self.pods.with_rows(|pods| {
            // A pod the pods watch has already seen bound is on the ledger: it waits no more.
            pending.retain(|p| pods.get(&format!("{}/{}", p.namespace, p.name)).is_none_or(|r| r.node.is_none()));
            ledger::build(&nodes, pods.values().map(|p| p.as_ref()))
        });
        (ledger, pending)
    }

    /// The GPU ledger of the current rows.
    pub fn ledger(&self) -> Vec<ledger::LedgerRow> {
        let nodes = self.node_rows();
        self.pods.with_rows(|pods| ledger::build(&nodes, pods.values().map(|p| p.as_ref())))
    }

    fn node_rows(&self) -> Vec<node::NodeRow> {
        self.nodes.rows_unsorted().iter().map(|n| (**n).clone()).collect()
    }

    /// The row store of one workload kind.
    pub fn workloads_of(&self, kind: WorkloadKind) -> &RowStore<WorkloadRow> {
        &self.workloads[kind.index()]
    }

    /// Whether this kind can be watched: built-in kinds always, custom kinds once their CRD is established.
    pub fn serves(&self, kind: WorkloadKind) -> bool {
        kind.custom().is_none() || self.custom_kinds.read().is_ok_and(|k| k.contains_key(&kind))
    }

    /// How the watches are doing: lists done out of lists started, and the worst reconnect attempt.
    pub fn health(&self) -> SyncHealth {
        let mut stores: Vec<(&str, SyncState)> = vec![
            ("nodes", self.nodes.sync_state()),
            ("pods", self.pods.sync_state()),
            ("unscheduled pods", self.unscheduled.sync_state()),
            ("namespaces", self.namespaces.sync_state()),
            ("events", self.warnings.sync_state()),
        ];
        for kind in WorkloadKind::ALL.into_iter().filter(|k| self.serves(*k)) {
            stores.push((kind.name(), self.workloads_of(kind).sync_state()));
        }
        SyncHealth {
            lists_done: stores.iter().filter(|(_, s)| s.done).count(),
            lists: stores.len(),
            attempt: stores.iter().map(|(_, s)| s.attempt).max().unwrap_or(0),
            failing: stores
                .iter()
                .filter_map(|(name, s)| {
                    s.error.as_ref().filter(|_| s.attempt > 0).map(|e| (name.to_string(), e.clone()))
                })
                .collect(),
            forbidden: stores.iter().filter(|(_, s)| s.forbidden).map(|(name, _)| name.to_string()).collect(),
            last_change: self.last_change.load(Ordering::Acquire),
        }
    }

    fn touch(&self) {
        self.last_change.store(jiff::Timestamp::now().as_second(), Ordering::Release);
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
    to_row: impl Fn(&K) -> R,
) where
    K: Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + 'static,
    R: Clone,
{
    let backoff =
        RecordingBackoff { inner: watcher::DefaultBackoff::default(), retry_at_ms: store(&cache).retry_at_ms.clone() };
    let stream = watcher(api, config).backoff(backoff);
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
                let (message, forbidden) = match &e {
                    watcher::Error::InitialListFailed(kube::Error::Api(status))
                    | watcher::Error::WatchStartFailed(kube::Error::Api(status))
                    | watcher::Error::WatchFailed(kube::Error::Api(status)) => {
                        (status.message.clone(), status.code == 403)
                    }
                    other => (other.to_string(), false),
                };
                s.set_error(Some(message));
                s.forbidden.store(forbidden, Ordering::Release);
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

/// Starts the watchers (nodes, namespaces, warnings, pods, workloads, and the custom kinds once their CRDs exist);
/// they stop when the returned handles are aborted or dropped with the runtime.
pub fn spawn(client: kube::Client, cache: Arc<ClusterCache>) -> Vec<tokio::task::JoinHandle<()>> {
    fn namespace_name(ns: &Namespace) -> String {
        ns.metadata.name.clone().unwrap_or_default()
    }
    let paged = || watcher::Config::default().page_size(500);
    let c = || cache.clone();
    let mut tasks = vec![
        tokio::spawn(feed(Api::<Node>::all(client.clone()), paged(), c(), |c| &c.nodes, node::row)),
        tokio::spawn(feed(Api::<Namespace>::all(client.clone()), paged(), c(), |c| &c.namespaces, namespace_name)),
        tokio::spawn(feed(
            Api::<Event>::all(client.clone()),
            paged().fields("type=Warning"),
            c(),
            |c| &c.warnings,
            event::row,
        )),
        tokio::spawn(feed(
            Api::<Event>::all(client.clone()),
            paged().fields("reason=Preempted"),
            c(),
            |c| &c.preemptions,
            event::row,
        )),
        tokio::spawn(feed(Api::<Pod>::all(client.clone()), paged(), c(), |c| &c.pods, pod::row)),
        tokio::spawn(feed(
            Api::<Pod>::all(client.clone()),
            paged().fields("spec.nodeName="),
            c(),
            |c| &c.unscheduled,
            crate::workloads::capacity::PendingPod::from_pod,
        )),
        tokio::spawn(feed(
            Api::<ResourceQuota>::all(client.clone()),
            paged(),
            c(),
            |c| &c.quotas,
            crate::resources::teams::quota_row,
        )),
    ];
    macro_rules! workloads {
        ($($ty:ty => $kind:ident, $row:path);* $(;)?) => {$(
            tasks.push(tokio::spawn(feed(
                Api::<$ty>::all(client.clone()),
                paged(),
                c(),
                |c| c.workloads_of(WorkloadKind::$kind),
                $row,
            )));
        )*};
    }
    workloads! {
        Deployment => Deployment, workload::deployment;
        StatefulSet => StatefulSet, workload::stateful_set;
        DaemonSet => DaemonSet, workload::daemon_set;
        ReplicaSet => ReplicaSet, workload::replica_set;
        Job => Job, workload::job;
        Service => Service, workload::service;
        HorizontalPodAutoscaler => HorizontalPodAutoscaler, workload::hpa;
        PersistentVolumeClaim => PersistentVolumeClaim, workload::pvc;
    }
    tasks.push(tokio::spawn(custom_kinds(client, cache)));
    tasks
}

/// How often discovery is asked for the custom kinds when CRDs may not be watched (a restricted user).
const DISCOVERY_POLL: std::time::Duration = std::time::Duration::from_secs(30);

/// Watchers of the custom kinds that currently run, with the version each watches.
#[derive(Default)]
struct CustomWatchers(HashMap<WorkloadKind, (String, tokio::task::JoinHandle<()>)>);

impl CustomWatchers {
    /// Watches `kind` at `resource`'s version (restarting the watcher if the version changed).
    fn ensure(&mut self, client: &kube::Client, cache: &Arc<ClusterCache>, kind: WorkloadKind, resource: ApiResource) {
        if self.0.get(&kind).is_some_and(|(v, _)| *v == resource.version) {
            return;
        }
        self.stop(cache, kind);
        if let Ok(mut kinds) = cache.custom_kinds.write() {
            kinds.insert(kind, resource.version.clone());
        }
        let api = Api::<DynamicObject>::all_with(client.clone(), &resource);
        let version = resource.version.clone();
        let task = tokio::spawn(feed(
            api,
            watcher::Config::default().page_size(500),
            cache.clone(),
            move |c| c.workloads_of(kind),
            move |o: &DynamicObject| workload::custom(kind, o),
        ));
        self.0.insert(kind, (version, task));
        cache.touch();
    }

    /// Stops watching `kind` and forgets its rows.
    fn stop(&mut self, cache: &ClusterCache, kind: WorkloadKind) {
        if let Some((_, task)) = self.0.remove(&kind) {
            task.abort();
        }
        cache.workloads_of(kind).clear();
        if let Ok(mut kinds) = cache.custom_kinds.write()
            && kinds.remove(&kind).is_some()
        {
            cache.touch();
        }
    }
}

impl Drop for CustomWatchers {
    fn drop(&mut self) {
        for (_, task) in self.0.values() {
            task.abort();
        }
    }
}

/// The custom kind a CRD defines, if it is one Bosun reads, and the version to watch once it is established (and
/// not being deleted).
fn custom_kind_of(crd: &CustomResourceDefinition) -> Option<(WorkloadKind, Option<ApiResource>)> {
    let spec = &crd.spec;
    let kind = WorkloadKind::CUSTOM.iter().find(|c| c.group == spec.group && c.plural == spec.names.plural)?.kind;
    let established = crd
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Established" && c.status == "True"));
    let served: Vec<_> = spec.versions.iter().filter(|v| v.served).collect();
    let version = served.iter().find(|v| v.storage).or(served.first());
    let resource = version.filter(|_| established && crd.metadata.deletion_timestamp.is_none()).map(|v| ApiResource {
        group: spec.group.clone(),
        version: v.name.clone(),
        api_version: format!("{}/{}", spec.group, v.name),
        kind: spec.names.kind.clone(),
        plural: spec.names.plural.clone(),
    });
    Some((kind, resource))
}

/// Starts and stops the watchers of the custom kinds as their CRDs come and go — also after Bosun started, e.g.
/// right after an install. Users who may not read CRDs get the same from API discovery, polled.
async fn custom_kinds(client: kube::Client, cache: Arc<ClusterCache>) {
    let mut watchers = CustomWatchers::default();
    let stream =
        watcher(Api::<CustomResourceDefinition>::all(client.clone()), watcher::Config::default()).default_backoff();
    futures_util::pin_mut!(stream);
    let mut listed: Option<HashSet<WorkloadKind>> = None;
    while let Some(event) = stream.next().await {
        let crd = match event {
            Err(watcher::Error::InitialListFailed(kube::Error::Api(status))) if status.code == 403 => {
                return poll_discovery(client, cache, watchers).await;
            }
            Err(_) => continue,
            Ok(watcher::Event::Init) => {
                listed = Some(HashSet::new());
                continue;
            }
            Ok(watcher::Event::InitDone) => {
                // CRDs deleted while the watch was down.
                let listed = listed.take().unwrap_or_default();
                let gone: Vec<WorkloadKind> = watchers.0.keys().filter(|k| !listed.contains(k)).copied().collect();
                for kind in gone {
                    watchers.stop(&cache, kind);
                }
                continue;
            }
            Ok(watcher::Event::Delete(crd)) => {
                if let Some((kind, _)) = custom_kind_of(&crd) {
                    watchers.stop(&cache, kind);
                }
                continue;
            }
            Ok(watcher::Event::InitApply(crd) | watcher::Event::Apply(crd)) => crd,
        };
        match custom_kind_of(&crd) {
            Some((kind, Some(resource))) => {
                if let Some(l) = listed.as_mut() {
                    l.insert(kind);
                }
                watchers.ensure(&client, &cache, kind, resource);
            }
            Some((kind, None)) => watchers.stop(&cache, kind),
            None => {}
        }
    }
}

async fn poll_discovery(client: kube::Client, cache: Arc<ClusterCache>, mut watchers: CustomWatchers) {
    loop {
        let mut groups: Vec<&str> = WorkloadKind::CUSTOM.iter().map(|c| c.group).collect();
        groups.dedup();
        for group in groups {
            let found = kube::discovery::oneshot::group(&client, group).await;
            for custom in WorkloadKind::CUSTOM.iter().filter(|c| c.group == group) {
                match found.as_ref().ok().and_then(|g| g.recommended_kind(custom.kind.name())) {
                    Some((resource, _)) => watchers.ensure(&client, &cache, custom.kind, resource),
                    // Only a definite "not there" stops a watcher; a failed request leaves things as they are.
                    None if matches!(&found, Ok(_) | Err(kube::Error::Api(_))) => watchers.stop(&cache, custom.kind),
                    None => {}
                }
            }
        }
        tokio::time::sleep(DISCOVERY_POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::workloads::capacity::PendingPod;

    fn put<R: Clone>(store: &RowStore<R>, key: &str, row: R) {
        store.rows.write().expect("rows").insert(key.to_string(), Arc::new(row));
    }

    #[test]
    fn a_pod_seen_bound_by_the_pods_watch_is_on_the_ledger_and_waits_no_more() {
        let gpus = json!({"cpu": "8", "memory": "64Gi", "pods": "110", "nvidia.com/gpu": "8"});
        let node: Node = serde_json::from_value(json!({"metadata": {"name": "gpu-1"},
            "status": {"capacity": gpus, "allocatable": gpus}}))
        .expect("node");
        let pod = |node: Option<&str>| -> Pod {
            let mut p = json!({"metadata": {"name": "train", "namespace": "ml"}, "spec": {"containers": [{"name": "main",
                "resources": {"limits": {"nvidia.com/gpu": "2"}}}]}, "status": {"phase": "Pending"}});
            if let Some(n) = node {
                p["spec"]["nodeName"] = json!(n);
            }
            serde_json::from_value(p).expect("pod")
        };
        let cache = ClusterCache::default();
        put(&cache.nodes, "/gpu-1", node::row(&node));
        // The unscheduled-pods watch has not yet heard that the pod left it; the pods watch has seen it bound.
        put(&cache.unscheduled, "ml/train", PendingPod::from_pod(&pod(None)));
        put(&cache.pods, "ml/train", pod::row(&pod(Some("gpu-1"))));
        let (ledger, pending) = cache.capacity_view(None);
        assert!(pending.is_empty(), "counted once");
        assert_eq!(ledger[0].accelerators["nvidia.com/gpu"].requested, 2.0);
        // Before it is bound, it waits and the ledger does not hold it.
        put(&cache.pods, "ml/train", pod::row(&pod(None)));
        let (ledger, pending) = cache.capacity_view(Some("ml"));
        assert_eq!((pending.len(), ledger[0].accelerators["nvidia.com/gpu"].requested), (1, 0.0));
        assert!(cache.capacity_view(Some("other")).1.is_empty());
    }
}
