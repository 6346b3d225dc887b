//! The cluster as the screens draw it: a snapshot derived from the watch-fed cache whenever it changes (never per
//! frame), cheap to hand to the UI behind an `Arc`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::cluster::cache::{ClusterCache, SyncHealth};
use crate::resources::ledger::{self, LedgerRow, Usage};
use crate::resources::pod::PodRow;
use crate::resources::workload::{self, WorkloadKind, WorkloadRow};

/// A pod that requests accelerators, as the node detail lists them.
#[derive(Debug, Clone, PartialEq)]
pub struct DevicePod {
    pub namespace: String,
    pub name: String,
    pub status: String,
    /// (resource, amount)
    pub devices: Vec<(String, f64)>,
}

/// What one namespace's pods ask for: the per-namespace allocation view.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NamespaceAllocation {
    pub namespace: String,
    /// Pods running or waiting (finished pods hold nothing).
    pub pods: usize,
    /// Of those, pods not yet placed on a node.
    pub pending: usize,
    pub cpu: f64,
    pub memory: f64,
    /// Accelerators requested, by resource name (running and pending pods).
    pub accelerators: BTreeMap<String, f64>,
    /// Accelerators asked for by pods still waiting for a node.
    pub accelerators_pending: f64,
}

impl NamespaceAllocation {
    pub fn accelerators_total(&self) -> f64 {
        self.accelerators.values().sum()
    }
}

/// Columns the pod list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PodSort {
    #[default]
    Namespace,
    Name,
    Status,
    Restarts,
    Node,
    Gpus,
    Age,
}

/// What the pod list shows: a text filter, an optional phase, and an order. Applied in the background, so
/// filtering or sorting 150,000 pods never stalls a frame.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodQuery {
    /// Only these namespaces (empty: all).
    pub namespaces: Vec<String>,
    pub text: String,
    pub phase: Option<String>,
    pub sort: PodSort,
    pub descending: bool,
}

/// The pods matching a query, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodsPage {
    pub query: PodQuery,
    pub rows: Vec<Arc<PodRow>>,
    /// Pods in the cache before filtering.
    pub total: usize,
}

