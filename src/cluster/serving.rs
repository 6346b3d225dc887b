//! Model servers on a cluster: deploy (server-side apply of what `workloads::serving` renders), list, wait for a
//! roll-out, scale, change version or image, roll back to the previous ReplicaSet, and run a canary (start, split,
//! promote, abort). The Serving screen and `bosun serve|servers` share it.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Pod};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;
use serde_json::{Value, json};

use super::training::JobError;
use crate::resources::serving::{self, HpaFacts, ModelServerRow, ServerFacts};
use crate::workloads::serving::{CANARY, SERVER_LABEL, TRACK_LABEL, canary_name};

const FIELD_MANAGER: &str = "bosun";

/// The kinds a server is made of, with their plurals.
fn resource_of(api_version: &str, kind: &str) -> Option<ApiResource> {
    let plural = match kind {
        "Deployment" => "deployments",
        "Service" => "services",
        "HorizontalPodAutoscaler" => "horizontalpodautoscalers",
        "ConfigMap" => "configmaps",
        "Secret" => "secrets",
        "PersistentVolumeClaim" => "persistentvolumeclaims",
        _ => return None,
    };
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    Some(ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural))
}

/// `Kind/namespace/name`.
pub fn display(obj: &Value) -> String {
    let text = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or_default();
    format!("{}/{}/{}", text("/kind"), text("/metadata/namespace"), text("/metadata/name"))
}

/// Applies each object (server-side apply, field manager `bosun`; with `dry_run` the server checks and stores
/// nothing), in order; returns what was applied as `Kind/namespace/name`.
pub async fn apply(client: &kube::Client, objects: &[Value], dry_run: bool) -> Result<Vec<String>, JobError> {
    let mut done = Vec::new();
    for obj in objects {
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        let resource = resource_of(api_version, kind).ok_or_else(|| {
            JobError::BadInput(format!(
                "{}: a {kind} is not part of a model server (Deployment, Service, HorizontalPodAutoscaler, ConfigMap, Secret, PersistentVolumeClaim)",
                display(obj)
            ))
        })?;
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        let namespace = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
        let mut params = PatchParams::apply(FIELD_MANAGER).force();
        if dry_run {
            params = params.dry_run();
        }
        let shown = display(obj);
        api.patch(name, &params, &Patch::Apply(obj))
            .await
            .map_err(|e| JobError::from_kube(&format!("apply {shown}"), &shown, e))?;
        done.push(shown);
    }
    Ok(done)
}

/// Every model server in `namespace` (all when `None`): Deployments of a model-server image with their canaries and
/// autoscalers, and KServe InferenceServices when their CRD exists.
pub async fn list(client: &kube::Client, namespace: Option<&str>) -> Result<Vec<ModelServerRow>, JobError> {
    let deployments: Api<Deployment> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let hpas: Api<HorizontalPodAutoscaler> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let lp = ListParams::default();
    let facts: Vec<ServerFacts> = deployments
        .list(&lp)
        .await
        .map_err(|e| JobError::from_kube("list deployments", "deployments", e))?
        .items
        .iter()
        .filter_map(serving::server_facts)
        .collect();
    let scalers: Vec<HpaFacts> = match hpas.list(&lp).await {
        Ok(list) => list.items.iter().filter_map(serving::hpa_facts).collect(),
        // A user who may read Deployments but not autoscalers still sees the servers.
        Err(kube::Error::Api(s)) if s.code == 403 || s.code == 404 => Vec::new(),
        Err(e) => return Err(JobError::from_kube("list horizontalpodautoscalers", "horizontalpodautoscalers", e)),
    };
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("serving.kserve.io", "v1beta1", "InferenceService"),
        "inferenceservices",
    );
    let isvc: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    };
    let inference: Vec<ModelServerRow> = match isvc.list(&lp).await {
        Ok(list) => list
            .items
            .iter()
            .map(|o| serving::inference_service(&serde_json::to_value(o).unwrap_or(Value::Null)))
            .collect(),
        Err(_) => Vec::new(), // no KServe here (404), or not ours to read
    };
    Ok(serving::servers(&facts, &scalers, &inference))
}

/// One server by name.
pub async fn get(client: &kube::Client, namespace: &str, name: &str) -> Result<ModelServerRow, JobError> {
    list(client, Some(namespace)).await?.into_iter().find(|s| s.name == name).ok_or_else(|| {
        JobError::BadInput(format!("no model server {name} in namespace {namespace} (bosun servers lists them)"))
    })
}

