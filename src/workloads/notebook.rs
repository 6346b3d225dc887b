//! Notebook servers without a hub, pure: what the Notebooks form describes ([`NotebookSpec`]) and the objects it
//! becomes — a Deployment of a Jupyter image (token from a Secret, workspace on a claim), its Service on 8888, the
//! workspace claim when it is new, and the token Secret (its value is the caller's: generated once, kept after).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::render::{GPU_PRODUCT_LABEL, MANAGED_BY, container_resources, toleration_for};
use super::spec::{FieldError, check_job_name};

/// Every object of a notebook server carries this label with its name.
pub const NOTEBOOK_LABEL: &str = "bosun.dev/notebook";
/// On the Deployment: scale to zero after this many idle hours (0 or absent: never).
pub use crate::resources::notebook::IDLE_ANNOTATION;
/// The Jupyter port.
pub const PORT: u16 = 8888;
/// The key of the token in its Secret.
pub const TOKEN_KEY: &str = "token";
const WORKSPACE: &str = "/home/jovyan/work";

/// Images people start from, by what they are.
pub const IMAGE_PRESETS: &[(&str, &str)] = &[
    ("Jupyter SciPy", "quay.io/jupyter/scipy-notebook:2024-10-07"),
    ("Jupyter TensorFlow (CUDA)", "quay.io/jupyter/tensorflow-notebook:cuda-2024-10-07"),
    ("Jupyter PyTorch (CUDA 12)", "quay.io/jupyter/pytorch-notebook:cuda12-2024-10-07"),
];

/// The draft of the Notebooks form, in the settings folder.
pub const DRAFT_FILE: &str = "notebook-draft.json";

/// Where the notebook's files live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Workspace {
    /// A new claim of this size, named `<name>-workspace`.
    New { size: String },
    /// A claim that exists.
    Existing { claim: String },
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace::New { size: "10Gi".into() }
    }
}

/// A notebook server as the form describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NotebookSpec {
    pub name: String,
    pub namespace: String,
    pub image: String,
    pub cpu: String,
    pub memory: String,
    pub accelerator: Option<String>,
    pub accelerators: u32,
    pub gpu_product: String,
    pub workspace: Workspace,
    /// Scale to zero after this many hours without activity (0: never).
    pub idle_hours: u32,
    /// The pod's PriorityClass (empty: the cluster's default).
    pub priority_class: String,
    /// Whose notebook it is (the `bosun.dev/user` label the Teams view counts by; empty: none).
    pub user: String,
    /// A Kueue LocalQueue (label `kueue.x-k8s.io/queue-name` on the Deployment and its pod; empty: not queued).
    pub queue: String,
}

impl Default for NotebookSpec {
    fn default() -> Self {
        Self {
            name: String::new(),
            namespace: "default".into(),
            image: IMAGE_PRESETS[0].1.into(),
            cpu: "1".into(),
            memory: "4Gi".into(),
            accelerator: None,
            accelerators: 0,
            gpu_product: String::new(),
            workspace: Workspace::default(),
            idle_hours: 8,
            priority_class: String::new(),
            queue: String::new(),
            user: String::new(),
        }
    }
}

impl NotebookSpec {
    /// The claim the workspace is on.
    pub fn claim(&self) -> String {
        match &self.workspace {
            Workspace::New { .. } => format!("{}-workspace", self.name),
            Workspace::Existing { claim } => claim.clone(),
        }
    }

    pub fn token_secret(&self) -> String {
        format!("{}-token", self.name)
    }

