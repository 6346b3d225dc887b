//! [`TrainingSpec`] → the Kubernetes objects to apply: the job (TFJob, PyTorchJob, XGBoostJob, MPIJob or Job) and
//! the claims it asks Bosun to create. Pure: the same spec always renders the same objects, so the YAML preview,
//! the fit preview and the submit all see one thing.

use serde_json::{Map, Value, json};

use super::kind::JobKind;
use super::spec::{ParamsAs, RoleSpec, TrainingSpec};
use crate::resources::training;

pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "bosun");
pub const EXPERIMENT_LABEL: &str = "bosun.dev/experiment";
pub const RUN_LABEL: &str = "bosun.dev/run";
pub const QUEUE_LABEL: &str = "kueue.x-k8s.io/queue-name";
pub const GPU_PRODUCT_LABEL: &str = "nvidia.com/gpu.product";

/// The toleration GPU nodes usually need: their vendor's resource name as a `NoSchedule` taint key.
pub fn toleration_for(resource: &str) -> Option<Value> {
    let key = match resource {
        r if r == "nvidia.com/gpu" || r.starts_with("nvidia.com/") => "nvidia.com/gpu",
        r if r.starts_with("amd.com/") => "amd.com/gpu",
        _ => return None,
    };
    Some(json!({"key": key, "operator": "Exists", "effect": "NoSchedule"}))
}

/// The runs a spec stands for: itself, or one per point of its sweep — named `name-01` …, all of one experiment
/// (the spec's name unless it names one), each with the sweep's values over its own hyperparameters.
pub fn runs(spec: &TrainingSpec) -> Result<Vec<TrainingSpec>, super::sweep::SweepError> {
    use super::sweep::{self, Param};
    if spec.sweep.is_empty() {
        return Ok(vec![spec.clone()]);
    }
    let params: Vec<Param> = spec.sweep.iter().map(|p| Param::parse(p)).collect::<Result<_, _>>()?;
    let points = match spec.sweep_random {
        0 => sweep::grid(&params)?,
        n => sweep::random(&params, n as usize, 1)?,
    };
    let experiment = if spec.experiment.is_empty() { spec.name.clone() } else { spec.experiment.clone() };
    Ok(points
        .iter()
        .enumerate()
        .map(|(i, point)| {
            let mut run = spec.clone();
            run.name = sweep::run_name(&spec.name, i + 1, points.len());
            run.experiment = experiment.clone();
            run.sweep = Vec::new();
            for (k, v) in &point.0 {
                match run.hyperparameters.iter_mut().find(|(name, _)| name == k) {
                    Some(existing) => existing.1 = v.clone(),
                    None => run.hyperparameters.push((k.clone(), v.clone())),
                }
            }
            run
        })
        .collect())
}

/// Everything the spec asks to create: claims first (so the pods find them), then its job — or, for a sweep, a job
/// per run.
pub fn objects(spec: &TrainingSpec) -> Vec<Value> {
    let mut out: Vec<Value> = spec
        .volumes
        .iter()
        .filter(|v| !v.create_size.is_empty())
        .map(|v| {
            json!({
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": v.claim, "namespace": spec.namespace, "labels": {MANAGED_BY.0: MANAGED_BY.1}},
                "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": v.create_size}}}
            })
        })
        .collect();
    match runs(spec) {
        Ok(runs) => out.extend(runs.iter().map(job)),
        Err(_) => out.push(job(spec)), // validation reports the sweep; the preview still shows the job
    }
    out
}

