//! Model servers, pure: what the Serving form describes ([`ServingSpec`]) and the objects it becomes — a Deployment
//! of TensorFlow Serving or a KServe V1 prediction server (scikit-learn, XGBoost), the Service in front of it, an
//! `autoscaling/v2` HorizontalPodAutoscaler and, for a pinned TF Serving version, the models config file in a
//! ConfigMap. A canary is a second Deployment of the same server behind the same Service; [`split`] says how many
//! replicas each side gets for a traffic share.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::render::{GPU_PRODUCT_LABEL, MANAGED_BY, container_resources, toleration_for};
use super::spec::{FieldError, check_job_name};
pub use crate::resources::serving::{
    CANARY, MODEL_ANNOTATION, MODEL_VERSION_ANNOTATION, Runtime, SERVER_LABEL, STABLE, TRACK_LABEL,
};

/// Where a model's claim is mounted in the server's container.
pub const MODELS_MOUNT: &str = "/mnt/models";
const CONFIG_MOUNT: &str = "/etc/bosun-serving";
const CONFIG_FILE: &str = "models.config";

/// The Serving form's draft, in the settings folder: kept as the form changes, read back at start.
pub const DRAFT_FILE: &str = "serving-draft.json";

/// Which versions of the model TF Serving loads (its `model_version_policy`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionPolicy {
    /// The highest version found under the base path.
    #[default]
    Latest,
    /// Every version found.
    All,
    /// Exactly these versions (the first is the one the Service calls "the" version).
    Specific(Vec<u64>),
}

impl VersionPolicy {
    /// As the annotation and the tables show it: `latest`, `all`, `3`, `2,3`.
    pub fn text(&self) -> String {
        match self {
            VersionPolicy::Latest => "latest".into(),
            VersionPolicy::All => "all".into(),
            VersionPolicy::Specific(v) => v.iter().map(u64::to_string).collect::<Vec<_>>().join(","),
        }
    }

    /// Reads `latest`, `all` or a comma-separated list of versions.
    pub fn parse(text: &str) -> Result<VersionPolicy, String> {
        match text.trim() {
            "" | "latest" => Ok(VersionPolicy::Latest),
            "all" => Ok(VersionPolicy::All),
            list => list
                .split(',')
                .map(|v| v.trim().parse::<u64>().map_err(|_| format!("\"{v}\" is not a version number")))
                .collect::<Result<Vec<_>, _>>()
                .map(VersionPolicy::Specific),
        }
    }
}

/// Where the model's files are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    /// A URI the server reads itself (`gs://…`, `s3://…`, a path in the image).
    Uri(String),
    /// A folder on a PersistentVolumeClaim, mounted read-only at [`MODELS_MOUNT`].
    Claim { claim: String, path: String },
}

impl Default for ModelSource {
    fn default() -> Self {
        ModelSource::Uri(String::new())
    }
}

/// Autoscaling on CPU (an `autoscaling/v2` HorizontalPodAutoscaler).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Autoscale {
    pub min: u32,
    pub max: u32,
    /// Average CPU utilisation to aim for, in percent of the request.
    pub cpu_percent: u32,
}

impl Default for Autoscale {
    fn default() -> Self {
        Self { min: 1, max: 4, cpu_percent: 70 }
    }
}

/// A model server as the form describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServingSpec {
    pub name: String,
    pub namespace: String,
    pub runtime: Runtime,
    /// The name clients use in `/v1/models/NAME`.
    pub model_name: String,
    pub source: ModelSource,
    pub image: String,
    pub versions: VersionPolicy,
    pub replicas: u32,
    pub cpu: String,
    pub memory: String,
    pub accelerator: Option<String>,
    pub accelerators: u32,
    /// Only nodes with this GPU product label.
    pub gpu_product: String,
    /// REST port (8501 for TF Serving, 8080 for the KServe servers).
    pub rest_port: u16,
    /// gRPC port (TF Serving only).
    pub grpc_port: u16,
    pub autoscale: Option<Autoscale>,
    pub priority_class: String,
    pub service_account: String,
    /// A Kueue LocalQueue (label `kueue.x-k8s.io/queue-name` on the Deployments and their pods; empty: not queued).
    pub queue: String,
}

