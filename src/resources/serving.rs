//! Model servers as the Serving screen and `bosun servers` list them: a Deployment whose container is a model
//! server (TensorFlow Serving, KServe's scikit-learn or XGBoost server) read into [`ServerFacts`], the autoscaler
//! that targets it ([`HpaFacts`]), and KServe `InferenceService`s (read-only). [`servers`] groups a server's stable
//! and canary Deployments and its autoscaler into one [`ModelServerRow`]. Pure.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::tone::Tone;

/// Every pod of a server (stable and canary) carries this label with the server's name; its Service selects it.
pub const SERVER_LABEL: &str = "bosun.dev/server";
/// `stable` or `canary`: which Deployment of a server a pod belongs to.
pub const TRACK_LABEL: &str = "bosun.dev/track";
/// On the pod template: the model version served (`latest`, `3`, `2,3`), so a version change rolls the pods.
pub const MODEL_VERSION_ANNOTATION: &str = "bosun.dev/model-version";
/// On the pod template: the model's name, for servers that read it from a models config file.
pub const MODEL_ANNOTATION: &str = "bosun.dev/model";
pub const STABLE: &str = "stable";
pub const CANARY: &str = "canary";

/// Which server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Runtime {
    #[default]
    TfServing,
    Sklearn,
    Xgboost,
}

impl Runtime {
    pub const ALL: [Runtime; 3] = [Runtime::TfServing, Runtime::Sklearn, Runtime::Xgboost];

    pub fn label(self) -> &'static str {
        match self {
            Runtime::TfServing => "TensorFlow Serving",
            Runtime::Sklearn => "scikit-learn",
            Runtime::Xgboost => "XGBoost",
        }
    }

    /// The image the form starts from.
    pub fn default_image(self) -> &'static str {
        match self {
            Runtime::TfServing => "tensorflow/serving:2.15.0",
            Runtime::Sklearn => "kserve/sklearnserver:v0.14.1",
            Runtime::Xgboost => "kserve/xgbserver:v0.14.1",
        }
    }

    /// The runtime an image belongs to, if it is a model server Bosun knows.
    pub fn of_image(image: &str) -> Option<Runtime> {
        if image.contains("tensorflow/serving") {
            Some(Runtime::TfServing)
        } else if image.contains("sklearnserver") {
            Some(Runtime::Sklearn)
        } else if image.contains("xgbserver") {
            Some(Runtime::Xgboost)
        } else {
            None
        }
    }

    /// The container name Bosun gives the server.
    pub fn container(self) -> &'static str {
        match self {
            Runtime::TfServing => "tensorflow-serving",
            Runtime::Sklearn | Runtime::Xgboost => "kserve-container",
        }
    }
}

/// What a model server's Deployment says about itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerFacts {
    pub namespace: String,
    /// The Deployment's name.
    pub deployment: String,
    /// The server it belongs to: its `bosun.dev/server` label, else the Deployment's name.
    pub server: String,
    /// `canary` for a canary Deployment, else `stable`.
    pub track: String,
    pub runtime: Runtime,
    /// The model clients name in `/v1/models/NAME` (empty when a models config file names it).
    pub model: String,
    /// `latest`, `all` or the pinned versions.
    pub version: String,
    pub image: String,
    pub rest_port: u16,
    pub managed_by_bosun: bool,
    /// Replicas wanted (`spec.replicas`), and what the status counts.
    pub desired: i32,
    pub replicas: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    /// The Deployment's revision (`deployment.kubernetes.io/revision`).
    pub revision: i64,
    /// Whether the controller has seen the latest spec.
    pub observed: bool,
    /// The `Progressing=False` reason and message (`ProgressDeadlineExceeded`), or a `False` condition's.
    pub problem: Option<(String, String)>,
    /// The pod labels the Deployment selects (to find its pods).
    pub selector: Vec<(String, String)>,
    /// GPUs (or other accelerators) per pod.
    pub accelerators: f64,
    /// Unix seconds.
    pub created: i64,
}

impl ServerFacts {
    /// A roll-out is under way: not every replica runs the current template, or old ones linger.
    pub fn rolling(&self) -> bool {
        !self.observed || self.updated < self.desired || self.replicas > self.desired || self.available < self.desired
    }
}