/// The job object alone.
pub fn job(spec: &TrainingSpec) -> Value {
    let experiment = if spec.experiment.is_empty() { spec.name.clone() } else { spec.experiment.clone() };
    let mut labels: Map<String, Value> = spec.labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    labels.insert(MANAGED_BY.0.into(), json!(MANAGED_BY.1));
    labels.insert(EXPERIMENT_LABEL.into(), json!(experiment));
    labels.insert(RUN_LABEL.into(), json!(spec.name));
    if !spec.run_policy.queue.is_empty() {
        labels.insert(QUEUE_LABEL.into(), json!(spec.run_policy.queue));
    }
    let mut metadata = json!({"name": spec.name, "namespace": spec.namespace, "labels": labels});
    let mut annotations = Map::new();
    if !spec.hyperparameters.is_empty() {
        // Kept with the job, so the runs table can show them for as long as the job exists.
        let pairs = serde_json::to_string(&spec.hyperparameters).unwrap_or_default();
        annotations.insert(training::HYPERPARAMETERS_ANNOTATION.into(), json!(pairs));
    }
    if !spec.metrics.names.is_empty() {
        annotations.insert(training::METRICS_ANNOTATION.into(), json!(spec.metrics.names.join(",")));
    }
    if !spec.metrics.pattern.is_empty() {
        annotations.insert(training::METRIC_PATTERN_ANNOTATION.into(), json!(spec.metrics.pattern));
    }
    if !annotations.is_empty() {
        metadata["annotations"] = Value::Object(annotations);
    }
    let pod_labels: Map<String, Value> =
        labels.iter().filter(|(k, _)| k.as_str() != QUEUE_LABEL).map(|(k, v)| (k.clone(), v.clone())).collect();
    let restart = if spec.run_policy.restart_policy.is_empty() {
        spec.kind.default_restart().to_string()
    } else {
        spec.run_policy.restart_policy.clone()
    };
    let policy = &spec.run_policy;
    if spec.kind == JobKind::Job {
        let role = spec.roles.first().cloned().unwrap_or_default();
        let pod_restart = if restart == "OnFailure" { "OnFailure" } else { "Never" };
        let mut job_spec = Map::new();
        job_spec.insert("parallelism".into(), json!(role.replicas));
        job_spec.insert("completions".into(), json!(role.replicas));
        put_opt(&mut job_spec, "backoffLimit", policy.backoff_limit.map(|v| json!(v)));
        put_opt(&mut job_spec, "ttlSecondsAfterFinished", policy.ttl_seconds_after_finished.map(|v| json!(v)));
        put_opt(&mut job_spec, "activeDeadlineSeconds", policy.active_deadline_seconds.map(|v| json!(v)));
        if policy.suspend {
            job_spec.insert("suspend".into(), json!(true));
        }
        job_spec.insert("template".into(), template(spec, &role, &pod_labels, pod_restart));
        return json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": job_spec});
    }
    let mut replica_specs = Map::new();
    for role in &spec.roles {
        // The operator gives each pod its replica's policy, except ExitCode, which it handles itself (pod: Never).
        let pod_restart = if restart == "ExitCode" { "Never" } else { restart.as_str() };
        replica_specs.insert(
            role.role.clone(),
            json!({
                "replicas": role.replicas,
                "restartPolicy": restart,
                "template": template(spec, role, &pod_labels, pod_restart),
            }),
        );
    }
    let mut run_policy = Map::new();
    if !policy.clean_pod_policy.is_empty() {
        run_policy.insert("cleanPodPolicy".into(), json!(policy.clean_pod_policy));
    }
    put_opt(&mut run_policy, "backoffLimit", policy.backoff_limit.map(|v| json!(v)));
    put_opt(&mut run_policy, "ttlSecondsAfterFinished", policy.ttl_seconds_after_finished.map(|v| json!(v)));
    put_opt(&mut run_policy, "activeDeadlineSeconds", policy.active_deadline_seconds.map(|v| json!(v)));
    if policy.suspend {
        run_policy.insert("suspend".into(), json!(true));
    }
    if !policy.priority_class.is_empty() || !policy.queue.is_empty() {
        let mut scheduling = Map::new();
        if !policy.priority_class.is_empty() {
            scheduling.insert("priorityClass".into(), json!(policy.priority_class));
        }
        if !policy.queue.is_empty() {
            scheduling.insert("queue".into(), json!(policy.queue));
        }
        run_policy.insert("schedulingPolicy".into(), Value::Object(scheduling));
    }
    let mut job_spec = Map::new();
    if !run_policy.is_empty() {
        job_spec.insert("runPolicy".into(), Value::Object(run_policy));
    }
    if spec.kind == JobKind::MPIJob {
        let slots = spec.roles.iter().find(|r| r.role == "Worker").map_or(1, |w| w.accelerators.max(1));
        job_spec.insert("slotsPerWorker".into(), json!(slots));
    }
    let field = spec.kind.specs_field().unwrap_or("replicaSpecs");
    job_spec.insert(field.into(), Value::Object(replica_specs));
    json!({"apiVersion": spec.kind.api_version(), "kind": spec.kind.name(), "metadata": metadata, "spec": job_spec})
}

