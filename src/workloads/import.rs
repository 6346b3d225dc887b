//! A job object → the launch form's spec, as far as the form can say it: a TFJob… or Job read from a YAML file, or
//! one on the cluster being cloned. What the form has no field for (a second container, init containers, affinity,
//! env from secrets …) is named in [`Imported::left_out`], so the screen can say the form does not show everything
//! and keep the YAML as it was.
//!
//! Jobs the form rendered come back whole: importing what [`super::render::job`] made renders the same object again.

use std::collections::BTreeSet;

use serde_json::Value;

use super::kind::JobKind;
use super::render::{EXPERIMENT_LABEL, GPU_PRODUCT_LABEL, MANAGED_BY, QUEUE_LABEL, RUN_LABEL, toleration_for};
use super::spec::{ParamsAs, RoleSpec, RunPolicy, TrainingSpec, VolumeSpec};
use crate::resources::accelerators::AcceleratorKind;

/// A spec read from a job, and what of the job it does not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub spec: TrainingSpec,
    /// Parts of the job the form cannot show (`initContainers`, `the Worker's image differs` …).
    pub left_out: Vec<String>,
}

/// Pod fields the form fills (the rest are left out).
const POD_FIELDS: &[&str] =
    &["containers", "restartPolicy", "tolerations", "nodeSelector", "priorityClassName", "volumes"];
/// Container fields the form fills.
const CONTAINER_FIELDS: &[&str] = &["name", "image", "command", "args", "env", "resources", "volumeMounts"];

/// Whether a pod or container field holds what the API server fills in on every pod template it stores (a cloned
/// Job has these): not the user's choice, so nothing is lost when the form leaves it out.
fn is_server_default(key: &str, value: &Value) -> bool {
    match key {
        "dnsPolicy" => value == "ClusterFirst",
        "schedulerName" => value == "default-scheduler",
        "securityContext" => value.as_object().is_some_and(|m| m.is_empty()),
        "terminationGracePeriodSeconds" => value == 30,
        "terminationMessagePath" => value == "/dev/termination-log",
        "terminationMessagePolicy" => value == "File",
        "imagePullPolicy" => value == "IfNotPresent" || value == "Always",
        _ => false,
    }
}

fn text(v: &Value, pointer: &str) -> String {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array).into_iter().flatten().filter_map(|s| s.as_str().map(str::to_string)).collect()
}

fn number<T: TryFrom<u64>>(v: Option<&Value>) -> Option<T> {
    v.and_then(Value::as_u64).and_then(|n| T::try_from(n).ok())
}

/// The form's spec for `obj` (any TFJob, PyTorchJob, XGBoostJob, MPIJob or batch/v1 Job).
pub fn spec_of(obj: &Value) -> Result<Imported, String> {
    let kind_name = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    let kind = JobKind::from_kind(kind_name).ok_or_else(|| {
        format!("a {} is not a training job (TFJob, PyTorchJob, XGBoostJob, MPIJob or Job)", or_nothing(kind_name))
    })?;
    let mut left_out = BTreeSet::new();
    let name = text(obj, "/metadata/name");
    let namespace =
        Some(text(obj, "/metadata/namespace")).filter(|n| !n.is_empty()).unwrap_or_else(|| "default".into());
    let labels: std::collections::BTreeMap<String, String> = obj
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect();
    let experiment = labels.get(EXPERIMENT_LABEL).filter(|e| **e != name).cloned().unwrap_or_default();
    let queue_label = labels.get(QUEUE_LABEL).cloned().unwrap_or_default();
    let own = [MANAGED_BY.0, EXPERIMENT_LABEL, RUN_LABEL, QUEUE_LABEL];
    let extra_labels = labels.into_iter().filter(|(k, _)| !own.contains(&k.as_str())).collect();

    // (role, replicas, replica spec) in the kind's own order of roles.
    let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
    let mut replica_specs: Vec<(String, u32, Value)> = match kind.specs_field() {
        None => {
            let replicas = number(spec.get("parallelism")).or(number(spec.get("completions"))).unwrap_or(1);
            vec![("Pod".into(), replicas, spec.clone())]
        }
        Some(field) => spec
            .get(field)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(role, s)| (role.clone(), number(s.get("replicas")).unwrap_or(1), s.clone()))
            .collect(),
    };
    if replica_specs.is_empty() {
        return Err(format!("{kind_name} {} has no replica specs", or_nothing(&name)));
    }
    replica_specs.sort_by_key(|(role, _, _)| kind.roles().iter().position(|r| r == role).unwrap_or(usize::MAX));

    let template = |s: &Value| s.pointer("/template/spec").cloned().unwrap_or(Value::Null);
    let main_container = |pod: &Value| -> Value {
        let containers = pod.get("containers").and_then(Value::as_array).cloned().unwrap_or_default();
        let at = containers.iter().position(|c| c["name"] == kind.container()).unwrap_or(0);
        containers.get(at).cloned().unwrap_or(Value::Null)
    };
    let first_pod = template(&replica_specs[0].2);
    let first = main_container(&first_pod);
    let first_role = replica_specs[0].0.clone();

    let mut roles = Vec::new();
    for (role, replicas, replica_spec) in &replica_specs {
        let pod = template(replica_spec);
        let container = main_container(&pod);
        notice_unshown(&pod, &container, role, &mut left_out);
        for (field, what) in [("image", "image"), ("command", "command"), ("args", "args"), ("env", "env")] {
            if container.get(field) != first.get(field) {
                left_out.insert(format!("the {role}'s {what} differs from the {first_role}'s (the form uses one)"));
            }
        }
        roles.push(role_of(role, *replicas, &container));
    }

    let env = first
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let name = e.get("name")?.as_str()?.to_string();
            Some((name, e.get("value")?.as_str()?.to_string()))
        })
        .collect();
    let volumes = volumes_of(&first_pod, &first, &mut left_out);
    let gpu_product = text(&first_pod, &format!("/nodeSelector/{}", GPU_PRODUCT_LABEL.replace('/', "~1")));

    let run_policy = run_policy_of(kind, &spec, &replica_specs, &first_pod, queue_label);
    let mut args = strings(first.get("args"));
    let mut env: Vec<(String, String)> = env;
    let (hyperparameters, params_as) = hyperparameters_of(obj, &mut args, &mut env);
    Ok(Imported {
        spec: TrainingSpec {
            kind,
            name,
            namespace,
            image: text(&first, "/image"),
            command: strings(first.get("command")),
            args,
            env,
            hyperparameters,
            params_as,
            roles,
            gpu_product,
            volumes,
            run_policy,
            experiment,
            labels: extra_labels,
            metrics: crate::resources::training::metric_spec(obj),
            ..TrainingSpec::default()
        },
        left_out: left_out.into_iter().collect(),
    })
}