/// The value of `--flag=value` or `--flag value` among a container's words.
fn flag(words: &[String], name: &str) -> Option<String> {
    words.iter().enumerate().find_map(|(i, w)| {
        w.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
            .map(str::to_string)
            .or_else(|| (w == name).then(|| words.get(i + 1).cloned()).flatten())
    })
}

/// A Deployment's model server, if its pods run one.
pub fn server_facts(d: &Deployment) -> Option<ServerFacts> {
    let spec = d.spec.as_ref()?;
    let template = &spec.template;
    let pod = template.spec.as_ref()?;
    let (container, runtime) =
        pod.containers.iter().find_map(|c| Runtime::of_image(c.image.as_deref()?).map(|r| (c, r)))?;
    let words: Vec<String> =
        container.command.iter().flatten().chain(container.args.iter().flatten()).cloned().collect();
    let env = |name: &str| container.env.iter().flatten().find(|e| e.name == name).and_then(|e| e.value.clone());
    let pod_annotations = template.metadata.as_ref().and_then(|m| m.annotations.clone()).unwrap_or_default();
    let model = flag(&words, "--model_name")
        .or_else(|| env("MODEL_NAME"))
        .or_else(|| pod_annotations.get(MODEL_ANNOTATION).cloned())
        .unwrap_or_default();
    let port_flag = if runtime == Runtime::TfServing { "--rest_api_port" } else { "--http_port" };
    let rest_port = flag(&words, port_flag).and_then(|p| p.parse().ok()).unwrap_or(match runtime {
        Runtime::TfServing => 8501,
        _ => 8080,
    });
    let labels = d.metadata.labels.clone().unwrap_or_default();
    let name = d.metadata.name.clone().unwrap_or_default();
    let status = d.status.clone().unwrap_or_default();
    let conditions = status.conditions.clone().unwrap_or_default();
    let problem = conditions
        .iter()
        .find(|c| c.type_ == "Progressing" && c.status == "False")
        .or_else(|| conditions.iter().find(|c| c.status == "False"))
        .map(|c| (c.reason.clone().unwrap_or_default(), c.message.clone().unwrap_or_default()));
    let accelerators = container
        .resources
        .as_ref()
        .and_then(|r| r.limits.as_ref())
        .map(|l| {
            l.iter()
                .filter(|(k, _)| crate::resources::accelerators::AcceleratorKind::of(k).is_some())
                .map(|(_, q)| crate::resources::quantity::value(q))
                .fold(0.0, |a, b| a + b)
        })
        .unwrap_or(0.0);
    Some(ServerFacts {
        namespace: d.metadata.namespace.clone().unwrap_or_default(),
        server: labels.get(SERVER_LABEL).cloned().unwrap_or_else(|| name.clone()),
        track: labels.get(TRACK_LABEL).cloned().unwrap_or_else(|| STABLE.into()),
        deployment: name,
        runtime,
        model,
        version: pod_annotations.get(MODEL_VERSION_ANNOTATION).cloned().unwrap_or_else(|| "latest".into()),
        image: container.image.clone().unwrap_or_default(),
        rest_port,
        managed_by_bosun: labels.get("app.kubernetes.io/managed-by").is_some_and(|v| v == "bosun"),
        desired: spec.replicas.unwrap_or(1),
        replicas: status.replicas.unwrap_or(0),
        updated: status.updated_replicas.unwrap_or(0),
        ready: status.ready_replicas.unwrap_or(0),
        available: status.available_replicas.unwrap_or(0),
        revision: d
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("deployment.kubernetes.io/revision"))
            .and_then(|r| r.parse().ok())
            .unwrap_or(0),
        observed: status.observed_generation >= d.metadata.generation,
        problem,
        selector: spec.selector.match_labels.clone().unwrap_or_default().into_iter().collect(),
        accelerators,
        created: d.metadata.creation_timestamp.as_ref().map_or(0, |t| t.0.as_second()),
    })
}

/// An autoscaler, as far as the Serving screen needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HpaFacts {
    pub namespace: String,
    pub name: String,
    /// The Deployment it scales.
    pub target: String,
    pub min: i32,
    pub max: i32,
    pub current: i32,
    pub desired: i32,
    /// CPU utilisation now and the target, in percent.
    pub cpu_current: Option<i32>,
    pub cpu_target: Option<i32>,
}