fn put_opt(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.into(), v);
    }
}

/// A container's `resources`: CPU and memory requested (memory also its limit), and the accelerator as a limit —
/// extended resources cannot be overcommitted, so the request equals the limit. `None` when it asks for nothing.
pub fn container_resources(cpu: &str, memory: &str, accelerator: Option<&str>, count: u32) -> Option<Value> {
    let mut requests = Map::new();
    let mut limits = Map::new();
    if !cpu.is_empty() {
        requests.insert("cpu".into(), json!(cpu));
    }
    if !memory.is_empty() {
        requests.insert("memory".into(), json!(memory));
        limits.insert("memory".into(), json!(memory));
    }
    if let Some(resource) = accelerator.filter(|a| !a.is_empty() && count > 0) {
        limits.insert(resource.into(), json!(count.to_string()));
    }
    let mut resources = Map::new();
    if !requests.is_empty() {
        resources.insert("requests".into(), Value::Object(requests));
    }
    if !limits.is_empty() {
        resources.insert("limits".into(), Value::Object(limits));
    }
    (!resources.is_empty()).then_some(Value::Object(resources))
}

/// One role's pod template.
fn template(spec: &TrainingSpec, role: &RoleSpec, labels: &Map<String, Value>, restart: &str) -> Value {
    let mut container = Map::new();
    container.insert("name".into(), json!(spec.kind.container()));
    container.insert("image".into(), json!(spec.image));
    let (command, args, env) = with_hyperparameters(spec);
    if !command.is_empty() {
        container.insert("command".into(), json!(command));
    }
    if !args.is_empty() {
        container.insert("args".into(), json!(args));
    }
    if !env.is_empty() {
        let env: Vec<Value> = env.iter().map(|(k, v)| json!({"name": k, "value": v})).collect();
        container.insert("env".into(), json!(env));
    }
    let accelerator = role.accelerator.as_deref().filter(|a| !a.is_empty() && role.accelerators > 0);
    if let Some(resources) = container_resources(&role.cpu, &role.memory, accelerator, role.accelerators) {
        container.insert("resources".into(), resources);
    }
    if !spec.volumes.is_empty() {
        let mounts: Vec<Value> =
            spec.volumes.iter().map(|v| json!({"name": v.claim, "mountPath": v.mount_path})).collect();
        container.insert("volumeMounts".into(), json!(mounts));
    }
    let mut pod = Map::new();
    pod.insert("restartPolicy".into(), json!(restart));
    pod.insert("containers".into(), json!([Value::Object(container)]));
    if let Some(resource) = accelerator {
        if let Some(t) = toleration_for(resource) {
            pod.insert("tolerations".into(), json!([t]));
        }
        if !spec.gpu_product.is_empty() {
            pod.insert("nodeSelector".into(), json!({GPU_PRODUCT_LABEL: spec.gpu_product}));
        }
    }
    if !spec.run_policy.priority_class.is_empty() {
        pod.insert("priorityClassName".into(), json!(spec.run_policy.priority_class));
    }
    if !spec.volumes.is_empty() {
        let volumes: Vec<Value> = spec
            .volumes
            .iter()
            .map(|v| json!({"name": v.claim, "persistentVolumeClaim": {"claimName": v.claim}}))
            .collect();
        pod.insert("volumes".into(), json!(volumes));
    }
    json!({"metadata": {"labels": labels}, "spec": pod})
}

/// The command, args and env with the hyperparameters in: Katib-style `${trialParameters.NAME}` placeholders are
/// replaced where the command or args have them; otherwise they are added as `--name=value` args or as env.
fn with_hyperparameters(spec: &TrainingSpec) -> (Vec<String>, Vec<String>, Vec<(String, String)>) {
    let mut command = spec.command.clone();
    let mut args = spec.args.clone();
    let mut env = spec.env.clone();
    let mut placed = false;
    for text in command.iter_mut().chain(args.iter_mut()) {
        let replaced = substitute(text, &spec.hyperparameters);
        placed |= replaced != *text;
        *text = replaced;
    }
    if !placed {
        for (k, v) in &spec.hyperparameters {
            match spec.params_as {
                ParamsAs::Args => args.push(format!("--{k}={v}")),
                ParamsAs::Env => env.push((k.to_uppercase().replace('-', "_"), v.clone())),
            }
        }
    }
    (command, args, env)
}