/// Waits until the server's roll-out is complete and every wanted replica is available, reporting each new state;
/// a roll-out past its progress deadline fails at once with the controller's words.
pub async fn wait_available(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    timeout: Duration,
    mut on_state: impl FnMut(&ModelServerRow),
) -> Result<ModelServerRow, JobError> {
    let started = std::time::Instant::now();
    let mut last = String::new();
    loop {
        let row = match get(client, namespace, name).await {
            Ok(row) => Some(row),
            // Just applied: the Deployment may not be listed yet.
            Err(JobError::BadInput(_)) if started.elapsed() < Duration::from_secs(5) => None,
            Err(e) => return Err(e),
        };
        if let Some(row) = row {
            let shown = format!("{} {}", row.state, row.ready_text());
            if shown != last {
                on_state(&row);
                last = shown;
            }
            if row.state == "Stalled" {
                return Err(JobError::Api {
                    action: format!("roll out {namespace}/{name}"),
                    message: row.message.unwrap_or_else(|| "the roll-out passed its progress deadline".into()),
                });
            }
            if matches!(row.state.as_str(), "Available" | "Canary") {
                return Ok(row);
            }
            if started.elapsed() >= timeout {
                let why = pending_reason(client, namespace, name).await.unwrap_or_default();
                return Err(JobError::Timeout {
                    object: format!("model server {namespace}/{name}"),
                    waited: kubefmt::duration::human(timeout.as_secs() as i64),
                    state: format!("{} ({} ready)", row.state, row.ready_text()),
                    why,
                });
            }
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}

/// Why a pod of the server is not ready: the scheduler's message, or a container's waiting reason.
async fn pending_reason(client: &kube::Client, namespace: &str, name: &str) -> Option<String> {
    super::training::waiting_reason(&pods(client, namespace, name).await.ok()?)
}

/// The pods of a server (both tracks).
pub async fn pods(client: &kube::Client, namespace: &str, server: &str) -> Result<Vec<Pod>, JobError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let selector = format!("{SERVER_LABEL}={server}");
    let mut pods = api
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| JobError::from_kube(&format!("list the pods of {namespace}/{server}"), server, e))?
        .items;
    if pods.is_empty() {
        // A server Bosun did not deploy: its pods are the Deployment's selector's.
        let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
        if let Ok(Some(d)) = deployments.get_opt(server).await
            && let Some(labels) = d.spec.and_then(|s| s.selector.match_labels)
        {
            let selector: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            pods =
                api.list(&ListParams::default().labels(&selector.join(","))).await.map(|l| l.items).unwrap_or_default();
        }
    }
    pods.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    Ok(pods)
}

/// Whether a pod is running and ready (and not going away).
pub fn is_ready(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod.status.as_ref().is_some_and(|s| {
            s.phase.as_deref() == Some("Running")
                && s.conditions.iter().flatten().any(|c| c.type_ == "Ready" && c.status == "True")
        })
}

fn deployments(client: &kube::Client, namespace: &str) -> Api<Deployment> {
    Api::namespaced(client.clone(), namespace)
}

fn err(action: String, object: &str) -> impl FnOnce(kube::Error) -> JobError + '_ {
    move |e| JobError::from_kube(&action, object, e)
}

/// Sets a Deployment's replica count (the scale subresource, as `kubectl scale` does).
pub async fn scale(client: &kube::Client, namespace: &str, deployment: &str, replicas: u32) -> Result<(), JobError> {
    let patch = json!({"spec": {"replicas": replicas}});
    deployments(client, namespace)
        .patch_scale(deployment, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
        .map_err(err(format!("scale {namespace}/{deployment}"), deployment))
}

/// Sets an autoscaler's bounds.
pub async fn set_autoscale(
    client: &kube::Client,
    namespace: &str,
    hpa: &str,
    min: u32,
    max: u32,
) -> Result<(), JobError> {
    if min == 0 || max < min {
        return Err(JobError::BadInput(format!(
            "replicas from {min} to {max}: the minimum must be at least 1 and at most the maximum"
        )));
    }
    let api: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), namespace);
    let patch = json!({"spec": {"minReplicas": min, "maxReplicas": max}});
    api.patch(hpa, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
        .map_err(err(format!("change the autoscaler {namespace}/{hpa}"), hpa))
}