impl Default for ServingSpec {
    fn default() -> Self {
        Self {
            name: String::new(),
            namespace: "default".into(),
            runtime: Runtime::TfServing,
            model_name: String::new(),
            source: ModelSource::default(),
            image: Runtime::TfServing.default_image().into(),
            versions: VersionPolicy::Latest,
            replicas: 1,
            cpu: "500m".into(),
            memory: "1Gi".into(),
            accelerator: None,
            accelerators: 0,
            gpu_product: String::new(),
            rest_port: 8501,
            grpc_port: 8500,
            autoscale: None,
            priority_class: String::new(),
            queue: String::new(),
            service_account: String::new(),
        }
    }
}

/// The default REST port of a runtime.
pub fn default_rest_port(runtime: Runtime) -> u16 {
    match runtime {
        Runtime::TfServing => 8501,
        Runtime::Sklearn | Runtime::Xgboost => 8080,
    }
}

fn check_quantity(field: &str, text: &str, errors: &mut Vec<FieldError>) {
    if !text.is_empty() && kubefmt::quantity::parse(text).is_none() {
        errors.push(FieldError {
            field: field.into(),
            message: format!("\"{text}\" is not a quantity (e.g. 500m, 4, 16Gi)"),
        });
    }
}

impl ServingSpec {
    /// The model's base path as the server sees it.
    pub fn base_path(&self) -> String {
        match &self.source {
            ModelSource::Uri(uri) => uri.clone(),
            ModelSource::Claim { path, .. } => {
                let path = path.trim_matches('/');
                if path.is_empty() { MODELS_MOUNT.into() } else { format!("{MODELS_MOUNT}/{path}") }
            }
        }
    }

    /// Every problem with the form, by field; empty when it can be deployed.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut push = |field: &str, message: String| errors.push(FieldError { field: field.into(), message });
        // The canary Deployment adds `-canary` to the name; leave room for it.
        if let Err(e) = check_job_name(&self.name, super::JobKind::Job) {
            push("name", e);
        } else if self.name.len() > 63 - "-canary".len() - "-models".len() {
            push("name", format!("must be no more than {} characters", 63 - "-canary-models".len()));
        }
        if !kubefmt::names::is_dns_label(&self.namespace) {
            push("namespace", format!("\"{}\" is not a namespace name", self.namespace));
        }
        let model_ok = !self.model_name.is_empty()
            && self.model_name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        if !model_ok {
            push("model_name", "a model name of letters, digits, '_', '-' or '.' is required".into());
        }
        match &self.source {
            ModelSource::Uri(uri) if uri.trim().is_empty() => {
                push("source", "where the model is: a URI (gs://…, s3://…) or a claim and path".into())
            }
            ModelSource::Claim { claim, .. } if !kubefmt::names::is_dns_label(claim) => {
                push("source", format!("\"{claim}\" is not a claim name"))
            }
            _ => {}
        }
        if self.image.trim().is_empty() {
            push("image", "an image is required".into());
        }
        if self.runtime != Runtime::TfServing && self.versions != VersionPolicy::Latest {
            push(
                "versions",
                format!("{} serves the one model in its folder; versions are TF Serving's", self.runtime.label()),
            );
        }
        if let VersionPolicy::Specific(v) = &self.versions
            && v.is_empty()
        {
            push("versions", "name at least one version".into());
        }
        if self.rest_port == 0 {
            push("rest_port", "a port is required".into());
        }
        if self.runtime == Runtime::TfServing && self.grpc_port == self.rest_port {
            push("grpc_port", "gRPC and REST need different ports".into());
        }
        if self.accelerators > 0 && self.accelerator.as_deref().is_none_or(str::is_empty) {
            push("accelerator", "choose which accelerator".into());
        }
        if let Some(a) = self.autoscale {
            if a.min == 0 || a.max < a.min {
                push(
                    "autoscale",
                    format!(
                        "replicas from {} to {}: the minimum must be at least 1 and at most the maximum",
                        a.min, a.max
                    ),
                );
            }
            if a.cpu_percent == 0 || a.cpu_percent > 100 * 10 {
                push("autoscale", "a CPU target between 1 and 1000 %".into());
            }
            if self.cpu.is_empty() {
                push("cpu", "autoscaling on CPU needs a CPU request".into());
            }
        }
        check_quantity("cpu", &self.cpu, &mut errors);
        check_quantity("memory", &self.memory, &mut errors);
        errors
    }
}

