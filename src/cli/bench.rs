//! Benchmarks against kubectl in the same run. kubesim runs in its own process, so memory figures are the
//! client's alone; times run from start to done and so include the server's work of answering.
//!
//! - `bosun bench sync`: how fast and how small Bosun's live state is on a big cluster (scale fleet), checked to
//!   have synced every node and pod, three runs a side, the final line from the medians.
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
use crate::state::cluster_view::{self, PodQuery, PodSort};

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

/// Runs `cmd` with its output captured, sampling its peak memory; (seconds, peak MiB, stdout), or its error output
/// when it fails.
pub(super) fn measure_output(mut cmd: Command) -> anyhow::Result<(f64, f64, String)> {
    let mut child =
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().with_context(|| format!("starting {cmd:?}"))?;
    let stdout = child.stdout.take().context("the child's output")?;
    let stderr = child.stderr.take().context("the child's error output")?;
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let (seconds, mib, ok) = measure(child)?;
    let (out, err) = (out.join().unwrap_or_default(), err.join().unwrap_or_default());
    anyhow::ensure!(ok, "{cmd:?} failed: {err}");
    Ok((seconds, mib, out))
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

pub(super) struct KillOnDrop(Child);

impl KillOnDrop {
    pub(super) fn new(child: Child) -> Self {
        Self(child)
    }
}

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

/// How many times each side runs; the final line is from the medians.
const RUNS: usize = 3;

/// One run of one side: seconds to fully synced and peak resident memory.
#[derive(Debug, Clone, Copy)]
struct Sample {
    seconds: f64,
    mib: f64,
}

/// The smallest and the middle value of a figure over the runs.
pub(super) fn min_and_median(values: &[f64]) -> (f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    (sorted.first().copied().unwrap_or(f64::NAN), sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN))
}

/// What the server holds: nodes and pods counted by a one-item list's `remainingItemCount`, so the benchmark can
/// check that each client really synced all of it.
fn server_counts(kubeconfig: &Path) -> anyhow::Result<(usize, usize)> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let kc = kube::config::Kubeconfig::read_from(kubeconfig)?;
        let client = kube::Client::try_from(kube::Config::from_custom_kubeconfig(kc, &Default::default()).await?)?;
        let one = kube::api::ListParams::default().limit(1);
        let count = |meta: kube::api::ListMeta, items: usize| {
            items + meta.remaining_item_count.and_then(|r| usize::try_from(r).ok()).unwrap_or(0)
        };
        let nodes = kube::Api::<k8s_openapi::api::core::v1::Node>::all(client.clone()).list(&one).await?;
        let pods = kube::Api::<k8s_openapi::api::core::v1::Pod>::all(client).list(&one).await?;
        Ok((count(nodes.metadata, nodes.items.len()), count(pods.metadata, pods.items.len())))
    })
}

/// Runs the measured Bosun client once and checks it synced everything the server holds.
fn run_bosun(kubeconfig: &Path, expected: (usize, usize)) -> anyhow::Result<Sample> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["bench", "sync-client"])
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the Bosun client")?;
    let stdout = child.stdout.take().context("the Bosun client's output")?;
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let (seconds, mib, ok) = measure(child)?;
    let report = reader.join().unwrap_or_default();
    anyhow::ensure!(ok, "the Bosun client failed: {report}");
    let synced = parse_synced(&report).with_context(|| format!("the Bosun client reported no counts: {report}"))?;
    anyhow::ensure!(
        synced == expected,
        "the Bosun client synced {} nodes and {} pods, but the server has {} and {}",
        synced.0,
        synced.1,
        expected.0,
        expected.1
    );
    Ok(Sample { seconds, mib })
}

/// Reads `synced N nodes and M pods` from the client's report.
fn parse_synced(report: &str) -> Option<(usize, usize)> {
    let line = report.lines().find(|l| l.starts_with("synced "))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    Some((words.get(1)?.parse().ok()?, words.get(4)?.parse().ok()?))
}

