//! The Training screen's background work: submitting what the form renders, the draft, deleting and cloning jobs,
//! and gathering a job's flight recorder from the cluster and the local store.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Event as KubeEvent, PersistentVolumeClaim, Pod};
use kube::api::{Api, DeleteParams, ListParams, LogParams, Patch, PatchParams};
use serde_json::Value;

use super::{CurrentClient, Outbox};
use crate::cluster::training::{self as jobs, JobError};
use crate::resources::training::{self, EventLine, PodTrack, Recorder};
use crate::state::protocol::{JobKey, Refusal, TrainingEvent, TrainingRequest};
use crate::store::Store;
use crate::workloads::spec::TrainingSpec;

/// How many log lines of each replica the flight recorder shows at first.
const LOG_LINES: usize = 200;

pub(super) struct TrainingArea {
    client: CurrentClient,
    outbox: Outbox,
    draft: PathBuf,
    store: Option<PathBuf>,
    /// The newest draft waiting to be written (writes are at most twice a second, the latest wins).
    pending_draft: Arc<Mutex<Option<TrainingSpec>>>,
}

impl TrainingArea {
    pub fn new(client: CurrentClient, outbox: Outbox, draft: PathBuf, store: Option<PathBuf>) -> Self {
        Self { client, outbox, draft, store, pending_draft: Arc::default() }
    }

    pub fn handle(&mut self, request: TrainingRequest) {
        let outbox = self.outbox.clone();
        let current = self.client.with_context();
        let not_connected = || "not connected to a cluster".to_string();
        match request {
            TrainingRequest::SaveDraft(spec) => self.save_draft(*spec),
            TrainingRequest::Submit(objects) => {
                tokio::spawn(async move {
                    let result = match current {
                        Some((client, _)) => submit(&client, &objects).await,
                        None => Err(Refusal { message: not_connected(), causes: Vec::new() }),
                    };
                    outbox.send(TrainingEvent::Submitted(result));
                });
            }
            TrainingRequest::Recorder(key) => {
                let store = self.store.clone();
                tokio::spawn(async move {
                    let result = match current {
                        Some((client, context)) => recorder(&client, &context, store, &key).await.map(Box::new),
                        None => Err(not_connected()),
                    };
                    outbox.send(TrainingEvent::Recorder { key, result });
                });
            }
            TrainingRequest::Delete(key) => {
                tokio::spawn(async move {
                    let result = match current {
                        Some((client, _)) => jobs::api(&client, key.kind, Some(&key.namespace))
                            .delete(&key.name, &DeleteParams::background())
                            .await
                            .map(|_| key.clone())
                            .map_err(|e| format!("could not delete {}: {e}", key.display())),
                        None => Err(not_connected()),
                    };
                    outbox.send(TrainingEvent::Deleted(result));
                });
            }
            TrainingRequest::Suspend(key, suspend) => {
                tokio::spawn(async move {
                    let result = match current {
                        Some((client, _)) => {
                            jobs::set_suspended(&client, &key.kind, &key.namespace, &key.name, suspend)
                                .await
                                .map_err(|e| e.to_string())
                        }
                        None => Err(not_connected()),
                    };
                    outbox.send(TrainingEvent::Suspended(result.map(|()| (key, suspend))));
                });
            }
            TrainingRequest::Fetch(key) => {
                tokio::spawn(async move {
                    let result = match current {
                        Some((client, _)) => fetch_for_clone(&client, &key).await,
                        None => Err(not_connected()),
                    };
                    outbox.send(TrainingEvent::Fetched(result));
                });
            }
            TrainingRequest::SaveText { title, file_name, text } => {
                tokio::spawn(async move {
                    let picked =
                        rfd::AsyncFileDialog::new().set_title(&title).set_file_name(&file_name).save_file().await;
                    let Some(file) = picked else { return };
                    let path = file.path().to_path_buf();
                    let written = tokio::task::spawn_blocking(move || {
                        crate::atomic_file::write_atomically(&path, text.as_bytes()).map(|()| path)
                    })
                    .await;
                    outbox.send(TrainingEvent::Exported(match written {
                        Ok(Ok(path)) => Ok(path),
                        Ok(Err(e)) => Err(format!("could not save {file_name}: {e}")),
                        Err(e) => Err(e.to_string()),
                    }));
                });
            }
            TrainingRequest::SaveTemplate { name, spec } => {
                let dir = self.draft.parent().map(|d| d.join(crate::workloads::spec::TEMPLATES_DIR));
                tokio::spawn(async move {
                    let Some(dir) = dir else { return };
                    let path = dir.join(format!("{name}.json"));
                    let written = tokio::task::spawn_blocking(move || {
                        std::fs::create_dir_all(&dir)?;
                        let json = serde_json::to_vec_pretty(&spec).unwrap_or_default();
                        crate::atomic_file::write_atomically(&path, &json).map(|()| path)
                    })
                    .await;
                    outbox.send(TrainingEvent::Exported(match written {
                        Ok(Ok(path)) => Ok(path),
                        Ok(Err(e)) => Err(format!("could not save the template {name}: {e}")),
                        Err(e) => Err(e.to_string()),
                    }));
                });
            }
            TrainingRequest::ImportYaml => {
                tokio::spawn(async move {
                    let picked = rfd::AsyncFileDialog::new()
                        .set_title("Open a job's YAML")
                        .add_filter("YAML", &["yaml", "yml", "json"])
                        .pick_file()
                        .await;
                    let Some(file) = picked else { return };
                    let path = file.path().to_path_buf();
                    let read = tokio::fs::read_to_string(&path).await;
                    outbox.send(TrainingEvent::Imported(match read {
                        Ok(text) => Ok((path, text)),
                        Err(e) => Err(format!("could not read {}: {e}", path.display())),
                    }));
                });
            }
        }
    }

