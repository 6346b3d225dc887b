//! Workloads → [`WorkloadRow`]: one compact row shape for everything that runs or serves pods (Deployments,
//! StatefulSets, DaemonSets, ReplicaSets, Jobs, the Kubeflow training jobs, Notebooks, KServe InferenceServices) and
//! for what surrounds them (Services, HPAs, PVCs). Each kind says in one word how it is doing, with a [`Tone`], and
//! why when it is not well.
//!
//! The ML kinds are custom resources: they arrive as JSON ([`kube::core::DynamicObject`]) because their CRDs may
//! not exist when Bosun starts, and are read defensively — a field missing or of the wrong type is "unknown", never a
//! failure.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, PodSpec, PodTemplateSpec, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::Value;

use super::pod::spec_requests;
use super::quantity;
use crate::tone::Tone;

/// The kinds Bosun watches besides nodes, pods and events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    TFJob,
    PyTorchJob,
    XGBoostJob,
    MPIJob,
    Notebook,
    InferenceService,
    Service,
    HorizontalPodAutoscaler,
    PersistentVolumeClaim,
}

/// A custom resource kind Bosun reads when its CRD is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomKind {
    pub kind: WorkloadKind,
    pub group: &'static str,
    pub plural: &'static str,
}

impl WorkloadKind {
    pub const ALL: [WorkloadKind; 14] = [
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::ReplicaSet,
        WorkloadKind::Job,
        WorkloadKind::TFJob,
        WorkloadKind::PyTorchJob,
        WorkloadKind::XGBoostJob,
        WorkloadKind::MPIJob,
        WorkloadKind::Notebook,
        WorkloadKind::InferenceService,
        WorkloadKind::Service,
        WorkloadKind::HorizontalPodAutoscaler,
        WorkloadKind::PersistentVolumeClaim,
    ];

    /// The custom kinds and where their CRDs put them.
    pub const CUSTOM: [CustomKind; 6] = [
        CustomKind { kind: WorkloadKind::TFJob, group: "kubeflow.org", plural: "tfjobs" },
        CustomKind { kind: WorkloadKind::PyTorchJob, group: "kubeflow.org", plural: "pytorchjobs" },
        CustomKind { kind: WorkloadKind::XGBoostJob, group: "kubeflow.org", plural: "xgboostjobs" },
        CustomKind { kind: WorkloadKind::MPIJob, group: "kubeflow.org", plural: "mpijobs" },
        CustomKind { kind: WorkloadKind::Notebook, group: "kubeflow.org", plural: "notebooks" },
        CustomKind { kind: WorkloadKind::InferenceService, group: "serving.kserve.io", plural: "inferenceservices" },
    ];

    pub fn index(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }

    /// The kind's name as the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::TFJob => "TFJob",
            WorkloadKind::PyTorchJob => "PyTorchJob",
            WorkloadKind::XGBoostJob => "XGBoostJob",
            WorkloadKind::MPIJob => "MPIJob",
            WorkloadKind::Notebook => "Notebook",
            WorkloadKind::InferenceService => "InferenceService",
            WorkloadKind::Service => "Service",
            WorkloadKind::HorizontalPodAutoscaler => "HPA",
            WorkloadKind::PersistentVolumeClaim => "PVC",
        }
    }

    /// What the row's `ready` counts for this kind, as kubectl names it.
    pub fn progress_label(self) -> &'static str {
        match self {
            WorkloadKind::Job => "Completions",
            WorkloadKind::TFJob | WorkloadKind::PyTorchJob | WorkloadKind::XGBoostJob | WorkloadKind::MPIJob => {
                "Active replicas"
            }
            WorkloadKind::HorizontalPodAutoscaler => "Replicas (current/desired)",
            _ => "Ready",
        }
    }

    /// Whether the kind runs to completion (counted under "jobs by state").
    pub fn is_job(self) -> bool {
        matches!(
            self,
            WorkloadKind::Job
                | WorkloadKind::TFJob
                | WorkloadKind::PyTorchJob
                | WorkloadKind::XGBoostJob
                | WorkloadKind::MPIJob
        )
    }

    /// Whether the kind is a custom resource that needs its CRD.
    pub fn custom(self) -> Option<CustomKind> {
        Self::CUSTOM.iter().copied().find(|c| c.kind == self)
    }
}