/// Changes the image and/or model version of a Deployment's server container: a rolling update.
pub async fn update(
    client: &kube::Client,
    namespace: &str,
    deployment: &str,
    image: Option<&str>,
    version: Option<&crate::workloads::serving::VersionPolicy>,
) -> Result<(), JobError> {
    let api = deployments(client, namespace);
    let live = api.get(deployment).await.map_err(err(format!("read {namespace}/{deployment}"), deployment))?;
    let facts = serving::server_facts(&live)
        .ok_or_else(|| JobError::BadInput(format!("{namespace}/{deployment} runs no model server Bosun knows")))?;
    let container = live
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.containers.iter().find(|c| c.image.as_deref() == Some(facts.image.as_str())))
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let mut template = json!({"metadata": {"annotations": {}}, "spec": {"containers": [{"name": container}]}});
    if let Some(image) = image.filter(|i| !i.trim().is_empty()) {
        template["spec"]["containers"][0]["image"] = json!(image.trim());
    }
    if let Some(version) = version {
        template["metadata"]["annotations"][crate::workloads::serving::MODEL_VERSION_ANNOTATION] =
            json!(version.text());
        set_models_config_version(client, namespace, &live, &facts, version).await?;
    }
    let patch = json!({"spec": {"template": template}});
    api.patch(deployment, &PatchParams::default(), &Patch::Strategic(&patch))
        .await
        .map(|_| ())
        .map_err(err(format!("update {namespace}/{deployment}"), deployment))
}

/// A TF Serving Deployment that reads a models config file from a ConfigMap gets the new version policy there.
async fn set_models_config_version(
    client: &kube::Client,
    namespace: &str,
    live: &Deployment,
    facts: &ServerFacts,
    version: &crate::workloads::serving::VersionPolicy,
) -> Result<(), JobError> {
    let config = live
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.volumes.iter().flatten().find_map(|v| v.config_map.as_ref().map(|c| c.name.clone())));
    let Some(config) = config else {
        if *version == crate::workloads::serving::VersionPolicy::Latest {
            return Ok(());
        }
        return Err(JobError::BadInput(format!(
            "{namespace}/{}: the server loads its model from flags (--model_name), so it always serves the latest version; deploy it from Bosun's form with a version policy to pin one",
            facts.deployment
        )));
    };
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let cm = api.get(&config).await.map_err(err(format!("read ConfigMap {namespace}/{config}"), &config))?;
    let mut data = cm.data.unwrap_or_default();
    for text in data.values_mut() {
        *text = with_version_policy(text, version);
    }
    let patch = json!({"data": data});
    api.patch(&config, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
        .map_err(err(format!("update ConfigMap {namespace}/{config}"), &config))
}

/// A models config text with every `model_version_policy` replaced.
fn with_version_policy(text: &str, version: &crate::workloads::serving::VersionPolicy) -> String {
    use crate::workloads::serving::VersionPolicy;
    let policy = match version {
        VersionPolicy::Latest => "latest { num_versions: 1 }".to_string(),
        VersionPolicy::All => "all {}".to_string(),
        VersionPolicy::Specific(v) => {
            format!("specific {{ {} }}", v.iter().map(|v| format!("versions: {v}")).collect::<Vec<_>>().join(" "))
        }
    };
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("model_version_policy") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        // The policy's braces: skip to the matching close.
        let Some(open) = after.find('{') else { break };
        let mut depth = 0;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push_str(&format!("model_version_policy {{ {policy} }}"));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// A Deployment's ReplicaSets, newest revision first, with their revisions.
pub async fn revisions(
    client: &kube::Client,
    namespace: &str,
    deployment: &str,
) -> Result<Vec<(i64, ReplicaSet)>, JobError> {
    let live = deployments(client, namespace)
        .get(deployment)
        .await
        .map_err(err(format!("read {namespace}/{deployment}"), deployment))?;
    let uid = live.metadata.uid.clone().unwrap_or_default();
    let api: Api<ReplicaSet> = Api::namespaced(client.clone(), namespace);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(err(format!("list the ReplicaSets of {namespace}/{deployment}"), deployment))?;
    let mut sets: Vec<(i64, ReplicaSet)> = list
        .items
        .into_iter()
        .filter(|rs| rs.metadata.owner_references.iter().flatten().any(|o| o.uid == uid))
        .map(|rs| {
            let revision = rs
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("deployment.kubernetes.io/revision"))
                .and_then(|r| r.parse().ok())
                .unwrap_or(0);
            (revision, rs)
        })
        .collect();
    sets.sort_by_key(|s| std::cmp::Reverse(s.0));
    Ok(sets)
}

