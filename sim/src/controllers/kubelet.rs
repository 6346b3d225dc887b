//! A kubelet stand-in for every node: moves scheduled pods through ContainerCreating → Running →
//! Succeeded/Failed, restarts containers by their restart policy (with CrashLoopBackOff), writes container logs,
//! and finishes graceful deletions.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use super::programs::Program;
use super::{is_deleting, is_terminal, pods_key, set_condition};
use crate::cluster::Cluster;
use crate::meta;
use crate::store::ChangeType;

/// Simulated seconds to pull an image and start a container.
const START_SECONDS: f64 = 1.5;
/// Simulated seconds a deleted pod takes to terminate.
const STOP_SECONDS: f64 = 0.5;

#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Creating { ready_at: Instant },
    Running { started: Instant, next_step: Instant, epoch: u32 },
    BackOff { until: Instant },
    Exited,
}

struct Container {
    name: String,
    image: String,
    program: Program,
    stage: Stage,
    restarts: i64,
    /// Exit code and time of the last termination, for `lastState` and terminated states.
    last_exit: Option<(i32, String)>,
}

struct Run {
    ns: String,
    name: String,
    restart_policy: String,
    containers: Vec<Container>,
    deleting_since: Option<Instant>,
}

/// Runs the kubelet of every node until shutdown.
pub async fn run(cluster: Arc<Cluster>, mut shutdown: watch::Receiver<bool>) {
    let mut changes = cluster.store.subscribe();
    let mut runs: HashMap<String, Run> = HashMap::new();
    let mut ip_counter: HashMap<String, u32> = HashMap::new();
    // Pods that already exist (fleet workloads) are adopted from the store.
    let (pods, _) = cluster.store.list(&pods_key(), None);
    for p in pods {
        super::isolated(&cluster, "kubelet", &p.value, || adopt(&cluster, &p.value, &mut runs));
    }
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tick.tick() => {}
            change = changes.recv() => {
                match change {
                    Ok(c) if c.resource == pods_key() => match c.kind {
                        ChangeType::Deleted => {
                            runs.remove(meta::uid(&c.object.value));
                        }
                        _ => super::isolated(&cluster, "kubelet", &c.object.value, || adopt(&cluster, &c.object.value, &mut runs)),
                    },
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let (pods, _) = cluster.store.list(&pods_key(), None);
                        for p in pods {
                            super::isolated(&cluster, "kubelet", &p.value, || adopt(&cluster, &p.value, &mut runs));
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
                continue;
            }
        }
        let now = Instant::now();
        let mut finished = Vec::new();
        for (uid, run) in runs.iter_mut() {
            if step(&cluster, run, now, &mut ip_counter) {
                finished.push(uid.clone());
            }
        }
        for uid in finished {
            runs.remove(&uid);
        }
    }
}

/// Starts tracking a pod once it is bound to a node (and notices deletions of tracked pods).
fn adopt(cluster: &Cluster, pod: &Value, runs: &mut HashMap<String, Run>) {
    let uid = meta::uid(pod).to_string();
    if let Some(run) = runs.get_mut(&uid) {
        if is_deleting(pod) && run.deleting_since.is_none() {
            run.deleting_since = Some(Instant::now());
        }
        return;
    }
    let node = meta::str_at(pod, "/spec/nodeName");
    if node.is_empty() || is_terminal(pod) && !is_deleting(pod) {
        return;
    }
    let already_running = meta::str_at(pod, "/status/phase") == "Running";
    let containers: Vec<Container> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let program = Program::for_container(pod, c);
            let now = Instant::now();
            let stage = if already_running {
                Stage::Running { started: now, next_step: now, epoch: 0 }
            } else {
                Stage::Creating { ready_at: now + cluster.sim_duration(START_SECONDS) }
            };
            Container {
                name: meta::str_at(c, "/name").to_string(),
                image: meta::str_at(c, "/image").to_string(),
                program,
                stage,
                restarts: 0,
                last_exit: None,
            }
        })
        .collect();
    // Pods the fleet created already running, with programs that never change, need no attention.
    if already_running && !is_deleting(pod) && containers.iter().all(|c| matches!(c.program, Program::Service { .. })) {
        return;
    }
    let restart_policy = match meta::str_at(pod, "/spec/restartPolicy") {
        "" => "Always".to_string(),
        p => p.to_string(),
    };
    let run = Run {
        ns: meta::namespace(pod).to_string(),
        name: meta::name(pod).to_string(),
        restart_policy,
        containers,
        deleting_since: is_deleting(pod).then(Instant::now),
    };
    if !already_running {
        cluster.record_event(
            pod,
            "Normal",
            "Pulling",
            &format!("Pulling image \"{}\"", run.containers.first().map_or("", |c| c.image.as_str())),
            "kubelet",
        );
    }
    runs.insert(uid, run);
}