/// One workload as the screens list it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadRow {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    /// One word or two: `Available`, `Running`, `Succeeded`, `Bound` …
    pub state: String,
    pub tone: Tone,
    /// Progress as `n/m`: ready of wanted replicas, completions of a Job, active replicas of a training job
    /// (see [`WorkloadKind::progress_label`]); empty when the kind has no replicas.
    pub ready: String,
    /// Accelerators the workload asks for in total (replicas × per-pod requests).
    pub accelerators: f64,
    /// Unix seconds.
    pub created: i64,
    /// Images, type and ports, target … — the one line that tells workloads of a kind apart.
    pub detail: String,
    /// Why the workload is not well, when the API says.
    pub message: Option<String>,
    /// `Kind/name` of the controller that owns it (a Deployment's ReplicaSets), if any.
    pub owner: Option<String>,
    /// For the job kinds: the Training list's row (replicas per role, times, experiment).
    #[serde(skip)]
    pub training: Option<std::sync::Arc<super::training::TrainingJobRow>>,
    /// For model servers (a Deployment of one, its autoscaler, an InferenceService): what the Serving list needs.
    #[serde(skip)]
    pub serving: Option<std::sync::Arc<super::serving::ServingPart>>,
}

fn base(kind: WorkloadKind, meta: &ObjectMeta) -> WorkloadRow {
    WorkloadRow {
        kind,
        namespace: meta.namespace.clone().unwrap_or_default(),
        name: meta.name.clone().unwrap_or_default(),
        state: String::new(),
        tone: Tone::Neutral,
        ready: String::new(),
        accelerators: 0.0,
        created: meta.creation_timestamp.as_ref().map_or(0, |t| t.0.as_second()),
        detail: String::new(),
        message: None,
        owner: meta
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true))
            .map(|o| format!("{}/{}", o.kind, o.name)),
        training: None,
        serving: None,
    }
}

/// What a workload's pod template asks for: accelerators for `replicas` pods, and the images as the detail.
fn describe_pods(row: &mut WorkloadRow, template: Option<&PodSpec>, replicas: f64) {
    row.accelerators = template_accelerators(template, replicas);
    row.detail = images(template);
}

fn template_accelerators(template: Option<&PodSpec>, replicas: f64) -> f64 {
    template.map_or(0.0, |s| spec_requests(s).accelerators.iter().map(|(_, a)| a).sum::<f64>() * replicas)
}

fn images(spec: Option<&PodSpec>) -> String {
    spec.map(|s| s.containers.iter().filter_map(|c| c.image.clone()).collect::<Vec<_>>().join(", ")).unwrap_or_default()
}

/// State of a replicated workload from ready, updated and wanted replica counts.
fn replicated(row: &mut WorkloadRow, ready: i32, wanted: i32, progressing: bool) {
    row.ready = format!("{ready}/{wanted}");
    (row.state, row.tone) = if wanted == 0 {
        ("Scaled to 0".into(), Tone::Neutral)
    } else if ready >= wanted && !progressing {
        ("Available".into(), Tone::Ok)
    } else if ready == 0 && !progressing {
        ("Unavailable".into(), Tone::Err)
    } else {
        ("Progressing".into(), Tone::Pending)
    };
}

