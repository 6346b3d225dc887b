//! Pod → [`PodRow`]: the few fields the screens need (placement, phase, readiness, restarts, resource requests),
//! kept compact because a cluster may hold 150,000 of them.

use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod, PodSpec};
use kubefmt::pod::{Condition, ContainerFacts, InitContainer, PodFacts, State};
use serde::Serialize;

use super::accelerators::AcceleratorKind;
use super::quantity;
use crate::tone::Tone;

/// What a pod asks of its node. Accelerators are few per pod, so a small vector beats a map.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Requests {
    pub cpu: f64,
    pub memory: f64,
    pub accelerators: Vec<(String, f64)>,
}

impl Requests {
    fn add(&mut self, resource: &str, amount: f64) {
        match resource {
            "cpu" => self.cpu += amount,
            "memory" => self.memory += amount,
            r if AcceleratorKind::of(r).is_some() => match self.accelerators.iter_mut().find(|(n, _)| n == r) {
                Some((_, a)) => *a += amount,
                None => self.accelerators.push((r.to_string(), amount)),
            },
            _ => {}
        }
    }

    fn max_with(&mut self, other: &Requests) {
        self.cpu = self.cpu.max(other.cpu);
        self.memory = self.memory.max(other.memory);
        for (r, a) in &other.accelerators {
            match self.accelerators.iter_mut().find(|(n, _)| n == r) {
                Some((_, mine)) => *mine = mine.max(*a),
                None => self.accelerators.push((r.clone(), *a)),
            }
        }
    }

    pub fn accelerator(&self, resource: &str) -> f64 {
        self.accelerators.iter().find(|(r, _)| r == resource).map_or(0.0, |(_, a)| *a)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PodRow {
    pub namespace: String,
    pub name: String,
    pub node: Option<String>,
    pub phase: String,
    /// The STATUS kubectl would print (`Running`, `CrashLoopBackOff`, `Completed`, `Terminating` …).
    pub status: String,
    pub ready: (u16, u16),
    pub restarts: u32,
    pub requests: Requests,
    /// Unix seconds.
    pub created: i64,
    /// Container names, for picking whose logs to read.
    pub containers: Vec<String>,
    /// A hash of the pod's uid: events name pods by uid ("Preempted by pod <uid>"), and a hash keeps rows small.
    pub uid: u64,
    /// Made by a DaemonSet: a new node like its node would run one too (the capacity planner counts it).
    pub daemon: bool,
}

impl PodRow {
    /// Whether the pod holds its node's resources (scheduled and not finished).
    pub fn occupies_node(&self) -> bool {
        self.node.is_some() && !matches!(self.phase.as_str(), "Succeeded" | "Failed")
    }
}

fn container_requests(c: &Container) -> Requests {
    let mut r = Requests::default();
    let resources = c.resources.as_ref();
    let requests = resources.and_then(|r| r.requests.as_ref());
    // A limit without a request counts as the request, as the API server defaults it.
    if let Some(limits) = resources.and_then(|r| r.limits.as_ref()) {
        for (k, v) in limits {
            if !requests.is_some_and(|req| req.contains_key(k)) {
                r.add(k, quantity::value(v));
            }
        }
    }
    for (k, v) in requests.into_iter().flatten() {
        r.add(k, quantity::value(v));
    }
    r
}

/// The effective requests of a pod: containers summed, at least the largest init container.
pub fn requests(pod: &Pod) -> Requests {
    pod.spec.as_ref().map(spec_requests).unwrap_or_default()
}

/// The effective requests of a pod spec (also of a workload's pod template).
pub fn spec_requests(spec: &PodSpec) -> Requests {
    let mut total = Requests::default();
    for c in &spec.containers {
        let r = container_requests(c);
        total.cpu += r.cpu;
        total.memory += r.memory;
        for (name, a) in r.accelerators {
            total.add(&name, a);
        }
    }
    for c in spec.init_containers.iter().flatten() {
        total.max_with(&container_requests(c));
    }
    total
}

/// One container's status as the pod printer reads it.
fn container_facts(c: &ContainerStatus) -> ContainerFacts<'_> {
    let state = c.state.as_ref();
    let state = if let Some(w) = state.and_then(|s| s.waiting.as_ref()) {
        State::Waiting { reason: w.reason.as_deref().unwrap_or("") }
    } else if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
        State::Terminated {
            reason: t.reason.as_deref().unwrap_or(""),
            exit_code: t.exit_code,
            signal: t.signal.unwrap_or(0),
        }
    } else if state.and_then(|s| s.running.as_ref()).is_some() {
        State::Running
    } else {
        State::Unknown
    };
    ContainerFacts {
        name: &c.name,
        ready: c.ready,
        started: c.started,
        restart_count: i64::from(c.restart_count),
        state,
        last_finished: c
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .and_then(|t| t.finished_at.as_ref())
            .map(|t| t.0.as_second()),
    }
}

