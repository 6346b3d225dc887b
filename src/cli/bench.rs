//! Benchmarks against kubectl in the same run, with kubesim in its own process so no figure includes the server.
//!
//! - `bosun bench sync`: how fast and how small Bosun's live state is on a big cluster (scale fleet).
//! - `bosun bench install`: the ML stack to all-ready, `bosun install` against `kubectl apply -f <rendered> -R`
//!   followed by `kubectl wait` for the same readiness, each on a fresh demo cluster.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::cluster::cache::{self, ClusterCache};
use crate::cluster::connect;
use crate::cluster::kubeconfig::KubeconfigSources;

/// Peak resident memory (VmHWM) of a process in MiB, from /proc.
fn peak_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse::<f64>().ok().map(|kb| kb / 1024.0)
}

/// Waits for a child, sampling its peak memory; returns (seconds, peak MiB, success).
fn measure(mut child: Child) -> anyhow::Result<(f64, f64, bool)> {
    let started = Instant::now();
    let pid = child.id();
    let mut peak: f64 = 0.0;
    loop {
        if let Some(p) = peak_mib(pid) {
            peak = peak.max(p);
        }
        if let Some(status) = child.try_wait()? {
            return Ok((started.elapsed().as_secs_f64(), peak, status.success()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn kubesim_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("KUBESIM_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    let sibling = exe.with_file_name("kubesim");
    if sibling.exists() {
        return Ok(sibling);
    }
    bail!(
        "kubesim binary not found next to {}: build it with `cargo build --release -p kubesim` (or set KUBESIM_BIN)",
        exe.display()
    )
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the kubesim binary with these fleet arguments, writing its kubeconfig into `dir`.
fn spawn_kubesim(fleet: &[&str], dir: &Path) -> anyhow::Result<(KillOnDrop, PathBuf)> {
    let kubeconfig = dir.join("kubeconfig");
    let child = Command::new(kubesim_binary()?)
        .args(fleet)
        .arg("--kubeconfig-out")
        .arg(&kubeconfig)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting kubesim")?;
    Ok((KillOnDrop(child), kubeconfig))
}

/// Starts kubesim's scale fleet and waits until it has settled (the device-plugin DaemonSet is ready).
fn start_server(nodes: usize, pods: usize, dir: &Path) -> anyhow::Result<(KillOnDrop, PathBuf)> {
    let (nodes, pods) = (nodes.to_string(), pods.to_string());
    let (guard, kubeconfig) = spawn_kubesim(&["--fleet", "scale", "--nodes", &nodes, "--pods", &pods], dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let deadline = Instant::now() + Duration::from_secs(600);
    runtime.block_on(async {
        loop {
            anyhow::ensure!(Instant::now() < deadline, "kubesim did not settle within 10 minutes");
            if kubeconfig.exists()
                && let Ok(kc) = kube::config::Kubeconfig::read_from(&kubeconfig)
                && let Ok(config) = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await
                && let Ok(client) = kube::Client::try_from(config)
            {
                let api: kube::Api<k8s_openapi::api::apps::v1::DaemonSet> =
                    kube::Api::namespaced(client, "kube-system");
                if let Ok(ds) = api.get("nvidia-device-plugin").await {
                    let status = ds.status.unwrap_or_default();
                    if status.desired_number_scheduled > 0 && status.number_ready == status.desired_number_scheduled {
                        return Ok(());
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })?;
    Ok((guard, kubeconfig))
}

/// The benchmark driver.
pub fn sync(nodes: usize, pods: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    eprintln!("starting kubesim with {nodes} nodes and {pods} pods…");
    let (_server, kubeconfig) = start_server(nodes, pods, dir.path())?;
    eprintln!("kubesim settled; measuring Bosun's state layer…");
    let exe = std::env::current_exe()?;
    let bosun = Command::new(&exe)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["bench", "sync-client"])
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the Bosun client")?;
    let (bosun_s, bosun_mib, ok) = measure(bosun)?;
    anyhow::ensure!(ok, "the Bosun client failed");
    eprintln!("measuring kubectl get pods -A -o json + kubectl get nodes -o json…");
    let kubectl = std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let cache = dir.path().join("kubectl-cache");
    let mut kubectl_s = 0.0;
    let mut kubectl_mib: f64 = 0.0;
    for kind in ["pods", "nodes"] {
        let mut cmd = Command::new(&kubectl);
        cmd.env("KUBECONFIG", &kubeconfig).arg("--cache-dir").arg(&cache).args(["get", kind, "-o", "json"]);
        if kind == "pods" {
            cmd.arg("-A");
        }
        let child =
            cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().with_context(|| format!("running {kubectl}"))?;
        let (s, mib, ok) = measure(child)?;
        anyhow::ensure!(ok, "kubectl get {kind} failed");
        kubectl_s += s;
        kubectl_mib = kubectl_mib.max(mib);
    }
    println!(
        "sync: bosun {bosun_s:.2} s {bosun_mib:.0} MiB; kubectl {kubectl_s:.2} s {kubectl_mib:.0} MiB; time ratio {:.3}; memory ratio {:.3}",
        bosun_s / kubectl_s,
        bosun_mib / kubectl_mib
    );
    Ok(())
}

/// The measured side: connect, sync nodes and pods into the cache, report.
pub fn sync_client(kubeconfig: Option<PathBuf>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let sources = KubeconfigSources { explicit: kubeconfig, extra: Vec::new() };
        let kc = sources.merged()?;
        let context = kc.current_context.clone().context("no current context")?;
        let (client, _) = connect::connect(kc, &context).await?;
        let cache = Arc::new(ClusterCache::default());
        let _watchers = cache::spawn(client, cache.clone());
        while !cache.is_synced() {
            let changed = cache.changed.notified();
            if cache.is_synced() {
                break;
            }
            let _ = tokio::time::timeout(Duration::from_millis(100), changed).await;
        }
        println!("synced {} nodes and {} pods", cache.nodes.len(), cache.pods.len());
        Ok(())
    })
}

/// Starts a fresh demo fleet and waits until its API answers.
fn start_demo(dir: &Path) -> anyhow::Result<(KillOnDrop, PathBuf)> {
    let (guard, kubeconfig) = spawn_kubesim(&["--fleet", "demo"], dir)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let kubectl = std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into());
    loop {
        anyhow::ensure!(Instant::now() < deadline, "kubesim did not start within a minute");
        if kubeconfig.exists() {
            let ready = Command::new(&kubectl)
                .env("KUBECONFIG", &kubeconfig)
                .args(["get", "--raw", "/readyz"])
                .output()
                .is_ok_and(|o| o.status.success());
            if ready {
                return Ok((guard, kubeconfig));
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn timed(mut cmd: Command) -> anyhow::Result<f64> {
    let started = Instant::now();
    let out = cmd.output().context("running a benchmark command")?;
    anyhow::ensure!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(started.elapsed().as_secs_f64())
}

/// `bosun install` vs `kubectl apply -R` + `kubectl wait`, to the same readiness, on fresh demo clusters.
pub fn install() -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let kubectl = std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let dir = tempfile::tempdir()?;

    let bosun_dir = dir.path().join("bosun");
    std::fs::create_dir_all(&bosun_dir)?;
    let (_server, kubeconfig) = start_demo(&bosun_dir)?;
    eprintln!("measuring bosun install…");
    let mut cmd = Command::new(&exe);
    cmd.arg("--kubeconfig").arg(&kubeconfig).args(["install", "--yes", "--timeout", "5m"]);
    let bosun_s = timed(cmd)?;
    drop(_server);

    let kubectl_dir = dir.path().join("kubectl");
    let rendered = dir.path().join("rendered");
    std::fs::create_dir_all(&kubectl_dir)?;
    let mut render = Command::new(&exe);
    render.args(["render", "--out"]).arg(&rendered);
    timed(render)?;
    let (_server, kubeconfig) = start_demo(&kubectl_dir)?;
    eprintln!("measuring kubectl apply -R + kubectl wait…");
    let run = |args: &[&str]| {
        let mut cmd = Command::new(&kubectl);
        cmd.env("KUBECONFIG", &kubeconfig).args(args);
        timed(cmd)
    };
    let rendered = rendered.display().to_string();
    let kubectl_s = run(&["apply", "-f", &rendered, "-R"])?
        + run(&[
            "wait",
            "--for=condition=Established",
            "crd",
            "-l",
            "app.kubernetes.io/part-of=bosun-stack",
            "--timeout=5m",
        ])?
        + run(&["wait", "--for=condition=Available", "deployment", "--all", "-n", "kubeflow", "--timeout=5m"])?
        + run(&["rollout", "status", "daemonset/nvidia-device-plugin", "-n", "kubeflow", "--timeout=5m"])?;
    println!("install: bosun {bosun_s:.2} s; kubectl {kubectl_s:.2} s; time ratio {:.3}", bosun_s / kubectl_s);
    Ok(())
}