/// The name of a server's canary Deployment.
pub fn canary_name(server: &str) -> String {
    format!("{server}-canary")
}

/// Everything the spec asks to create, in apply order: config, Deployment, Service, autoscaler.
pub fn objects(spec: &ServingSpec) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(config) = models_config(spec, STABLE) {
        out.push(config);
    }
    out.push(deployment(spec, STABLE));
    out.push(service(spec));
    if let Some(hpa) = autoscaler(spec) {
        out.push(hpa);
    }
    out
}

/// The objects of a canary of `spec` (the new version or image) with `replicas` pods.
pub fn canary_objects(spec: &ServingSpec, replicas: u32) -> Vec<Value> {
    let mut canary = spec.clone();
    canary.replicas = replicas;
    canary.autoscale = None;
    let mut out = Vec::new();
    if let Some(config) = models_config(&canary, CANARY) {
        out.push(config);
    }
    out.push(deployment(&canary, CANARY));
    out
}

fn labels(spec: &ServingSpec) -> Map<String, Value> {
    let mut labels = Map::new();
    labels.insert(MANAGED_BY.0.into(), json!(MANAGED_BY.1));
    labels.insert("app.kubernetes.io/name".into(), json!(spec.name));
    labels.insert("app.kubernetes.io/component".into(), json!("model-server"));
    labels.insert(SERVER_LABEL.into(), json!(spec.name));
    labels
}

fn deployment_name(spec: &ServingSpec, track: &str) -> String {
    if track == CANARY { canary_name(&spec.name) } else { spec.name.clone() }
}

fn config_name(spec: &ServingSpec, track: &str) -> String {
    format!("{}-models", deployment_name(spec, track))
}

/// TF Serving's `model_config_list` for a pinned version or `all`: the only way to set a version policy.
pub fn models_config_text(spec: &ServingSpec) -> String {
    let policy = match &spec.versions {
        VersionPolicy::Latest => "latest { num_versions: 1 }".to_string(),
        VersionPolicy::All => "all {}".to_string(),
        VersionPolicy::Specific(v) => {
            format!("specific {{ {} }}", v.iter().map(|v| format!("versions: {v}")).collect::<Vec<_>>().join(" "))
        }
    };
    format!(
        "model_config_list {{\n  config {{\n    name: '{}'\n    base_path: '{}'\n    model_platform: 'tensorflow'\n    model_version_policy {{ {policy} }}\n  }}\n}}\n",
        spec.model_name,
        spec.base_path()
    )
}

fn models_config(spec: &ServingSpec, track: &str) -> Option<Value> {
    if spec.runtime != Runtime::TfServing || spec.versions == VersionPolicy::Latest {
        return None;
    }
    let mut labels = labels(spec);
    labels.insert(TRACK_LABEL.into(), json!(track));
    Some(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": config_name(spec, track), "namespace": spec.namespace, "labels": labels},
        "data": {CONFIG_FILE: models_config_text(spec)}
    }))
}

