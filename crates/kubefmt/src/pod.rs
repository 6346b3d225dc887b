//! The READY, STATUS and RESTARTS columns of `kubectl get pods`.
//!
//! kubectl does not compute these: the API server's table printer does (`printPod`), and kubectl prints what it
//! sends. The rules, in the printer's order:
//! 1. STATUS starts as the pod's `status.reason`, else its phase; a `PodScheduled` condition with reason
//!    `SchedulingGated` makes it `SchedulingGated`.
//! 2. Init containers are read in order. One that exited 0 is done; a started sidecar (an init container with
//!    `restartPolicy: Always`) is done and counts towards READY. The first other one decides: `Init:<reason>`,
//!    `Init:ExitCode:N` / `Init:Signal:N` when it ended without a reason, `Init:<waiting reason>` (except
//!    `PodInitializing`), else `Init:i/n`.
//! 3. Unless an init container decided (and the pod is not `Initialized`), the app containers are read last to
//!    first: a waiting reason, a terminated reason, `ExitCode:N` / `Signal:N`, or a ready running container.
//!    `Completed` with a container still running reads `Running` when the pod is `Ready`, else `NotReady`.
//! 4. A pod being deleted is `Terminating` unless its phase is terminal; a lost node's pod (`NodeLost`) being
//!    deleted is `Unknown`.

/// What the printer reads of a pod. Borrowed, so filling it costs no copies.
#[derive(Debug, Clone, Default)]
pub struct PodFacts<'a> {
    /// `status.phase`; empty when not set.
    pub phase: &'a str,
    /// `status.reason` (e.g. `Evicted`, `NodeLost`); empty when not set.
    pub reason: &'a str,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// How many containers `spec.containers` has.
    pub containers: usize,
    /// `spec.initContainers`, in order.
    pub init_containers: Vec<InitContainer<'a>>,
    /// `status.initContainerStatuses`, in order.
    pub init_statuses: Vec<ContainerFacts<'a>>,
    /// `status.containerStatuses`, in order.
    pub statuses: Vec<ContainerFacts<'a>>,
    /// `status.conditions`.
    pub conditions: Vec<Condition<'a>>,
}

/// An init container of the spec.
#[derive(Debug, Clone, Copy, Default)]
pub struct InitContainer<'a> {
    pub name: &'a str,
    /// `restartPolicy: Always`: a sidecar that keeps running beside the app containers.
    pub restartable: bool,
}

/// One container's status.
#[derive(Debug, Clone, Default)]
pub struct ContainerFacts<'a> {
    pub name: &'a str,
    pub ready: bool,
    /// `started`, when the kubelet reported it.
    pub started: Option<bool>,
    pub restart_count: i64,
    pub state: State<'a>,
    /// When the last run ended (`lastState.terminated.finishedAt`), in Unix seconds.
    pub last_finished: Option<i64>,
}

/// The current state of a container; exactly one is set by the kubelet, none before it reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum State<'a> {
    #[default]
    Unknown,
    Waiting {
        reason: &'a str,
    },
    Running,
    Terminated {
        reason: &'a str,
        exit_code: i32,
        signal: i32,
    },
}

/// A pod condition.
#[derive(Debug, Clone, Copy, Default)]
pub struct Condition<'a> {
    pub kind: &'a str,
    pub status: &'a str,
    pub reason: &'a str,
}

/// The three columns, as the printer computes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodColumns {
    /// READY: ready containers (sidecars included) of all containers.
    pub ready: (usize, usize),
    pub status: String,
    /// RESTARTS: the app containers' and sidecars' restarts (all init containers' while initialising).
    pub restarts: i64,
    /// When the newest of those restarts ended, in Unix seconds: the `(5m ago)` of the RESTARTS column.
    pub last_restart: Option<i64>,
}

impl PodColumns {
    /// The RESTARTS column: `4`, or `4 (5m ago)` when the time of the last restart is known.
    pub fn restarts_text(&self, now: i64) -> String {
        match self.last_restart {
            Some(at) if self.restarts != 0 => {
                format!("{} ({} ago)", self.restarts, crate::duration::human(now - at))
            }
            _ => self.restarts.to_string(),
        }
    }
}

/// The reason a lost node gives its pods (the node controller's `NodeLost`).
const NODE_UNREACHABLE: &str = "NodeLost";

/// Computes READY, STATUS and RESTARTS as the API server's table printer does.
pub fn columns(pod: &PodFacts<'_>) -> PodColumns {
    let mut reason = if pod.reason.is_empty() { pod.phase.to_string() } else { pod.reason.to_string() };
    if pod.conditions.iter().any(|c| c.kind == "PodScheduled" && c.reason == "SchedulingGated") {
        reason = "SchedulingGated".into();
    }
    let restartable = |name: &str| pod.init_containers.iter().any(|c| c.name == name && c.restartable);
    let total = pod.containers + pod.init_containers.iter().filter(|c| c.restartable).count();
    let mut ready = 0;
    let mut restarts = 0;
    let mut last_restart: Option<i64> = None;
    let mut sidecar_restarts = 0;
    let mut sidecar_last_restart: Option<i64> = None;

    let mut initializing = false;
    for (i, container) in pod.init_statuses.iter().enumerate() {
        restarts += container.restart_count;
        last_restart = last_restart.max(container.last_finished);
        let sidecar = restartable(container.name);
        if sidecar {
            sidecar_restarts += container.restart_count;
            sidecar_last_restart = sidecar_last_restart.max(container.last_finished);
        }
        match container.state {
            State::Terminated { exit_code: 0, .. } => continue,
            _ if sidecar && container.started == Some(true) => {
                if container.ready {
                    ready += 1;
                }
                continue;
            }
            State::Terminated { reason: r, exit_code, signal } => {
                reason = if !r.is_empty() {
                    format!("Init:{r}")
                } else if signal != 0 {
                    format!("Init:Signal:{signal}")
                } else {
                    format!("Init:ExitCode:{exit_code}")
                };
            }
            State::Waiting { reason: r } if !r.is_empty() && r != "PodInitializing" => reason = format!("Init:{r}"),
            _ => reason = format!("Init:{i}/{}", pod.init_containers.len()),
        }
        initializing = true;
        break;
    }

    let initialized = pod.conditions.iter().any(|c| c.kind == "Initialized" && c.status == "True");
    if !initializing || initialized {
        restarts = sidecar_restarts;
        last_restart = sidecar_last_restart;
        let mut has_running = false;
        for container in pod.statuses.iter().rev() {
            restarts += container.restart_count;
            last_restart = last_restart.max(container.last_finished);
            match container.state {
                State::Waiting { reason: r } if !r.is_empty() => reason = r.to_string(),
                State::Terminated { reason: r, .. } if !r.is_empty() => reason = r.to_string(),
                State::Terminated { signal, .. } if signal != 0 => reason = format!("Signal:{signal}"),
                State::Terminated { exit_code, .. } => reason = format!("ExitCode:{exit_code}"),
                State::Running if container.ready => {
                    has_running = true;
                    ready += 1;
                }
                _ => {}
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = pod.conditions.iter().any(|c| c.kind == "Ready" && c.status == "True");
            reason = if pod_ready { "Running" } else { "NotReady" }.into();
        }
    }

    if pod.deleting && pod.reason == NODE_UNREACHABLE {
        reason = "Unknown".into();
    } else if pod.deleting && !matches!(pod.phase, "Succeeded" | "Failed") {
        reason = "Terminating".into();
    }
    PodColumns { ready: (ready, total), status: reason, restarts, last_restart }
}