    fn save_draft(&self, spec: TrainingSpec) {
        let already_waiting = self.pending_draft.lock().map(|mut p| p.replace(spec).is_some()).unwrap_or(true);
        if already_waiting {
            return;
        }
        let (pending, path) = (self.pending_draft.clone(), self.draft.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let Some(spec) = pending.lock().ok().and_then(|mut p| p.take()) else { return };
            let _ = tokio::task::spawn_blocking(move || {
                let json = serde_json::to_vec_pretty(&spec).unwrap_or_default();
                if let Err(e) = crate::atomic_file::write_atomically(&path, &json) {
                    tracing::warn!("the training draft could not be saved to {}: {e}", path.display());
                }
            })
            .await;
        });
    }
}

async fn submit(client: &kube::Client, objects: &[Value]) -> Result<Vec<String>, Refusal> {
    let refused = |e: JobError| {
        let causes = match &e {
            JobError::Invalid { causes, .. } => causes.clone(),
            _ => Vec::new(),
        };
        Refusal { message: e.to_string(), causes }
    };
    let mut created = Vec::new();
    for obj in objects {
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
        if kind == "PersistentVolumeClaim" {
            let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
            let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
            let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), ns);
            claims.patch(name, &PatchParams::apply("bosun").force(), &Patch::Apply(obj)).await.map_err(|e| {
                Refusal {
                    message: format!("could not create PersistentVolumeClaim {ns}/{name}: {e}"),
                    causes: Vec::new(),
                }
            })?;
            created.push(format!("PersistentVolumeClaim/{ns}/{name}"));
            continue;
        }
        let applied = jobs::submit(client, obj, false).await.map_err(refused)?;
        created.push(jobs::display(&applied));
    }
    Ok(created)
}

/// A job's object without what the server owns, renamed, ready to submit again.
async fn fetch_for_clone(client: &kube::Client, key: &JobKey) -> Result<Value, String> {
    let obj = jobs::api(client, key.kind, Some(&key.namespace))
        .get(&key.name)
        .await
        .map_err(|e| format!("could not read {}: {e}", key.display()))?;
    let mut v = serde_json::to_value(obj).map_err(|e| e.to_string())?;
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in ["uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "ownerReferences"] {
            meta.remove(k);
        }
        meta.insert("name".into(), Value::from(format!("{}-copy", key.name)));
    }
    Ok(v)
}

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
        exit_code: ended.as_ref().map(|e| e.exit_code),
        reason: ended.and_then(|e| e.reason).unwrap_or_default(),
        waiting,
        gpus,
        live: true,
    }
}

/// What the local store kept of a job: pods gone from the cluster, events, and (pod, container, lines) logs.
type Kept = (Vec<PodTrack>, Vec<EventLine>, Vec<(String, String, Vec<String>)>);

/// Gathers the flight recorder: the job and its pods and events from the cluster, and what the local store kept of
/// pods already gone and of every replica's log.
async fn recorder(
    client: &kube::Client,
    context: &str,
    store: Option<PathBuf>,
    key: &JobKey,
) -> Result<Recorder, String> {
    let job = jobs::api(client, key.kind, Some(&key.namespace)).get_opt(&key.name).await.map_err(|e| e.to_string())?;
    let value = job.as_ref().map(|j| {
        let mut v = serde_json::to_value(j).unwrap_or(Value::Null);
        if v.is_object() {
            v["kind"] = Value::from(key.kind.name());
        }
        v
    });
    let mut out = Recorder {
        job: value.as_ref().map(training::row),
        conditions: value.as_ref().map(training::conditions).unwrap_or_default(),
        ..Default::default()
    };
    let pods: Api<Pod> = Api::namespaced(client.clone(), &key.namespace);
    let live = pods
        .list(&ListParams::default().labels(&jobs::pod_selector(key.kind, &key.name)))
        .await
        .map_err(|e| e.to_string())?;
    let mut uids: HashSet<String> = live.items.iter().filter_map(|p| p.metadata.uid.clone()).collect();
    if let Some(uid) = value.as_ref().and_then(|v| v.pointer("/metadata/uid")).and_then(Value::as_str) {
        uids.insert(uid.to_string());
    }
    out.pods = live.items.iter().map(track).collect();
    let events: Api<KubeEvent> = Api::namespaced(client.clone(), &key.namespace);
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
    let context = context.to_string();
    let key_owned = key.clone();
    let kept = tokio::task::spawn_blocking(move || -> Option<Kept> {
        let store = Store::open(&store?).ok()?;
        let job = store.job(&context, &key_owned.namespace, &key_owned.name).ok()??;
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
        let container = key_owned.kind.container().to_string();
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
        Some((tracks, events, logs))
    })
    .await
    .ok()
    .flatten();
    if let Some((tracks, events, logs)) = kept {
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
    for p in out.pods.clone().iter().filter(|p| p.live && p.started > 0) {
        let params = LogParams { tail_lines: Some(LOG_LINES as i64), ..Default::default() };
        if let Ok(text) = pods.logs(&p.name, &params).await {
            out.logs.push((
                p.name.clone(),
                key.kind.container().to_string(),
                text.lines().map(str::to_string).collect(),
            ));
        }
    }
    out.pods.sort_by(|a, b| role_rank(&a.role).cmp(&role_rank(&b.role)).then_with(|| a.name.cmp(&b.name)));
    out.logs.sort_by(|a, b| a.0.cmp(&b.0));
    out.events.sort_by_key(|e| e.time);
    Ok(out)
}

fn role_rank(role: &str) -> usize {
    ["chief", "master", "launcher", "ps", "worker", "evaluator", "pod"].iter().position(|r| *r == role).unwrap_or(9)
}
