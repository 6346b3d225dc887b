//! The capacity planner's view of the cluster beyond the watch caches (which give the ledger and the pods waiting
//! for the scheduler): the pods training operators, ReplicaSets, StatefulSets and batch Jobs have not created (a
//! quota refuses them) — those the quotas, as they are or as a what-if sets them, would let in wait with the others.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Pod, ResourceQuota};
use kube::Api;
use kube::api::ListParams;
use serde_json::Value;

use super::training::{self, JobError};
use crate::resources::teams::quota_row;
use crate::workloads::JobKind;
use crate::workloads::capacity::{PendingPod, Waiting};
use crate::workloads::missing_pods::{self, PodMaker, Priorities, QuotaWhatIf};

/// What waits for accelerators.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Demand {
    /// Pods for the scheduler: those waiting, and the missing ones the quotas would let in.
    pub pending: Vec<PendingPod>,
    /// Jobs whose missing pods the quotas refuse.
    pub refused: Vec<Waiting>,
}

fn namespaced<K>(client: &kube::Client, namespace: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Everything that waits for accelerators in `namespace` (all when `None`): the `pending` pods (the watch caches'
/// unscheduled ones, read with the ledger) and the missing pods the quotas, set as `what_ifs` say, would let in —
/// of training jobs anywhere, and of ReplicaSets, StatefulSets and batch Jobs (model servers, notebooks,
/// evaluations) where a quota limits accelerators (elsewhere their pods are not held back by one). What an account
/// may not read is left out (it plans what it sees); a what-if on a quota it cannot see is an error.
pub async fn demand(
    client: &kube::Client,
    namespace: Option<&str>,
    mut pending: Vec<PendingPod>,
    what_ifs: &[QuotaWhatIf],
) -> Result<Demand, JobError> {
    let jobs = unfinished_jobs(client, namespace).await?;
    let mut quotas: Vec<_> = match namespaced::<ResourceQuota>(client, namespace).list(&ListParams::default()).await {
        Ok(list) => list.items.iter().map(quota_row).collect(),
        Err(kube::Error::Api(e)) if e.code == 403 => Vec::new(),
        Err(e) => return Err(JobError::from_kube("list resource quotas", "resourcequotas", e)),
    };
    missing_pods::apply_what_ifs(&mut quotas, what_ifs).map_err(JobError::BadInput)?;
    let limited: BTreeSet<String> =
        quotas.iter().filter(|q| missing_pods::limits_accelerators(q)).map(|q| q.namespace.clone()).collect();
    let controllers = controllers_in(client, &limited).await?;
    if jobs.is_empty() && controllers.is_empty() {
        return Ok(Demand { pending, refused: Vec::new() });
    }
    let priorities = priorities(client).await;
    let labels_by_job = if jobs.is_empty() { BTreeMap::new() } else { training_pod_labels(client, namespace).await? };
    let mut makers: Vec<PodMaker> = jobs
        .iter()
        .filter_map(|job| {
            let text = |p: &str| job.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
            let key = (text("/metadata/namespace"), text("/metadata/name"));
            PodMaker::from_job(job, labels_by_job.get(&key).into_iter().flatten(), &priorities)
        })
        .collect();
    makers.extend(controllers.iter().filter_map(|c| PodMaker::from_controller(c, &priorities)));
    let now = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap_or_default();
    let admitted = missing_pods::admit(&makers, &quotas, &now.to_string());
    pending.extend(admitted.pods);
    Ok(Demand { pending, refused: admitted.refused })
}

/// The labels of the training operators' pods (names only, no specs), by namespace and job.
async fn training_pod_labels(
    client: &kube::Client,
    namespace: Option<&str>,
) -> Result<BTreeMap<(String, String), Vec<BTreeMap<String, String>>>, JobError> {
    let pods = namespaced::<Pod>(client, namespace)
        .list_metadata(&ListParams::default().labels("training.kubeflow.org/job-name"))
        .await
        .map_err(|e| JobError::from_kube("list training pods", "pods", e))?;
    let mut by_job: BTreeMap<(String, String), Vec<BTreeMap<String, String>>> = BTreeMap::new();
    for pod in pods.items {
        let labels = pod.metadata.labels.unwrap_or_default();
        if let Some(job) = labels.get("training.kubeflow.org/job-name").cloned() {
            by_job.entry((pod.metadata.namespace.unwrap_or_default(), job)).or_default().push(labels);
        }
    }
    Ok(by_job)
}

/// The training operator's jobs (every kind served) that have not finished, as JSON with their kind.
async fn unfinished_jobs(client: &kube::Client, namespace: Option<&str>) -> Result<Vec<Value>, JobError> {
    let mut out = Vec::new();
    for kind in JobKind::ALL.into_iter().filter(|k| k.specs_field().is_some()) {
        match training::api(client, kind, namespace).list(&ListParams::default()).await {
            Ok(list) => out.extend(list.items.iter().map(|o| {
                let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
                // Items of a list carry no kind of their own.
                v["kind"] = Value::from(kind.name());
                v
            })),
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 403 => {}
            Err(e) => return Err(JobError::from_kube(&format!("list {}", kind.plural()), kind.plural(), e)),
        }
    }
    out.retain(|job| !missing_pods::done_with_pods(job));
    Ok(out)
}

/// The ReplicaSets, StatefulSets and batch Jobs of `namespaces`, as JSON with their kind
/// (`PodMaker::from_controller` keeps those short of pods). Kinds the account may not list are left out.
async fn controllers_in(client: &kube::Client, namespaces: &BTreeSet<String>) -> Result<Vec<Value>, JobError> {
    let mut out = Vec::new();
    for ns in namespaces {
        out.extend(listed(Api::<ReplicaSet>::namespaced(client.clone(), ns), "ReplicaSet", "replicasets").await?);
        out.extend(listed(Api::<StatefulSet>::namespaced(client.clone(), ns), "StatefulSet", "statefulsets").await?);
        out.extend(listed(Api::<Job>::namespaced(client.clone(), ns), "Job", "jobs").await?);
    }
    Ok(out)
}

/// Every object `api` lists as JSON with its kind; none when the account may not list them.
async fn listed<K>(api: Api<K>, kind: &str, plural: &str) -> Result<Vec<Value>, JobError>
where
    K: Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    match api.list(&ListParams::default()).await {
        Ok(list) => Ok(list.items.iter().filter_map(|o| with_kind(o, kind)).collect()),
        Err(kube::Error::Api(e)) if e.code == 403 => Ok(Vec::new()),
        Err(e) => Err(JobError::from_kube(&format!("list {plural}"), plural, e)),
    }
}

/// An object as JSON with its kind (items of a list carry none).
fn with_kind(object: &impl serde::Serialize, kind: &str) -> Option<Value> {
    let mut v = serde_json::to_value(object).ok()?;
    v["kind"] = Value::from(kind);
    Some(v)
}

/// The PriorityClasses' values (none when they may not be read).
async fn priorities(client: &kube::Client) -> Priorities {
    let rows = super::priorities::list(client).await.unwrap_or_default();
    Priorities {
        values: rows.iter().map(|r| (r.name.clone(), r.value)).collect(),
        default: rows.iter().find(|r| r.global_default).map_or(0, |r| r.value),
    }
}
