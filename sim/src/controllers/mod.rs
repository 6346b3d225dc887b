//! The controllers that make the simulated cluster behave. Each runs as its own task: it reconciles whenever
//! something it watches changes (debounced) and on a periodic tick, until shutdown.
//!
//! Controllers write through [`Cluster`] like any client of the API server would, so every change they make is
//! visible to watches.

pub mod daemonset;
pub mod deployment;
pub mod devices;
pub mod hpa;
pub mod job;
pub mod kubelet;
pub mod programs;
pub mod replicaset;
pub mod scheduler;
pub mod statefulset;
pub mod training;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{broadcast, watch};

use crate::cluster::Cluster;
use crate::meta;
use crate::registry::ResourceKey;
use crate::store::Stored;

pub fn pods_key() -> ResourceKey {
    ResourceKey::new("", "pods")
}

pub fn nodes_key() -> ResourceKey {
    ResourceKey::new("", "nodes")
}

/// Starts every controller.
pub fn spawn_all(cluster: Arc<Cluster>, shutdown: watch::Receiver<bool>) {
    let spawn = |name: &'static str, interests: Vec<ResourceKey>, period: Duration, f: fn(&Cluster)| {
        let (cluster, shutdown) = (cluster.clone(), shutdown.clone());
        supervise(name, move || run_loop(cluster.clone(), shutdown.clone(), name, interests.clone(), period, f));
    };
    let apps = |plural: &str| ResourceKey::new("apps", plural);
    spawn("scheduler", vec![pods_key(), nodes_key()], Duration::from_secs(2), scheduler::reconcile);
    spawn("replicaset", vec![apps("replicasets"), pods_key()], Duration::from_secs(5), replicaset::reconcile);
    spawn("deployment", vec![apps("deployments"), apps("replicasets")], Duration::from_secs(5), deployment::reconcile);
    spawn("daemonset", vec![apps("daemonsets"), pods_key(), nodes_key()], Duration::from_secs(5), daemonset::reconcile);
    spawn("statefulset", vec![apps("statefulsets"), pods_key()], Duration::from_secs(5), statefulset::reconcile);
    spawn("job", vec![ResourceKey::new("batch", "jobs"), pods_key()], Duration::from_secs(5), job::reconcile);
    spawn("devices", vec![pods_key(), nodes_key()], Duration::from_secs(5), devices::reconcile);
    spawn(
        "resourcequota",
        vec![crate::quota::quotas_key(), pods_key()],
        Duration::from_secs(5),
        crate::quota::reconcile,
    );
    spawn(
        "hpa",
        vec![ResourceKey::new("autoscaling", "horizontalpodautoscalers")],
        Duration::from_secs(15),
        hpa::reconcile,
    );
    spawn(
        "training-operator",
        vec![
            ResourceKey::new("kubeflow.org", "tfjobs"),
            ResourceKey::new("kubeflow.org", "pytorchjobs"),
            ResourceKey::new("kubeflow.org", "xgboostjobs"),
            ResourceKey::new("kubeflow.org", "mpijobs"),
            pods_key(),
            apps("deployments"),
        ],
        Duration::from_secs(3),
        training::reconcile,
    );
    supervise("kubelet", move || kubelet::run(cluster.clone(), shutdown.clone()));
}

/// Runs a controller task, and starts it again if it ends by a panic (it ends normally only at shutdown), so one
/// unexpected object cannot silently stop a controller for the whole cluster.
fn supervise<F, Fut>(name: &'static str, mut start: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            match tokio::spawn(start()).await {
                Err(e) if e.is_panic() => {
                    tracing::error!(
                        controller = name,
                        "controller stopped: {}; restarting it",
                        panic_text(&e.into_panic())
                    );
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                _ => return,
            }
        }
    });
}

/// Reconciles one object. A panic — an object of a shape this controller did not expect — skips that object with
/// a Warning event saying what went wrong, instead of ending the controller for every other object.
pub fn isolated(cluster: &Cluster, controller: &str, obj: &Value, reconcile: impl FnOnce()) {
    let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(reconcile)) else { return };
    let why = panic_text(&panic);
    tracing::warn!(controller, object = meta::name(obj), "skipped an object: {why}");
    let message = format!("{controller} skipped this object: {why}");
    cluster.record_event(obj, "Warning", "ReconcileError", &message, controller);
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "an unexpected value".to_string())
}

