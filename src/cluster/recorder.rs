//! The flight recorder's gathering: a job and its pods and events from the cluster, and what the local store kept
//! of pods already gone and of every replica's log. Replicas' logs are fetched a few at a time, so a 64-replica
//! job opens about as fast as a one-replica job.

use std::collections::HashSet;
use std::path::PathBuf;

use futures_util::StreamExt as _;
use k8s_openapi::api::core::v1::{Event as KubeEvent, Pod};
use kube::api::{Api, ListParams, LogParams};
use serde_json::Value;

use super::training as jobs;
use crate::resources::training::{self, EventLine, PodTrack, Recorder};
use crate::store::Store;
use crate::workloads::JobKind;

/// How many log lines of each replica the flight recorder shows at first.
pub const LOG_LINES: usize = 200;

/// How many replicas' logs are fetched at once.
const LOG_FETCHES: usize = 16;

fn secs(t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>) -> i64 {
    t.map_or(0, |t| t.0.as_second())
}

/// What a live pod did, for the timeline.
fn track(pod: &Pod) -> PodTrack {
    let meta = &pod.metadata;
    let status = pod.status.clone().unwrap_or_default();
    let main = status.container_statuses.clone().unwrap_or_default().into_iter().next();
    let ended = main.as_ref().and_then(|c| {
        c.state
            .as_ref()
            .and_then(|s| s.terminated.clone())
            .or_else(|| c.last_state.as_ref().and_then(|s| s.terminated.clone()))
    });
    let waiting = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False")
        .and_then(|c| c.message.clone())
        .or_else(|| {
            main.as_ref()
                .and_then(|c| c.state.as_ref()?.waiting.as_ref())
                .map(|w| format!("{}: {}", w.reason.clone().unwrap_or_default(), w.message.clone().unwrap_or_default()))
        })
        .unwrap_or_default();
    let labels = meta.labels.clone().unwrap_or_default();
    let gpus: f64 = pod
        .spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .flat_map(|c| c.resources.as_ref().and_then(|r| r.limits.clone()).unwrap_or_default())
        .filter(|(r, _)| crate::resources::accelerators::AcceleratorKind::of(r).is_some())
        .map(|(_, q)| crate::resources::quantity::value(&q))
        .sum();
    PodTrack {
        name: meta.name.clone().unwrap_or_default(),
        role: labels.get("training.kubeflow.org/replica-type").cloned().unwrap_or_else(|| "pod".into()),
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default(),
        phase: status.phase.clone().unwrap_or_default(),
        created: secs(meta.creation_timestamp.as_ref()),
        started: secs(status.start_time.as_ref()),
        finished: ended.as_ref().map_or(0, |e| secs(e.finished_at.as_ref())),
        restarts: main.as_ref().map_or(0, |c| c.restart_count),
        last_restart: main
            .as_ref()
            .and_then(|c| c.last_state.as_ref()?.terminated.as_ref())
            .map_or(0, |t| secs(t.finished_at.as_ref())),
        exit_code: ended.as_ref().map(|e| e.exit_code),
        reason: ended.and_then(|e| e.reason).unwrap_or_default(),
        waiting,
        gpus,
        live: true,
    }
}

/// What the local store kept of a job: pods gone from the cluster, events, and (pod, container, lines) logs.
type Kept = (Vec<PodTrack>, Vec<EventLine>, Vec<(String, String, Vec<String>)>, Vec<(String, Vec<(f64, f64)>)>);

/// A run's kept points as curves per metric.
fn curves(points: Vec<crate::store::PointRecord>) -> Vec<(String, Vec<(f64, f64)>)> {
    let start = points.iter().filter_map(|p| p.wall_time).fold(f64::INFINITY, f64::min);
    let mut out: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for p in points {
        let Some(x) = p.step.map(|s| s as f64).or(p.wall_time.map(|t| t - start)) else { continue };
        match out.last_mut().filter(|(m, _)| *m == p.metric) {
            Some((_, xy)) => xy.push((x, p.value)),
            None => out.push((p.metric, vec![(x, p.value)])),
        }
    }
    out
}