/// Filters and sorts the cached pods.
pub fn query_pods(rows: Vec<Arc<PodRow>>, query: &PodQuery) -> PodsPage {
    let total = rows.len();
    let text = query.text.to_lowercase();
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut rows: Vec<Arc<PodRow>> = rows
        .into_iter()
        .filter(|p| query.namespaces.is_empty() || query.namespaces.contains(&p.namespace))
        .filter(|p| query.phase.as_ref().is_none_or(|ph| &p.phase == ph))
        .filter(|p| {
            words.iter().all(|w| {
                p.name.contains(w)
                    || p.namespace.contains(w)
                    || p.node.as_deref().is_some_and(|n| n.contains(w))
                    || p.status.to_lowercase().contains(w)
            })
        })
        .collect();
    let gpus = |p: &PodRow| p.requests.accelerators.iter().map(|(_, a)| *a).sum::<f64>();
    rows.sort_by(|a, b| {
        let ord = match query.sort {
            PodSort::Namespace => (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)),
            PodSort::Name => a.name.cmp(&b.name),
            PodSort::Status => a.status.cmp(&b.status),
            PodSort::Restarts => a.restarts.cmp(&b.restarts),
            PodSort::Node => a.node.cmp(&b.node),
            PodSort::Gpus => gpus(a).total_cmp(&gpus(b)),
            PodSort::Age => b.created.cmp(&a.created),
        }
        .then_with(|| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        if query.descending { ord.reverse() } else { ord }
    });
    PodsPage { query: query.clone(), rows, total }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterSnapshot {
    /// The cache generation this snapshot was taken at.
    pub generation: u64,
    pub nodes_synced: bool,
    pub pods_synced: bool,
    pub nodes_error: Option<String>,
    pub pods_error: Option<String>,
    /// One row per node, sorted by name.
    pub ledger: Vec<LedgerRow>,
    /// Cluster-wide accelerator use by resource.
    pub totals: BTreeMap<String, Usage>,
    pub nodes_ready: usize,
    pub pod_count: usize,
    pub pods_by_phase: BTreeMap<String, usize>,
    /// Pods that request accelerators, by node name.
    pub device_pods: BTreeMap<String, Vec<DevicePod>>,
    /// The pod list for the current query.
    pub pods: Arc<PodsPage>,
    /// When this snapshot was taken (Unix seconds).
    pub taken_at: i64,
    /// Namespace names, sorted (empty when they may not be listed).
    pub namespaces: Vec<String>,
    /// Accelerators requested by running or pending pods, per namespace, largest first.
    pub accelerators_by_namespace: Vec<(String, f64)>,
    /// What each namespace's live pods request, by namespace name.
    pub namespace_allocation: Vec<NamespaceAllocation>,
    /// Every workload (Deployments … PVCs, and the custom kinds whose CRDs exist), by kind, namespace and name.
    pub workloads: Arc<Vec<Arc<WorkloadRow>>>,
    /// How many workloads of each kind there are (kinds with none are left out).
    pub workload_counts: BTreeMap<WorkloadKind, usize>,
    /// Jobs of every kind (Job, TFJob, PyTorchJob) by state.
    pub jobs_by_state: BTreeMap<String, usize>,
    /// Custom kinds whose CRDs are installed, with the version read.
    pub custom_kinds: BTreeMap<WorkloadKind, String>,
    /// Kinds whose watch is failing (forbidden for this user, say), with why.
    pub workload_errors: Vec<(WorkloadKind, String)>,
    /// How the watches are doing.
    pub health: SyncHealth,
    /// Every training job (TFJob, PyTorchJob, XGBoostJob, MPIJob, Job), newest first.
    pub training_jobs: Arc<Vec<Arc<crate::resources::training::TrainingJobRow>>>,
    /// The latest warning events, newest first.
    pub recent_warnings: Vec<Arc<crate::resources::event::EventRow>>,
    /// Pods the scheduler evicted for higher-priority ones, newest first, with who took their place.
    pub preemptions: Vec<PreemptionRow>,
    /// ResourceQuotas, by namespace and name.
    pub quotas: Vec<Arc<crate::resources::teams::QuotaRow>>,
    /// Controllers' `FailedCreate` warnings a quota caused (`exceeded quota: …`), newest first.
    pub quota_refusals: Vec<Arc<crate::resources::event::EventRow>>,
    /// Model servers (TF Serving and KServe-server Deployments with canaries and autoscalers, InferenceServices),
    /// by namespace and name.
    pub model_servers: Arc<Vec<crate::resources::serving::ModelServerRow>>,
}

impl ClusterSnapshot {
    pub fn is_synced(&self) -> bool {
        self.health.lists_done == self.health.lists
    }

    /// The latest preemption of one of the pods named `{owner}-…` in `namespace` (a job's, a notebook's).
    pub fn preempted(&self, namespace: &str, owner: &str) -> Option<&PreemptionRow> {
        self.preemptions.iter().find(|p| p.hit(namespace, owner))
    }

    /// Why a quota refuses the pods of `kind`/`name` (its controller's latest `FailedCreate`), in the server's words.
    pub fn quota_refusal(&self, namespace: &str, kind: &str, name: &str) -> Option<&str> {
        let object = format!("{}/{name}", kind.to_lowercase());
        self.quota_refusal_where(namespace, |o| o == object)
    }

    /// The same for the ReplicaSets of a Deployment or model server named `owner` (`replicaset/{owner}-…`).
    pub fn quota_refusal_of_replicas(&self, namespace: &str, owner: &str) -> Option<&str> {
        let prefix = format!("replicaset/{owner}-");
        self.quota_refusal_where(namespace, |o| o.starts_with(&prefix))
    }

    fn quota_refusal_where(&self, namespace: &str, object: impl Fn(&str) -> bool) -> Option<&str> {
        let event = self.quota_refusals.iter().find(|w| w.namespace == namespace && object(&w.object))?;
        // `Error creating: pods "x" is forbidden: exceeded quota: …`: the quota's part says it.
        let message = event.message.as_str();
        Some(
            message
                .find("exceeded quota:")
                .or_else(|| message.find("failed quota:"))
                .map_or(message, |i| &message[i..]),
        )
    }

    /// The first error of a watch that is retrying (its data is stale until it recovers).
    pub fn error(&self) -> Option<&str> {
        self.health.failing.first().map(|(_, e)| e.as_str())
    }
}

/// A preemption, with the preemptor found among the pods.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PreemptionRow {
    pub namespace: String,
    pub victim: String,
    pub node: String,
    /// `namespace/name` of the pod that took the room, when it is still there.
    pub by: Option<String>,
    /// Unix seconds.
    pub time: i64,
}