pub fn deployment(d: &Deployment) -> WorkloadRow {
    let mut row = base(WorkloadKind::Deployment, &d.metadata);
    let spec = d.spec.as_ref();
    let status = d.status.clone().unwrap_or_default();
    let wanted = spec.and_then(|s| s.replicas).unwrap_or(1);
    let pod_spec = spec.and_then(|s| s.template.spec.as_ref());
    let rolling = status.updated_replicas.unwrap_or(0) < wanted
        || status.replicas.unwrap_or(0) > wanted
        || status.observed_generation < d.metadata.generation;
    replicated(&mut row, status.ready_replicas.unwrap_or(0), wanted, rolling);
    let conditions = status.conditions.unwrap_or_default();
    if let Some(c) = conditions.iter().find(|c| c.status == "False") {
        row.message = c.message.clone();
        if c.reason.as_deref() == Some("ProgressDeadlineExceeded") {
            (row.state, row.tone) = ("Stalled".into(), Tone::Err);
        }
    }
    if spec.is_some_and(|s| s.paused == Some(true)) {
        (row.state, row.tone) = ("Paused".into(), Tone::Warn);
    }
    describe_pods(&mut row, pod_spec, wanted as f64);
    row.serving = super::serving::server_facts(d).map(|f| std::sync::Arc::new(super::serving::ServingPart::Server(f)));
    row
}

pub fn stateful_set(s: &StatefulSet) -> WorkloadRow {
    let mut row = base(WorkloadKind::StatefulSet, &s.metadata);
    let spec = s.spec.as_ref();
    let status = s.status.clone().unwrap_or_default();
    let wanted = spec.and_then(|s| s.replicas).unwrap_or(1);
    let pod_spec = spec.and_then(|s| s.template.spec.as_ref());
    let rolling = status.current_revision != status.update_revision && status.update_revision.is_some();
    replicated(&mut row, status.ready_replicas.unwrap_or(0), wanted, rolling);
    describe_pods(&mut row, pod_spec, wanted as f64);
    row
}

pub fn daemon_set(d: &DaemonSet) -> WorkloadRow {
    let mut row = base(WorkloadKind::DaemonSet, &d.metadata);
    let status = d.status.clone().unwrap_or_default();
    let pod_spec = d.spec.as_ref().and_then(|s| s.template.spec.as_ref());
    let wanted = status.desired_number_scheduled;
    let ready = status.number_ready;
    row.ready = format!("{ready}/{wanted}");
    (row.state, row.tone) = if wanted == 0 {
        // A DaemonSet that targets no node is almost always a node selector or toleration problem.
        ("No nodes".into(), Tone::Warn)
    } else if ready >= wanted && status.updated_number_scheduled.unwrap_or(wanted) >= wanted {
        ("Ready".into(), Tone::Ok)
    } else {
        ("Progressing".into(), Tone::Pending)
    };
    if wanted == 0 {
        row.message = Some("No node matches its node selector, affinity and tolerations.".into());
    }
    describe_pods(&mut row, pod_spec, wanted as f64);
    row
}

pub fn replica_set(r: &ReplicaSet) -> WorkloadRow {
    let mut row = base(WorkloadKind::ReplicaSet, &r.metadata);
    let spec = r.spec.as_ref();
    let status = r.status.clone().unwrap_or_default();
    let wanted = spec.and_then(|s| s.replicas).unwrap_or(1);
    let pod_spec = spec.and_then(|s| s.template.as_ref()).and_then(|t| t.spec.as_ref());
    replicated(&mut row, status.ready_replicas.unwrap_or(0), wanted, false);
    describe_pods(&mut row, pod_spec, wanted as f64);
    row
}

pub fn job(j: &Job) -> WorkloadRow {
    let mut row = base(WorkloadKind::Job, &j.metadata);
    let spec = j.spec.as_ref();
    let status = j.status.clone().unwrap_or_default();
    let completions = spec.and_then(|s| s.completions).unwrap_or(1);
    let parallelism = spec.and_then(|s| s.parallelism).unwrap_or(1);
    let pod_spec = spec.and_then(|s| s.template.spec.as_ref());
    let conditions = status.conditions.unwrap_or_default();
    let holds = |t: &str| conditions.iter().find(|c| c.type_ == t && c.status == "True");
    row.ready = format!("{}/{completions}", status.succeeded.unwrap_or(0));
    (row.state, row.tone) = if let Some(c) = holds("Failed") {
        row.message = c.message.clone().or_else(|| c.reason.clone());
        ("Failed".into(), Tone::Err)
    } else if holds("Complete").is_some() {
        ("Succeeded".into(), Tone::Done)
    } else if spec.is_some_and(|s| s.suspend == Some(true)) {
        ("Suspended".into(), Tone::Neutral)
    } else if status.active.unwrap_or(0) > 0 {
        ("Running".into(), Tone::Ok)
    } else {
        ("Pending".into(), Tone::Pending)
    };
    let running = if matches!(row.state.as_str(), "Running" | "Pending") { parallelism as f64 } else { 0.0 };
    describe_pods(&mut row, pod_spec, running);
    let mut value = serde_json::to_value(j).unwrap_or(Value::Null);
    if value.is_object() {
        value["kind"] = Value::from("Job");
    }
    row.training = Some(std::sync::Arc::new(super::training::row(&value)));
    row
}