fn server_args(spec: &ServingSpec) -> Vec<String> {
    match spec.runtime {
        Runtime::TfServing => {
            let mut args = vec![format!("--port={}", spec.grpc_port), format!("--rest_api_port={}", spec.rest_port)];
            if spec.versions == VersionPolicy::Latest {
                args.push(format!("--model_name={}", spec.model_name));
                args.push(format!("--model_base_path={}", spec.base_path()));
            } else {
                args.push(format!("--model_config_file={CONFIG_MOUNT}/{CONFIG_FILE}"));
            }
            args
        }
        Runtime::Sklearn | Runtime::Xgboost => vec![
            format!("--model_name={}", spec.model_name),
            format!("--model_dir={}", spec.base_path()),
            format!("--http_port={}", spec.rest_port),
        ],
    }
}

/// The Deployment of one track of the server.
pub fn deployment(spec: &ServingSpec, track: &str) -> Value {
    let mut labels = labels(spec);
    labels.insert(TRACK_LABEL.into(), json!(track));
    if !spec.queue.is_empty() {
        labels.insert(crate::workloads::render::QUEUE_LABEL.into(), json!(spec.queue));
    }
    let selector = json!({SERVER_LABEL: spec.name, TRACK_LABEL: track});
    let mut container = Map::new();
    container.insert("name".into(), json!(spec.runtime.container()));
    container.insert("image".into(), json!(spec.image));
    container.insert("args".into(), json!(server_args(spec)));
    let mut ports = vec![json!({"name": "http", "containerPort": spec.rest_port})];
    if spec.runtime == Runtime::TfServing {
        ports.push(json!({"name": "grpc", "containerPort": spec.grpc_port}));
    }
    container.insert("ports".into(), json!(ports));
    // Ready once the model is loaded: TF Serving's and KServe's model status endpoint.
    let probe = json!({"httpGet": {"path": format!("/v1/models/{}", spec.model_name), "port": "http"},
        "initialDelaySeconds": 5, "periodSeconds": 10});
    container.insert("readinessProbe".into(), probe);
    let accelerator = spec.accelerator.as_deref().filter(|a| !a.is_empty() && spec.accelerators > 0);
    if let Some(resources) = container_resources(&spec.cpu, &spec.memory, accelerator, spec.accelerators) {
        container.insert("resources".into(), resources);
    }
    let mut mounts = Vec::new();
    let mut volumes = Vec::new();
    if let ModelSource::Claim { claim, .. } = &spec.source {
        mounts.push(json!({"name": "model", "mountPath": MODELS_MOUNT, "readOnly": true}));
        volumes.push(json!({"name": "model", "persistentVolumeClaim": {"claimName": claim, "readOnly": true}}));
    }
    if models_config(spec, track).is_some() {
        mounts.push(json!({"name": "models-config", "mountPath": CONFIG_MOUNT, "readOnly": true}));
        volumes.push(json!({"name": "models-config", "configMap": {"name": config_name(spec, track)}}));
    }
    if !mounts.is_empty() {
        container.insert("volumeMounts".into(), json!(mounts));
    }
    let mut pod = Map::new();
    pod.insert("containers".into(), json!([Value::Object(container)]));
    if !volumes.is_empty() {
        pod.insert("volumes".into(), json!(volumes));
    }
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
    if !spec.service_account.is_empty() {
        pod.insert("serviceAccountName".into(), json!(spec.service_account));
    }
    let mut deployment_spec = Map::new();
    // With an autoscaler the HPA owns the replica count; applying one would fight it.
    if spec.autoscale.is_none() {
        deployment_spec.insert("replicas".into(), json!(spec.replicas));
    }
    deployment_spec.insert("selector".into(), json!({"matchLabels": selector}));
    deployment_spec.insert("progressDeadlineSeconds".into(), json!(600));
    deployment_spec.insert(
        "strategy".into(),
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}),
    );
    deployment_spec.insert(
        "template".into(),
        json!({
            "metadata": {"labels": labels, "annotations": {
                MODEL_VERSION_ANNOTATION: spec.versions.text(),
                MODEL_ANNOTATION: spec.model_name,
            }},
            "spec": pod,
        }),
    );
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": deployment_name(spec, track), "namespace": spec.namespace, "labels": labels},
        "spec": deployment_spec,
    })
}