/// Runs `kubectl get pods -A -o json` and `kubectl get nodes -o json`, checking that they returned everything.
fn run_kubectl(kubeconfig: &Path, cache: &Path, expected: (usize, usize)) -> anyhow::Result<Sample> {
    let kubectl = std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let mut sample = Sample { seconds: 0.0, mib: 0.0 };
    for (kind, want) in [("pods", expected.1), ("nodes", expected.0)] {
        let out = tempfile::NamedTempFile::new()?;
        let mut cmd = Command::new(&kubectl);
        cmd.env("KUBECONFIG", kubeconfig).arg("--cache-dir").arg(cache).args(["get", kind, "-o", "json"]);
        if kind == "pods" {
            cmd.arg("-A");
        }
        let child =
            cmd.stdout(out.reopen()?).stderr(Stdio::null()).spawn().with_context(|| format!("running {kubectl}"))?;
        let (seconds, mib, ok) = measure(child)?;
        anyhow::ensure!(ok, "kubectl get {kind} failed");
        let list: serde_json::Value = serde_json::from_reader(std::io::BufReader::new(out.reopen()?))
            .with_context(|| format!("kubectl get {kind} printed no JSON list"))?;
        let got = list.get("items").and_then(serde_json::Value::as_array).map_or(0, Vec::len);
        anyhow::ensure!(got == want, "kubectl got {got} {kind}, but the server has {want}");
        sample.seconds += seconds;
        sample.mib = sample.mib.max(mib);
    }
    Ok(sample)
}

/// The benchmark driver: both clients, [`RUNS`] times each against the same settled server.
pub fn sync(nodes: usize, pods: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    eprintln!("starting kubesim with {nodes} nodes and {pods} pods…");
    let (_server, kubeconfig) = start_server(nodes, pods, dir.path())?;
    let expected = server_counts(&kubeconfig)?;
    anyhow::ensure!(
        expected.0 == nodes && expected.1 >= pods,
        "kubesim holds {} nodes and {} pods, not the {nodes} and {pods} asked for",
        expected.0,
        expected.1
    );
    eprintln!("kubesim settled with {} nodes and {} pods", expected.0, expected.1);
    let cache = dir.path().join("kubectl-cache");
    let (mut bosun, mut kubectl) = (Vec::new(), Vec::new());
    for run in 1..=RUNS {
        let b = run_bosun(&kubeconfig, expected)?;
        let k = run_kubectl(&kubeconfig, &cache, expected)?;
        eprintln!(
            "run {run}/{RUNS}: bosun {:.2} s {:.0} MiB; kubectl {:.2} s {:.0} MiB",
            b.seconds, b.mib, k.seconds, k.mib
        );
        bosun.push(b);
        kubectl.push(k);
    }
    let figure = |samples: &[Sample], f: fn(&Sample) -> f64| min_and_median(&samples.iter().map(f).collect::<Vec<_>>());
    let (bosun_s, bosun_mib) = (figure(&bosun, |s| s.seconds), figure(&bosun, |s| s.mib));
    let (kubectl_s, kubectl_mib) = (figure(&kubectl, |s| s.seconds), figure(&kubectl, |s| s.mib));
    for (label, pick) in [("min", 0usize), ("median", 1)] {
        let at = |pair: (f64, f64)| if pick == 0 { pair.0 } else { pair.1 };
        eprintln!(
            "{label} of {RUNS}: bosun {:.2} s {:.0} MiB; kubectl {:.2} s {:.0} MiB",
            at(bosun_s),
            at(bosun_mib),
            at(kubectl_s),
            at(kubectl_mib)
        );
    }
    println!(
        "sync: bosun {:.2} s {:.0} MiB; kubectl {:.2} s {:.0} MiB; time ratio {:.3}; memory ratio {:.3}",
        bosun_s.1,
        bosun_mib.1,
        kubectl_s.1,
        kubectl_mib.1,
        bosun_s.1 / kubectl_s.1,
        bosun_mib.1 / kubectl_mib.1
    );
    Ok(())
}

/// The measured side: connect, sync every list into the cache, and derive what the window shows — the snapshot
/// (ledger, totals, allocation by namespace, workloads) and a filtered, sorted pod page — then report the counts.
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
        // As the Pods screen asks once a person types a filter and sorts by status.
        let query = PodQuery { text: "svc-1".into(), sort: PodSort::Status, ..Default::default() };
        let snapshot = cluster_view::snapshot(&cache, &query);
        println!("synced {} nodes and {} pods", snapshot.ledger.len(), snapshot.pod_count);
        println!("page of {} pods, {} workloads", snapshot.pods.rows.len(), snapshot.workloads.len());
        Ok(())
    })
}