/// Replaces `${trialParameters.NAME}` with the value of NAME.
pub fn substitute(text: &str, params: &[(String, String)]) -> String {
    let mut out = text.to_string();
    for (k, v) in params {
        out = out.replace(&format!("${{trialParameters.{k}}}"), v);
    }
    out
}

/// Puts one run's hyperparameters into any job object: `${trialParameters.NAME}` placeholders in the containers'
/// command and args are replaced; where there are none, `--name=value` args are added to the framework container
/// (the first container when none has the framework's name).
pub fn set_hyperparameters(obj: &mut Value, params: &[(String, String)]) {
    if params.is_empty() || !obj.is_object() {
        return;
    }
    if !obj.pointer("/metadata/annotations").is_some_and(Value::is_object) {
        if !obj.get("metadata").is_some_and(Value::is_object) {
            obj["metadata"] = json!({});
        }
        obj["metadata"]["annotations"] = json!({});
    }
    let pairs = serde_json::to_string(params).unwrap_or_default();
    obj["metadata"]["annotations"][crate::resources::training::HYPERPARAMETERS_ANNOTATION] = json!(pairs);
    let kind = obj.get("kind").and_then(Value::as_str).and_then(JobKind::from_kind);
    let mut placed = false;
    for template in pod_templates_mut(obj) {
        for c in template.pointer_mut("/spec/containers").and_then(Value::as_array_mut).into_iter().flatten() {
            for field in ["command", "args"] {
                for text in c.get_mut(field).and_then(Value::as_array_mut).into_iter().flatten() {
                    if let Some(t) = text.as_str() {
                        let replaced = substitute(t, params);
                        placed |= replaced != t;
                        *text = json!(replaced);
                    }
                }
            }
        }
    }
    if placed {
        return;
    }
    let container = kind.map_or("", JobKind::container);
    for template in pod_templates_mut(obj) {
        let Some(containers) = template.pointer_mut("/spec/containers").and_then(Value::as_array_mut) else { continue };
        let index =
            containers.iter().position(|c| c.get("name").and_then(Value::as_str) == Some(container)).unwrap_or(0);
        let Some(c) = containers.get_mut(index).filter(|c| c.is_object()) else { continue };
        if !c.get("args").is_some_and(Value::is_array) {
            c["args"] = json!([]);
        }
        if let Some(args) = c["args"].as_array_mut() {
            args.extend(params.iter().map(|(k, v)| json!(format!("--{k}={v}"))));
        }
    }
}

/// Puts Bosun's labels on any job object (a TFJob… or Job from a file): on the job and on every pod template, so
/// the runs of an experiment and their pods can be found by label.
pub fn label_job(obj: &mut Value, experiment: &str, run: &str) {
    let labels = [(MANAGED_BY.0, MANAGED_BY.1), (EXPERIMENT_LABEL, experiment), (RUN_LABEL, run)];
    set_labels(obj, &labels);
    for template in pod_templates_mut(obj) {
        set_labels(template, &labels);
    }
}

fn set_labels(obj: &mut Value, labels: &[(&str, &str)]) {
    if !obj.is_object() {
        return;
    }
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    if !obj["metadata"].get("labels").is_some_and(Value::is_object) {
        obj["metadata"]["labels"] = json!({});
    }
    for (k, v) in labels {
        obj["metadata"]["labels"][*k] = json!(v);
    }
}

