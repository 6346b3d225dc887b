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
    // Who may not read quotas still sees the teams' pods.
    let quotas = match quotas.list(&ListParams::default()).await {
        Ok(list) => list.items,
        Err(kube::Error::Api(e)) if e.code == 403 => Vec::new(),
        Err(e) => return Err(JobError::from_kube("list resource quotas", "resourcequotas", e)),
    };
    Ok(teams::teams(&pods.items, &quotas))
}

/// Sets a team's quota (server-side apply of a ResourceQuota with these `hard` limits, e.g.
/// `requests.nvidia.com/gpu` → `8`).
pub async fn apply_quota(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    hard: &std::collections::BTreeMap<String, String>,
) -> Result<(), JobError> {
    let quota = serde_json::json!({
        "apiVersion": "v1", "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"hard": hard},
    });
    let api: Api<ResourceQuota> = Api::namespaced(client.clone(), namespace);
    let params = kube::api::PatchParams::apply(super::install::apply::FIELD_MANAGER).force();
    api.patch(name, &params, &kube::api::Patch::Apply(&quota))
        .await
        .map_err(|e| JobError::from_kube(&format!("apply ResourceQuota {namespace}/{name}"), "resourcequotas", e))?;
    Ok(())
}

/// Caps what one container of the team may ask for (server-side apply of a LimitRange with `max` of `resource`).
pub async fn apply_limit_range(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    resource: &str,
    max: u32,
) -> Result<(), JobError> {
    let range = serde_json::json!({
        "apiVersion": "v1", "kind": "LimitRange",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"limits": [{"type": "Container", "max": {resource: max.to_string()}}]},
    });
    let api: Api<k8s_openapi::api::core::v1::LimitRange> = Api::namespaced(client.clone(), namespace);
    let params = kube::api::PatchParams::apply(super::install::apply::FIELD_MANAGER).force();
    api.patch(name, &params, &kube::api::Patch::Apply(&range))
        .await
        .map_err(|e| JobError::from_kube(&format!("apply LimitRange {namespace}/{name}"), "limitranges", e))?;
    Ok(())
}