/// An autoscaler of a Deployment, if `h` is one.
pub fn hpa_facts(h: &HorizontalPodAutoscaler) -> Option<HpaFacts> {
    let spec = h.spec.as_ref()?;
    if spec.scale_target_ref.kind != "Deployment" {
        return None;
    }
    let status = h.status.clone().unwrap_or_default();
    let cpu = |m: Option<&Vec<k8s_openapi::api::autoscaling::v2::MetricStatus>>| {
        m?.iter().filter_map(|m| m.resource.as_ref()).find(|r| r.name == "cpu")?.current.average_utilization
    };
    Some(HpaFacts {
        namespace: h.metadata.namespace.clone().unwrap_or_default(),
        name: h.metadata.name.clone().unwrap_or_default(),
        target: spec.scale_target_ref.name.clone(),
        min: spec.min_replicas.unwrap_or(1),
        max: spec.max_replicas,
        current: status.current_replicas.unwrap_or(0),
        desired: status.desired_replicas,
        cpu_current: cpu(status.current_metrics.as_ref()),
        cpu_target: spec
            .metrics
            .iter()
            .flatten()
            .filter_map(|m| m.resource.as_ref())
            .find(|r| r.name == "cpu")
            .and_then(|r| r.target.average_utilization),
    })
}

/// Where a listed server comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ServerSource {
    /// A Deployment (Bosun's or another tool's): Bosun can scale, update, canary and try it.
    Deployment,
    /// A KServe InferenceService: shown, not managed.
    InferenceService,
}

/// One model server as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelServerRow {
    pub namespace: String,
    pub name: String,
    pub source: ServerSource,
    pub runtime: String,
    pub model: String,
    pub version: String,
    pub image: String,
    /// Ready and wanted replicas (both tracks).
    pub ready: i32,
    pub desired: i32,
    pub state: String,
    pub tone: Tone,
    /// Why it is not well, when it says.
    pub message: Option<String>,
    pub stable: Option<ServerFacts>,
    pub canary: Option<ServerFacts>,
    pub hpa: Option<HpaFacts>,
    pub created: i64,
    pub url: String,
}

impl ModelServerRow {
    /// `2/3`, as kubectl's READY column.
    pub fn ready_text(&self) -> String {
        format!("{}/{}", self.ready, self.desired)
    }

    /// The autoscaler in a few words: `2 (1–4) · CPU 40%/70%`.
    pub fn hpa_text(&self) -> String {
        let Some(h) = &self.hpa else { return "—".into() };
        let cpu = match (h.cpu_current, h.cpu_target) {
            (Some(c), Some(t)) => format!(" · CPU {c}%/{t}%"),
            (None, Some(t)) => format!(" · CPU target {t}%"),
            _ => String::new(),
        };
        format!("{} ({}–{}){cpu}", h.current, h.min, h.max)
    }

    /// The canary's share of requests, in percent (by ready replicas; wanted replicas before any is ready).
    pub fn canary_share(&self) -> Option<f64> {
        let canary = self.canary.as_ref()?;
        let stable = self.stable.as_ref();
        let (s, c) = match stable {
            Some(s) if s.ready + canary.ready > 0 => (s.ready, canary.ready),
            Some(s) => (s.desired, canary.desired),
            None => (0, canary.desired),
        };
        (s + c > 0).then(|| 100.0 * f64::from(c) / f64::from(s + c))
    }
}

/// The state of a server from its Deployments.
fn state_of(stable: Option<&ServerFacts>, canary: Option<&ServerFacts>) -> (String, Tone, Option<String>) {
    let sides: Vec<&ServerFacts> = stable.into_iter().chain(canary).collect();
    if let Some((reason, message)) =
        sides.iter().find_map(|s| s.problem.as_ref().filter(|(r, _)| r == "ProgressDeadlineExceeded"))
    {
        return ("Stalled".into(), Tone::Err, Some(format!("{reason}: {message}")));
    }
    let desired: i32 = sides.iter().map(|s| s.desired).sum();
    let ready: i32 = sides.iter().map(|s| s.ready).sum();
    if desired == 0 {
        return ("Scaled to 0".into(), Tone::Neutral, None);
    }
    if sides.iter().any(|s| s.rolling()) {
        let message = sides.iter().find_map(|s| s.problem.as_ref().map(|(_, m)| m.clone()));
        return ("Rolling out".into(), Tone::Pending, message);
    }
    if ready == 0 {
        return ("Unavailable".into(), Tone::Err, Some("No replica is ready: see its pods' events and logs.".into()));
    }
    if canary.is_some() {
        return ("Canary".into(), Tone::Warn, None);
    }
    ("Available".into(), Tone::Ok, None)
}

