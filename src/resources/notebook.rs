//! Notebook servers as the Notebooks screen lists them: Bosun's own (a Deployment labelled `bosun.dev/notebook`),
//! the user servers JupyterHub spawned (pods `component=singleuser-server`), and Kubeflow `Notebook` objects. Pure.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use serde::Serialize;
use serde_json::Value;

use crate::tone::Tone;

/// Who runs the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NotebookSource {
    /// Started by Bosun (or anyone) without a hub: Bosun can open, stop, start and delete it.
    Bosun,
    /// A user server JupyterHub spawned: opened through the hub.
    JupyterHub,
    /// A Kubeflow Notebook object.
    Kubeflow,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotebookRow {
    pub namespace: String,
    pub name: String,
    pub source: NotebookSource,
    /// The hub user, for JupyterHub's servers.
    pub user: String,
    pub image: String,
    pub gpus: f64,
    pub state: String,
    pub tone: Tone,
    pub ready: bool,
    /// Scale to zero after this many idle hours (Bosun's servers; 0: never).
    pub idle_hours: u32,
    pub created: i64,
}

fn created(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> i64 {
    meta.creation_timestamp.as_ref().map_or(0, |t| t.0.as_second())
}

fn gpus(spec: Option<&k8s_openapi::api::core::v1::PodSpec>) -> f64 {
    spec.map_or(0.0, |s| super::pod::spec_requests(s).accelerators.iter().map(|(_, a)| a).fold(0.0, |a, b| a + b))
}

/// A Bosun notebook server's row.
pub fn from_deployment(d: &Deployment) -> NotebookRow {
    let spec = d.spec.as_ref();
    let pod = spec.and_then(|s| s.template.spec.as_ref());
    let wanted = spec.and_then(|s| s.replicas).unwrap_or(1);
    let ready = d.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
    let (state, tone) = if wanted == 0 {
        ("Stopped", Tone::Neutral)
    } else if ready >= wanted {
        ("Ready", Tone::Ok)
    } else {
        ("Starting", Tone::Pending)
    };
    NotebookRow {
        namespace: d.metadata.namespace.clone().unwrap_or_default(),
        name: d.metadata.name.clone().unwrap_or_default(),
        source: NotebookSource::Bosun,
        user: String::new(),
        image: pod.and_then(|p| p.containers.first()).and_then(|c| c.image.clone()).unwrap_or_default(),
        gpus: gpus(pod),
        state: state.into(),
        tone,
        ready: wanted > 0 && ready >= wanted,
        idle_hours: d
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(crate::resources::notebook::IDLE_ANNOTATION))
            .and_then(|h| h.parse().ok())
            .unwrap_or(0),
        created: created(&d.metadata),
    }
}

/// The annotation (see `workloads::notebook`) that asks for an idle shutdown.
pub const IDLE_ANNOTATION: &str = "bosun.dev/idle-shutdown-hours";

/// A JupyterHub user server's row.
pub fn from_hub_pod(p: &Pod) -> NotebookRow {
    let status = p.status.as_ref();
    let phase = status.and_then(|s| s.phase.clone()).unwrap_or_else(|| "Pending".into());
    let ready = status.is_some_and(|s| s.conditions.iter().flatten().any(|c| c.type_ == "Ready" && c.status == "True"));
    let (state, tone) = match (phase.as_str(), ready) {
        ("Running", true) => ("Ready".to_string(), Tone::Ok),
        ("Running", false) | ("Pending", _) => ("Starting".to_string(), Tone::Pending),
        (other, _) => (other.to_string(), Tone::Err),
    };
    let labels = p.metadata.labels.clone().unwrap_or_default();
    let spec = p.spec.as_ref();
    NotebookRow {
        namespace: p.metadata.namespace.clone().unwrap_or_default(),
        name: p.metadata.name.clone().unwrap_or_default(),
        source: NotebookSource::JupyterHub,
        user: labels.get("hub.jupyter.org/username").cloned().unwrap_or_default(),
        image: spec.and_then(|s| s.containers.first()).and_then(|c| c.image.clone()).unwrap_or_default(),
        gpus: gpus(spec),
        state,
        tone,
        ready,
        idle_hours: 0,
        created: created(&p.metadata),
    }
}

/// A Kubeflow Notebook's row.
pub fn from_kubeflow(v: &Value) -> NotebookRow {
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    let stopped = v.pointer("/metadata/annotations/kubeflow-resource-stopped").is_some();
    let ready = v.pointer("/status/readyReplicas").and_then(Value::as_i64).unwrap_or(0) > 0;
    let (state, tone) = if stopped {
        ("Stopped", Tone::Neutral)
    } else if ready {
        ("Ready", Tone::Ok)
    } else {
        ("Starting", Tone::Pending)
    };
    let pod: Option<k8s_openapi::api::core::v1::PodSpec> =
        v.pointer("/spec/template/spec").and_then(|s| serde_json::from_value(s.clone()).ok());
    NotebookRow {
        namespace: text("/metadata/namespace"),
        name: text("/metadata/name"),
        source: NotebookSource::Kubeflow,
        user: String::new(),
        image: text("/spec/template/spec/containers/0/image"),
        gpus: gpus(pod.as_ref()),
        state: state.into(),
        tone,
        ready,
        idle_hours: 0,
        created: text("/metadata/creationTimestamp").parse::<jiff::Timestamp>().map_or(0, |t| t.as_second()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn notebooks_of_every_source_are_rows() {
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "ana", "namespace": "ml", "annotations": {IDLE_ANNOTATION: "8"}},
            "spec": {"replicas": 0, "selector": {}, "template": {"spec": {"containers": [{"name": "notebook", "image": "quay.io/jupyter/scipy-notebook"}]}}}
        }))
        .unwrap();
        let row = from_deployment(&d);
        assert_eq!((row.state.as_str(), row.idle_hours, row.ready), ("Stopped", 8, false));
        let p: Pod = serde_json::from_value(json!({
            "metadata": {"name": "jupyter-bo", "namespace": "jhub", "labels": {"component": "singleuser-server", "hub.jupyter.org/username": "bo"}},
            "spec": {"containers": [{"name": "notebook", "image": "jupyter/tensorflow-notebook", "resources": {"limits": {"nvidia.com/gpu": "1"}}}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
        }))
        .unwrap();
        let row = from_hub_pod(&p);
        assert_eq!((row.user.as_str(), row.state.as_str(), row.gpus), ("bo", "Ready", 1.0));
        let row = from_kubeflow(
            &json!({"metadata": {"name": "kf", "namespace": "u"}, "spec": {"template": {"spec": {"containers": [{"name": "x", "image": "kf/nb"}]}}}, "status": {"readyReplicas": 1}}),
        );
        assert_eq!((row.source, row.state.as_str(), row.image.as_str()), (NotebookSource::Kubeflow, "Ready", "kf/nb"));
    }
}