/// Starts a fresh demo fleet and waits until its API answers.
pub(super) fn start_demo(dir: &Path) -> anyhow::Result<(KillOnDrop, PathBuf)> {
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

pub(super) fn timed(mut cmd: Command) -> anyhow::Result<f64> {
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

/// User + system CPU seconds from a `/proc/.../stat` line (the fields after the command name, which may hold
/// spaces, start after the last ')').
fn stat_cpu_seconds(stat: &str) -> Option<f64> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some((fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?) / 100.0)
}

/// CPU time this process has used, in seconds.
fn cpu_seconds() -> Option<f64> {
    stat_cpu_seconds(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

fn log_record(pod: usize, seq: i64) -> crate::store::Record {
    crate::store::Record::Log(crate::store::LogLine {
        pod_uid: format!("pod-{pod:03}"),
        container: "tensorflow".into(),
        seq,
        time: jiff::Timestamp::now().to_string(),
        line: format!(
            "epoch={} step={seq} loss={:.4} accuracy={:.4} lr=0.001",
            seq / 100,
            1.0 / (seq as f64 + 1.0),
            0.5
        ),
    })
}

/// CPU seconds used so far by this process's thread named `name` (from /proc/self/task).
fn thread_cpu_seconds(name: &str) -> Option<f64> {
    std::fs::read_dir("/proc/self/task").ok()?.flatten().find_map(|task| {
        let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
        (comm.trim() == name).then(|| stat_cpu_seconds(&std::fs::read_to_string(task.path().join("stat")).ok()?))?
    })
}

/// `bosun bench store`: keeping the logs of `pods` running pods that print `rate` lines a second each, for
/// `seconds`: the share of one core the store's writer costs (goal: at most 10 %), the whole process's (which also
/// makes up the lines, as the log streams would deliver them: in chunks, ten times a second), and the size per line.
pub fn store(pods: usize, rate: u32, seconds: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bosun.db");
    let (writer, thread) = crate::store::writer::Writer::start(&path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let cpu_before = cpu_seconds().context("reading /proc/self/stat")?;
    let started = Instant::now();
    // The writer thread's CPU, sampled while it lives (it is gone once it has flushed and ended).
    let writer_cpu = Arc::new(std::sync::Mutex::new(0.0_f64));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (writer_cpu, sampling) = (writer_cpu.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                if let (Some(t), Ok(mut w)) = (thread_cpu_seconds("bosun-store"), writer_cpu.lock()) {
                    *w = t;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    runtime.block_on(async {
        let tasks: Vec<_> = (0..pods)
            .map(|pod| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(Duration::from_millis(100));
                    let per_tick = (i64::from(rate.max(1)) + 9) / 10;
                    let total = i64::from(rate) * seconds as i64;
                    let mut seq = 0;
                    while seq < total {
                        tick.tick().await;
                        for _ in 0..per_tick.min(total - seq) {
                            writer.send(log_record(pod, seq));
                            seq += 1;
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
    });
    drop(writer);
    let _ = thread.join();
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = sampler.join();
    let writer_cpu = writer_cpu.lock().map(|w| *w).unwrap_or(f64::NAN);
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds().context("reading /proc/self/stat")? - cpu_before;
    let store = crate::store::Store::open(&path)?;
    let lines = store.count_lines()?;
    drop(store);
    let bytes: u64 = std::fs::read_dir(dir.path())?.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum();
    let share = 100.0 * writer_cpu / wall;
    println!(
        "store: {pods} pods x {rate} lines/s for {seconds} s: {lines} lines kept, {:.1} MiB ({:.0} bytes/line); writer CPU {share:.1} % of one core (goal at most 10 %); whole process {:.1} %",
        bytes as f64 / 1_048_576.0,
        bytes as f64 / lines.max(1) as f64,
        100.0 * cpu / wall
    );
    anyhow::ensure!(lines == (pods as i64) * i64::from(rate) * seconds as i64, "only {lines} lines were kept");
    Ok(())
}

/// The writer a crash test kills: batches of `batch` lines, each its own transaction, until killed.
pub fn store_writer(path: &Path, batch: usize) -> anyhow::Result<()> {
    let mut store = crate::store::Store::open(path)?;
    let mut seq = 0i64;
    loop {
        let records: Vec<crate::store::Record> = (0..batch).map(|i| log_record(0, seq + i as i64)).collect();
        store.write(&records)?;
        seq += batch as i64;
        println!("{seq}");
    }
}