impl PreemptionRow {
    /// Whether the evicted pod was one of `owner`'s: a training job's `{job}-{role}-{index}` or a notebook
    /// Deployment's `{name}-{hash}-{hash}` — two parts after the owner's name, so job `llm` is not hit by
    /// `llm-pretrain-worker-0`.
    pub fn hit(&self, namespace: &str, owner: &str) -> bool {
        let rest = self.victim.strip_prefix(owner).and_then(|r| r.strip_prefix('-'));
        self.namespace == namespace && rest.is_some_and(|r| r.split('-').count() == 2)
    }

    /// `preempted by ml/deadline-worker-0`, or by a pod no longer there.
    pub fn by_text(&self) -> String {
        format!("preempted by {}", self.by.as_deref().unwrap_or("a higher-priority pod"))
    }
}

/// The preemptions the cache saw, the preemptors looked up by uid (one pass over the pods, only when there are any).
fn preemptions(cache: &ClusterCache) -> Vec<PreemptionRow> {
    use crate::resources::event::preemption;
    let mut found: Vec<_> = cache.preemptions.rows_unsorted().iter().filter_map(|e| preemption(e)).collect();
    if found.is_empty() {
        return Vec::new();
    }
    found.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.victim.cmp(&b.victim)));
    let wanted: std::collections::HashSet<u64> =
        found.iter().map(|p| crate::resources::pod::uid_hash(&p.by_uid)).collect();
    let names: std::collections::HashMap<u64, String> = cache.pods.with_rows(|pods| {
        let preemptors = pods.values().filter(|p| wanted.contains(&p.uid));
        preemptors.map(|p| (p.uid, format!("{}/{}", p.namespace, p.name))).collect()
    });
    found
        .into_iter()
        .map(|p| PreemptionRow {
            by: names.get(&crate::resources::pod::uid_hash(&p.by_uid)).cloned(),
            namespace: p.namespace,
            victim: p.victim,
            node: p.node,
            time: p.time,
        })
        .collect()
}

/// How many warnings the overview lists.
const RECENT_WARNINGS: usize = 8;