    /// Every problem with the form, by field.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut push = |field: &str, message: String| errors.push(FieldError { field: field.into(), message });
        if let Err(e) = check_job_name(&self.name, super::JobKind::Job) {
            push("name", e);
        } else if self.name.len() > 63 - "-workspace".len() {
            push("name", format!("must be no more than {} characters", 63 - "-workspace".len()));
        }
        if !kubefmt::names::is_dns_label(&self.namespace) {
            push("namespace", format!("\"{}\" is not a namespace name", self.namespace));
        }
        if self.image.trim().is_empty() {
            push("image", "an image is required".into());
        }
        for (field, text) in [("cpu", &self.cpu), ("memory", &self.memory)] {
            if !text.is_empty() && kubefmt::quantity::parse(text).is_none() {
                push(field, format!("\"{text}\" is not a quantity (e.g. 500m, 4, 16Gi)"));
            }
        }
        match &self.workspace {
            Workspace::New { size } if kubefmt::quantity::parse(size).is_none() => {
                push("workspace", format!("\"{size}\" is not a size (e.g. 10Gi)"))
            }
            Workspace::Existing { claim } if !kubefmt::names::is_dns_label(claim) => {
                push("workspace", format!("\"{claim}\" is not a claim name"))
            }
            _ => {}
        }
        if self.accelerators > 0 && self.accelerator.as_deref().is_none_or(str::is_empty) {
            push("accelerator", "choose which accelerator".into());
        }
        errors
    }
}

fn labels(spec: &NotebookSpec) -> Map<String, Value> {
    let mut labels = Map::new();
    labels.insert(MANAGED_BY.0.into(), json!(MANAGED_BY.1));
    labels.insert("app.kubernetes.io/name".into(), json!("jupyter"));
    labels.insert("app.kubernetes.io/component".into(), json!("notebook-server"));
    labels.insert(NOTEBOOK_LABEL.into(), json!(spec.name));
    if !spec.user.is_empty() {
        labels.insert("bosun.dev/user".into(), json!(spec.user));
    }
    labels
}

/// The objects of a notebook server, in apply order: the token Secret (with `token`), the new workspace claim, the
/// Deployment and its Service.
pub fn objects(spec: &NotebookSpec, token: &str) -> Vec<Value> {
    let labels = labels(spec);
    let mut out = vec![json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": spec.token_secret(), "namespace": spec.namespace, "labels": labels},
        "type": "Opaque",
        "stringData": {TOKEN_KEY: token},
    })];
    if let Workspace::New { size } = &spec.workspace {
        out.push(json!({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": spec.claim(), "namespace": spec.namespace, "labels": labels},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}},
        }));
    }
    out.push(deployment(spec));
    out.push(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": spec.name, "namespace": spec.namespace, "labels": labels},
        "spec": {"selector": {NOTEBOOK_LABEL: spec.name}, "ports": [{"name": "http", "port": PORT, "targetPort": "http"}]},
    }));
    out
}

