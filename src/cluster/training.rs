//! Training jobs on a cluster: submit (server-side apply, field manager `bosun`), wait for the outcome, explain a
//! failure with the failing replica's exit code and last log lines, and list every job of the training kinds.
//! The Training screen and `bosun submit|jobs` share it.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DynamicObject, ListParams, LogParams, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;
use serde_json::Value;

use crate::resources::training::{self, METRIC_PATTERN_ANNOTATION, METRICS_ANNOTATION, MetricSpec, TrainingJobRow};
use crate::workloads::JobKind;

const FIELD_MANAGER: &str = "bosun";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JobError {
    #[error("{kind} is not served by this cluster: {hint}")]
    KindMissing { kind: String, hint: String },
    #[error(
        "could not {action}: {message}. Ask a cluster admin for this permission, or use a context whose account has it."
    )]
    Forbidden { action: String, message: String },
    #[error("{object} is invalid: {}", causes.iter().map(|(f, m)| if f.is_empty() { m.clone() } else { format!("{f}: {m}") }).collect::<Vec<_>>().join("; "))]
    Invalid { object: String, causes: Vec<(String, String)> },
    #[error("could not {action}: {message}")]
    Api { action: String, message: String },
    #[error("{0}")]
    BadInput(String),
    #[error("{object} did not finish within {waited}: it is {state}{}", if why.is_empty() { String::new() } else { format!(" ({why})") })]
    Timeout { object: String, waited: String, state: String, why: String },
}

impl JobError {
    /// The exit code of a headless command that failed this way: 2 bad input, 3 not done in time, 4 forbidden.
    pub fn exit_code(&self) -> u8 {
        match self {
            JobError::Invalid { .. } | JobError::BadInput(_) => 2,
            JobError::Timeout { .. } => 3,
            JobError::Forbidden { .. } => 4,
            JobError::KindMissing { .. } | JobError::Api { .. } => 1,
        }
    }

    pub(crate) fn from_kube(action: &str, object: &str, e: kube::Error) -> JobError {
        match e {
            kube::Error::Api(s) if s.code == 403 => JobError::Forbidden { action: action.into(), message: s.message },
            kube::Error::Api(s) if s.code == 422 || s.code == 400 => {
                let causes: Vec<(String, String)> = s
                    .details
                    .as_ref()
                    .map(|d| d.causes.iter().map(|c| (c.field.clone(), c.message.clone())).collect())
                    .filter(|c: &Vec<(String, String)>| !c.is_empty())
                    .unwrap_or_else(|| vec![(String::new(), s.message.clone())]);
                JobError::Invalid { object: object.into(), causes }
            }
            kube::Error::Api(s) => {
                JobError::Api { action: action.into(), message: format!("{} ({} {})", s.message, s.code, s.reason) }
            }
            other => JobError::Api { action: action.into(), message: other.to_string() },
        }
    }
}

/// The API of a job kind, in a namespace or across all.
pub fn api(client: &kube::Client, kind: JobKind, namespace: Option<&str>) -> Api<DynamicObject> {
    let (group, version) = kind.api_version().split_once('/').unwrap_or(("", kind.api_version()));
    let resource =
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind.name()), kind.plural());
    match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    }
}

fn missing_kind(kind: JobKind) -> JobError {
    JobError::KindMissing {
        kind: kind.name().into(),
        hint: format!(
            "its CRD ({}.kubeflow.org) is not installed. Install the training operator (bosun install --components training-operator, or the Install screen), or submit a plain batch/v1 Job",
            kind.plural()
        ),
    }
}

/// `kind/namespace/name`, as `bosun submit` prints it.
pub fn display(obj: &Value) -> String {
    let text = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or_default();
    format!("{}/{}/{}", text("/kind"), text("/metadata/namespace"), text("/metadata/name"))
}