/// The hyperparameters Bosun noted on the job, taken back out of the args or env it rendered them into (so a
/// re-render puts them in once).
fn hyperparameters_of(
    obj: &Value,
    args: &mut Vec<String>,
    env: &mut Vec<(String, String)>,
) -> (Vec<(String, String)>, ParamsAs) {
    let annotation = obj
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(crate::resources::training::HYPERPARAMETERS_ANNOTATION))
        .and_then(Value::as_str);
    let Some(pairs) = annotation.and_then(|a| serde_json::from_str::<Vec<(String, String)>>(a).ok()) else {
        return (Vec::new(), ParamsAs::Args);
    };
    let as_arg = |(k, v): &(String, String)| format!("--{k}={v}");
    let as_env = |(k, v): &(String, String)| (k.to_uppercase().replace('-', "_"), v.clone());
    if pairs.iter().all(|p| args.contains(&as_arg(p))) {
        args.retain(|a| !pairs.iter().any(|p| *a == as_arg(p)));
        (pairs, ParamsAs::Args)
    } else if pairs.iter().all(|p| env.contains(&as_env(p))) {
        env.retain(|e| !pairs.iter().any(|p| *e == as_env(p)));
        (pairs, ParamsAs::Env)
    } else {
        // Placed into `${trialParameters.…}` placeholders, which are gone now: the values stay where they are,
        // and the form does not add them a second time.
        (Vec::new(), ParamsAs::Args)
    }
}

fn or_nothing(s: &str) -> &str {
    if s.is_empty() { "(nameless)" } else { s }
}

/// One role's replicas and resources: CPU and memory requests (memory from the limit when only that is set), and
/// the first accelerator resource in the limits (or requests).
fn role_of(role: &str, replicas: u32, container: &Value) -> RoleSpec {
    let resources = container.get("resources").cloned().unwrap_or(Value::Null);
    let amount = |kind: &str, key: &str| text(&resources, &format!("/{kind}/{}", key.replace('/', "~1")));
    let accelerator = ["limits", "requests"].iter().find_map(|section| {
        resources.get(*section).and_then(Value::as_object).and_then(|m| {
            m.iter().find(|(k, _)| AcceleratorKind::of(k).is_some()).map(|(k, v)| {
                let count = v.as_str().and_then(|s| s.parse().ok()).or(number(Some(v))).unwrap_or(0);
                (k.clone(), count)
            })
        })
    });
    let memory =
        Some(amount("requests", "memory")).filter(|m| !m.is_empty()).unwrap_or_else(|| amount("limits", "memory"));
    RoleSpec {
        role: role.to_string(),
        replicas,
        cpu: amount("requests", "cpu"),
        memory,
        accelerators: accelerator.as_ref().map_or(0, |a| a.1),
        accelerator: accelerator.map(|a| a.0),
    }
}