/// The Service of the server: both tracks behind one name.
pub fn service(spec: &ServingSpec) -> Value {
    let mut ports = vec![json!({"name": "http", "port": spec.rest_port, "targetPort": "http"})];
    if spec.runtime == Runtime::TfServing {
        ports.push(json!({"name": "grpc", "port": spec.grpc_port, "targetPort": "grpc"}));
    }
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": spec.name, "namespace": spec.namespace, "labels": labels(spec)},
        "spec": {"selector": {SERVER_LABEL: spec.name}, "ports": ports},
    })
}

/// The autoscaler of the stable Deployment, if the form asks for one.
pub fn autoscaler(spec: &ServingSpec) -> Option<Value> {
    let a = spec.autoscale?;
    Some(json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": spec.name, "namespace": spec.namespace, "labels": labels(spec)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
            "minReplicas": a.min,
            "maxReplicas": a.max,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": a.cpu_percent}}}],
        },
    }))
}

/// Replicas for stable and canary so that about `canary_percent` of the requests reach the canary (the Service
/// spreads connections over ready pods, so traffic follows the replica ratio). Both sides keep at least one pod.
pub fn split(total: u32, canary_percent: u32) -> (u32, u32) {
    let total = total.max(2);
    let canary = ((f64::from(total) * f64::from(canary_percent.min(100)) / 100.0).round() as u32).clamp(1, total - 1);
    (total - canary, canary)
}

