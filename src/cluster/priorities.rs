//! PriorityClasses: the cluster's, and the preset ladder (`workloads::priority`) created by server-side apply —
//! applying it again changes nothing.

use k8s_openapi::api::scheduling::v1::PriorityClass;
use kube::Api;
use kube::api::{DynamicObject, ListParams, Patch, PatchParams};
use kube::discovery::ApiResource;
use serde::Serialize;

use super::training::JobError;

/// A PriorityClass as the forms and the Teams view show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriorityRow {
    pub name: String,
    pub value: i32,
    pub global_default: bool,
    /// `PreemptLowerPriority` or `Never`.
    pub preemption: String,
    pub description: String,
}

/// The cluster's PriorityClasses, highest first.
pub async fn list(client: &kube::Client) -> Result<Vec<PriorityRow>, JobError> {
    let api: Api<PriorityClass> = Api::all(client.clone());
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| JobError::from_kube("list priority classes", "priorityclasses", e))?;
    let mut rows: Vec<PriorityRow> = list
        .items
        .iter()
        .map(|c| PriorityRow {
            name: c.metadata.name.clone().unwrap_or_default(),
            value: c.value,
            global_default: c.global_default.unwrap_or(false),
            preemption: c.preemption_policy.clone().unwrap_or_else(|| "PreemptLowerPriority".into()),
            description: c.description.clone().unwrap_or_default(),
        })
        .collect();
    rows.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.name.cmp(&b.name)));
    Ok(rows)
}

/// Applies the preset ladder; the names applied.
pub async fn apply_ladder(client: &kube::Client) -> Result<Vec<String>, JobError> {
    let resource = ApiResource::erase::<PriorityClass>(&());
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
    let params = PatchParams::apply(super::install::apply::FIELD_MANAGER).force();
    let mut done = Vec::new();
    for object in crate::workloads::priority::ladder() {
        let name = object["metadata"]["name"].as_str().unwrap_or_default().to_string();
        api.patch(&name, &params, &Patch::Apply(&object))
            .await
            .map_err(|e| JobError::from_kube(&format!("apply PriorityClass {name}"), "priorityclasses", e))?;
        done.push(name);
    }
    Ok(done)
}