/// Derives the snapshot from the cache (cost: one pass over the pods, plus the query's filter and sort).
pub fn snapshot(cache: &ClusterCache, query: &PodQuery) -> ClusterSnapshot {
    let generation = cache.generation.load(std::sync::atomic::Ordering::Acquire);
    let nodes: Vec<crate::resources::node::NodeRow> =
        cache.nodes.rows_unsorted().iter().map(|n| (**n).clone()).collect();
    let (ledger_rows, pods_by_phase, device_pods, pod_count, allocation) = cache.pods.with_rows(|pods| {
        let mut by_phase: BTreeMap<String, usize> = BTreeMap::new();
        let mut devices: BTreeMap<String, Vec<DevicePod>> = BTreeMap::new();
        let mut allocation: BTreeMap<&str, NamespaceAllocation> = BTreeMap::new();
        for p in pods.values() {
            *by_phase.entry(p.phase.clone()).or_default() += 1;
            if !matches!(p.phase.as_str(), "Succeeded" | "Failed") {
                let a = allocation.entry(p.namespace.as_str()).or_default();
                a.pods += 1;
                a.cpu += p.requests.cpu;
                a.memory += p.requests.memory;
                for (resource, amount) in &p.requests.accelerators {
                    *a.accelerators.entry(resource.clone()).or_default() += amount;
                }
                if p.node.is_none() {
                    a.pending += 1;
                    a.accelerators_pending += p.requests.accelerators.iter().map(|(_, a)| a).sum::<f64>();
                }
            }
            if let (Some(node), true) = (&p.node, !p.requests.accelerators.is_empty() && p.occupies_node()) {
                devices.entry(node.clone()).or_default().push(device_pod(p));
            }
        }
        for list in devices.values_mut() {
            list.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        }
        let allocation: Vec<NamespaceAllocation> = allocation
            .into_iter()
            .map(|(namespace, a)| NamespaceAllocation { namespace: namespace.to_string(), ..a })
            .collect();
        (ledger::build(&nodes, pods.values().map(|p| p.as_ref())), by_phase, devices, pods.len(), allocation)
    });
    let mut by_namespace: Vec<(String, f64)> = allocation
        .iter()
        .map(|a| (a.namespace.clone(), a.accelerators_total()))
        .filter(|(_, total)| *total > 0.0)
        .collect();
    by_namespace.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut workloads: Vec<Arc<WorkloadRow>> = Vec::new();
    let mut workload_errors = Vec::new();
    let mut workload_counts = BTreeMap::new();
    for kind in WorkloadKind::ALL {
        let store = cache.workloads_of(kind);
        let mut rows = store.rows_unsorted();
        rows.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        if !rows.is_empty() {
            workload_counts.insert(kind, rows.len());
        }
        workloads.extend(rows);
        if let Some(error) = store.current_error().filter(|_| cache.serves(kind)) {
            workload_errors.push((kind, error));
        }
    }
    let pods = Arc::new(query_pods(cache.pods.rows_unsorted(), query));
    ClusterSnapshot {
        generation,
        // A list the user may not read is as done as it will get; its error says why it is empty.
        nodes_synced: cache.nodes.is_synced() || cache.nodes.is_forbidden(),
        pods_synced: cache.pods.is_synced() || cache.pods.is_forbidden(),
        health: cache.health(),
        nodes_error: cache.nodes.current_error(),
        pods_error: cache.pods.current_error(),
        totals: ledger::totals(&ledger_rows),
        nodes_ready: ledger_rows.iter().filter(|r| r.node.ready).count(),
        ledger: ledger_rows,
        pod_count,
        pods_by_phase,
        device_pods,
        pods,
        taken_at: jiff::Timestamp::now().as_second(),
        accelerators_by_namespace: by_namespace,
        namespace_allocation: allocation,
        jobs_by_state: workload::jobs_by_state(workloads.iter().map(|w| w.as_ref())),
        training_jobs: {
            let mut jobs: Vec<_> = workloads.iter().filter_map(|w| w.training.clone()).collect();
            jobs.sort_by(|a, b| {
                b.created.cmp(&a.created).then_with(|| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)))
            });
            Arc::new(jobs)
        },
        model_servers: Arc::new(crate::resources::serving::servers_of(
            workloads.iter().filter_map(|w| w.serving.as_deref()),
        )),
        workloads: Arc::new(workloads),
        workload_counts,
        custom_kinds: cache.custom_kinds.read().map(|k| k.clone()).unwrap_or_default(),
        workload_errors,
        preemptions: preemptions(cache),
        quota_refusals: {
            let mut refused: Vec<_> = cache
                .warnings
                .rows_unsorted()
                .into_iter()
                .filter(|w| w.reason == "FailedCreate" && w.message.contains(" quota: "))
                .collect();
            refused.sort_by_key(|w| std::cmp::Reverse(w.last_seen));
            refused
        },
        quotas: {
            let mut quotas = cache.quotas.rows_unsorted();
            quotas.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
            quotas
        },
        recent_warnings: {
            let mut warnings = cache.warnings.rows_unsorted();
            warnings.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then_with(|| a.object.cmp(&b.object)));
            warnings.truncate(RECENT_WARNINGS);
            warnings
        },
        namespaces: {
            let mut names: Vec<String> = cache.namespaces.rows_unsorted().iter().map(|n| (**n).clone()).collect();
            names.sort();
            names
        },
    }
}