/// What kubectl's pod printer reads of a pod, borrowed from the typed object.
fn facts(pod: &Pod) -> PodFacts<'_> {
    let status = pod.status.as_ref();
    PodFacts {
        // The API server defaults a new pod's phase to Pending; a status not written yet reads the same.
        phase: status.and_then(|s| s.phase.as_deref()).filter(|p| !p.is_empty()).unwrap_or("Pending"),
        reason: status.and_then(|s| s.reason.as_deref()).unwrap_or(""),
        deleting: pod.metadata.deletion_timestamp.is_some(),
        containers: pod.spec.as_ref().map_or(0, |s| s.containers.len()),
        init_containers: pod
            .spec
            .iter()
            .flat_map(|s| s.init_containers.iter().flatten())
            .map(|c| InitContainer { name: &c.name, restartable: c.restart_policy.as_deref() == Some("Always") })
            .collect(),
        init_statuses: status
            .and_then(|s| s.init_container_statuses.as_ref())
            .into_iter()
            .flatten()
            .map(container_facts)
            .collect(),
        statuses: status
            .and_then(|s| s.container_statuses.as_ref())
            .into_iter()
            .flatten()
            .map(container_facts)
            .collect(),
        conditions: status
            .into_iter()
            .flat_map(|s| s.conditions.iter().flatten())
            .map(|c| Condition { kind: &c.type_, status: &c.status, reason: c.reason.as_deref().unwrap_or("") })
            .collect(),
    }
}

fn saturate(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// The row of a pod; READY, STATUS and RESTARTS exactly as `kubectl get pods` shows them.
pub fn row(pod: &Pod) -> PodRow {
    let columns = kubefmt::pod::columns(&facts(pod));
    PodRow {
        namespace: pod.metadata.namespace.clone().unwrap_or_default(),
        name: pod.metadata.name.clone().unwrap_or_default(),
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()).filter(|n| !n.is_empty()),
        phase: pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_else(|| "Pending".into()),
        ready: (saturate(columns.ready.0), saturate(columns.ready.1)),
        restarts: u32::try_from(columns.restarts.max(0)).unwrap_or(u32::MAX),
        status: columns.status,
        requests: requests(pod),
        created: pod.metadata.creation_timestamp.as_ref().map_or(0, |t| t.0.as_second()),
        containers: pod
            .spec
            .as_ref()
            .map(|s| s.containers.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default(),
        uid: uid_hash(pod.metadata.uid.as_deref().unwrap_or_default()),
        daemon: pod.metadata.owner_references.iter().flatten().any(|o| o.kind == "DaemonSet"),
    }
}

/// The hash [`PodRow::uid`] holds for a uid.
pub fn uid_hash(uid: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    uid.hash(&mut h);
    h.finish()
}

/// One container of a pod as its detail shows it: state, why, exit code, restarts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerDetail {
    pub name: String,
    pub image: String,
    pub init: bool,
    pub ready: bool,
    pub restarts: i32,
    /// `Running`, `Waiting`, `Terminated` (or `Not started`).
    pub state: String,
    /// The reason the runtime gives (`CrashLoopBackOff`, `OOMKilled`, `Completed` …).
    pub reason: Option<String>,
    pub message: Option<String>,
    pub exit_code: Option<i32>,
    /// How the previous run ended, for a container that restarted.
    pub last_exit: Option<(i32, String)>,
}

/// What a pod's detail shows beyond its row, fetched when the pod is opened.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodDetail {
    pub containers: Vec<ContainerDetail>,
    /// The pod's events, newest first.
    pub events: Vec<super::event::EventRow>,
}