/// Applies a job object (server-side apply; with `dry_run` the server checks it and stores nothing) and returns
/// the object as the server has it.
pub async fn submit(client: &kube::Client, obj: &Value, dry_run: bool) -> Result<Value, JobError> {
    let kind_name = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    let kind = JobKind::from_kind(kind_name).ok_or_else(|| {
        JobError::BadInput(format!(
            "kind {kind_name:?} is not a training job (TFJob, PyTorchJob, XGBoostJob, MPIJob or Job)"
        ))
    })?;
    let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
    let namespace = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
    let api = api(client, kind, Some(namespace));
    let mut params = PatchParams::apply(FIELD_MANAGER).force();
    if dry_run {
        params = params.dry_run();
    }
    let shown = display(obj);
    match api.patch(name, &params, &Patch::Apply(obj)).await {
        Ok(applied) => Ok(serde_json::to_value(applied).unwrap_or(Value::Null)),
        Err(kube::Error::Api(s)) if s.code == 404 && kind.needs_operator() => Err(missing_kind(kind)),
        Err(e) => Err(JobError::from_kube(&format!("create {shown}"), &shown, e)),
    }
}

/// Suspends or resumes a job (`spec.runPolicy.suspend` of the operator's kinds, `spec.suspend` of a Job).
pub async fn set_suspended(
    client: &kube::Client,
    kind: &JobKind,
    namespace: &str,
    name: &str,
    suspend: bool,
) -> Result<(), JobError> {
    let patch = if *kind == JobKind::Job {
        serde_json::json!({"spec": {"suspend": suspend}})
    } else {
        serde_json::json!({"spec": {"runPolicy": {"suspend": suspend}}})
    };
    let shown = format!("{kind}/{namespace}/{name}");
    api(client, *kind, Some(namespace))
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
        .map_err(|e| JobError::from_kube(&format!("suspend {shown}"), &shown, e))
}

/// Sets a run's metric spec annotations (removed when empty, so Katib's defaults hold again).
pub async fn set_metric_spec(
    client: &kube::Client,
    kind: &JobKind,
    namespace: &str,
    name: &str,
    spec: &MetricSpec,
) -> Result<(), JobError> {
    let value = |text: String| if text.is_empty() { serde_json::Value::Null } else { serde_json::Value::String(text) };
    let patch = serde_json::json!({"metadata": {"annotations": {
        METRICS_ANNOTATION: value(spec.names.join(",")),
        METRIC_PATTERN_ANNOTATION: value(spec.pattern.clone()),
    }}});
    let shown = format!("{kind}/{namespace}/{name}");
    api(client, *kind, Some(namespace))
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
        .map_err(|e| JobError::from_kube(&format!("change the metric settings of {shown}"), &shown, e))
}

/// Reads a job's row now.
pub async fn get(
    client: &kube::Client,
    kind: JobKind,
    namespace: &str,
    name: &str,
) -> Result<TrainingJobRow, JobError> {
    let shown = format!("{kind}/{namespace}/{name}");
    let obj = api(client, kind, Some(namespace))
        .get(name)
        .await
        .map_err(|e| JobError::from_kube(&format!("read {shown}"), &shown, e))?;
    Ok(training::row(&serde_json::to_value(obj).unwrap_or(Value::Null)))
}

/// Waits until the job has succeeded or failed (polled every `every`), reporting each new state.
pub async fn wait(
    client: &kube::Client,
    kind: JobKind,
    namespace: &str,
    name: &str,
    timeout: Duration,
    mut on_state: impl FnMut(&TrainingJobRow),
) -> Result<TrainingJobRow, JobError> {
    let every = Duration::from_millis(500);
    let started = std::time::Instant::now();
    let mut last_state = String::new();
    loop {
        let row = get(client, kind, namespace, name).await?;
        if row.state != last_state {
            on_state(&row);
            last_state = row.state.clone();
        }
        if row.is_finished() {
            return Ok(row);
        }
        if started.elapsed() >= timeout {
            let why = pending_reason(client, kind, namespace, name).await.unwrap_or_default();
            return Err(JobError::Timeout {
                object: format!("{kind}/{namespace}/{name}"),
                waited: kubefmt::duration::human(timeout.as_secs() as i64),
                state: row.state,
                why,
            });
        }
        tokio::time::sleep(every).await;
    }
}

