//! The pods and ResourceQuotas behind the GPUs-by-team view (`resources::teams`), read from the API.

use k8s_openapi::api::core::v1::{Pod, ResourceQuota};
use kube::Api;
use kube::api::ListParams;

use super::training::JobError;
use crate::resources::teams::{self, TeamRow};

/// Every team's GPUs in `namespace` (all namespaces when `None`): pods that have not finished, and the quotas.
pub async fn list(client: &kube::Client, namespace: Option<&str>) -> Result<Vec<TeamRow>, JobError> {
    let (pods, quotas): (Api<Pod>, Api<ResourceQuota>) = match namespace {
        Some(ns) => (Api::namespaced(client.clone(), ns), Api::namespaced(client.clone(), ns)),
        None => (Api::all(client.clone()), Api::all(client.clone())),
    };
    let unfinished = ListParams::default().fields("status.phase!=Succeeded,status.phase!=Failed");
    let pods = pods.list(&unfinished).await.map_err(|e| JobError::from_kube("list pods", "pods", e))?;
    let quotas = quotas
        .list(&ListParams::default())
        .await
        .map_err(|e| JobError::from_kube("list resource quotas", "resourcequotas", e))?;
    Ok(teams::teams(&pods.items, &quotas.items))
}