/// The containers of a pod (init containers first) with their current state.
pub fn container_details(pod: &Pod) -> Vec<ContainerDetail> {
    let spec = pod.spec.clone().unwrap_or_default();
    let status = pod.status.clone().unwrap_or_default();
    let mut out = Vec::new();
    let sets = [
        (true, spec.init_containers.unwrap_or_default(), status.init_container_statuses.unwrap_or_default()),
        (false, spec.containers, status.container_statuses.unwrap_or_default()),
    ];
    for (init, containers, statuses) in sets {
        for c in containers {
            let st = statuses.iter().find(|s| s.name == c.name);
            let state = st.and_then(|s| s.state.clone()).unwrap_or_default();
            let (word, reason, message, exit_code) = if state.running.is_some() {
                ("Running", None, None, None)
            } else if let Some(w) = &state.waiting {
                ("Waiting", w.reason.clone(), w.message.clone(), None)
            } else if let Some(t) = &state.terminated {
                ("Terminated", t.reason.clone(), t.message.clone(), Some(t.exit_code))
            } else {
                ("Not started", None, None, None)
            };
            let last_exit = st
                .and_then(|s| s.last_state.as_ref())
                .and_then(|l| l.terminated.as_ref())
                .map(|t| (t.exit_code, t.reason.clone().unwrap_or_default()));
            out.push(ContainerDetail {
                name: c.name.clone(),
                image: c.image.clone().unwrap_or_default(),
                init,
                ready: st.is_some_and(|s| s.ready),
                restarts: st.map_or(0, |s| s.restart_count),
                state: word.to_string(),
                reason,
                message,
                exit_code,
                last_exit,
            });
        }
    }
    out
}

pub fn health(row: &PodRow) -> Tone {
    match row.status.as_str() {
        "Running" if row.ready.0 == row.ready.1 => Tone::Ok,
        "Running" => Tone::Warn,
        "Succeeded" | "Completed" => Tone::Done,
        "Pending" | "ContainerCreating" | "PodInitializing" | "Terminating" => Tone::Pending,
        _ => Tone::Err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: serde_json::Value) -> Pod {
        serde_json::from_value(json).expect("pod fixture")
    }

    #[test]
    fn requests_count_limits_for_devices_and_the_largest_init_container() {
        let p = pod(serde_json::json!({"metadata": {"name": "p", "namespace": "ml"}, "spec": {
        "initContainers": [{"name": "i", "image": "x", "resources": {"requests": {"cpu": "4"}}}],
        "containers": [
            {"name": "a", "image": "x", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"nvidia.com/gpu": "2"}}},
            {"name": "b", "image": "x", "resources": {"requests": {"cpu": "1", "nvidia.com/mig-1g.5gb": "1"}}}
        ]}}));
        let r = requests(&p);
        assert_eq!(r.cpu, 4.0);
        assert_eq!(r.memory, 1073741824.0);
        assert_eq!(r.accelerator("nvidia.com/gpu"), 2.0);
        assert_eq!(r.accelerator("nvidia.com/mig-1g.5gb"), 1.0);
    }

    #[test]
    fn container_details_carry_exit_codes_and_last_runs() {
        let p = pod(serde_json::json!({"metadata": {"name": "c"}, "spec": {
            "initContainers": [{"name": "fetch", "image": "busybox"}],
            "containers": [{"name": "train", "image": "pytorch:2"}]},
            "status": {"phase": "Running",
                "initContainerStatuses": [{"name": "fetch", "image": "busybox", "imageID": "", "ready": true, "restartCount": 0,
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
                "containerStatuses": [{"name": "train", "image": "pytorch:2", "imageID": "", "ready": false, "restartCount": 3,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}},
                    "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}}));
        let d = container_details(&p);
        assert_eq!(d.len(), 2);
        assert!(d[0].init && d[0].exit_code == Some(0) && d[0].reason.as_deref() == Some("Completed"));
        assert_eq!((d[1].state.as_str(), d[1].restarts), ("Waiting", 3));
        assert_eq!(d[1].last_exit, Some((137, "OOMKilled".to_string())));
    }

    #[test]
    fn status_and_health_follow_kubectl() {
        let crashing = pod(
            serde_json::json!({"metadata": {"name": "c"}, "spec": {"nodeName": "n", "containers": [{"name": "a", "image": "x"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "a", "image": "x", "imageID": "", "ready": false, "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}),
        );
        let r = row(&crashing);
        assert_eq!((r.status.as_str(), r.ready, r.restarts), ("CrashLoopBackOff", (0, 1), 4));
        assert_eq!(health(&r), Tone::Err);
        assert!(r.occupies_node());
        let pending = row(&pod(serde_json::json!({"metadata": {"name": "p"}, "spec": {"containers": []}})));
        assert_eq!((pending.status.as_str(), health(&pending)), ("Pending", Tone::Pending));
        assert!(!pending.occupies_node());
    }
}
