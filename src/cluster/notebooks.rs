//! Notebook servers on a cluster: start one without a hub (its token generated once and kept), list Bosun's,
//! JupyterHub's user servers and Kubeflow Notebooks, stop (scale to zero), start again, delete, read a token, and
//! how JupyterHub itself is doing. The Notebooks screen uses it; `cluster::forward` opens them.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, Secret, Service};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;

use super::training::JobError;
use crate::resources::notebook::{self, NotebookRow};
use crate::workloads::notebook::{NOTEBOOK_LABEL, NotebookSpec, TOKEN_KEY};

/// A fresh token: 24 random bytes as hex, from the OS generator.
fn new_token() -> Result<String, JobError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| JobError::Api {
        action: "make a notebook token".into(),
        message: format!("the system's random generator failed: {e}"),
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The token of a notebook server, from its Secret.
pub async fn token(client: &kube::Client, namespace: &str, name: &str) -> Result<Option<String>, JobError> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let secret = format!("{name}-token");
    match secrets.get_opt(&secret).await {
        Ok(Some(s)) => Ok(s
            .data
            .and_then(|d| d.get(TOKEN_KEY).map(|b| String::from_utf8_lossy(&b.0).into_owned()))
            .or_else(|| s.string_data.and_then(|d| d.get(TOKEN_KEY).cloned()))),
        Ok(None) => Ok(None),
        Err(e) => Err(JobError::from_kube(&format!("read Secret {namespace}/{secret}"), &secret, e)),
    }
}

/// Starts (or updates) a notebook server; an existing token is kept, so open browsers stay signed in.
pub async fn start(client: &kube::Client, spec: &NotebookSpec) -> Result<Vec<String>, JobError> {
    let problems = spec.validate();
    if !problems.is_empty() {
        return Err(JobError::BadInput(problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")));
    }
    let token = match token(client, &spec.namespace, &spec.name).await? {
        Some(t) if !t.is_empty() => t,
        _ => new_token()?,
    };
    super::serving::apply(client, &crate::workloads::notebook::objects(spec, &token), false).await
}

/// Scales a Bosun notebook server to `replicas` (0 stops it; its workspace stays).
pub async fn scale(client: &kube::Client, namespace: &str, name: &str, replicas: u32) -> Result<(), JobError> {
    super::serving::scale(client, namespace, name, replicas).await
}

/// Deletes a Bosun notebook server: its Deployment, Service and token; the workspace claim only with `with_data`.
pub async fn delete(client: &kube::Client, namespace: &str, name: &str, with_data: bool) -> Result<(), JobError> {
    let dp = DeleteParams::default();
    let gone = |r: Result<(), kube::Error>, what: &str| match r {
        Ok(()) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(JobError::from_kube(&format!("delete {what} {namespace}/{name}"), name, e)),
    };
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    gone(deployments.delete(name, &dp).await.map(|_| ()), "Deployment")?;
    let services: Api<Service> = Api::namespaced(client.clone(), namespace);
    gone(services.delete(name, &dp).await.map(|_| ()), "Service")?;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    gone(secrets.delete(&format!("{name}-token"), &dp).await.map(|_| ()), "Secret")?;
    if with_data {
        let claims: Api<k8s_openapi::api::core::v1::PersistentVolumeClaim> = Api::namespaced(client.clone(), namespace);
        gone(claims.delete(&format!("{name}-workspace"), &dp).await.map(|_| ()), "PersistentVolumeClaim")?;
    }
    Ok(())
}

/// JupyterHub as found on the cluster.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hub {
    pub namespace: String,
    /// The hub pod runs and is ready.
    pub healthy: bool,
    /// What is wrong, when it is not.
    pub problem: Option<String>,
    /// The Service in front of the proxy (`proxy-public`) and its port.
    pub proxy: Option<(String, u16)>,
}

/// What the Notebooks screen lists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Notebooks {
    pub servers: Vec<NotebookRow>,
    pub hubs: Vec<Hub>,
    /// Whether the Kubeflow Notebook CRD is installed.
    pub kubeflow: bool,
}