pub fn service(s: &Service) -> WorkloadRow {
    let mut row = base(WorkloadKind::Service, &s.metadata);
    let spec = s.spec.clone().unwrap_or_default();
    let type_ = spec.type_.clone().unwrap_or_else(|| "ClusterIP".into());
    let ports: Vec<String> =
        spec.ports.iter().flatten().map(|p| format!("{}/{}", p.port, p.protocol.as_deref().unwrap_or("TCP"))).collect();
    let ingress = s.status.as_ref().and_then(|s| s.load_balancer.as_ref()).and_then(|l| l.ingress.as_ref());
    (row.state, row.tone) = if type_ == "LoadBalancer" && ingress.is_none_or(|i| i.is_empty()) {
        row.message = Some("Waiting for the cloud provider to assign an external address.".into());
        ("Pending".into(), Tone::Pending)
    } else {
        (type_.clone(), Tone::Neutral)
    };
    row.detail = format!("{} {}", spec.cluster_ip.as_deref().unwrap_or("None"), ports.join(","));
    row
}

pub fn hpa(h: &HorizontalPodAutoscaler) -> WorkloadRow {
    let mut row = base(WorkloadKind::HorizontalPodAutoscaler, &h.metadata);
    let Some(spec) = h.spec.as_ref() else { return row };
    let status = h.status.clone().unwrap_or_default();
    row.ready = format!("{}/{}", status.current_replicas.unwrap_or(0), status.desired_replicas);
    let cpu_target = spec
        .metrics
        .iter()
        .flatten()
        .filter_map(|m| m.resource.as_ref())
        .find(|r| r.name == "cpu")
        .and_then(|r| r.target.average_utilization);
    let cpu_current = status
        .current_metrics
        .iter()
        .flatten()
        .filter_map(|m| m.resource.as_ref())
        .find(|r| r.name == "cpu")
        .and_then(|r| r.current.average_utilization);
    let cpu = match (cpu_current, cpu_target) {
        (Some(c), Some(t)) => format!(" · CPU {c}% / {t}%"),
        (None, Some(t)) => format!(" · CPU target {t}%"),
        _ => String::new(),
    };
    row.detail = format!(
        "{}/{} · {}–{} replicas{cpu}",
        spec.scale_target_ref.kind,
        spec.scale_target_ref.name,
        spec.min_replicas.unwrap_or(1),
        spec.max_replicas
    );
    let conditions = status.conditions.unwrap_or_default();
    (row.state, row.tone) = match conditions.iter().find(|c| c.status == "False" && c.type_ != "ScalingLimited") {
        Some(c) => {
            row.message = c.message.clone();
            (c.reason.clone().unwrap_or_else(|| "Not scaling".into()), Tone::Warn)
        }
        None if status.current_replicas.unwrap_or(0) != status.desired_replicas => ("Scaling".into(), Tone::Pending),
        None => ("Steady".into(), Tone::Ok),
    };
    row.serving = super::serving::hpa_facts(h).map(|f| std::sync::Arc::new(super::serving::ServingPart::Autoscaler(f)));
    row
}

