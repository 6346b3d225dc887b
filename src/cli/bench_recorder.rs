//! `bosun bench recorder`: how long the flight recorder of a big job takes to gather (the job, its pods and events
//! from the cluster, what the store kept, and the last lines of every replica's log), against the kubectl commands
//! that show the same — `kubectl describe pods -l …` and `kubectl logs -l … --tail` — on the same demo cluster.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};

use super::bench::{min_and_median, start_demo, timed};
use crate::cluster::{recorder, training};
use crate::workloads::spec::{RoleSpec, TrainingSpec};
use crate::workloads::{JobKind, render};

const NAME: &str = "bench-recorder";
const NAMESPACE: &str = "default";

/// A TFJob of one chief and `replicas - 1` workers that trains long enough to be measured while it runs.
fn big_job(replicas: u32) -> TrainingSpec {
    let role = |role: &str, replicas| RoleSpec {
        role: role.into(),
        replicas,
        cpu: "50m".into(),
        memory: "64Mi".into(),
        ..Default::default()
    };
    TrainingSpec {
        kind: JobKind::TFJob,
        name: NAME.into(),
        namespace: NAMESPACE.into(),
        image: "tensorflow/tensorflow:2.17.0-gpu".into(),
        args: vec!["--epochs=100000".into()],
        env: vec![("KUBESIM_EPOCH_SECONDS".into(), "0.2".into())],
        roles: vec![role("Chief", 1), role("Worker", replicas.saturating_sub(1))],
        ..Default::default()
    }
}

async fn running_pods(client: &kube::Client) -> anyhow::Result<usize> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), NAMESPACE);
    let list = pods.list(&ListParams::default().labels(&training::pod_selector(JobKind::TFJob, NAME))).await?;
    Ok(list.items.iter().filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")).count())
}

pub fn recorder(replicas: u32) -> anyhow::Result<()> {
    anyhow::ensure!(replicas >= 1, "--replicas must be at least 1");
    let dir = tempfile::tempdir()?;
    let (_server, kubeconfig) = start_demo(dir.path())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let db = dir.path().join("bosun.db");
    let (writer, _writer_thread) = crate::store::writer::Writer::start(&db)?;
    let (client, context) = runtime.block_on(async {
        crate::demo::seed(&kubeconfig).await.context("installing the training operator on the demo cluster")?;
        let launch = crate::state::LaunchOptions { kubeconfig: Some(kubeconfig.clone()), ..Default::default() };
        let client = super::client_for(&launch).await?;
        let context = kube::config::Kubeconfig::read_from(&kubeconfig)?.current_context.unwrap_or_default();
        anyhow::Ok((client, context))
    })?;
    let _keeper = {
        let _guard = runtime.enter();
        crate::cluster::keeper::spawn_with_cache(client.clone(), context.clone(), writer, db.clone())
    };
    let gathered = runtime.block_on(async {
        training::submit(&client, &render::job(&big_job(replicas)), false).await?;
        eprintln!("waiting for {replicas} replicas to run…");
        let deadline = Instant::now() + Duration::from_secs(180);
        while running_pods(&client).await? < replicas as usize {
            anyhow::ensure!(Instant::now() < deadline, "the {replicas} replicas did not all run within 3 minutes");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        tokio::time::sleep(Duration::from_secs(3)).await; // a few log lines each, and the store's batches
        let mut times = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            let r = recorder::gather(&client, &context, Some(db.clone()), JobKind::TFJob, NAMESPACE, NAME)
                .await
                .map_err(anyhow::Error::msg)?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(
                r.pods.len() == replicas as usize,
                "the recorder shows {} of {replicas} pods",
                r.pods.len()
            );
            anyhow::ensure!(
                r.logs.len() == replicas as usize,
                "the recorder has logs of {} of {replicas} pods",
                r.logs.len()
            );
        }
        anyhow::Ok(times)
    })?;
    let kubectl_ms = kubectl_peer(&kubeconfig, replicas)?;
    let bosun_ms = min_and_median(&gathered).1;
    println!(
        "recorder: {replicas} replicas gathered by bosun {bosun_ms:.0} ms; kubectl describe pods + logs {kubectl_ms:.0} ms; time ratio {:.3} (goal: gathered + first frame <= 100 ms, the frame in cargo bench --bench frame)",
        bosun_ms / kubectl_ms
    );
    Ok(())
}

/// Median of three runs of what a kubectl user types to see the same: the pods with their events, then the logs.
fn kubectl_peer(kubeconfig: &Path, replicas: u32) -> anyhow::Result<f64> {
    let kubectl = std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let selector = training::pod_selector(JobKind::TFJob, NAME);
    let run = |args: &[&str]| {
        let mut cmd = Command::new(&kubectl);
        cmd.env("KUBECONFIG", kubeconfig).args(["-n", NAMESPACE]).args(args);
        timed(cmd)
    };
    let max = replicas.to_string();
    let mut times = Vec::new();
    for _ in 0..3 {
        let s = run(&["describe", "pods", "-l", &selector])?
            + run(&["logs", "-l", &selector, "--tail=200", "--prefix", "--max-log-requests", &max])?;
        times.push(s * 1000.0);
    }
    Ok(min_and_median(&times).1)
}