/// The pod templates of a job object: each replica spec's, or the Job's one.
pub fn pod_templates_mut(obj: &mut Value) -> Vec<&mut Value> {
    let kind = obj.get("kind").and_then(Value::as_str).and_then(JobKind::from_kind);
    match kind.and_then(JobKind::specs_field) {
        Some(field) => obj
            .pointer_mut(&format!("/spec/{field}"))
            .and_then(Value::as_object_mut)
            .map(|specs| specs.values_mut().filter_map(|s| s.get_mut("template")).filter(|t| t.is_object()).collect())
            .unwrap_or_default(),
        None => obj.pointer_mut("/spec/template").filter(|t| t.is_object()).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::spec::{RunPolicy, VolumeSpec};

    fn gpu_role(role: &str, replicas: u32, gpus: u32) -> RoleSpec {
        RoleSpec {
            role: role.into(),
            replicas,
            cpu: "4".into(),
            memory: "16Gi".into(),
            accelerator: Some("nvidia.com/gpu".into()),
            accelerators: gpus,
        }
    }

    /// One spec per kind, as the form would fill it.
    fn spec_for(kind: JobKind) -> TrainingSpec {
        let roles = match kind {
            JobKind::TFJob => vec![
                gpu_role("Chief", 1, 1),
                gpu_role("Worker", 2, 1),
                RoleSpec { role: "PS".into(), ..Default::default() },
            ],
            JobKind::PyTorchJob => vec![gpu_role("Master", 1, 2), gpu_role("Worker", 3, 2)],
            JobKind::XGBoostJob => vec![
                RoleSpec { role: "Master".into(), ..Default::default() },
                RoleSpec { role: "Worker".into(), replicas: 2, ..Default::default() },
            ],
            JobKind::MPIJob => vec![
                RoleSpec { role: "Launcher".into(), cpu: "1".into(), memory: "1Gi".into(), ..Default::default() },
                gpu_role("Worker", 2, 4),
            ],
            JobKind::Job => vec![RoleSpec { role: "Pod".into(), replicas: 3, ..Default::default() }],
        };
        TrainingSpec {
            kind,
            name: format!("{}-demo", kind.name().to_lowercase()),
            namespace: "research".into(),
            image: "registry.example/train:1.0".into(),
            command: vec!["python".into(), "train.py".into()],
            args: vec!["--epochs=5".into()],
            env: vec![("PYTHONUNBUFFERED".into(), "1".into())],
            roles,
            gpu_product: if kind == JobKind::TFJob { "NVIDIA-H100-80GB-HBM3".into() } else { String::new() },
            volumes: vec![VolumeSpec {
                claim: "checkpoints".into(),
                mount_path: "/out".into(),
                create_size: "20Gi".into(),
            }],
            run_policy: RunPolicy {
                clean_pod_policy: if kind == JobKind::Job { String::new() } else { "Running".into() },
                backoff_limit: Some(2),
                ttl_seconds_after_finished: Some(3600),
                ..Default::default()
            },
            hyperparameters: vec![("lr".into(), "0.01".into())],
            experiment: "demo".into(),
            ..Default::default()
        }
    }

    /// The rendered YAML of each kind matches its golden file (`BOSUN_UPDATE_GOLDEN=1` writes them anew).
    #[test]
    fn each_kind_renders_as_its_golden_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        for kind in JobKind::ALL {
            let spec = spec_for(kind);
            assert_eq!(spec.validate(), [], "{kind}");
            let yaml: String = objects(&spec)
                .iter()
                .map(|o| serde_saphyr::to_string(o).expect("yaml"))
                .collect::<Vec<_>>()
                .join("---\n");
            let path = dir.join(format!("{}.yaml", kind.name().to_lowercase()));
            if std::env::var_os("BOSUN_UPDATE_GOLDEN").is_some() {
                std::fs::create_dir_all(&dir).expect("golden dir");
                std::fs::write(&path, &yaml).expect("write golden");
            }
            let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(yaml, golden, "{kind} differs from {}", path.display());
        }
    }

    #[test]
    fn gpu_roles_tolerate_the_gpu_taint_and_select_the_product() {
        let job = job(&spec_for(JobKind::TFJob));
        let chief = &job["spec"]["tfReplicaSpecs"]["Chief"]["template"]["spec"];
        assert_eq!(chief["tolerations"][0]["key"], "nvidia.com/gpu");
        assert_eq!(chief["nodeSelector"][GPU_PRODUCT_LABEL], "NVIDIA-H100-80GB-HBM3");
        assert_eq!(chief["containers"][0]["resources"]["limits"]["nvidia.com/gpu"], "1");
        let ps = &job["spec"]["tfReplicaSpecs"]["PS"]["template"]["spec"];
        assert!(ps.get("tolerations").is_none() && ps.get("nodeSelector").is_none(), "CPU roles need neither");
    }

    #[test]
    fn hyperparameters_fill_placeholders_or_become_args_or_env() {
        let mut spec = spec_for(JobKind::PyTorchJob);
        spec.hyperparameters = vec![("lr".into(), "0.1".into()), ("batch".into(), "64".into())];
        let container = |s: &TrainingSpec| {
            job(s)["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0].clone()
        };
        assert_eq!(container(&spec)["args"], serde_json::json!(["--epochs=5", "--lr=0.1", "--batch=64"]));
        spec.params_as = ParamsAs::Env;
        let env = container(&spec)["env"].clone();
        assert!(env.as_array().is_some_and(|e| e.iter().any(|v| v["name"] == "LR" && v["value"] == "0.1")), "{env}");
        spec.args = vec!["--learning-rate=${trialParameters.lr}".into()];
        assert_eq!(
            container(&spec)["args"],
            serde_json::json!(["--learning-rate=0.1"]),
            "placeholders, not extra args"
        );
    }

    #[test]
    fn a_sweep_renders_one_labelled_job_per_run_of_one_experiment() {
        let mut spec = spec_for(JobKind::PyTorchJob);
        spec.sweep = vec!["lr=0.1,0.01".into(), "batch=32,64,128".into()];
        let jobs: Vec<Value> = objects(&spec).into_iter().filter(|o| o["kind"] == "PyTorchJob").collect();
        assert_eq!(jobs.len(), 6);
        assert_eq!(jobs[5]["metadata"]["name"], "pytorchjob-demo-06");
        assert_eq!(jobs[5]["metadata"]["labels"][EXPERIMENT_LABEL], "demo");
        let args = &jobs[5]["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["args"];
        assert_eq!(
            args,
            &serde_json::json!(["--epochs=5", "--lr=0.01", "--batch=128"]),
            "the sweep's lr over the form's"
        );
        spec.sweep = vec!["lr=1e-4..1e-1:log".into()];
        assert!(spec.validate().iter().any(|e| e.field == "sweep"), "a range needs random sampling");
        spec.sweep_random = 5;
        assert_eq!(spec.validate(), []);
        assert_eq!(runs(&spec).expect("runs").len(), 5);
    }

    #[test]
    fn a_run_s_hyperparameters_go_into_any_job_object() {
        let job = |args: Value| {
            serde_json::json!({"kind": "PyTorchJob", "spec": {"pytorchReplicaSpecs": {
                "Master": {"template": {"spec": {"containers": [{"name": "sidecar"}, {"name": "pytorch", "args": args}]}}}}}})
        };
        let params = vec![("lr".to_string(), "0.1".to_string())];
        let mut plain = job(serde_json::json!(["--epochs=3"]));
        set_hyperparameters(&mut plain, &params);
        let containers = &plain["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"];
        assert_eq!(containers[1]["args"], serde_json::json!(["--epochs=3", "--lr=0.1"]));
        assert!(containers[0].get("args").is_none(), "only the framework container");
        let mut katib = job(serde_json::json!(["--learning-rate", "${trialParameters.lr}"]));
        set_hyperparameters(&mut katib, &params);
        let args = &katib["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][1]["args"];
        assert_eq!(args, &serde_json::json!(["--learning-rate", "0.1"]));
    }

    #[test]
    fn any_job_object_gets_bosun_s_labels_on_it_and_its_pod_templates() {
        let mut tf = serde_json::json!({"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": {"name": "x"},
            "spec": {"tfReplicaSpecs": {"Worker": {"template": {"spec": {}}}, "PS": {"template": {"metadata": {"labels": {"a": "b"}}}}}}});
        label_job(&mut tf, "exp", "x-01");
        assert_eq!(tf["metadata"]["labels"][EXPERIMENT_LABEL], "exp");
        assert_eq!(tf["spec"]["tfReplicaSpecs"]["Worker"]["template"]["metadata"]["labels"][RUN_LABEL], "x-01");
        assert_eq!(tf["spec"]["tfReplicaSpecs"]["PS"]["template"]["metadata"]["labels"]["a"], "b");
        let mut plain = serde_json::json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {}}});
        label_job(&mut plain, "e", "r");
        assert_eq!(plain["spec"]["template"]["metadata"]["labels"][MANAGED_BY.0], "bosun");
    }
}