fn container_id(ns: &str, pod: &str, container: &str, restarts: i64) -> String {
    let seed = format!("{ns}/{pod}/{container}/{restarts}");
    let mut rng =
        fastrand::Rng::with_seed(seed.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))));
    format!("containerd://{}", (0..64).map(|_| char::from_digit(rng.u32(0..16), 16).unwrap_or('0')).collect::<String>())
}

fn image_id(image: &str) -> String {
    let mut rng =
        fastrand::Rng::with_seed(image.bytes().fold(11u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))));
    let repo = image.split([':', '@']).next().unwrap_or(image);
    let full = if repo.contains('/') && repo.split('/').next().is_some_and(|r| r.contains('.')) {
        repo.to_string()
    } else if repo.contains('/') {
        format!("docker.io/{repo}")
    } else {
        format!("docker.io/library/{repo}")
    };
    format!(
        "{full}@sha256:{}",
        (0..64).map(|_| char::from_digit(rng.u32(0..16), 16).unwrap_or('0')).collect::<String>()
    )
}

/// Advances one pod; returns true when the kubelet is done with it.
fn step(cluster: &Cluster, run: &mut Run, now: Instant, ips: &mut HashMap<String, u32>) -> bool {
    if let Some(since) = run.deleting_since {
        if now.duration_since(since) >= cluster.sim_duration(STOP_SECONDS) {
            for c in &run.containers {
                cluster.logs.close(&run.ns, &run.name, &c.name);
            }
            cluster.delete_now(&pods_key(), &run.ns, &run.name);
            return true;
        }
        return false;
    }
    let mut changed = false;
    let mut events: Vec<(&'static str, &'static str, String)> = Vec::new();
    let restart_policy = run.restart_policy.clone();
    for c in run.containers.iter_mut() {
        match c.stage.clone() {
            Stage::Creating { ready_at } if now >= ready_at => {
                c.stage =
                    Stage::Running { started: now, next_step: now + step_interval(cluster, &c.program), epoch: 0 };
                for line in startup_lines(&c.program) {
                    cluster.logs.append(&run.ns, &run.name, &c.name, line);
                }
                if c.restarts == 0 {
                    events.push(("Normal", "Pulled", format!("Successfully pulled image \"{}\"", c.image)));
                }
                events.push(("Normal", "Created", format!("Created container: {}", c.name)));
                events.push(("Normal", "Started", format!("Started container {}", c.name)));
                changed = true;
            }
            Stage::Running { started, next_step, epoch } => {
                match &c.program {
                    Program::Service { .. } => {}
                    Program::Batch { seconds, exit_code, lines } => {
                        if now.duration_since(started) >= cluster.sim_duration(*seconds) {
                            for l in lines {
                                cluster.logs.append(&run.ns, &run.name, &c.name, l.clone());
                            }
                            let code = *exit_code;
                            finish(cluster, run.ns.as_str(), run.name.as_str(), c, code, &restart_policy, now);
                            changed = true;
                        }
                    }
                    Program::Training(t) => {
                        if now >= next_step {
                            let epoch = epoch + 1;
                            let t = t.clone();
                            cluster.logs.append(&run.ns, &run.name, &c.name, t.epoch_line(epoch));
                            if t.fail_at == Some(epoch) {
                                cluster.logs.append(&run.ns, &run.name, &c.name, format!("Traceback (most recent call last):\nRuntimeError: training failed at epoch {epoch}"));
                                finish(cluster, &run.ns, &run.name, c, 1, &restart_policy, now);
                                changed = true;
                            } else if epoch >= t.epochs {
                                cluster.logs.append(
                                    &run.ns,
                                    &run.name,
                                    &c.name,
                                    format!("Training finished after {epoch} epochs"),
                                );
                                finish(cluster, &run.ns, &run.name, c, 0, &restart_policy, now);
                                changed = true;
                            } else {
                                c.stage = Stage::Running {
                                    started,
                                    next_step: now + cluster.sim_duration(t.epoch_seconds),
                                    epoch,
                                };
                            }
                        }
                    }
                }
            }
            Stage::BackOff { until } if now >= until => {
                c.restarts += 1;
                c.stage = Stage::Creating { ready_at: now };
                changed = true;
            }
            _ => {}
        }
    }
    if changed {
        write_status(cluster, run, ips);
    }
    if !events.is_empty()
        && let Some(pod) = cluster.store.get(&pods_key(), &run.ns, &run.name)
    {
        for (t, reason, message) in events {
            cluster.record_event(&pod.value, t, reason, &message, "kubelet");
        }
    }
    run.containers.iter().all(|c| c.stage == Stage::Exited)
}

