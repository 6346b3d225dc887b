//! The Kubeflow training operator (v1) for TFJob, PyTorchJob, XGBoostJob and MPIJob: once an operator Deployment is
//! available and the CRDs exist, jobs get one pod (and, where the framework talks over a port, one headless service)
//! per replica, the framework's environment (`TF_CONFIG`, `MASTER_ADDR`/`RANK`/`WORLD_SIZE`, `WORKER_ADDRS`, the MPI
//! hostfile), and status conditions Created → Running → Succeeded/Failed with `replicaStatuses`, honouring
//! `runPolicy.cleanPodPolicy`, `backoffLimit` and `suspend`. An MPIJob succeeds with its launcher.

use serde_json::{Map, Value, json};

use super::{controller_ref, create_pod, delete_pod, is_deleting, is_terminal, owned, phase, pods_key, set_condition};
use crate::cluster::Cluster;
use crate::meta;
use crate::registry::ResourceKey;

/// The framework-specific parts of a job kind.
struct Kind {
    plural: &'static str,
    kind: &'static str,
    specs_field: &'static str,
    container: &'static str,
    /// 0: the framework uses no port of its own (MPI talks over ssh), so no service either.
    port: i64,
    port_name: &'static str,
    default_restart: &'static str,
}

const KINDS: [Kind; 4] = [
    Kind {
        plural: "tfjobs",
        kind: "TFJob",
        specs_field: "tfReplicaSpecs",
        container: "tensorflow",
        port: 2222,
        port_name: "tfjob-port",
        default_restart: "Never",
    },
    Kind {
        plural: "pytorchjobs",
        kind: "PyTorchJob",
        specs_field: "pytorchReplicaSpecs",
        container: "pytorch",
        port: 23456,
        port_name: "pytorchjob-port",
        default_restart: "OnFailure",
    },
    Kind {
        plural: "xgboostjobs",
        kind: "XGBoostJob",
        specs_field: "xgbReplicaSpecs",
        container: "xgboost",
        port: 9999,
        port_name: "xgboostjob-port",
        default_restart: "OnFailure",
    },
    Kind {
        plural: "mpijobs",
        kind: "MPIJob",
        specs_field: "mpiReplicaSpecs",
        container: "mpi",
        port: 0,
        port_name: "",
        default_restart: "Never",
    },
];

/// A replica's pod (and service) name: `<job>-<type>-<index>`, except an MPIJob's single `<job>-launcher`.
fn replica_name(k: &Kind, job: &str, rtype: &str, index: i64) -> String {
    let lower = rtype.to_lowercase();
    if k.kind == "MPIJob" && lower == "launcher" { format!("{job}-launcher") } else { format!("{job}-{lower}-{index}") }
}

const OPERATOR: &str = "training-operator";

/// Whether a training-operator Deployment (any registry and tag) is available.
pub fn operator_available(cluster: &Cluster) -> bool {
    let (deployments, _) = cluster.store.list(&ResourceKey::new("apps", "deployments"), None);
    deployments.iter().any(|d| {
        let runs_operator =
            d.value.pointer("/spec/template/spec/containers").and_then(Value::as_array).is_some_and(|cs| {
                cs.iter().any(|c| {
                    let image = meta::str_at(c, "/image");
                    let path = image.split('@').next().unwrap_or(image);
                    let repo = path.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')).map_or(path, |(r, _)| r);
                    repo.ends_with(OPERATOR)
                })
            });
        runs_operator && meta::int_at(&d.value, "/status/availableReplicas") >= 1
    })
}

fn has_condition(v: &Value, type_: &str) -> bool {
    v.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|c| c.iter().any(|c| meta::str_at(c, "/type") == type_ && meta::str_at(c, "/status") == "True"))
}

