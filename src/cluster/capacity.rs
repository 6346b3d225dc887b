//! The capacity planner's view of the cluster: the pods waiting for the scheduler that ask for accelerators.
//! (The nodes and what runs on them come from the ledger the watch caches keep.)

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::ListParams;

use super::training::JobError;
use crate::workloads::capacity::PendingPod;

/// The unscheduled accelerator pods in `namespace` (all namespaces when `None`).
pub async fn pending(client: &kube::Client, namespace: Option<&str>) -> Result<Vec<PendingPod>, JobError> {
    let api: Api<Pod> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let waiting = ListParams::default().fields("spec.nodeName=,status.phase=Pending");
    let pods = api.list(&waiting).await.map_err(|e| JobError::from_kube("list pending pods", "pods", e))?;
    Ok(pods.items.iter().filter_map(PendingPod::from_pod).collect())
}