fn device_pod(p: &PodRow) -> DevicePod {
    DevicePod {
        namespace: p.namespace.clone(),
        name: p.name.clone(),
        status: p.status.clone(),
        devices: p.requests.accelerators.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::pod::Requests;

    fn pod(ns: &str, name: &str, phase: &str, restarts: u32) -> Arc<PodRow> {
        Arc::new(PodRow {
            namespace: ns.into(),
            name: name.into(),
            node: Some("n1".into()),
            phase: phase.into(),
            status: phase.into(),
            ready: (1, 1),
            restarts,
            requests: Requests::default(),
            created: 0,
            containers: vec![],
            uid: 0,
            daemon: false,
        })
    }

    #[test]
    fn queries_filter_by_words_and_phase_and_sort() {
        let rows =
            vec![pod("b", "web-1", "Running", 3), pod("a", "web-2", "Pending", 0), pod("a", "db-0", "Running", 9)];
        let page = query_pods(rows.clone(), &PodQuery::default());
        assert_eq!(page.rows.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["db-0", "web-2", "web-1"]);
        let q = PodQuery { text: "web".into(), phase: Some("Running".into()), ..Default::default() };
        assert_eq!(query_pods(rows.clone(), &q).rows.len(), 1);
        let q = PodQuery { namespaces: vec!["a".into()], ..Default::default() };
        assert_eq!(query_pods(rows.clone(), &q).rows.len(), 2);
        let q = PodQuery { sort: PodSort::Restarts, descending: true, ..Default::default() };
        assert_eq!(query_pods(rows, &q).rows[0].name, "db-0");
    }

    #[test]
    fn a_preemption_hits_its_own_job_or_notebook_only() {
        let row = |victim: &str| PreemptionRow { namespace: "ml".into(), victim: victim.into(), ..Default::default() };
        assert!(row("llm-pretrain-worker-0").hit("ml", "llm-pretrain"));
        assert!(!row("llm-pretrain-worker-0").hit("ml", "llm"), "another job's pod");
        assert!(!row("llm-pretrain-worker-0").hit("lab", "llm-pretrain"), "another namespace");
        assert!(row("intern-notebook-4lfm8s7pkx-wf78w").hit("ml", "intern-notebook"));
        assert!(!row("intern-notebook-2-4lfm8s7pkx-wf78w").hit("ml", "intern-notebook"));
    }

    #[test]
    fn quota_refusals_are_found_for_jobs_and_for_a_servers_replica_sets() {
        let refusal = |object: &str| {
            Arc::new(crate::resources::event::EventRow {
                namespace: "ml".into(),
                type_: "Warning".into(),
                reason: "FailedCreate".into(),
                message: "Error creating: pods \"x\" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=8, used: requests.nvidia.com/gpu=8, limited: requests.nvidia.com/gpu=8".into(),
                object: object.into(),
                count: 1,
                last_seen: 0,
            })
        };
        let snap = ClusterSnapshot {
            quota_refusals: vec![refusal("tfjob/llm"), refusal("replicaset/resnet-7d4f9")],
            ..Default::default()
        };
        let said = snap.quota_refusal("ml", "TFJob", "llm").expect("the job's");
        assert!(said.starts_with("exceeded quota: gpu-quota, requested:"), "{said}");
        assert!(
            snap.quota_refusal("ml", "TFJob", "ll").is_none() && snap.quota_refusal("other", "TFJob", "llm").is_none()
        );
        assert!(snap.quota_refusal_of_replicas("ml", "resnet").is_some());
        assert!(snap.quota_refusal_of_replicas("ml", "res").is_none());
    }
}