/// Pod and container fields the form has no place for, and tolerations or node selectors beyond its own.
fn notice_unshown(pod: &Value, container: &Value, role: &str, left_out: &mut BTreeSet<String>) {
    for (key, value) in pod.as_object().into_iter().flatten() {
        if !POD_FIELDS.contains(&key.as_str()) && !is_server_default(key, value) {
            left_out.insert(format!("{key} of the {role}'s pods"));
        }
    }
    if pod.get("containers").and_then(Value::as_array).is_some_and(|c| c.len() > 1) {
        left_out.insert(format!("the {role}'s other containers"));
    }
    for (key, value) in container.as_object().into_iter().flatten() {
        if !CONTAINER_FIELDS.contains(&key.as_str()) && !is_server_default(key, value) {
            left_out.insert(format!("{key} of the {role}'s container"));
        }
    }
    for e in container.get("env").and_then(Value::as_array).into_iter().flatten() {
        if !e.get("value").is_some_and(Value::is_string) {
            left_out.insert(format!(
                "env {} of the {role}'s container (from a secret, config map or field)",
                text(e, "/name")
            ));
        }
    }
    let own_toleration =
        |t: &Value| ["nvidia.com/gpu", "amd.com/gpu"].iter().any(|r| toleration_for(r).as_ref() == Some(t));
    if pod.get("tolerations").and_then(Value::as_array).into_iter().flatten().any(|t| !own_toleration(t)) {
        left_out.insert(format!("the {role}'s own tolerations"));
    }
    if pod.get("nodeSelector").and_then(Value::as_object).is_some_and(|m| m.keys().any(|k| k != GPU_PRODUCT_LABEL)) {
        left_out.insert(format!("the {role}'s node selector"));
    }
}

/// The claims mounted into the main container (other volume types are left out).
fn volumes_of(pod: &Value, container: &Value, left_out: &mut BTreeSet<String>) -> Vec<VolumeSpec> {
    let mounts: Vec<&Value> = container.get("volumeMounts").and_then(Value::as_array).into_iter().flatten().collect();
    pod.get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| {
            let name = v.get("name")?.as_str()?;
            let Some(claim) = v.pointer("/persistentVolumeClaim/claimName").and_then(Value::as_str) else {
                left_out.insert(format!("volume {name} (not a persistent volume claim)"));
                return None;
            };
            if claim != name {
                left_out.insert(format!("volume {name} is named apart from its claim {claim}"));
            }
            let mount = mounts.iter().find(|m| m["name"] == name).map(|m| text(m, "/mountPath")).unwrap_or_default();
            Some(VolumeSpec { claim: claim.to_string(), mount_path: mount, create_size: String::new() })
        })
        .collect()
}