/// The share of requests the canary gets with these replica counts, in percent.
pub fn traffic_share(stable: u32, canary: u32) -> f64 {
    if stable + canary == 0 { 0.0 } else { 100.0 * f64::from(canary) / f64::from(stable + canary) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resnet() -> ServingSpec {
        ServingSpec {
            name: "resnet".into(),
            namespace: "serving".into(),
            model_name: "resnet".into(),
            source: ModelSource::Uri("gs://models/resnet".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_tf_serving_spec_becomes_a_deployment_a_service_and_an_autoscaler() {
        let spec = ServingSpec { autoscale: Some(Autoscale { min: 2, max: 6, cpu_percent: 60 }), ..resnet() };
        assert_eq!(spec.validate(), []);
        let objects = objects(&spec);
        let kinds: Vec<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
        assert_eq!(kinds, ["Deployment", "Service", "HorizontalPodAutoscaler"]);
        let d = &objects[0];
        assert!(d.pointer("/spec/replicas").is_none(), "the HPA owns the replica count");
        let args = &d["spec"]["template"]["spec"]["containers"][0]["args"];
        assert_eq!(
            args,
            &json!([
                "--port=8500",
                "--rest_api_port=8501",
                "--model_name=resnet",
                "--model_base_path=gs://models/resnet"
            ])
        );
        assert_eq!(
            d.pointer("/spec/template/spec/containers/0/readinessProbe/httpGet/path"),
            Some(&json!("/v1/models/resnet"))
        );
        assert_eq!(
            d.pointer("/spec/selector/matchLabels"),
            Some(&json!({SERVER_LABEL: "resnet", TRACK_LABEL: "stable"}))
        );
        assert_eq!(objects[1].pointer("/spec/selector"), Some(&json!({SERVER_LABEL: "resnet"})));
        assert_eq!(objects[2].pointer("/spec/minReplicas"), Some(&json!(2)));
        assert_eq!(objects[2].pointer("/spec/metrics/0/resource/target/averageUtilization"), Some(&json!(60)));
    }

    #[test]
    fn a_queued_server_labels_its_deployments_and_their_pods_for_kueue() {
        let spec = ServingSpec { queue: "team-a".into(), ..resnet() };
        for d in objects(&spec).iter().chain(&canary_objects(&spec, 1)).filter(|o| o["kind"] == "Deployment") {
            assert_eq!(d["metadata"]["labels"][crate::workloads::render::QUEUE_LABEL], "team-a");
            assert_eq!(d["spec"]["template"]["metadata"]["labels"][crate::workloads::render::QUEUE_LABEL], "team-a");
        }
        let service = objects(&spec).into_iter().find(|o| o["kind"] == "Service").expect("service");
        assert!(service["metadata"]["labels"].get(crate::workloads::render::QUEUE_LABEL).is_none());
    }

    #[test]
    fn a_pinned_version_is_a_models_config_file_and_rolls_the_pods() {
        let spec = ServingSpec { versions: VersionPolicy::Specific(vec![3]), ..resnet() };
        let objects = objects(&spec);
        assert_eq!(objects[0]["kind"], "ConfigMap");
        let text = objects[0]["data"][CONFIG_FILE].as_str().unwrap();
        assert!(
            text.contains("specific { versions: 3 }") && text.contains("base_path: 'gs://models/resnet'"),
            "{text}"
        );
        let d = &objects[1];
        assert_eq!(d.pointer("/spec/template/metadata/annotations/bosun.dev~1model-version"), Some(&json!("3")));
        let latest = deployment(&resnet(), STABLE);
        assert_ne!(latest["spec"]["template"], d["spec"]["template"]);
    }

    #[test]
    fn kserve_servers_take_their_own_flags_and_port() {
        let spec = ServingSpec {
            runtime: Runtime::Sklearn,
            image: Runtime::Sklearn.default_image().into(),
            rest_port: 8080,
            source: ModelSource::Claim { claim: "models".into(), path: "iris/v1".into() },
            ..resnet()
        };
        assert_eq!(spec.validate(), []);
        let d = deployment(&spec, STABLE);
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["args"], json!(["--model_name=resnet", "--model_dir=/mnt/models/iris/v1", "--http_port=8080"]));
        assert_eq!(c["ports"], json!([{"name": "http", "containerPort": 8080}]));
        assert_eq!(d.pointer("/spec/template/spec/volumes/0/persistentVolumeClaim/claimName"), Some(&json!("models")));
    }

    #[test]
    fn the_form_reports_every_problem_by_field() {
        let spec = ServingSpec {
            name: "Bad".into(),
            model_name: String::new(),
            runtime: Runtime::Xgboost,
            versions: VersionPolicy::Specific(vec![1]),
            accelerators: 1,
            autoscale: Some(Autoscale { min: 3, max: 2, cpu_percent: 50 }),
            cpu: "lots".into(),
            ..Default::default()
        };
        let fields: Vec<String> = spec.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "model_name", "source", "versions", "accelerator", "autoscale", "cpu"]);
    }

    #[test]
    fn canaries_split_by_replicas() {
        assert_eq!(split(4, 25), (3, 1));
        assert_eq!(split(10, 50), (5, 5));
        assert_eq!(split(1, 10), (1, 1), "each side keeps a pod");
        assert_eq!(split(4, 100), (1, 3));
        assert!((traffic_share(3, 1) - 25.0).abs() < 1e-9);
        let canary = canary_objects(&ServingSpec { image: "tensorflow/serving:2.16.1".into(), ..resnet() }, 1);
        assert_eq!(canary[0]["metadata"]["name"], "resnet-canary");
        assert_eq!(canary[0].pointer("/spec/template/metadata/labels/bosun.dev~1track"), Some(&json!("canary")));
        assert_eq!(canary[0].pointer("/spec/template/metadata/labels/bosun.dev~1server"), Some(&json!("resnet")));
    }

    #[test]
    fn version_policies_read_back() {
        assert_eq!(VersionPolicy::parse("latest"), Ok(VersionPolicy::Latest));
        assert_eq!(VersionPolicy::parse("2, 3"), Ok(VersionPolicy::Specific(vec![2, 3])));
        assert!(VersionPolicy::parse("v2").is_err());
        assert_eq!(VersionPolicy::Specific(vec![2, 3]).text(), "2,3");
    }
}