/// Replica types in the order the operator treats them, with their specs.
fn replica_specs<'a>(job: &'a Value, field: &str) -> Vec<(&'a str, &'a Value)> {
    let order = ["Chief", "Master", "Launcher", "PS", "Worker", "Evaluator"];
    let Some(specs) = job.pointer(&format!("/spec/{field}")).and_then(Value::as_object) else { return Vec::new() };
    let mut out: Vec<(&str, &Value)> = specs.iter().map(|(k, v)| (k.as_str(), v)).collect();
    out.sort_by_key(|(k, _)| order.iter().position(|o| o.eq_ignore_ascii_case(k)).unwrap_or(order.len()));
    out
}

fn replicas(spec: &Value) -> i64 {
    spec.get("replicas").and_then(Value::as_i64).unwrap_or(1).max(0)
}

fn tf_config(job: &Value, specs: &[(&str, &Value)], rtype: &str, index: i64, port: i64) -> String {
    let name = meta::name(job);
    let ns = meta::namespace(job);
    let mut cluster = Map::new();
    for (t, spec) in specs {
        let lower = t.to_lowercase();
        if lower == "evaluator" {
            continue;
        }
        let hosts: Vec<Value> =
            (0..replicas(spec)).map(|i| json!(format!("{name}-{lower}-{i}.{ns}.svc:{port}"))).collect();
        cluster.insert(lower, json!(hosts));
    }
    json!({"cluster": cluster, "task": {"type": rtype.to_lowercase(), "index": index}, "environment": "cloud"})
        .to_string()
}

fn framework_env(k: &Kind, job: &Value, specs: &[(&str, &Value)], rtype: &str, index: i64) -> Vec<Value> {
    if k.kind == "TFJob" {
        return vec![json!({"name": "TF_CONFIG", "value": tf_config(job, specs, rtype, index, k.port)})];
    }
    if k.kind == "MPIJob" {
        // The launcher reads the workers from the hostfile the operator mounts; `slotsPerWorker` each.
        let slots = job.pointer("/spec/slotsPerWorker").and_then(Value::as_i64).unwrap_or(1);
        let workers = specs.iter().find(|(t, _)| t.eq_ignore_ascii_case("worker")).map_or(0, |(_, s)| replicas(s));
        let hosts: Vec<String> =
            (0..workers).map(|i| format!("{} slots={slots}", replica_name(k, meta::name(job), "worker", i))).collect();
        return vec![
            json!({"name": "OMPI_MCA_orte_default_hostfile", "value": "/etc/mpi/hostfile"}),
            json!({"name": "KUBESIM_MPI_HOSTS", "value": hosts.join(",")}),
        ];
    }
    let world: i64 = specs.iter().map(|(_, s)| replicas(s)).sum();
    let has_master = specs.iter().any(|(t, _)| t.eq_ignore_ascii_case("master"));
    let rank = if rtype.eq_ignore_ascii_case("master") { 0 } else { index + i64::from(has_master) };
    let master_type = if has_master { "master" } else { "worker" };
    vec![
        json!({"name": "MASTER_PORT", "value": k.port.to_string()}),
        json!({"name": "MASTER_ADDR", "value": format!("{}-{master_type}-0", meta::name(job))}),
        json!({"name": "WORLD_SIZE", "value": world.to_string()}),
        json!({"name": "RANK", "value": rank.to_string()}),
        json!({"name": "PYTHONUNBUFFERED", "value": "1"}),
    ]
    .into_iter()
    .chain(
        (k.kind == "XGBoostJob")
            .then(|| {
                // XGBoost's tracker also wants every worker's address.
                let workers =
                    specs.iter().find(|(t, _)| t.eq_ignore_ascii_case("worker")).map_or(0, |(_, s)| replicas(s));
                let addrs: Vec<String> = (0..workers).map(|i| replica_name(k, meta::name(job), "worker", i)).collect();
                vec![
                    json!({"name": "WORKER_PORT", "value": k.port.to_string()}),
                    json!({"name": "WORKER_ADDRS", "value": addrs.join(",")}),
                ]
            })
            .into_iter()
            .flatten(),
    )
    .collect()
}