/// The label selector of a job's pods.
pub fn pod_selector(kind: JobKind, name: &str) -> String {
    match kind {
        JobKind::Job => format!("job-name={name}"),
        _ => format!("training.kubeflow.org/job-name={name}"),
    }
}

/// Why a pod of the job is still waiting: the scheduler's message, or a container's waiting reason.
async fn pending_reason(client: &kube::Client, kind: JobKind, namespace: &str, name: &str) -> Option<String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let list = pods.list(&ListParams::default().labels(&pod_selector(kind, name))).await.ok()?;
    waiting_reason(&list.items)
}

/// Why one of `pods` waits: the scheduler's message (`0/4 nodes are available: …`), or a container's waiting reason.
pub fn waiting_reason(pods: &[Pod]) -> Option<String> {
    pods.iter().find_map(|p| {
        let status = p.status.as_ref()?;
        let unscheduled = status.conditions.iter().flatten().find(|c| c.type_ == "PodScheduled" && c.status == "False");
        if let Some(c) = unscheduled {
            return c.message.clone();
        }
        status.container_statuses.iter().flatten().find_map(|c| {
            let w = c.state.as_ref()?.waiting.as_ref()?;
            Some(format!("{}: {}", w.reason.clone().unwrap_or_default(), w.message.clone().unwrap_or_default()))
        })
    })
}

/// How a replica failed: which pod and container, its exit code and reason, its last log lines.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Failure {
    pub pod: String,
    pub container: String,
    pub exit_code: i32,
    pub reason: String,
    pub last_lines: Vec<String>,
}

/// The first failed replica of a job, with its last `lines` log lines (empty when its pod is gone).
pub async fn failure(client: &kube::Client, kind: JobKind, namespace: &str, name: &str, lines: i64) -> Option<Failure> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let list = pods.list(&ListParams::default().labels(&pod_selector(kind, name))).await.ok()?;
    let mut found = list.items.iter().find_map(|p| {
        let status = p.status.as_ref()?;
        status.container_statuses.iter().flatten().find_map(|c| {
            let ended = c
                .state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .or_else(|| c.last_state.as_ref().and_then(|s| s.terminated.as_ref()))?;
            (ended.exit_code != 0).then(|| Failure {
                pod: p.metadata.name.clone().unwrap_or_default(),
                container: c.name.clone(),
                exit_code: ended.exit_code,
                reason: ended.reason.clone().unwrap_or_default(),
                last_lines: Vec::new(),
            })
        })
    })?;
    let params = LogParams { container: Some(found.container.clone()), tail_lines: Some(lines), ..Default::default() };
    if let Ok(text) = pods.logs(&found.pod, &params).await {
        found.last_lines = text.lines().map(str::to_string).collect();
    }
    Some(found)
}

/// Every job of the training kinds in `namespace` (all when `None`); kinds whose CRD is missing are left out and
/// named in the second list.
pub async fn list(
    client: &kube::Client,
    namespace: Option<&str>,
) -> Result<(Vec<TrainingJobRow>, Vec<JobKind>), JobError> {
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    for kind in JobKind::ALL {
        match api(client, kind, namespace).list(&ListParams::default()).await {
            Ok(list) => rows.extend(list.items.iter().map(|o| {
                let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
                // Items of a list carry no kind of their own.
                v["kind"] = Value::from(kind.name());
                training::row(&v)
            })),
            Err(kube::Error::Api(s)) if s.code == 404 => missing.push(kind),
            Err(e) => return Err(JobError::from_kube(&format!("list {}", kind.plural()), kind.plural(), e)),
        }
    }
    rows.sort_by(|a, b| (&a.namespace, &a.name, &a.kind).cmp(&(&b.namespace, &b.name, &b.kind)));
    Ok((rows, missing))
}