/// Gathers the flight recorder of the `kind` job `namespace/name` on the cluster the store knows as `context`.
pub async fn gather(
    client: &kube::Client,
    context: &str,
    store: Option<PathBuf>,
    kind: JobKind,
    namespace: &str,
    name: &str,
) -> Result<Recorder, String> {
    let job = jobs::api(client, kind, Some(namespace)).get_opt(name).await.map_err(|e| e.to_string())?;
    let value = job.as_ref().map(|j| {
        let mut v = serde_json::to_value(j).unwrap_or(Value::Null);
        if v.is_object() {
            v["kind"] = Value::from(kind.name());
        }
        v
    });
    let mut out = Recorder {
        job: value.as_ref().map(training::row),
        conditions: value.as_ref().map(training::conditions).unwrap_or_default(),
        ..Default::default()
    };
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let live =
        pods.list(&ListParams::default().labels(&jobs::pod_selector(kind, name))).await.map_err(|e| e.to_string())?;
    let mut uids: HashSet<String> = live.items.iter().filter_map(|p| p.metadata.uid.clone()).collect();
    if let Some(uid) = value.as_ref().and_then(|v| v.pointer("/metadata/uid")).and_then(Value::as_str) {
        uids.insert(uid.to_string());
    }
    out.pods = live.items.iter().map(track).collect();
    let events: Api<KubeEvent> = Api::namespaced(client.clone(), namespace);
    if let Ok(list) = events.list(&ListParams::default()).await {
        out.events = list
            .items
            .into_iter()
            .filter(|e| e.involved_object.uid.as_ref().is_some_and(|u| uids.contains(u)))
            .map(|e| EventLine {
                time: secs(e.last_timestamp.as_ref()).max(secs(e.first_timestamp.as_ref())),
                type_: e.type_.unwrap_or_default(),
                reason: e.reason.unwrap_or_default(),
                object: format!(
                    "{}/{}",
                    e.involved_object.kind.unwrap_or_default(),
                    e.involved_object.name.unwrap_or_default()
                ),
                message: e.message.unwrap_or_default(),
                count: i64::from(e.count.unwrap_or(1)),
            })
            .collect();
    }
    // What the store kept: pods gone from the cluster, their events, and the logs of every replica.
    let (context, namespace_owned, name_owned) = (context.to_string(), namespace.to_string(), name.to_string());
    let kept = tokio::task::spawn_blocking(move || -> Option<Kept> {
        let store = Store::open(&store?).ok()?;
        let job = store.job(&context, &namespace_owned, &name_owned).ok()??;
        let pods = store.pods(&job.uid).ok()?;
        let events = store
            .events(&job.uid)
            .ok()?
            .into_iter()
            .map(|e| EventLine {
                time: e.last_time,
                type_: e.type_,
                reason: e.reason,
                object: e.object,
                message: e.message,
                count: e.count,
            })
            .collect();
        let container = kind.container().to_string();
        let logs = pods
            .iter()
            .map(|p| {
                let lines = store.log_lines(&p.uid, &container, None).unwrap_or_default();
                let start = lines.len().saturating_sub(LOG_LINES);
                (p.name.clone(), container.clone(), lines[start..].iter().map(|l| l.line.clone()).collect())
            })
            .collect();
        let tracks = pods
            .into_iter()
            .map(|p| PodTrack {
                name: p.name,
                role: p.role,
                node: p.node,
                phase: "Deleted".into(),
                live: false,
                ..Default::default()
            })
            .collect();
        let metrics = curves(store.points(&job.uid, None).unwrap_or_default());
        Some((tracks, events, logs, metrics))
    })
    .await
    .ok()
    .flatten();
    if let Some((tracks, events, logs, metrics)) = kept {
        out.metrics = metrics;
        for t in tracks {
            if !out.pods.iter().any(|p| p.name == t.name) {
                out.from_store = true;
                out.pods.push(t);
            }
        }
        for e in events {
            if !out.events.iter().any(|x| x.reason == e.reason && x.object == e.object && x.message == e.message) {
                out.events.push(e);
            }
        }
        // The store speaks for the pods that are gone; the cluster, which is current, for the others.
        let gone: HashSet<String> = out.pods.iter().filter(|p| !p.live).map(|p| p.name.clone()).collect();
        out.logs = logs.into_iter().filter(|(pod, _, l)| !l.is_empty() && gone.contains(pod)).collect();
    }
    let container = kind.container();
    let started: Vec<String> = out.pods.iter().filter(|p| p.live && p.started > 0).map(|p| p.name.clone()).collect();
    let fetched: Vec<_> = futures_util::stream::iter(started)
        .map(|pod| {
            let pods = pods.clone();
            async move {
                let params = LogParams { tail_lines: Some(LOG_LINES as i64), ..Default::default() };
                let text = pods.logs(&pod, &params).await.ok()?;
                Some((pod, container.to_string(), text.lines().map(str::to_string).collect::<Vec<_>>()))
            }
        })
        .buffer_unordered(LOG_FETCHES)
        .collect()
        .await;
    out.logs.extend(fetched.into_iter().flatten());
    out.pods.sort_by(|a, b| role_rank(&a.role).cmp(&role_rank(&b.role)).then_with(|| a.name.cmp(&b.name)));
    out.logs.sort_by(|a, b| a.0.cmp(&b.0));
    out.events.sort_by_key(|e| e.time);
    Ok(out)
}

fn role_rank(role: &str) -> usize {
    ["chief", "master", "launcher", "ps", "worker", "evaluator", "pod"].iter().position(|r| *r == role).unwrap_or(9)
}