fn replica_pod(k: &Kind, job: &Value, specs: &[(&str, &Value)], rtype: &str, spec: &Value, index: i64) -> Value {
    let name = meta::name(job);
    let lower = rtype.to_lowercase();
    let mut template = spec.get("template").cloned().unwrap_or(json!({}));
    let restart = match spec.get("restartPolicy").and_then(Value::as_str) {
        Some("ExitCode") => "Never",
        Some(p) => p,
        None => k.default_restart,
    };
    template["spec"]["restartPolicy"] = json!(restart);
    let env = framework_env(k, job, specs, rtype, index);
    if let Some(containers) = template.pointer_mut("/spec/containers").and_then(Value::as_array_mut) {
        for c in containers.iter_mut().filter(|c| meta::str_at(c, "/name") == k.container) {
            let existing = c.get("env").and_then(Value::as_array).cloned().unwrap_or_default();
            let mut merged: Vec<Value> = env.clone();
            merged.extend(existing.into_iter().filter(|e| !env.iter().any(|n| n["name"] == e["name"])));
            c["env"] = json!(merged);
            let ports = c.get("ports").and_then(Value::as_array).cloned().unwrap_or_default();
            if k.port > 0 && !ports.iter().any(|p| meta::str_at(p, "/name") == k.port_name) {
                let mut ports = ports;
                ports.push(json!({"name": k.port_name, "containerPort": k.port, "protocol": "TCP"}));
                c["ports"] = json!(ports);
            }
        }
    }
    let mut labels = vec![
        ("training.kubeflow.org/job-name", name.to_string()),
        ("training.kubeflow.org/operator-name", format!("{}-controller", k.kind.to_lowercase())),
        ("training.kubeflow.org/replica-type", lower.clone()),
        ("training.kubeflow.org/replica-index", index.to_string()),
    ];
    let is_leader = matches!(lower.as_str(), "chief" | "master");
    if is_leader {
        labels.push(("training.kubeflow.org/job-role", "master".to_string()));
    }
    let pod_name = replica_name(k, name, rtype, index);
    let mut pod = super::pod_from_template(job, &template, Some(&pod_name), &labels);
    pod["spec"]["hostname"] = json!(pod_name);
    pod["spec"]["subdomain"] = json!(pod_name);
    pod
}

fn replica_service(k: &Kind, job: &Value, rtype: &str, index: i64) -> Value {
    let name = meta::name(job);
    let lower = rtype.to_lowercase();
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": format!("{name}-{lower}-{index}"),
            "namespace": meta::namespace(job),
            "labels": {"training.kubeflow.org/job-name": name, "training.kubeflow.org/replica-type": lower, "training.kubeflow.org/replica-index": index.to_string()},
            "ownerReferences": [controller_ref(job)]
        },
        "spec": {
            "clusterIP": "None",
            "selector": {"training.kubeflow.org/job-name": name, "training.kubeflow.org/replica-type": lower, "training.kubeflow.org/replica-index": index.to_string()},
            "ports": [{"name": k.port_name, "port": k.port, "targetPort": k.port}]
        }
    })
}

/// Moves the condition describing the job's current state to the end, where clients (and the `State` printer
/// column, `.status.conditions[-1:].type`) read it.
fn current_condition_last(job: &mut Value, current: &str) {
    if let Some(list) = job.pointer_mut("/status/conditions").and_then(Value::as_array_mut)
        && let Some(i) = list.iter().position(|c| meta::str_at(c, "/type") == current)
    {
        let c = list.remove(i);
        list.push(c);
    }
}

pub fn reconcile(cluster: &Cluster) {
    let operator = operator_available(cluster);
    for k in &KINDS {
        let key = ResourceKey::new("kubeflow.org", k.plural);
        if cluster.registry.find_any_version("kubeflow.org", k.plural).is_none() {
            continue;
        }
        let (jobs, _) = cluster.store.list(&key, None);
        for job in jobs.iter().filter(|j| !is_deleting(&j.value)) {
            super::isolated(cluster, "training-operator", &job.value, || {
                if operator {
                    sync_job(cluster, k, &key, &job.value);
                }
            });
        }
    }
}