/// What a watched workload adds to the Serving list.
#[derive(Debug, Clone, PartialEq)]
pub enum ServingPart {
    Server(ServerFacts),
    Autoscaler(HpaFacts),
    Inference(Box<ModelServerRow>),
}

/// The servers among watched workloads' parts.
pub fn servers_of<'a>(parts: impl Iterator<Item = &'a ServingPart>) -> Vec<ModelServerRow> {
    let (mut deployments, mut hpas, mut inference) = (Vec::new(), Vec::new(), Vec::new());
    for part in parts {
        match part {
            ServingPart::Server(s) => deployments.push(s.clone()),
            ServingPart::Autoscaler(h) => hpas.push(h.clone()),
            ServingPart::Inference(i) => inference.push((**i).clone()),
        }
    }
    servers(&deployments, &hpas, &inference)
}

/// Groups servers' Deployments (stable and canary) with their autoscalers, and adds InferenceServices; sorted by
/// namespace and name.
pub fn servers(deployments: &[ServerFacts], hpas: &[HpaFacts], inference: &[ModelServerRow]) -> Vec<ModelServerRow> {
    /// A server's stable and canary Deployments.
    type Tracks<'a> = (Option<&'a ServerFacts>, Option<&'a ServerFacts>);
    let mut grouped: std::collections::BTreeMap<(String, String), Tracks<'_>> = Default::default();
    for d in deployments {
        let entry = grouped.entry((d.namespace.clone(), d.server.clone())).or_default();
        if d.track == CANARY { entry.1 = Some(d) } else { entry.0 = Some(d) }
    }
    let mut rows: Vec<ModelServerRow> = grouped
        .into_iter()
        .map(|((namespace, name), (stable, canary))| {
            let main = stable.or(canary).cloned();
            let main = main.as_ref();
            let hpa = stable
                .and_then(|s| hpas.iter().find(|h| h.namespace == namespace && h.target == s.deployment))
                .cloned();
            let (state, tone, message) = state_of(stable, canary);
            let sides = stable.into_iter().chain(canary);
            let (ready, desired) = sides.fold((0, 0), |(r, w), s| (r + s.ready, w + s.desired));
            let port = main.map_or(8501, |m| m.rest_port);
            ModelServerRow {
                url: format!("http://{name}.{namespace}.svc:{port}"),
                namespace,
                name,
                source: ServerSource::Deployment,
                runtime: main.map(|m| m.runtime.label().to_string()).unwrap_or_default(),
                model: main.map(|m| m.model.clone()).unwrap_or_default(),
                version: stable.map(|s| s.version.clone()).unwrap_or_default(),
                image: main.map(|m| m.image.clone()).unwrap_or_default(),
                ready,
                desired,
                state,
                tone,
                message,
                stable: stable.cloned(),
                canary: canary.cloned(),
                hpa,
                created: main.map_or(0, |m| m.created),
            }
        })
        .collect();
    rows.extend(inference.iter().cloned());
    rows.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    rows
}

