//! The Training screen's background work: submitting what the form renders, the draft, deleting and cloning jobs,
//! and asking for a job's flight recorder (gathered by `cluster::recorder`).

use std::path::PathBuf;

use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use serde_json::Value;

use super::{CurrentClient, Outbox};
use crate::cluster::recorder;
use crate::cluster::training::{self as jobs, JobError};
use crate::state::protocol::{JobKey, Refusal, TrainingEvent, TrainingRequest};
use crate::workloads::spec::TrainingSpec;

pub(super) struct TrainingArea {
    client: CurrentClient,
    outbox: Outbox,
    draft: super::draft::Draft<TrainingSpec>,
    store: Option<PathBuf>,
}

impl TrainingArea {
    pub fn new(client: CurrentClient, outbox: Outbox, draft: PathBuf, store: Option<PathBuf>) -> Self {
        Self { client, outbox, draft: super::draft::Draft::new(draft), store }
    }

    pub fn handle(&mut self, request: TrainingRequest) {
        let outbox = self.outbox.clone();
        let current = self.client.with_context();
        let not_connected = || "not connected to a cluster".to_string();
        match request {
            TrainingRequest::SaveDraft(spec) => self.draft.save(*spec),
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
                        Some((client, context)) => {
                            recorder::gather(&client, &context, store, key.kind, &key.namespace, &key.name)
                                .await
                                .map(Box::new)
                        }
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
            TrainingRequest::SetMetrics(key, spec) => {
                tokio::spawn(async move {
                    let result = match current {
                        Some((client, _)) => {
                            jobs::set_metric_spec(&client, &key.kind, &key.namespace, &key.name, &spec)
                                .await
                                .map(|()| key)
                                .map_err(|e| e.to_string())
                        }
                        None => Err(not_connected()),
                    };
                    outbox.send(TrainingEvent::MetricsSet(result));
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
                let dir = self.draft.path().parent().map(|d| d.join(crate::workloads::spec::TEMPLATES_DIR));
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