/// Runs `reconcile` when one of `interests` changes (at most every 25 ms) and every `period`.
async fn run_loop(
    cluster: Arc<Cluster>,
    mut shutdown: watch::Receiver<bool>,
    name: &'static str,
    interests: Vec<ResourceKey>,
    period: Duration,
    reconcile: fn(&Cluster),
) {
    let mut changes = cluster.store.subscribe();
    let mut tick = tokio::time::interval(period);
    loop {
        let dirty;
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tick.tick() => dirty = true,
            change = changes.recv() => match change {
                Ok(c) => dirty = interests.contains(&c.resource),
                Err(broadcast::error::RecvError::Lagged(_)) => dirty = true,
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
        if !dirty {
            continue;
        }
        // Let a burst of changes settle, then reconcile once.
        tokio::time::sleep(Duration::from_millis(25)).await;
        while let Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) = changes.try_recv() {}
        tracing::trace!(controller = name, "reconcile");
        reconcile(&cluster);
    }
}

/// An owner reference to `owner` marking it as the controller.
pub fn controller_ref(owner: &Value) -> Value {
    json!({
        "apiVersion": meta::str_at(owner, "/apiVersion"),
        "kind": meta::str_at(owner, "/kind"),
        "name": meta::name(owner),
        "uid": meta::uid(owner),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// The objects (of `key`, in `ns`) whose controller is `owner_uid`.
pub fn owned(cluster: &Cluster, key: &ResourceKey, ns: &str, owner_uid: &str) -> Vec<Arc<Stored>> {
    cluster
        .store
        .dependents(owner_uid)
        .into_iter()
        .filter(|(k, namespace, _)| k == key && namespace == ns)
        .filter_map(|(k, namespace, name)| cluster.store.get(&k, &namespace, &name))
        .collect()
}

/// A pod object from a pod template, owned by `owner`.
pub fn pod_from_template(
    owner: &Value,
    template: &Value,
    name: Option<&str>,
    extra_labels: &[(&str, String)],
) -> Value {
    let ns = meta::namespace(owner);
    let mut metadata = template.get("metadata").cloned().unwrap_or(json!({}));
    match name {
        Some(n) => metadata["name"] = json!(n),
        None => metadata["generateName"] = json!(format!("{}-", meta::name(owner))),
    }
    metadata["namespace"] = json!(ns);
    if !metadata.get("labels").is_some_and(Value::is_object) {
        metadata["labels"] = json!({});
    }
    for (k, v) in extra_labels {
        metadata["labels"][*k] = json!(v);
    }
    metadata["ownerReferences"] = json!([controller_ref(owner)]);
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": template.get("spec").cloned().unwrap_or(json!({})),
    })
}

/// Creates a pod, filling in a generated name if needed.
pub fn create_pod(cluster: &Cluster, mut pod: Value) -> Option<Arc<Stored>> {
    if meta::name(&pod).is_empty() {
        let prefix = meta::str_at(&pod, "/metadata/generateName").to_string();
        pod["metadata"]["name"] = json!(format!("{prefix}{}", meta::random_suffix(5)));
    }
    let owner = pod.pointer("/metadata/ownerReferences/0").cloned();
    let namespace = meta::namespace(&pod).to_string();
    match cluster.create(pod) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::debug!("could not create pod: {}", e.message);
            // A refusal (a quota) is said on the owner, as the real controllers do.
            if e.code == 403
                && let Some(owner) = owner
            {
                let kind = meta::str_at(&owner, "/kind");
                let found = cluster
                    .registry
                    .find_kind(meta::str_at(&owner, "/apiVersion"), kind)
                    .and_then(|rt| cluster.store.get(&rt.key(), &namespace, meta::str_at(&owner, "/name")));
                if let Some(owner) = found {
                    let component = format!("{}-controller", kind.to_lowercase());
                    let message = format!("Error creating: {}", e.message);
                    cluster.record_event(&owner.value, "Warning", "FailedCreate", &message, &component);
                }
            }
            None
        }
    }
}

pub fn phase(pod: &Value) -> &str {
    meta::str_at(pod, "/status/phase")
}

pub fn is_terminal(pod: &Value) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

pub fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|c| c.iter().any(|c| meta::str_at(c, "/type") == "Ready" && meta::str_at(c, "/status") == "True"))
}

pub fn is_deleting(obj: &Value) -> bool {
    obj.pointer("/metadata/deletionTimestamp").is_some()
}