pub fn pvc(c: &PersistentVolumeClaim) -> WorkloadRow {
    let mut row = base(WorkloadKind::PersistentVolumeClaim, &c.metadata);
    let phase = c.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_else(|| "Pending".into());
    row.tone = match phase.as_str() {
        "Bound" => Tone::Ok,
        "Pending" => Tone::Pending,
        _ => Tone::Err,
    };
    row.state = phase;
    let spec = c.spec.as_ref();
    let size = c
        .status
        .as_ref()
        .and_then(|s| s.capacity.as_ref())
        .and_then(|c| c.get("storage"))
        .or_else(|| spec.and_then(|s| s.resources.as_ref()).and_then(|r| r.requests.as_ref())?.get("storage"))
        .map(|q| quantity::bytes(quantity::value(q)))
        .unwrap_or_else(|| "—".into());
    let class = spec.and_then(|s| s.storage_class_name.clone()).unwrap_or_else(|| "default class".into());
    row.detail = format!("{size} · {class}");
    row
}

/// A custom resource (TFJob, PyTorchJob, Notebook, InferenceService) read from its JSON.
pub fn custom(kind: WorkloadKind, object: &kube::core::DynamicObject) -> WorkloadRow {
    let mut row = base(kind, &object.metadata);
    let data = &object.data;
    match kind {
        WorkloadKind::TFJob => training_job(&mut row, data, "tfReplicaSpecs"),
        WorkloadKind::PyTorchJob => training_job(&mut row, data, "pytorchReplicaSpecs"),
        WorkloadKind::XGBoostJob => training_job(&mut row, data, "xgbReplicaSpecs"),
        WorkloadKind::MPIJob => training_job(&mut row, data, "mpiReplicaSpecs"),
        WorkloadKind::Notebook => {
            // Kubeflow's notebook controller scales a notebook to zero while this annotation is set.
            let stopped =
                object.metadata.annotations.as_ref().is_some_and(|a| a.contains_key("kubeflow-resource-stopped"));
            notebook(&mut row, data, stopped)
        }
        WorkloadKind::InferenceService => {
            inference_service(&mut row, data);
            let mut value = serde_json::to_value(object).unwrap_or(Value::Null);
            if value.is_object() {
                value["kind"] = Value::from("InferenceService");
            }
            let server = super::serving::inference_service(&value);
            row.serving = Some(std::sync::Arc::new(super::serving::ServingPart::Inference(Box::new(server))));
        }
        _ => {}
    }
    if kind.is_job() {
        let mut value = serde_json::to_value(object).unwrap_or(Value::Null);
        if value.is_object() {
            value["kind"] = Value::from(kind.name());
        }
        row.training = Some(std::sync::Arc::new(super::training::row(&value)));
    }
    row
}

