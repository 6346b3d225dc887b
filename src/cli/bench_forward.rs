//! `bosun bench forward`: predict requests through a port-forward, at a fixed concurrency, on one model server of a
//! kubesim demo cluster: Bosun's forward (kube-rs WebSocket port-forward, the "Try it" load test's engine) against
//! the same requests, sent the same way, through `kubectl port-forward` to the same pod. Throughput and p99 are
//! compared in the same run.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;

use super::bench::{KillOnDrop, start_demo};
use crate::cluster::forward::{self, Forwarder, HttpChannel, LoadReport, Target};
use crate::cluster::serving as servers;
use crate::workloads::serving::{self, ModelSource, ServingSpec};

const NAME: &str = "bench-model";
const BODY: &str = r#"{"instances": [[1.0, 2.0, 5.0], [3.0, 4.0, 1.0]]}"#;

fn line(label: &str, r: &LoadReport) -> String {
    format!(
        "{label}: {} requests, {} failed, {:.0} req/s, p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
        r.ok,
        r.failed,
        r.throughput(),
        r.percentile(0.5).as_secs_f64() * 1e3,
        r.percentile(0.95).as_secs_f64() * 1e3,
        r.percentile(0.99).as_secs_f64() * 1e3
    )
}

/// `kubectl port-forward pod/NAME :8501`, until dropped; the local port it chose.
fn kubectl_forward(kubeconfig: &std::path::Path, pod: &str) -> anyhow::Result<(KillOnDrop, u16)> {
    let kubectl = std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let mut child = Command::new(&kubectl)
        .env("KUBECONFIG", kubeconfig)
        .args(["port-forward", "-n", "default", &format!("pod/{pod}"), ":8501"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {kubectl} port-forward"))?;
    let stdout = child.stdout.take().context("kubectl's output")?;
    let guard = KillOnDrop::new(child);
    // "Forwarding from 127.0.0.1:41234 -> 8501"
    let mut lines = BufReader::new(stdout).lines();
    while let Some(text) = lines.next() {
        let text = text?;
        if let Some(port) = text
            .strip_prefix("Forwarding from 127.0.0.1:")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse().ok())
        {
            // kubectl goes on printing (a line per connection): keep reading, or it dies of a broken pipe.
            std::thread::Builder::new().name("kubectl-output".into()).spawn(move || lines.for_each(drop))?;
            return Ok((guard, port));
        }
    }
    anyhow::bail!("kubectl port-forward ended without saying where it listens")
}

pub fn run(requests: usize, concurrency: usize) -> anyhow::Result<()> {
    anyhow::ensure!(requests >= 100, "--requests must be at least 100");
    anyhow::ensure!((1..=forward::MAX_LOAD_CONCURRENCY).contains(&concurrency), "--concurrency must be 1 to 64");
    let dir = tempfile::tempdir()?;
    let (_server, kubeconfig) = start_demo(dir.path())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let (client, pod) = runtime.block_on(async {
        let launch = crate::state::LaunchOptions { kubeconfig: Some(kubeconfig.clone()), ..Default::default() };
        let client = super::client_for(&launch).await?;
        let spec = ServingSpec {
            name: NAME.into(),
            model_name: NAME.into(),
            source: ModelSource::Uri("gs://bench/model".into()),
            replicas: 1,
            ..Default::default()
        };
        servers::apply(&client, &serving::objects(&spec), false).await?;
        servers::wait_available(&client, "default", NAME, Duration::from_secs(120), |_| {}).await?;
        let pods = servers::pods(&client, "default", NAME).await?;
        let pod = pods.iter().find(|p| servers::is_ready(p)).and_then(|p| p.metadata.name.clone());
        anyhow::Ok((client, pod.context("no ready pod")?))
    })?;
    let path = format!("/v1/models/{NAME}:predict");
    eprintln!("{requests} predict requests at concurrency {concurrency} to pod {pod}…");

    let bosun = runtime.block_on(async {
        let forward = Forwarder::new(client.clone(), "default", Target::Pod(pod.clone()), 8501);
        // Warm up: connections, the server's first answers.
        forward::load_test(&forward, "POST", &path, Some(BODY), 500, concurrency, |_| {}).await?;
        forward::load_test(&forward, "POST", &path, Some(BODY), requests, concurrency, |_| {}).await
    })?;
    eprintln!("{}", line("bosun", &bosun));

    let (_kubectl, port) = kubectl_forward(&kubeconfig, &pod)?;
    let kubectl = runtime.block_on(async {
        let connect = || async {
            let mut channels = Vec::new();
            for _ in 0..concurrency {
                let socket = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
                socket.set_nodelay(true)?;
                channels.push(HttpChannel::over(socket, format!("kubectl port-forward :{port}"), port).await?);
            }
            anyhow::Ok(channels)
        };
        forward::load_on(connect().await?, "POST", &path, Some(BODY), 500, |_| {}).await;
        anyhow::Ok(forward::load_on(connect().await?, "POST", &path, Some(BODY), requests, |_| {}).await)
    })?;
    eprintln!("{}", line("kubectl", &kubectl));
    anyhow::ensure!(
        bosun.failed == 0 && kubectl.failed == 0,
        "requests failed (bosun: {:?}, kubectl: {:?})",
        bosun.first_error,
        kubectl.first_error
    );
    let p99 = |r: &LoadReport| r.percentile(0.99).as_secs_f64() * 1e3;
    println!(
        "forward: bosun {:.0} req/s p99 {:.2} ms; kubectl {:.0} req/s p99 {:.2} ms; throughput ratio {:.2}; p99 ratio {:.2}",
        bosun.throughput(),
        p99(&bosun),
        kubectl.throughput(),
        p99(&kubectl),
        bosun.throughput() / kubectl.throughput().max(f64::MIN_POSITIVE),
        p99(&kubectl) / p99(&bosun).max(f64::MIN_POSITIVE),
    );
    Ok(())
}