fn deployment(spec: &NotebookSpec) -> Value {
    let mut labels = labels(spec);
    if !spec.queue.is_empty() {
        labels.insert(crate::workloads::render::QUEUE_LABEL.into(), json!(spec.queue));
    }
    let accelerator = spec.accelerator.as_deref().filter(|a| !a.is_empty() && spec.accelerators > 0);
    let resources = container_resources(&spec.cpu, &spec.memory, accelerator, spec.accelerators).unwrap_or(json!({}));
    let container = json!({
        "name": "notebook",
        "image": spec.image,
        "args": ["start-notebook.py", "--ServerApp.ip=0.0.0.0", format!("--ServerApp.port={PORT}")],
        // Jupyter's docker-stacks images take the token from this variable.
        "env": [{"name": "JUPYTER_TOKEN", "valueFrom": {"secretKeyRef": {"name": spec.token_secret(), "key": TOKEN_KEY}}}],
        "ports": [{"name": "http", "containerPort": PORT}],
        "readinessProbe": {"httpGet": {"path": "/api/status", "port": "http"}, "periodSeconds": 10},
        "resources": resources,
        "volumeMounts": [{"name": "workspace", "mountPath": WORKSPACE}],
    });
    let mut pod = Map::new();
    pod.insert("containers".into(), json!([container]));
    pod.insert("volumes".into(), json!([{"name": "workspace", "persistentVolumeClaim": {"claimName": spec.claim()}}]));
    // The image's user (jovyan, 1000:100) may write the workspace.
    pod.insert("securityContext".into(), json!({"fsGroup": 100}));
    if let Some(resource) = accelerator {
        if let Some(t) = toleration_for(resource) {
            pod.insert("tolerations".into(), json!([t]));
        }
        if !spec.gpu_product.is_empty() {
            pod.insert("nodeSelector".into(), json!({GPU_PRODUCT_LABEL: spec.gpu_product}));
        }
    }
    if !spec.priority_class.is_empty() {
        pod.insert("priorityClassName".into(), json!(spec.priority_class));
    }
    let mut metadata = json!({"name": spec.name, "namespace": spec.namespace, "labels": labels});
    if spec.idle_hours > 0 {
        metadata["annotations"] = json!({IDLE_ANNOTATION: spec.idle_hours.to_string()});
    }
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": 1,
            // One pod owns the workspace claim (ReadWriteOnce): the old one goes before the new one starts.
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": {NOTEBOOK_LABEL: spec.name}},
            "template": {"metadata": {"labels": labels}, "spec": pod},
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notebook_is_a_token_a_workspace_a_deployment_and_a_service() {
        let spec = NotebookSpec {
            name: "ana".into(),
            accelerator: Some("nvidia.com/gpu".into()),
            accelerators: 1,
            ..Default::default()
        };
        assert_eq!(spec.validate(), []);
        let objects = objects(&spec, "s3cret");
        let kinds: Vec<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
        assert_eq!(kinds, ["Secret", "PersistentVolumeClaim", "Deployment", "Service"]);
        assert_eq!(objects[0].pointer("/stringData/token"), Some(&json!("s3cret")));
        assert_eq!(objects[1].pointer("/metadata/name"), Some(&json!("ana-workspace")));
        let d = &objects[2];
        assert_eq!(d.pointer("/metadata/annotations/bosun.dev~1idle-shutdown-hours"), Some(&json!("8")));
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c.pointer("/env/0/valueFrom/secretKeyRef/name"), Some(&json!("ana-token")));
        assert_eq!(c.pointer("/resources/limits/nvidia.com~1gpu"), Some(&json!("1")));
        assert_eq!(d.pointer("/spec/template/spec/tolerations/0/key"), Some(&json!("nvidia.com/gpu")));
        assert_eq!(objects[3].pointer("/spec/ports/0/port"), Some(&json!(8888)));
    }

    #[test]
    fn a_queued_notebook_labels_its_deployment_and_pod_for_kueue() {
        let spec = NotebookSpec { name: "ana".into(), queue: "team-a".into(), ..Default::default() };
        let objects = objects(&spec, "t");
        let d = objects.iter().find(|o| o["kind"] == "Deployment").expect("deployment");
        assert_eq!(d["metadata"]["labels"][crate::workloads::render::QUEUE_LABEL], "team-a");
        assert_eq!(d["spec"]["template"]["metadata"]["labels"][crate::workloads::render::QUEUE_LABEL], "team-a");
        let plain = NotebookSpec { name: "ana".into(), ..Default::default() };
        assert!(
            super::objects(&plain, "t")
                .iter()
                .all(|o| o["metadata"]["labels"].get("kueue.x-k8s.io/queue-name").is_none())
        );
    }

    #[test]
    fn an_existing_claim_is_used_not_created_and_bad_fields_are_named() {
        let spec = NotebookSpec {
            name: "bo".into(),
            workspace: Workspace::Existing { claim: "shared".into() },
            idle_hours: 0,
            ..Default::default()
        };
        let objects = objects(&spec, "t");
        assert!(objects.iter().all(|o| o["kind"] != "PersistentVolumeClaim"));
        assert!(objects[1].pointer("/metadata/annotations").is_none(), "no idle shutdown");
        let bad = NotebookSpec {
            name: "Bad".into(),
            workspace: Workspace::New { size: "lots".into() },
            accelerators: 1,
            ..Default::default()
        };
        let fields: Vec<String> = bad.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "workspace", "accelerator"]);
    }
}