fn pod_template(v: &Value) -> Option<PodSpec> {
    serde_json::from_value::<PodTemplateSpec>(v.clone()).ok()?.spec
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// The current state of a Kubeflow training job is its last condition that holds.
fn training_job(row: &mut WorkloadRow, data: &Value, specs_key: &str) {
    let conditions = data.pointer("/status/conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    let current = conditions.iter().rev().find(|c| c.get("status").and_then(Value::as_str) == Some("True"));
    let state = current.and_then(|c| c.get("type")).and_then(Value::as_str).unwrap_or("Pending");
    row.tone = match state {
        "Running" => Tone::Ok,
        "Succeeded" => Tone::Done,
        "Failed" => Tone::Err,
        "Restarting" => Tone::Warn,
        "Suspended" => Tone::Neutral,
        _ => Tone::Pending,
    };
    row.state = if state == "Created" { "Pending".into() } else { state.into() };
    if matches!(state, "Failed" | "Restarting") {
        row.message = current.and_then(|c| c.get("message")).and_then(Value::as_str).map(str::to_string);
    }
    let specs = data.pointer(&format!("/spec/{specs_key}")).and_then(Value::as_object);
    let mut wanted = 0.0;
    let mut accelerators = 0.0;
    let mut parts = Vec::new();
    let mut image = None;
    for (replica_type, spec) in specs.into_iter().flatten() {
        let replicas = spec.get("replicas").and_then(Value::as_f64).unwrap_or(1.0);
        wanted += replicas;
        parts.push(format!("{} {replica_type}", quantity::count(replicas)));
        let pod_spec = spec.get("template").and_then(pod_template);
        accelerators += template_accelerators(pod_spec.as_ref(), replicas);
        if image.is_none() {
            image = pod_spec.and_then(|s| s.containers.first().and_then(|c| c.image.clone()));
        }
    }
    let active: f64 = data
        .pointer("/status/replicaStatuses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(_, s)| s.get("active").and_then(Value::as_f64))
        .sum();
    row.ready = format!("{}/{}", quantity::count(active), quantity::count(wanted));
    if !matches!(row.state.as_str(), "Running" | "Pending" | "Restarting") {
        accelerators = 0.0;
    }
    row.accelerators = accelerators;
    row.detail = match image {
        Some(image) => format!("{} · {image}", parts.join(", ")),
        None => parts.join(", "),
    };
}

fn notebook(row: &mut WorkloadRow, data: &Value, stopped: bool) {
    let pod_spec = data.pointer("/spec/template").and_then(pod_template);
    let ready = data.pointer("/status/readyReplicas").and_then(Value::as_i64).unwrap_or(0);
    row.ready = format!("{ready}/1");
    let waiting = str_at(data, "/status/containerState/waiting/reason");
    (row.state, row.tone) = if stopped {
        ("Stopped".into(), Tone::Neutral)
    } else if ready >= 1 {
        ("Running".into(), Tone::Ok)
    } else if let Some(reason) = waiting {
        let tone = if reason.contains("Err") || reason.contains("BackOff") { Tone::Err } else { Tone::Pending };
        (reason.to_string(), tone)
    } else {
        ("Starting".into(), Tone::Pending)
    };
    describe_pods(row, pod_spec.as_ref(), if stopped { 0.0 } else { 1.0 });
}

fn inference_service(row: &mut WorkloadRow, data: &Value) {
    let conditions = data.pointer("/status/conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    let ready = conditions.iter().find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"));
    (row.state, row.tone) = match ready.and_then(|c| c.get("status")).and_then(Value::as_str) {
        Some("True") => ("Ready".into(), Tone::Ok),
        Some("False") => {
            row.message = ready.and_then(|c| c.get("message")).and_then(Value::as_str).map(str::to_string);
            ("Not ready".into(), Tone::Err)
        }
        _ => ("Starting".into(), Tone::Pending),
    };
    let format = str_at(data, "/spec/predictor/model/modelFormat/name").unwrap_or("model");
    let uri = str_at(data, "/spec/predictor/model/storageUri").unwrap_or("");
    let url = str_at(data, "/status/url").unwrap_or("");
    row.detail = [format, uri, url].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" · ");
    let min = data.pointer("/spec/predictor/minReplicas").and_then(Value::as_f64).unwrap_or(1.0);
    let per_pod: f64 = data
        .pointer("/spec/predictor/model/resources")
        .and_then(|r| serde_json::from_value::<k8s_openapi::api::core::v1::ResourceRequirements>(r.clone()).ok())
        .map(|r| {
            let c = k8s_openapi::api::core::v1::Container { resources: Some(r), ..Default::default() };
            spec_requests(&PodSpec { containers: vec![c], ..Default::default() })
                .accelerators
                .iter()
                .map(|(_, a)| a)
                .sum()
        })
        .unwrap_or(0.0);
    row.accelerators = per_pod * min;
}

/// Jobs of every kind counted by state, for the overview.
pub fn jobs_by_state<'a>(rows: impl Iterator<Item = &'a WorkloadRow>) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for r in rows.filter(|r| r.kind.is_job()) {
        *counts.entry(r.state.clone()).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dynamic(v: Value) -> kube::core::DynamicObject {
        serde_json::from_value(v).expect("fixture")
    }

    #[test]
    fn a_deployment_rolling_out_is_progressing_and_counts_its_gpus() {
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "serve", "namespace": "ml", "generation": 2},
            "spec": {"replicas": 3, "selector": {}, "template": {"spec": {"containers": [
                {"name": "s", "image": "tensorflow/serving:2.15.0-gpu", "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}}},
            "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 1, "readyReplicas": 2}
        }))
        .expect("fixture");
        let r = deployment(&d);
        assert_eq!((r.state.as_str(), r.ready.as_str(), r.accelerators), ("Progressing", "2/3", 3.0));
        assert_eq!(r.detail, "tensorflow/serving:2.15.0-gpu");
    }

    #[test]
    fn a_daemonset_on_no_node_says_why() {
        let d: DaemonSet = serde_json::from_value(json!({
            "metadata": {"name": "nvidia-device-plugin", "namespace": "kube-system"},
            "status": {"desiredNumberScheduled": 0, "currentNumberScheduled": 0, "numberMisscheduled": 0, "numberReady": 0}
        }))
        .expect("fixture");
        let r = daemon_set(&d);
        assert_eq!((r.state.as_str(), r.tone), ("No nodes", Tone::Warn));
        assert!(r.message.is_some());
    }

    #[test]
    fn job_states_follow_conditions() {
        let failed: Job = serde_json::from_value(json!({"metadata": {"name": "j"}, "spec": {"template": {}},
            "status": {"failed": 3, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
            "message": "Job has reached the specified backoff limit"}]}}))
        .expect("fixture");
        let r = job(&failed);
        assert_eq!(
            (r.state.as_str(), r.message.as_deref()),
            ("Failed", Some("Job has reached the specified backoff limit"))
        );
        let running: Job = serde_json::from_value(
            json!({"metadata": {"name": "k"}, "spec": {"template": {}}, "status": {"active": 1}}),
        )
        .expect("fixture");
        assert_eq!(job(&running).state, "Running");
        let counts = jobs_by_state([r, job(&running)].iter());
        assert_eq!(counts.get("Failed"), Some(&1));
    }

    #[test]
    fn a_tfjob_reads_its_last_condition_replicas_and_gpus() {
        let o = dynamic(json!({
            "apiVersion": "kubeflow.org/v1", "kind": "TFJob",
            "metadata": {"name": "mnist", "namespace": "team-a"},
            "spec": {"tfReplicaSpecs": {
                "PS": {"replicas": 1, "template": {"spec": {"containers": [{"name": "tensorflow", "image": "tf:2"}]}}},
                "Worker": {"replicas": 2, "template": {"spec": {"containers": [{"name": "tensorflow", "image": "tf:2",
                    "resources": {"limits": {"nvidia.com/gpu": 4}}}]}}}}},
            "status": {"conditions": [
                {"type": "Created", "status": "True"}, {"type": "Running", "status": "True"}],
                "replicaStatuses": {"PS": {"active": 1}, "Worker": {"active": 1}}}
        }));
        let r = custom(WorkloadKind::TFJob, &o);
        assert_eq!((r.state.as_str(), r.tone, r.ready.as_str(), r.accelerators), ("Running", Tone::Ok, "2/3", 8.0));
        assert!(r.detail.starts_with("1 PS, 2 Worker"), "{}", r.detail);
        let odd = dynamic(json!({"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": {"name": "x"},
            "spec": {"tfReplicaSpecs": "not a map"}, "status": {"conditions": 7}}));
        assert_eq!(custom(WorkloadKind::TFJob, &odd).state, "Pending");
    }

    #[test]
    fn an_inference_service_is_ready_from_its_condition() {
        let o = dynamic(json!({
            "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": "flowers", "namespace": "serving"},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "tensorflow"}, "storageUri": "gs://m/flowers",
                "resources": {"limits": {"nvidia.com/gpu": "1"}}}}},
            "status": {"url": "http://flowers.serving.example.com", "conditions": [{"type": "Ready", "status": "True"}]}
        }));
        let r = custom(WorkloadKind::InferenceService, &o);
        assert_eq!((r.state.as_str(), r.accelerators), ("Ready", 1.0));
        assert_eq!(r.detail, "tensorflow · gs://m/flowers · http://flowers.serving.example.com");
    }

    #[test]
    fn kinds_are_indexed_in_order() {
        for (i, k) in WorkloadKind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i);
        }
        assert!(WorkloadKind::TFJob.custom().is_some() && WorkloadKind::Job.custom().is_none());
    }
}