/// Rolls a Deployment back to the ReplicaSet of its previous revision (as `kubectl rollout undo` does: the old
/// template, without its `pod-template-hash`, becomes the Deployment's). Returns the revision rolled back to.
pub async fn rollback(client: &kube::Client, namespace: &str, deployment: &str) -> Result<i64, JobError> {
    let sets = revisions(client, namespace, deployment).await?;
    let Some((revision, previous)) = sets.get(1) else {
        return Err(JobError::BadInput(format!("{namespace}/{deployment} has no previous revision to roll back to")));
    };
    let mut template = previous
        .spec
        .as_ref()
        .and_then(|s| s.template.clone())
        .map(|t| serde_json::to_value(t).unwrap_or(Value::Null))
        .unwrap_or(Value::Null);
    if let Some(labels) = template.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
        labels.remove("pod-template-hash");
    }
    // Replace the template whole (a JSON patch), so fields the newer one added do not survive.
    let patch = json!([{"op": "replace", "path": "/spec/template", "value": template}]);
    let patch: json_patch::Patch = serde_json::from_value(patch).map_err(|e| JobError::BadInput(e.to_string()))?;
    deployments(client, namespace)
        .patch(deployment, &PatchParams::default(), &Patch::Json::<()>(patch))
        .await
        .map_err(err(format!("roll back {namespace}/{deployment}"), deployment))?;
    Ok(*revision)
}

/// Starts (or changes) a canary of `server`: its Deployment's template with `image` and/or `version`, as the
/// Deployment `<server>-canary` with the canary track label, `canary_replicas` pods, behind the same Service.
pub async fn start_canary(
    client: &kube::Client,
    namespace: &str,
    server: &str,
    image: Option<&str>,
    version: Option<&crate::workloads::serving::VersionPolicy>,
    canary_replicas: u32,
) -> Result<(), JobError> {
    let live =
        deployments(client, namespace).get(server).await.map_err(err(format!("read {namespace}/{server}"), server))?;
    let facts = serving::server_facts(&live)
        .ok_or_else(|| JobError::BadInput(format!("{namespace}/{server} runs no model server Bosun knows")))?;
    if !live.metadata.labels.as_ref().is_some_and(|l| l.contains_key(SERVER_LABEL)) {
        return Err(JobError::BadInput(format!(
            "{namespace}/{server} was not deployed by Bosun: a canary needs its pods labelled {SERVER_LABEL}={server} and a Service selecting that label"
        )));
    }
    let mut template =
        live.spec.as_ref().map(|s| serde_json::to_value(&s.template).unwrap_or(Value::Null)).unwrap_or(Value::Null);
    template["metadata"]["labels"][TRACK_LABEL] = json!(CANARY);
    if let Some(containers) = template.pointer_mut("/spec/containers").and_then(Value::as_array_mut) {
        for c in containers.iter_mut().filter(|c| c["image"] == json!(facts.image)) {
            if let Some(image) = image.filter(|i| !i.trim().is_empty()) {
                c["image"] = json!(image.trim());
            }
        }
    }
    let name = canary_name(server);
    let mut objects = Vec::new();
    if let Some(version) = version {
        template["metadata"]["annotations"][crate::workloads::serving::MODEL_VERSION_ANNOTATION] =
            json!(version.text());
        // The canary reads its own copy of the models config, with the new version policy.
        let config = live
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .and_then(|p| p.volumes.iter().flatten().find_map(|v| v.config_map.as_ref().map(|c| c.name.clone())));
        if let Some(config) = config {
            let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
            let cm = api.get(&config).await.map_err(err(format!("read ConfigMap {namespace}/{config}"), &config))?;
            let data: serde_json::Map<String, Value> = cm
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, json!(with_version_policy(&v, version))))
                .collect();
            let canary_config = format!("{name}-models");
            objects.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": canary_config, "namespace": namespace,
                    "labels": {SERVER_LABEL: server, TRACK_LABEL: CANARY, "app.kubernetes.io/managed-by": "bosun"}},
                "data": data}));
            if let Some(volumes) = template.pointer_mut("/spec/volumes").and_then(Value::as_array_mut) {
                for v in volumes.iter_mut().filter(|v| v.pointer("/configMap/name") == Some(&json!(config))) {
                    v["configMap"]["name"] = json!(canary_config);
                }
            }
        } else if *version != crate::workloads::serving::VersionPolicy::Latest {
            return Err(JobError::BadInput(format!(
                "{namespace}/{server} loads its model from flags, so it always serves the latest version; canary a new image instead"
            )));
        }
    }
    let mut labels = live.metadata.labels.clone().unwrap_or_default();
    labels.insert(TRACK_LABEL.into(), CANARY.into());
    objects.push(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": canary_replicas,
            "selector": {"matchLabels": {SERVER_LABEL: server, TRACK_LABEL: CANARY}},
            "template": template,
        }
    }));
    apply(client, &objects, false).await.map(|_| ())
}