/// The resources a pod requests: per container the request (or the limit when only a limit is given, as the API
/// server defaults it), summed over containers, and at least the largest init container's.
pub fn pod_requests(pod: &Value) -> BTreeMap<String, f64> {
    let container_requests = |c: &Value| {
        let mut r: BTreeMap<String, f64> = BTreeMap::new();
        if let Some(limits) = c.pointer("/resources/limits").and_then(Value::as_object) {
            for (k, v) in limits {
                r.insert(k.clone(), meta::quantity(Some(v)));
            }
        }
        if let Some(reqs) = c.pointer("/resources/requests").and_then(Value::as_object) {
            for (k, v) in reqs {
                r.insert(k.clone(), meta::quantity(Some(v)));
            }
        }
        r
    };
    let mut total: BTreeMap<String, f64> = BTreeMap::new();
    for c in pod.pointer("/spec/containers").and_then(Value::as_array).into_iter().flatten() {
        for (k, v) in container_requests(c) {
            *total.entry(k).or_default() += v;
        }
    }
    for c in pod.pointer("/spec/initContainers").and_then(Value::as_array).into_iter().flatten() {
        for (k, v) in container_requests(c) {
            let e = total.entry(k).or_default();
            *e = e.max(v);
        }
    }
    total
}

/// Deletes a pod the way a controller does: gracefully if it runs on a node (the kubelet finishes it), at once if not.
pub fn delete_pod(cluster: &Cluster, pod: &Stored) {
    if meta::str_at(&pod.value, "/spec/nodeName").is_empty() || is_terminal(&pod.value) {
        cluster.delete_now(&pods_key(), pod.namespace(), pod.name());
        return;
    }
    let now = meta::now();
    cluster.modify(&pods_key(), pod.namespace(), pod.name(), |p| {
        if is_deleting(p) {
            return false;
        }
        p["metadata"]["deletionTimestamp"] = json!(now);
        p["metadata"]["deletionGracePeriodSeconds"] = json!(30);
        true
    });
}

/// Writes `status` into an object if it differs (a controller's status update).
pub fn write_status(cluster: &Cluster, key: &ResourceKey, obj: &Stored, status: Value) {
    if obj.value.get("status") == Some(&status) {
        return;
    }
    cluster.modify(key, obj.namespace(), obj.name(), |o| {
        if o.get("status") == Some(&status) {
            return false;
        }
        o["status"] = status.clone();
        true
    });
}

/// A status condition, replacing one of the same type (and keeping its transition time if the status is unchanged).
pub fn set_condition(obj: &mut Value, type_: &str, status: &str, reason: &str, message: &str) {
    let now = meta::now();
    if !obj.get("status").is_some_and(Value::is_object) {
        obj["status"] = json!({});
    }
    let conditions = obj["status"].as_object_mut().map(|s| s.entry("conditions").or_insert(json!([])));
    let Some(Value::Array(list)) = conditions else { return };
    let existing = list.iter_mut().find(|c| meta::str_at(c, "/type") == type_);
    match existing {
        Some(c) => {
            if meta::str_at(c, "/status") != status {
                c["lastTransitionTime"] = json!(now);
            }
            c["status"] = json!(status);
            c["reason"] = json!(reason);
            c["message"] = json!(message);
        }
        None => list.push(
            json!({"type": type_, "status": status, "reason": reason, "message": message, "lastTransitionTime": now}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_use_limits_for_extended_resources_and_max_of_init_containers() {
        let pod = json!({"spec": {
        "initContainers": [{"resources": {"requests": {"cpu": "4"}}}],
        "containers": [
            {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"nvidia.com/gpu": "2"}}},
            {"resources": {"requests": {"cpu": "1"}}}
        ]}});
        let r = pod_requests(&pod);
        assert_eq!(r["cpu"], 4.0);
        assert_eq!(r["nvidia.com/gpu"], 2.0);
        assert_eq!(r["memory"], 1024.0 * 1024.0 * 1024.0);
    }

    #[test]
    fn conditions_are_replaced_by_type() {
        let mut obj = json!({});
        set_condition(&mut obj, "Ready", "False", "A", "");
        set_condition(&mut obj, "Ready", "True", "B", "");
        assert_eq!(obj["status"]["conditions"].as_array().unwrap().len(), 1);
        assert_eq!(obj["status"]["conditions"][0]["reason"], "B");
    }
}