fn sync_job(cluster: &Cluster, k: &Kind, key: &ResourceKey, job: &Value) {
    let ns = meta::namespace(job).to_string();
    let name = meta::name(job).to_string();
    let uid = meta::uid(job).to_string();
    let specs = replica_specs(job, k.specs_field);
    let finished = has_condition(job, "Succeeded") || has_condition(job, "Failed");
    let pods = owned(cluster, &pods_key(), &ns, &uid);
    let suspended = job.pointer("/spec/runPolicy/suspend").and_then(Value::as_bool) == Some(true);
    let now = meta::now();
    let label = k.kind;

    if finished {
        let policy = job.pointer("/spec/runPolicy/cleanPodPolicy").and_then(Value::as_str).unwrap_or("None");
        for p in pods.iter().filter(|p| !is_deleting(&p.value)) {
            let clean = policy == "All" || (policy == "Running" && !is_terminal(&p.value));
            if clean {
                delete_pod(cluster, p);
            }
        }
        return;
    }
    if suspended {
        for p in pods.iter().filter(|p| !is_deleting(&p.value)) {
            delete_pod(cluster, p);
        }
        cluster.modify(key, &ns, &name, |j| {
            let before = j.get("status").cloned();
            set_condition(j, "Created", "True", &format!("{label}Created"), &format!("{label} {name} is created."));
            if j.pointer("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|c| c.iter().any(|c| meta::str_at(c, "/type") == "Running"))
            {
                set_condition(
                    j,
                    "Running",
                    "False",
                    &format!("{label}Suspended"),
                    &format!("{label} {name} is suspended."),
                );
            }
            set_condition(
                j,
                "Suspended",
                "True",
                &format!("{label}Suspended"),
                &format!("{label} {name} is suspended."),
            );
            current_condition_last(j, "Suspended");
            before.as_ref() != j.get("status")
        });
        return;
    }

    // Create what is missing: one pod and one headless service per replica.
    let backoff_limit = job.pointer("/spec/runPolicy/backoffLimit").and_then(Value::as_i64);
    let mut failed_replicas: Vec<(String, i64)> = Vec::new();
    let mut statuses = Map::new();
    for (rtype, spec) in &specs {
        let (mut active, mut succeeded, mut failed) = (0, 0, 0);
        let exit_code_policy = spec.get("restartPolicy").and_then(Value::as_str) == Some("ExitCode");
        for i in 0..replicas(spec) {
            let pod_name = replica_name(k, &name, rtype, i);
            let existing = pods.iter().find(|p| p.name() == pod_name && !is_deleting(&p.value));
            match existing {
                None => {
                    let svc_key = ResourceKey::new("", "services");
                    if k.port > 0 && cluster.store.get(&svc_key, &ns, &pod_name).is_none() {
                        let _ = cluster.create(replica_service(k, job, rtype, i));
                    }
                    if pods.iter().any(|p| p.name() == pod_name) {
                        continue; // the old pod is still terminating
                    }
                    if create_pod(cluster, replica_pod(k, job, &specs, rtype, spec, i)).is_some() {
                        cluster.record_event(
                            job,
                            "Normal",
                            "SuccessfulCreatePod",
                            &format!("Created pod: {pod_name}"),
                            &format!("{}-controller", label.to_lowercase()),
                        );
                    }
                    if k.port > 0 {
                        cluster.record_event(
                            job,
                            "Normal",
                            "SuccessfulCreateService",
                            &format!("Created service: {pod_name}"),
                            &format!("{}-controller", label.to_lowercase()),
                        );
                    }
                    active += 1;
                }
                Some(p) => match phase(&p.value) {
                    "Succeeded" => succeeded += 1,
                    "Failed" => {
                        let code = p
                            .value
                            .pointer("/status/containerStatuses/0/state/terminated/exitCode")
                            .and_then(Value::as_i64)
                            .unwrap_or(1);
                        if exit_code_policy && (128..=255).contains(&code) {
                            // Retryable exit code: the operator replaces the pod.
                            delete_pod(cluster, p);
                            active += 1;
                        } else {
                            failed += 1;
                        }
                    }
                    _ => active += 1,
                },
            }
        }
        let restarts: i64 = pods
            .iter()
            .filter(|p| {
                meta::label(&p.value, "training.kubeflow.org/replica-type") == Some(rtype.to_lowercase().as_str())
            })
            .flat_map(|p| {
                p.value.pointer("/status/containerStatuses").and_then(Value::as_array).cloned().unwrap_or_default()
            })
            .map(|c| meta::int_at(&c, "/restartCount"))
            .sum();
        if failed > 0 || backoff_limit.is_some_and(|b| restarts > b) {
            failed_replicas.push((rtype.to_string(), failed.max(1)));
        }
        let mut s = json!({"selector": format!("training.kubeflow.org/job-name={name},training.kubeflow.org/operator-name={}-controller,training.kubeflow.org/replica-type={}", label.to_lowercase(), rtype.to_lowercase())});
        if active > 0 {
            s["active"] = json!(active);
        }
        if succeeded > 0 {
            s["succeeded"] = json!(succeeded);
        }
        if failed > 0 {
            s["failed"] = json!(failed);
        }
        statuses.insert(rtype.to_string(), s);
    }

    let leader = specs
        .iter()
        .find(|(t, _)| ["chief", "master", "launcher"].iter().any(|l| t.eq_ignore_ascii_case(l)))
        .map(|(t, _)| t.to_string());
    let succeeded = match &leader {
        Some(t) => statuses.get(t).and_then(|s| s.get("succeeded")).and_then(Value::as_i64).unwrap_or(0) >= 1,
        None => {
            let worker = specs.iter().find(|(t, _)| t.eq_ignore_ascii_case("worker"));
            match (k.kind, worker) {
                ("TFJob", Some(_)) => {
                    pods.iter().any(|p| p.name() == format!("{name}-worker-0") && phase(&p.value) == "Succeeded")
                }
                (_, Some((t, spec))) => {
                    statuses.get(*t).and_then(|s| s.get("succeeded")).and_then(Value::as_i64).unwrap_or(0)
                        >= replicas(spec)
                }
                _ => false,
            }
        }
    };
    let any_running = pods.iter().any(|p| phase(&p.value) == "Running");
    let outcome = if succeeded {
        Some(("Succeeded", format!("{label}Succeeded"), format!("{label} {ns}/{name} successfully completed.")))
    } else if let Some((rtype, n)) = failed_replicas.first() {
        Some((
            "Failed",
            format!("{label}Failed"),
            format!("{label} {ns}/{name} has failed because {n} {rtype} replica(s) failed."),
        ))
    } else {
        None
    };

    cluster.modify(key, &ns, &name, |j| {
        let before = j.get("status").cloned();
        set_condition(j, "Created", "True", &format!("{label}Created"), &format!("{label} {name} is created."));
        if j.pointer("/status/startTime").is_none() {
            j["status"]["startTime"] = json!(now);
        }
        j["status"]["replicaStatuses"] = Value::Object(statuses.clone());
        if has_condition(j, "Suspended") {
            set_condition(j, "Suspended", "False", &format!("{label}Resumed"), &format!("{label} {name} is resumed."));
        }
        match &outcome {
            Some((type_, reason, message)) => {
                set_condition(j, "Running", "False", reason, message);
                set_condition(j, type_, "True", reason, message);
                if *type_ == "Succeeded" {
                    j["status"]["completionTime"] = json!(now);
                }
            }
            None if any_running => set_condition(
                j,
                "Running",
                "True",
                &format!("{label}Running"),
                &format!("{label} {ns}/{name} is running."),
            ),
            None => {}
        }
        let current = match &outcome {
            Some((type_, _, _)) => type_,
            None if any_running => "Running",
            None => "Created",
        };
        current_condition_last(j, current);
        before.as_ref() != j.get("status")
    });
    if let Some((type_, reason, message)) = outcome {
        let event_type = if type_ == "Succeeded" { "Normal" } else { "Warning" };
        cluster.record_event(job, event_type, &reason, &message, &format!("{}-controller", label.to_lowercase()));
    }
}