/// A KServe InferenceService as a read-only row.
pub fn inference_service(v: &Value) -> ModelServerRow {
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    let conditions = v.pointer("/status/conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    let ready = conditions.iter().find(|c| c["type"] == "Ready");
    let (state, tone, message) = match ready {
        Some(c) if c["status"] == "True" => ("Ready".to_string(), Tone::Ok, None),
        Some(c) => (
            c["reason"].as_str().unwrap_or("Not ready").to_string(),
            Tone::Pending,
            c["message"].as_str().map(str::to_string),
        ),
        None => ("Unknown".to_string(), Tone::Neutral, None),
    };
    let format = v
        .pointer("/spec/predictor/model/modelFormat/name")
        .or_else(|| v.pointer("/spec/predictor/tensorflow").map(|_| &Value::Null))
        .and_then(Value::as_str)
        .unwrap_or("custom");
    let min = v.pointer("/spec/predictor/minReplicas").and_then(Value::as_i64).unwrap_or(1) as i32;
    let created = v
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map_or(0, |t| t.as_second());
    ModelServerRow {
        namespace: text("/metadata/namespace"),
        name: text("/metadata/name"),
        source: ServerSource::InferenceService,
        runtime: format!("KServe ({format})"),
        model: text("/metadata/name"),
        version: text("/spec/predictor/model/storageUri"),
        image: String::new(),
        ready: if tone == Tone::Ok { min.max(1) } else { 0 },
        desired: min.max(1),
        state,
        tone,
        message,
        stable: None,
        canary: None,
        hpa: None,
        created,
        url: text("/status/url"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(name: &str, track: &str, image: &str, ready: i32) -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "serving", "generation": 2,
                "labels": {SERVER_LABEL: "resnet", TRACK_LABEL: track, "app.kubernetes.io/managed-by": "bosun"},
                "annotations": {"deployment.kubernetes.io/revision": "2"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {SERVER_LABEL: "resnet", TRACK_LABEL: track}},
                "template": {"metadata": {"annotations": {MODEL_VERSION_ANNOTATION: "3"}}, "spec": {"containers": [
                    {"name": "tensorflow-serving", "image": image, "args": ["--model_name=resnet", "--rest_api_port=9001"],
                     "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}}},
            "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": ready, "availableReplicas": ready}
        }))
        .unwrap()
    }

    #[test]
    fn a_deployment_of_tf_serving_is_a_server() {
        let facts = server_facts(&deployment("resnet", STABLE, "tensorflow/serving:2.15.0-gpu", 2)).unwrap();
        assert_eq!((facts.server.as_str(), facts.model.as_str(), facts.version.as_str()), ("resnet", "resnet", "3"));
        assert_eq!((facts.rest_port, facts.revision, facts.accelerators), (9001, 2, 1.0));
        assert!(facts.managed_by_bosun && !facts.rolling());
        let plain: Deployment = serde_json::from_value(json!({"metadata": {"name": "web"}, "spec": {"selector": {},
            "template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}))
        .unwrap();
        assert!(server_facts(&plain).is_none());
    }

    #[test]
    fn stable_canary_and_autoscaler_are_one_row() {
        let stable = server_facts(&deployment("resnet", STABLE, "tensorflow/serving:2.15.0", 2)).unwrap();
        let canary = server_facts(&deployment("resnet-canary", CANARY, "tensorflow/serving:2.16.1", 2)).unwrap();
        let hpa = HpaFacts {
            namespace: "serving".into(),
            name: "resnet".into(),
            target: "resnet".into(),
            min: 2,
            max: 6,
            current: 2,
            desired: 2,
            cpu_current: Some(40),
            cpu_target: Some(70),
        };
        let rows = servers(&[canary, stable], &[hpa], &[]);
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!((row.ready_text().as_str(), row.state.as_str()), ("4/4", "Canary"));
        assert_eq!(row.canary_share(), Some(50.0));
        assert_eq!(row.hpa_text(), "2 (2–6) · CPU 40%/70%");
    }

    #[test]
    fn a_stalled_roll_out_says_why() {
        let mut d = deployment("resnet", STABLE, "tensorflow/serving", 0);
        let status = d.status.as_mut().unwrap();
        status.conditions = Some(vec![
            serde_json::from_value(json!({"type": "Progressing", "status": "False",
            "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"resnet-abc\" has timed out progressing."}))
            .unwrap(),
        ]);
        let rows = servers(&[server_facts(&d).unwrap()], &[], &[]);
        assert_eq!(rows[0].state, "Stalled");
        assert!(rows[0].message.as_deref().unwrap().contains("timed out progressing"));
    }

    #[test]
    fn inference_services_are_read() {
        let row = inference_service(&json!({"metadata": {"name": "flowers", "namespace": "kserve"},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "tensorflow"}, "storageUri": "gs://m/flowers"}}},
            "status": {"url": "http://flowers.kserve.example.com", "conditions": [{"type": "Ready", "status": "True"}]}}));
        assert_eq!(
            (row.runtime.as_str(), row.state.as_str(), row.source),
            ("KServe (tensorflow)", "Ready", ServerSource::InferenceService)
        );
    }
}