fn run_policy_of(
    kind: JobKind,
    spec: &Value,
    roles: &[(String, u32, Value)],
    pod: &Value,
    queue_label: String,
) -> RunPolicy {
    let policy =
        if kind == JobKind::Job { spec.clone() } else { spec.get("runPolicy").cloned().unwrap_or(Value::Null) };
    let restart = if kind == JobKind::Job { text(pod, "/restartPolicy") } else { text(&roles[0].2, "/restartPolicy") };
    let queue = Some(text(&policy, "/schedulingPolicy/queue")).filter(|q| !q.is_empty()).unwrap_or(queue_label);
    let priority_class = Some(text(&policy, "/schedulingPolicy/priorityClass"))
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| text(pod, "/priorityClassName"));
    RunPolicy {
        restart_policy: if restart == kind.default_restart() { String::new() } else { restart },
        clean_pod_policy: text(&policy, "/cleanPodPolicy"),
        backoff_limit: number(policy.get("backoffLimit")),
        ttl_seconds_after_finished: number(policy.get("ttlSecondsAfterFinished")),
        active_deadline_seconds: number(policy.get("activeDeadlineSeconds")),
        suspend: policy.get("suspend").and_then(Value::as_bool).unwrap_or(false),
        priority_class,
        queue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::render;
    use serde_json::json;

    fn specs() -> Vec<TrainingSpec> {
        let gpu_role = |role: &str, replicas| RoleSpec {
            role: role.into(),
            replicas,
            cpu: "4".into(),
            memory: "16Gi".into(),
            accelerator: Some("nvidia.com/gpu".into()),
            accelerators: 2,
        };
        let mut out = Vec::new();
        for kind in JobKind::ALL {
            let roles = kind.roles().iter().take(2).map(|r| gpu_role(r, 2)).collect();
            out.push(TrainingSpec {
                kind,
                name: format!("round-{}", kind.name().to_lowercase()),
                namespace: "research".into(),
                image: "registry.example/train:2".into(),
                command: vec!["python".into(), "train.py".into()],
                args: vec!["--epochs=5".into()],
                env: vec![("DATA".into(), "/data".into())],
                roles,
                gpu_product: "NVIDIA-H100-80GB-HBM3".into(),
                volumes: vec![VolumeSpec {
                    claim: "ckpt".into(),
                    mount_path: "/out".into(),
                    create_size: String::new(),
                }],
                run_policy: RunPolicy {
                    restart_policy: "OnFailure".into(),
                    clean_pod_policy: if kind == JobKind::Job { String::new() } else { "Running".into() },
                    backoff_limit: Some(3),
                    ttl_seconds_after_finished: Some(600),
                    active_deadline_seconds: Some(7200),
                    suspend: true,
                    priority_class: "research-critical".into(),
                    queue: "team-a".into(),
                },
                hyperparameters: vec![("lr".into(), "0.01".into())],
                experiment: "lr-search".into(),
                labels: [("team".to_string(), "vision".to_string())].into(),
                ..TrainingSpec::default()
            });
        }
        out
    }

    #[test]
    fn what_the_form_renders_comes_back_whole() {
        for spec in specs() {
            let job = render::job(&spec);
            let imported = spec_of(&job).unwrap_or_else(|e| panic!("{}: {e}", spec.kind));
            assert_eq!(imported.left_out, Vec::<String>::new(), "{}", spec.kind);
            assert_eq!(render::job(&imported.spec), job, "{}", spec.kind);
        }
    }

    #[test]
    fn what_the_form_cannot_show_is_named() {
        let job = json!({
            "apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
            "metadata": {"name": "ext"},
            "spec": {"pytorchReplicaSpecs": {
                "Worker": {"replicas": 4, "template": {"spec": {
                    "initContainers": [{"name": "fetch", "image": "busybox"}],
                    "containers": [
                        {"name": "pytorch", "image": "a:1", "ports": [{"containerPort": 23456}],
                         "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
                         "resources": {"limits": {"amd.com/gpu": 1, "memory": "8Gi"}}},
                        {"name": "sidecar", "image": "b:1"}
                    ],
                    "volumes": [{"name": "scratch", "emptyDir": {}}]
                }}},
                "Master": {"replicas": 1, "template": {"spec": {"containers": [{"name": "pytorch", "image": "a:2"}]}}}
            }}
        });
        let imported = spec_of(&job).expect("a PyTorchJob");
        let spec = &imported.spec;
        assert_eq!(spec.namespace, "default");
        assert_eq!(
            spec.roles.iter().map(|r| (r.role.as_str(), r.replicas)).collect::<Vec<_>>(),
            [("Master", 1), ("Worker", 4)]
        );
        assert_eq!(spec.image, "a:2", "the first role's container");
        let worker = &spec.roles[1];
        assert_eq!(
            (worker.accelerator.as_deref(), worker.accelerators, worker.memory.as_str()),
            (Some("amd.com/gpu"), 1, "8Gi")
        );
        let left = imported.left_out.join("; ");
        for part in [
            "initContainers of the Worker's pods",
            "the Worker's other containers",
            "ports of the Worker's container",
            "env TOKEN",
            "the Worker's image differs from the Master's",
        ] {
            assert!(left.contains(part), "{part} in {left}");
        }
    }

    #[test]
    fn a_job_as_the_api_server_stores_it_imports_without_notes() {
        let spec = TrainingSpec { kind: JobKind::Job, name: "stored".into(), ..TrainingSpec::default() };
        let mut job = render::job(&spec);
        let pod = &mut job["spec"]["template"]["spec"];
        pod["dnsPolicy"] = json!("ClusterFirst");
        pod["schedulerName"] = json!("default-scheduler");
        pod["securityContext"] = json!({});
        pod["terminationGracePeriodSeconds"] = json!(30);
        let container = &mut pod["containers"][0];
        container["terminationMessagePath"] = json!("/dev/termination-log");
        container["terminationMessagePolicy"] = json!("File");
        container["imagePullPolicy"] = json!("IfNotPresent");
        let imported = spec_of(&job).expect("a Job");
        assert_eq!(imported.left_out, Vec::<String>::new());
        assert_eq!(imported.spec.name, "stored");
        job["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = json!(300);
        assert_eq!(spec_of(&job).expect("a Job").left_out, ["terminationGracePeriodSeconds of the Pod's pods"]);
    }

    #[test]
    fn other_objects_are_refused_with_what_they_are() {
        let err = spec_of(&json!({"kind": "Deployment", "metadata": {"name": "web"}})).expect_err("not a job");
        assert!(err.contains("a Deployment is not a training job"), "{err}");
        let err = spec_of(&json!({"kind": "TFJob", "metadata": {"name": "x"}, "spec": {}})).expect_err("no roles");
        assert!(err.contains("has no replica specs"), "{err}");
    }
}
