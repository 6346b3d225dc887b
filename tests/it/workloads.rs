use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use bosun::cluster::cache::{self, ClusterCache};
use bosun::resources::workload::WorkloadKind;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sim/tests/fixtures").join(name)
}

fn kubectl(kubeconfig: &Path, args: &[&str]) -> String {
    let out = Command::new("kubectl").arg("--kubeconfig").arg(kubeconfig).args(args).output().expect("kubectl runs");
    assert!(out.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn client(kubeconfig: &Path, context: &str) -> kube::Client {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
    let options = kube::config::KubeConfigOptions { context: Some(context.into()), ..Default::default() };
    let config = kube::Config::from_custom_kubeconfig(kc, &options).await.expect("config");
    kube::Client::try_from(config).expect("client")
}

async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn demo(runtime: &tokio::runtime::Runtime) -> kubesim::ServerHandle {
    let config = kubesim::Config { time_scale: 10.0, ..Default::default() };
    runtime.block_on(kubesim::start(config)).expect("kubesim starts")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

/// Installing the training operator after Bosun connected makes TFJobs appear without reconnecting; deleting the
/// CRD makes them go.
#[test]
fn ml_kinds_follow_their_crds_while_connected() {
    let runtime = runtime();
    let server = demo(&runtime);
    let kubeconfig = server.kubeconfig_path().to_path_buf();
    runtime.block_on(async {
        let cache = Arc::new(ClusterCache::default());
        let watchers = cache::spawn(client(&kubeconfig, "kubesim-admin").await, cache.clone());
        eventually("synced", || cache.is_synced() && cache.workloads_of(WorkloadKind::DaemonSet).is_synced()).await;
        assert!(!cache.serves(WorkloadKind::TFJob), "no training operator yet");
        let daemonsets = cache.workloads_of(WorkloadKind::DaemonSet).rows_unsorted();
        assert!(!daemonsets.is_empty(), "the demo runs device-plugin DaemonSets");

        kubectl(&kubeconfig, &["apply", "-f", &fixture("training-operator.yaml").to_string_lossy()]);
        eventually("TFJobs are watched", || cache.serves(WorkloadKind::TFJob)).await;
        eventually("the operator Deployment is available", || {
            cache
                .workloads_of(WorkloadKind::Deployment)
                .rows_unsorted()
                .iter()
                .any(|d| d.name == "training-operator" && d.state == "Available")
        })
        .await;
        kubectl(&kubeconfig, &["apply", "-f", &fixture("tfjob.yaml").to_string_lossy()]);
        eventually("the TFJob shows up running or done, with its replicas", || {
            cache.workloads_of(WorkloadKind::TFJob).rows_unsorted().iter().any(|j| {
                j.name == "mnist" && matches!(j.state.as_str(), "Running" | "Succeeded") && j.ready.ends_with("/2")
            })
        })
        .await;

        kubectl(&kubeconfig, &["delete", "crd", "tfjobs.kubeflow.org"]);
        eventually("TFJobs are forgotten", || {
            !cache.serves(WorkloadKind::TFJob) && cache.workloads_of(WorkloadKind::TFJob).is_empty()
        })
        .await;
        assert!(cache.serves(WorkloadKind::PyTorchJob), "the other CRD stays");
        for w in watchers {
            w.abort();
        }
    });
}

/// A user who may not list CRDs still sees the ML kinds: discovery tells which exist.
#[test]
fn ml_kinds_are_found_through_discovery_when_crds_may_not_be_read() {
    let runtime = runtime();
    let server = demo(&runtime);
    let kubeconfig = server.kubeconfig_path().to_path_buf();
    kubectl(&kubeconfig, &["apply", "-f", &fixture("training-operator.yaml").to_string_lossy()]);
    kubectl(&kubeconfig, &["wait", "--for=condition=Established", "crd/tfjobs.kubeflow.org", "--timeout=30s"]);
    // Take the CRD rule away from the restricted user.
    let role = kubectl(&kubeconfig, &["get", "clusterrole", "kubesim-viewer", "-o", "json"]);
    let mut role: serde_json::Value = serde_json::from_str(&role).expect("role json");
    let rules = role["rules"].as_array_mut().expect("rules");
    rules.retain(|r| r["apiGroups"][0] != "apiextensions.k8s.io");
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), role.to_string()).expect("write role");
    kubectl(&kubeconfig, &["replace", "-f", &file.path().to_string_lossy()]);
    let denied = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["--context", "kubesim-viewer", "auth", "can-i", "list", "customresourcedefinitions"])
        .output()
        .expect("kubectl runs");
    assert_eq!(String::from_utf8_lossy(&denied.stdout).trim(), "no");

    runtime.block_on(async {
        let cache = Arc::new(ClusterCache::default());
        let watchers = cache::spawn(client(&kubeconfig, "kubesim-viewer").await, cache.clone());
        eventually("TFJobs are watched", || {
            cache.serves(WorkloadKind::TFJob) && cache.serves(WorkloadKind::PyTorchJob)
        })
        .await;
        eventually("the TFJob list synced", || cache.workloads_of(WorkloadKind::TFJob).is_synced()).await;
        assert!(!cache.serves(WorkloadKind::Notebook));
        for w in watchers {
            w.abort();
        }
    });
}
