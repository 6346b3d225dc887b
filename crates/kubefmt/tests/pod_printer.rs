//! The pod columns against the cases of the API server's own pod printer tests (`printers_test.go`, `TestPrintPod*`)
//! and the statuses users see every day. Each case states the pod and the exact READY, STATUS and RESTARTS strings.

use kubefmt::pod::{Condition, ContainerFacts, InitContainer, PodFacts, State, columns};

fn running(ready: bool, restarts: i64) -> ContainerFacts<'static> {
    ContainerFacts { name: "app", ready, restart_count: restarts, state: State::Running, ..Default::default() }
}

fn waiting(reason: &'static str, restarts: i64) -> ContainerFacts<'static> {
    ContainerFacts { name: "app", restart_count: restarts, state: State::Waiting { reason }, ..Default::default() }
}

fn terminated(reason: &'static str, exit_code: i32, signal: i32) -> ContainerFacts<'static> {
    ContainerFacts { name: "app", state: State::Terminated { reason, exit_code, signal }, ..Default::default() }
}

fn named(name: &'static str, c: ContainerFacts<'static>) -> ContainerFacts<'static> {
    ContainerFacts { name, ..c }
}

fn cond(kind: &'static str, status: &'static str, reason: &'static str) -> Condition<'static> {
    Condition { kind, status, reason }
}

fn pod(phase: &'static str, statuses: Vec<ContainerFacts<'static>>) -> PodFacts<'static> {
    PodFacts { phase, containers: statuses.len().max(1), statuses, ..Default::default() }
}

/// A pod with init containers `fetch` and `migrate` (plain), in the given states, and one app container waiting.
fn with_inits(states: Vec<ContainerFacts<'static>>) -> PodFacts<'static> {
    let names = ["fetch", "migrate"];
    PodFacts {
        phase: "Pending",
        containers: 1,
        init_containers: names.iter().map(|&name| InitContainer { name, restartable: false }).collect(),
        init_statuses: states.into_iter().zip(names).map(|(c, n)| named(n, c)).collect(),
        statuses: vec![waiting("PodInitializing", 0)],
        ..Default::default()
    }
}

#[test]
fn pod_columns_match_the_api_servers_printer() {
    let cases: Vec<(&str, PodFacts<'static>, &str, &str, i64)> = vec![
        // TestPrintPod: the phase shows while containers give no reason; restarts add up; ready counts.
        (
            "phase, one of two ready",
            pod("podPhase", vec![running(true, 3), ContainerFacts { restart_count: 3, ..Default::default() }]),
            "1/2",
            "podPhase",
            6,
        ),
        (
            "terminated reason wins",
            pod(
                "podPhase",
                vec![
                    running(true, 3),
                    ContainerFacts { restart_count: 3, ..terminated("ContainerTerminatedReason", 1, 0) },
                ],
            ),
            "1/2",
            "ContainerTerminatedReason",
            6,
        ),
        (
            "waiting reason wins",
            pod("podPhase", vec![running(true, 3), waiting("ContainerWaitingReason", 3)]),
            "1/2",
            "ContainerWaitingReason",
            6,
        ),
        (
            "pod reason wins over phase",
            PodFacts { reason: "podReason", ..pod("podPhase", vec![running(true, 3), running(true, 3)]) },
            "2/2",
            "podReason",
            6,
        ),
        // TestPrintPodwithReadiness / "Completed" with a container still running.
        (
            "completed but one still running, pod ready",
            PodFacts {
                conditions: vec![cond("Ready", "True", "")],
                ..pod("Running", vec![running(true, 0), terminated("Completed", 0, 0)])
            },
            "1/2",
            "Running",
            0,
        ),
        (
            "completed but one still running, pod not ready",
            PodFacts {
                conditions: vec![cond("Ready", "False", "")],
                ..pod("Running", vec![running(true, 0), terminated("Completed", 0, 0)])
            },
            "1/2",
            "NotReady",
            0,
        ),
        ("exit code without reason", pod("Failed", vec![terminated("", 1, 0)]), "0/1", "ExitCode:1", 0),
        ("signal without reason", pod("Failed", vec![terminated("", 137, 9)]), "0/1", "Signal:9", 0),
        ("finished job", pod("Succeeded", vec![terminated("Completed", 0, 0)]), "0/1", "Completed", 0),
        (
            "OOM",
            pod("Running", vec![ContainerFacts { restart_count: 2, ..terminated("OOMKilled", 137, 0) }]),
            "0/1",
            "OOMKilled",
            2,
        ),
        ("starting", pod("Pending", vec![waiting("ContainerCreating", 0)]), "0/1", "ContainerCreating", 0),
        ("image pull back-off", pod("Pending", vec![waiting("ImagePullBackOff", 0)]), "0/1", "ImagePullBackOff", 0),
        ("crash loop", pod("Running", vec![waiting("CrashLoopBackOff", 7)]), "0/1", "CrashLoopBackOff", 7),
        ("unscheduled", PodFacts { phase: "Pending", containers: 1, ..Default::default() }, "0/1", "Pending", 0),
        (
            "evicted",
            PodFacts { phase: "Failed", reason: "Evicted", containers: 1, ..Default::default() },
            "0/1",
            "Evicted",
            0,
        ),
        // TestPrintPodWithSchedulingGates.
        (
            "scheduling gated",
            PodFacts {
                phase: "Pending",
                containers: 1,
                conditions: vec![cond("PodScheduled", "False", "SchedulingGated")],
                ..Default::default()
            },
            "0/1",
            "SchedulingGated",
            0,
        ),
        // Deletion: Terminating, unless terminal; a lost node's pod is Unknown.
        ("deleting", PodFacts { deleting: true, ..pod("Running", vec![running(true, 0)]) }, "1/1", "Terminating", 0),
        (
            "deleting a finished pod",
            PodFacts { deleting: true, ..pod("Succeeded", vec![terminated("Completed", 0, 0)]) },
            "0/1",
            "Completed",
            0,
        ),
        (
            "deleting on a lost node",
            PodFacts { deleting: true, reason: "NodeLost", ..pod("Running", vec![running(true, 0)]) },
            "1/1",
            "Unknown",
            0,
        ),
        // Init containers (TestPrintPod "test4"-style and the documented Init:N/M).
        (
            "first init running",
            with_inits(vec![running(false, 0), waiting("PodInitializing", 0)]),
            "0/1",
            "Init:0/2",
            0,
        ),
        (
            "second init running",
            with_inits(vec![terminated("Completed", 0, 0), running(false, 0)]),
            "0/1",
            "Init:1/2",
            0,
        ),
        ("init waiting with no reason yet", with_inits(vec![waiting("", 0)]), "0/1", "Init:0/2", 0),
        ("init failed", with_inits(vec![terminated("Error", 1, 0)]), "0/1", "Init:Error", 0),
        ("init exit code", with_inits(vec![terminated("", 2, 0)]), "0/1", "Init:ExitCode:2", 0),
        ("init signal", with_inits(vec![terminated("", 137, 9)]), "0/1", "Init:Signal:9", 0),
        ("init crash loop", with_inits(vec![waiting("CrashLoopBackOff", 4)]), "0/1", "Init:CrashLoopBackOff", 4),
        (
            "inits done, app initialising",
            with_inits(vec![terminated("Completed", 0, 0), terminated("Completed", 0, 0)]),
            "0/1",
            "PodInitializing",
            0,
        ),
        // Native sidecars (restartable init containers) count towards READY and do not hold the pod in Init.
        (
            "started sidecar",
            PodFacts {
                phase: "Running",
                containers: 1,
                init_containers: vec![InitContainer { name: "proxy", restartable: true }],
                init_statuses: vec![ContainerFacts { started: Some(true), ..named("proxy", running(true, 2)) }],
                statuses: vec![running(true, 1)],
                conditions: vec![cond("Ready", "True", ""), cond("Initialized", "True", "")],
                ..Default::default()
            },
            "2/2",
            "Running",
            3,
        ),
        (
            "sidecar not started yet",
            PodFacts {
                phase: "Pending",
                containers: 1,
                init_containers: vec![InitContainer { name: "proxy", restartable: true }],
                init_statuses: vec![ContainerFacts { started: Some(false), ..named("proxy", running(false, 0)) }],
                statuses: vec![waiting("PodInitializing", 0)],
                ..Default::default()
            },
            "0/2",
            "Init:0/1",
            0,
        ),
    ];
    let mut failures = Vec::new();
    for (name, pod, ready, status, restarts) in cases {
        let got = columns(&pod);
        let got_ready = format!("{}/{}", got.ready.0, got.ready.1);
        if (got_ready.as_str(), got.status.as_str(), got.restarts) != (ready, status, restarts) {
            failures.push(format!(
                "{name}: want {ready} {status} {restarts}, got {got_ready} {} {}",
                got.status, got.restarts
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn restarts_say_when_the_last_one_was() {
    let mut c = running(true, 4);
    c.last_finished = Some(1_000);
    let columns = columns(&pod("Running", vec![c]));
    assert_eq!(columns.restarts_text(1_000 + 300), "4 (5m ago)");
    assert_eq!(kubefmt::pod::columns(&pod("Running", vec![running(true, 0)])).restarts_text(0), "0");
}