/// Sets the replicas of stable and canary for a traffic share (see `workloads::serving::split`). With an
/// autoscaler on stable, its minimum follows, so it does not undo the split.
pub async fn set_split(
    client: &kube::Client,
    namespace: &str,
    server: &str,
    stable: u32,
    canary: u32,
) -> Result<(), JobError> {
    scale(client, namespace, &canary_name(server), canary).await?;
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), namespace);
    if let Ok(Some(h)) = hpas.get_opt(server).await {
        let max = h.spec.map_or(stable, |s| s.max_replicas.max(stable as i32) as u32);
        set_autoscale(client, namespace, server, stable.max(1), max).await?;
    }
    scale(client, namespace, server, stable).await
}

/// Promotes the canary: stable takes its template (a rolling update) and the canary goes.
pub async fn promote(client: &kube::Client, namespace: &str, server: &str) -> Result<(), JobError> {
    let api = deployments(client, namespace);
    let name = canary_name(server);
    let canary = api.get(&name).await.map_err(err(format!("read {namespace}/{name}"), &name))?;
    let mut template =
        canary.spec.as_ref().map(|s| serde_json::to_value(&s.template).unwrap_or(Value::Null)).unwrap_or(Value::Null);
    template["metadata"]["labels"][TRACK_LABEL] = json!(crate::workloads::serving::STABLE);
    let canary_config = format!("{name}-models");
    let stable_config = format!("{server}-models");
    // The stable side keeps its own models config, given the canary's content.
    if let Some(volumes) = template.pointer_mut("/spec/volumes").and_then(Value::as_array_mut) {
        for v in volumes.iter_mut().filter(|v| v.pointer("/configMap/name") == Some(&json!(canary_config))) {
            v["configMap"]["name"] = json!(stable_config);
        }
    }
    let configs: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    if let Ok(Some(cm)) = configs.get_opt(&canary_config).await {
        let patch = json!({"data": cm.data.unwrap_or_default()});
        configs
            .patch(&stable_config, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(err(format!("update ConfigMap {namespace}/{stable_config}"), &stable_config))?;
    }
    let patch = json!([{"op": "replace", "path": "/spec/template", "value": template}]);
    let patch: json_patch::Patch = serde_json::from_value(patch).map_err(|e| JobError::BadInput(e.to_string()))?;
    api.patch(server, &PatchParams::default(), &Patch::Json::<()>(patch))
        .await
        .map_err(err(format!("promote the canary of {namespace}/{server}"), server))?;
    abort_canary(client, namespace, server).await
}

/// Removes the canary (its Deployment and models config); stable serves everything again.
pub async fn abort_canary(client: &kube::Client, namespace: &str, server: &str) -> Result<(), JobError> {
    let name = canary_name(server);
    match deployments(client, namespace).delete(&name, &DeleteParams::foreground()).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => return Err(JobError::from_kube(&format!("delete {namespace}/{name}"), &name, e)),
    }
    let configs: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let _ = configs.delete(&format!("{name}-models"), &DeleteParams::default()).await;
    Ok(())
}

/// Deletes a server Bosun deployed: its Deployments, Service, autoscaler and models configs.
pub async fn delete(client: &kube::Client, namespace: &str, server: &str) -> Result<(), JobError> {
    abort_canary(client, namespace, server).await?;
    let dp = DeleteParams::foreground();
    let gone = |r: Result<(), kube::Error>| match r {
        Ok(()) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(JobError::from_kube(&format!("delete {namespace}/{server}"), server, e)),
    };
    gone(deployments(client, namespace).delete(server, &dp).await.map(|_| ()))?;
    let services: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(client.clone(), namespace);
    gone(services.delete(server, &dp).await.map(|_| ()))?;
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), namespace);
    gone(hpas.delete(server, &dp).await.map(|_| ()))?;
    let configs: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    gone(configs.delete(&format!("{server}-models"), &dp).await.map(|_| ()))
}