fn step_interval(cluster: &Cluster, program: &Program) -> Duration {
    match program {
        Program::Training(t) => cluster.sim_duration(t.epoch_seconds),
        _ => Duration::from_secs(3600),
    }
}

fn startup_lines(program: &Program) -> Vec<String> {
    match program {
        Program::Service { startup } => startup.clone(),
        Program::Batch { .. } => Vec::new(),
        Program::Training(t) => t.startup_lines(),
    }
}

/// A container exits: it restarts after a back-off, or stays exited.
fn finish(cluster: &Cluster, ns: &str, pod: &str, c: &mut Container, code: i32, policy: &str, now: Instant) {
    let restart = policy == "Always" || (policy == "OnFailure" && code != 0);
    c.last_exit = Some((code, meta::now()));
    if restart {
        let backoff = (10.0 * 2f64.powi(c.restarts.min(5) as i32)).min(300.0);
        c.stage = Stage::BackOff { until: now + cluster.sim_duration(backoff) };
    } else {
        c.stage = Stage::Exited;
        cluster.logs.close(ns, pod, &c.name);
    }
}

fn write_status(cluster: &Cluster, run: &Run, ips: &mut HashMap<String, u32>) {
    let Some(current) = cluster.store.get(&pods_key(), &run.ns, &run.name) else { return };
    let node_name = meta::str_at(&current.value, "/spec/nodeName").to_string();
    let node = cluster.store.get(&super::nodes_key(), "", &node_name);
    let host_ip = node
        .as_ref()
        .and_then(|n| n.value.pointer("/status/addresses/0/address").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "10.0.0.1".into());
    let pod_ip = match meta::str_at(&current.value, "/status/podIP") {
        "" => {
            let cidr = node.as_ref().map(|n| meta::str_at(&n.value, "/spec/podCIDR").to_string()).unwrap_or_default();
            let base = cidr.trim_end_matches("0/24").to_string();
            let n = ips.entry(node_name.clone()).or_insert(1);
            *n = n.wrapping_add(1) % 250 + 2;
            format!("{base}{n}")
        }
        ip => ip.to_string(),
    };
    let now_text = meta::now();
    let spec_containers: Vec<Value> =
        current.value.pointer("/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default();
    let statuses: Vec<Value> = run
        .containers
        .iter()
        .map(|c| {
            let last_exit = c.last_exit.clone();
            let previous = current
                .value
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array)
                .and_then(|s| s.iter().find(|s| meta::str_at(s, "/name") == c.name))
                .cloned();
            let started_at = previous.as_ref().and_then(|p| p.pointer("/state/running/startedAt")).cloned().unwrap_or(json!(now_text));
            let terminated = |code: i32, at: &str| {
                json!({"terminated": {"exitCode": code, "reason": if code == 0 { "Completed" } else { "Error" }, "startedAt": started_at, "finishedAt": at, "containerID": container_id(&run.ns, &run.name, &c.name, c.restarts)}})
            };
            let (state, ready) = match &c.stage {
                Stage::Creating { .. } => (json!({"waiting": {"reason": "ContainerCreating"}}), false),
                Stage::Running { .. } => {
                    let started = if previous.as_ref().and_then(|p| p.pointer("/state/running")).is_some() { started_at.clone() } else { json!(now_text) };
                    (json!({"running": {"startedAt": started}}), true)
                }
                Stage::BackOff { .. } => (
                    json!({"waiting": {"reason": "CrashLoopBackOff", "message": format!("back-off restarting failed container {} in pod {}_{}", c.name, run.name, run.ns)}}),
                    false,
                ),
                Stage::Exited => {
                    let (code, at) = last_exit.clone().unwrap_or((0, now_text.clone()));
                    (terminated(code, &at), false)
                }
            };
            let last_state = match (&c.stage, &last_exit) {
                (Stage::Running { .. } | Stage::BackOff { .. } | Stage::Creating { .. }, Some((code, at))) if c.restarts > 0 || matches!(c.stage, Stage::BackOff { .. }) => terminated(*code, at),
                _ => json!({}),
            };
            let image = spec_containers.iter().find(|s| meta::str_at(s, "/name") == c.name).map(|s| meta::str_at(s, "/image").to_string()).unwrap_or_else(|| c.image.clone());
            let mut status = json!({
                "name": c.name,
                "state": state,
                "lastState": last_state,
                "ready": ready,
                "restartCount": c.restarts,
                "image": image,
                "imageID": image_id(&image),
                "started": matches!(c.stage, Stage::Running { .. }),
            });
            if !matches!(c.stage, Stage::Creating { .. }) {
                status["containerID"] = json!(container_id(&run.ns, &run.name, &c.name, c.restarts));
            }
            status
        })
        .collect();
    let all_ready = statuses.iter().all(|s| s.get("ready") == Some(&json!(true)));
    let any_running = run
        .containers
        .iter()
        .any(|c| matches!(c.stage, Stage::Running { .. } | Stage::BackOff { .. } | Stage::Creating { .. }));
    let all_exited = run.containers.iter().all(|c| c.stage == Stage::Exited);
    let any_failed = statuses
        .iter()
        .any(|s| s.pointer("/state/terminated/exitCode").and_then(Value::as_i64).is_some_and(|c| c != 0));
    let started_any = run.containers.iter().any(|c| !matches!(c.stage, Stage::Creating { .. }) || c.restarts > 0);
    let phase = if all_exited {
        if any_failed { "Failed" } else { "Succeeded" }
    } else if started_any && any_running {
        "Running"
    } else {
        "Pending"
    };
    cluster.modify(&pods_key(), &run.ns, &run.name, |pod| {
        let status = pod.get_mut("status").and_then(Value::as_object_mut);
        let Some(status) = status else { return false };
        status.insert("phase".into(), json!(phase));
        status.insert("hostIP".into(), json!(host_ip));
        status.insert("hostIPs".into(), json!([{"ip": host_ip}]));
        status.insert("podIP".into(), json!(pod_ip));
        status.insert("podIPs".into(), json!([{"ip": pod_ip}]));
        status.entry("startTime").or_insert(json!(now_text));
        status.insert("containerStatuses".into(), json!(statuses));
        set_condition(pod, "PodReadyToStartContainers", "True", "", "");
        set_condition(pod, "Initialized", "True", "", "");
        let (ready, reason) = if all_ready && !all_exited {
            ("True", "")
        } else if all_exited {
            ("False", "PodCompleted")
        } else {
            ("False", "ContainersNotReady")
        };
        set_condition(pod, "ContainersReady", ready, reason, "");
        set_condition(pod, "Ready", ready, reason, "");
        true
    });
}