/// Every notebook server in `namespace` (all when `None`), and JupyterHub's health.
pub async fn list(client: &kube::Client, namespace: Option<&str>) -> Result<Notebooks, JobError> {
    let lp = ListParams::default();
    let deployments: Api<Deployment> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let pods: Api<Pod> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let mut out = Notebooks::default();
    let bosun = deployments
        .list(&lp.clone().labels(NOTEBOOK_LABEL))
        .await
        .map_err(|e| JobError::from_kube("list notebook servers", "deployments", e))?;
    out.servers.extend(bosun.items.iter().map(notebook::from_deployment));
    let users = pods
        .list(&lp.clone().labels("component=singleuser-server"))
        .await
        .map_err(|e| JobError::from_kube("list JupyterHub's user servers", "pods", e))?;
    out.servers.extend(users.items.iter().map(notebook::from_hub_pod));
    let resource =
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("kubeflow.org", "v1", "Notebook"), "notebooks");
    let kubeflow: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    };
    if let Ok(list) = kubeflow.list(&lp).await {
        out.kubeflow = true;
        out.servers
            .extend(list.items.iter().map(|o| notebook::from_kubeflow(&serde_json::to_value(o).unwrap_or_default())));
    }
    // Zero to JupyterHub labels its hub `component=hub`; Bosun's stack, `app.kubernetes.io/instance=hub`.
    let mut hubs = Vec::new();
    for selector in ["component=hub", "app.kubernetes.io/name=jupyterhub,app.kubernetes.io/instance=hub"] {
        hubs.extend(pods.list(&lp.clone().labels(selector)).await.map(|l| l.items).unwrap_or_default());
    }
    for hub in hubs {
        let ns = hub.metadata.namespace.clone().unwrap_or_default();
        let healthy = super::serving::is_ready(&hub);
        let services: Api<Service> = Api::namespaced(client.clone(), &ns);
        let proxy = services.get_opt("proxy-public").await.ok().flatten().map(|s| {
            let port = s.spec.and_then(|s| s.ports).and_then(|p| p.first().map(|p| p.port)).unwrap_or(80);
            ("proxy-public".to_string(), u16::try_from(port).unwrap_or(80))
        });
        let problem = (!healthy).then(|| {
            let phase = hub.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
            format!("the hub pod {} is {phase}, not ready", hub.metadata.name.clone().unwrap_or_default())
        });
        out.hubs.push(Hub { namespace: ns, healthy, problem, proxy });
    }
    out.servers.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    Ok(out)
}

/// When a Jupyter server last saw activity (`last_activity` of its `/api/status`, Unix seconds), read through a
/// forward with its token.
pub async fn last_activity(client: &kube::Client, namespace: &str, name: &str) -> Result<i64, String> {
    let token = token(client, namespace, name).await.map_err(|e| e.to_string())?.unwrap_or_default();
    let forward = super::forward::Forwarder::new(
        client.clone(),
        namespace,
        super::forward::Target::Service(name.into()),
        crate::workloads::notebook::PORT,
    );
    let reply = forward.request("GET", &format!("/api/status?token={token}"), None).await.map_err(|e| e.to_string())?;
    if reply.status != 200 {
        return Err(format!("{namespace}/{name} answered HTTP {} to /api/status", reply.status));
    }
    let status: serde_json::Value = serde_json::from_str(&reply.body).map_err(|e| format!("/api/status: {e}"))?;
    status
        .get("last_activity")
        .and_then(serde_json::Value::as_str)
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_second())
        .ok_or_else(|| format!("{namespace}/{name}: /api/status has no last_activity"))
}

/// Stops (scales to zero) the running Bosun notebook servers that have been idle longer than their
/// `bosun.dev/idle-shutdown-hours`, as of `now` (Unix seconds); returns `namespace/name` of each one stopped. A server
/// that cannot be asked is left running.
pub async fn stop_idle(client: &kube::Client, now: i64) -> Result<Vec<String>, JobError> {
    let deployments: Api<Deployment> = Api::all(client.clone());
    let list = deployments
        .list(&ListParams::default().labels(NOTEBOOK_LABEL))
        .await
        .map_err(|e| JobError::from_kube("list notebook servers", "deployments", e))?;
    let mut stopped = Vec::new();
    for d in &list.items {
        let row = notebook::from_deployment(d);
        if row.idle_hours == 0 || !row.ready {
            continue;
        }
        match last_activity(client, &row.namespace, &row.name).await {
            Ok(at) if now - at >= i64::from(row.idle_hours) * 3600 => {
                scale(client, &row.namespace, &row.name, 0).await?;
                stopped.push(format!("{}/{}", row.namespace, row.name));
            }
            Ok(_) => {}
            Err(e) => tracing::info!("idle check of {}/{}: {e}", row.namespace, row.name),
        }
    }
    Ok(stopped)
}

/// Patches a Deployment's idle-shutdown annotation (hours; 0 removes it).
pub async fn set_idle_hours(client: &kube::Client, namespace: &str, name: &str, hours: u32) -> Result<(), JobError> {
    let value = if hours == 0 { serde_json::Value::Null } else { serde_json::Value::from(hours.to_string()) };
    let patch = serde_json::json!({"metadata": {"annotations": {notebook::IDLE_ANNOTATION: value}}});
    let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
        .map_err(|e| JobError::from_kube(&format!("change {namespace}/{name}"), name, e))
}
