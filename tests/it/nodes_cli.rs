use std::process::Command;
use std::time::{Duration, Instant};

use bosun::cli::nodes::ledger_for;
use bosun::state::LaunchOptions;

use crate::util::{Sim, start_sim};

fn demo() -> Sim {
    start_sim(kubesim::Fleet::Demo)
}

#[test]
fn ledger_counts_devices_requests_and_missing_plugins() {
    let sim = demo();
    let launch = LaunchOptions { kubeconfig: Some(sim.server.kubeconfig_path().to_path_buf()), ..Default::default() };
    // The demo's AMD evaluation pod is scheduled a moment after start.
    let deadline = Instant::now() + Duration::from_secs(30);
    let rows = loop {
        let rows = sim.runtime.block_on(ledger_for(&launch, Duration::from_secs(20))).expect("ledger");
        let amd = rows
            .iter()
            .find(|r| r.node.name == "gpu-mi300x-1")
            .and_then(|r| r.accelerators.get("amd.com/gpu").copied());
        if amd.is_some_and(|u| u.requested == 2.0) {
            break rows;
        }
        assert!(Instant::now() < deadline, "the AMD pod never counted: {amd:?}");
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(rows.len(), 11);
    let amd = &rows.iter().find(|r| r.node.name == "gpu-mi300x-1").expect("amd node").accelerators["amd.com/gpu"];
    assert_eq!((amd.allocatable, amd.requested, amd.free()), (8.0, 2.0, 6.0));
    let h100 = rows.iter().find(|r| r.node.name == "gpu-h100-1").expect("h100 node");
    assert!(h100.accelerators.is_empty(), "no NVIDIA plugin in the demo yet");
    assert!(h100.node.hint.as_deref().is_some_and(|h| h.contains("no NVIDIA device plugin")));
}

#[test]
fn bosun_nodes_prints_the_ledger_and_explains_failures() {
    let sim = demo();
    let out = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["--kubeconfig", &sim.server.kubeconfig_path().display().to_string(), "nodes"])
        .output()
        .expect("bosun runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.starts_with("NODE") && text.contains("ACCELERATORS"), "{text}");
    assert!(
        text.contains("gpu-h100-1") && text.contains("NVIDIA-H100-80GB-HBM3") && text.contains("none advertised"),
        "{text}"
    );

    // As kubectl users type it: the global flags after the subcommand. A 403 is final: no waiting out --timeout.
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args([
            "nodes",
            "--kubeconfig",
            &sim.server.kubeconfig_path().display().to_string(),
            "--context",
            "kubesim-viewer",
        ])
        .output()
        .expect("bosun runs");
    assert!(started.elapsed() < Duration::from_secs(20), "a 403 took {:?} to report", started.elapsed());
    assert_eq!(out.status.code(), Some(4), "forbidden exits 4");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "could not list nodes: nodes is forbidden: User \"kubesim-viewer\" cannot list resource \"nodes\""
        ),
        "{err}"
    );
    // Quiet by default: one clear line, no library retries, no colour codes into a pipe.
    assert!(!err.contains("WARN") && !err.contains('\u{1b}'), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn a_context_whose_user_is_missing_is_named_at_once() {
    let sim = demo();
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    let mut v: serde_json::Value = serde_json::from_str(sim.server.kubeconfig_yaml()).expect("JSON kubeconfig");
    v["contexts"][0]["context"]["user"] = "nobody".into();
    std::fs::write(&kubeconfig, v.to_string()).expect("write");
    let context = v["contexts"][0]["name"].as_str().expect("context name").to_string();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["nodes", "--kubeconfig", &kubeconfig.display().to_string(), "--context", &context])
        .output()
        .expect("bosun runs");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("context {context} names user nobody, which the kubeconfig does not have (it has: ")),
        "{err}"
    );
}