/// What the detail panel shows of a server: its pods (name, node, ready, phase), revisions and recent events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerDetail {
    pub pods: Vec<ServerPod>,
    /// (revision, ReplicaSet name, image, ready/wanted) of the stable Deployment, newest first.
    pub revisions: Vec<(i64, String, String, String)>,
    /// (age in seconds, type, reason, message), newest first.
    pub events: Vec<(i64, String, String, String)>,
    /// The Deployments' conditions: (deployment, type, status, reason, message).
    pub conditions: Vec<(String, String, String, String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerPod {
    pub name: String,
    /// The server's container (the first), whose log the detail shows.
    pub container: String,
    pub node: String,
    pub track: String,
    pub ready: bool,
    pub status: String,
    pub restarts: i32,
}

/// Reads a server's detail now.
pub async fn detail(client: &kube::Client, namespace: &str, server: &str) -> Result<ServerDetail, JobError> {
    let pods = pods(client, namespace, server).await?;
    let mut detail = ServerDetail {
        pods: pods
            .iter()
            .map(|p| ServerPod {
                name: p.metadata.name.clone().unwrap_or_default(),
                container: p
                    .spec
                    .as_ref()
                    .and_then(|s| s.containers.first())
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                node: p.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default(),
                track: p
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(TRACK_LABEL).cloned())
                    .unwrap_or_else(|| crate::workloads::serving::STABLE.into()),
                ready: is_ready(p),
                status: p.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default(),
                restarts: p
                    .status
                    .as_ref()
                    .and_then(|s| s.container_statuses.as_ref())
                    .map_or(0, |c| c.iter().map(|c| c.restart_count).sum()),
            })
            .collect(),
        ..Default::default()
    };
    if let Ok(sets) = revisions(client, namespace, server).await {
        detail.revisions = sets
            .iter()
            .map(|(rev, rs)| {
                let image = rs
                    .spec
                    .as_ref()
                    .and_then(|s| s.template.as_ref())
                    .and_then(|t| t.spec.as_ref())
                    .and_then(|p| p.containers.first())
                    .and_then(|c| c.image.clone())
                    .unwrap_or_default();
                let ready = rs.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
                let wanted = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0);
                (*rev, rs.metadata.name.clone().unwrap_or_default(), image, format!("{ready}/{wanted}"))
            })
            .collect();
    }
    let api = deployments(client, namespace);
    for name in [server.to_string(), canary_name(server)] {
        if let Ok(Some(d)) = api.get_opt(&name).await {
            for c in d.status.and_then(|s| s.conditions).unwrap_or_default() {
                detail.conditions.push((
                    name.clone(),
                    c.type_,
                    c.status,
                    c.reason.unwrap_or_default(),
                    c.message.unwrap_or_default(),
                ));
            }
        }
    }
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    if let Ok(list) = events.list(&ListParams::default()).await {
        let names: Vec<String> = detail.pods.iter().map(|p| p.name.clone()).collect();
        let now = jiff::Timestamp::now().as_second();
        let mut mine: Vec<(i64, String, String, String)> = list
            .items
            .into_iter()
            .filter(|e| {
                let involved = e.involved_object.name.clone().unwrap_or_default();
                involved == server || involved.starts_with(&format!("{server}-")) || names.contains(&involved)
            })
            .map(|e| {
                let at = e
                    .last_timestamp
                    .as_ref()
                    .map(|t| t.0.as_second())
                    .or_else(|| e.event_time.as_ref().map(|t| t.0.as_second()))
                    .unwrap_or(now);
                (now - at, e.type_.unwrap_or_default(), e.reason.unwrap_or_default(), e.message.unwrap_or_default())
            })
            .collect();
        mine.sort_by_key(|e| e.0);
        mine.truncate(30);
        detail.events = mine;
    }
    Ok(detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::serving::VersionPolicy;

    #[test]
    fn a_models_config_gets_the_new_version_policy() {
        let text = "model_config_list {\n  config {\n    name: 'resnet'\n    model_version_policy { specific { versions: 2 } }\n  }\n}\n";
        let out = with_version_policy(text, &VersionPolicy::Specific(vec![3]));
        assert!(out.contains("model_version_policy { specific { versions: 3 } }"), "{out}");
        assert!(out.ends_with("  }\n}\n"), "{out}");
        assert!(with_version_policy(text, &VersionPolicy::Latest).contains("latest { num_versions: 1 }"));
    }
}
