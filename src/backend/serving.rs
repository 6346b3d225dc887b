//! The Serving screen's background work: deploying what the form renders, the draft, a server's detail, the
//! actions on it (`cluster::serving`), and "Try it" through a port-forward (`cluster::forward`): one keep-alive
//! connection per server for the status and predictions, fresh connections for the load test.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::{CurrentClient, Outbox};
use crate::cluster::forward::{Forwarder, HttpChannel, Reply, Target};
use crate::cluster::serving as servers;
use crate::cluster::training::JobError;
use crate::state::protocol::{Refusal, ServingEvent, ServingRequest};
use crate::workloads::serving::ServingSpec;

/// Keep-alive connections to servers, by (namespace, server, port).
type Channels = Arc<tokio::sync::Mutex<HashMap<(String, String, u16), HttpChannel>>>;

pub(super) struct ServingArea {
    client: CurrentClient,
    outbox: Outbox,
    draft: super::draft::Draft<ServingSpec>,
    channels: Channels,
    /// The load test running now; a new one replaces it.
    load: Option<tokio::task::JoinHandle<()>>,
}

impl ServingArea {
    pub fn new(client: CurrentClient, outbox: Outbox, draft: PathBuf) -> Self {
        Self { client, outbox, draft: super::draft::Draft::new(draft), channels: Arc::default(), load: None }
    }

    pub fn handle(&mut self, request: ServingRequest) {
        let outbox = self.outbox.clone();
        let Some(client) = self.client.get() else {
            let not_connected = "not connected to a cluster".to_string();
            let event = match request {
                ServingRequest::SaveDraft(spec) => return self.draft.save(*spec),
                ServingRequest::Template => ServingEvent::Template(None),
                ServingRequest::Deploy(_) => {
                    ServingEvent::Deployed(Err(Refusal { message: not_connected, causes: Vec::new() }))
                }
                ServingRequest::Detail { namespace, name } => {
                    ServingEvent::Detail { namespace, name, result: Err(not_connected) }
                }
                ServingRequest::ModelStatus { .. } => ServingEvent::ModelStatus(Err(not_connected)),
                ServingRequest::Predict { .. } => ServingEvent::Predicted(Err(not_connected)),
                ServingRequest::LoadTest { .. } => ServingEvent::LoadDone(Err(not_connected)),
                _ => ServingEvent::Done { what: String::new(), result: Err(not_connected) },
            };
            return outbox.send(event);
        };
        let done = |what: String, result: Result<(), JobError>| ServingEvent::Done {
            what,
            result: result.map_err(|e| e.to_string()),
        };
        match request {
            ServingRequest::SaveDraft(spec) => self.draft.save(*spec),
            ServingRequest::Template => {
                tokio::spawn(async move {
                    let configs: kube::Api<k8s_openapi::api::core::v1::ConfigMap> = kube::Api::all(client);
                    let lp = kube::api::ListParams::default().fields("metadata.name=model-server-template");
                    // Not installed, or not ours to read: the form keeps its own defaults.
                    let found = configs
                        .list(&lp)
                        .await
                        .ok()
                        .and_then(|l| l.items.into_iter().next())
                        .map(|cm| (cm.metadata.namespace.unwrap_or_default(), cm.data.unwrap_or_default()));
                    outbox.send(ServingEvent::Template(found));
                });
            }
            ServingRequest::Deploy(objects) => {
                tokio::spawn(async move {
                    let result = servers::apply(&client, &objects, false).await.map_err(|e| {
                        let causes = match &e {
                            JobError::Invalid { causes, .. } => causes.clone(),
                            _ => Vec::new(),
                        };
                        Refusal { message: e.to_string(), causes }
                    });
                    outbox.send(ServingEvent::Deployed(result));
                });
            }
            ServingRequest::Detail { namespace, name } => {
                tokio::spawn(async move {
                    let result = servers::detail(&client, &namespace, &name).await.map_err(|e| e.to_string());
                    outbox.send(ServingEvent::Detail { namespace, name, result });
                });
            }
            ServingRequest::Scale { namespace, deployment, replicas } => {
                tokio::spawn(async move {
                    let result = servers::scale(&client, &namespace, &deployment, replicas).await;
                    outbox.send(done(format!("Scaled {namespace}/{deployment} to {replicas}"), result));
                });
            }
            ServingRequest::Autoscale { namespace, hpa, min, max } => {
                tokio::spawn(async move {
                    let result = servers::set_autoscale(&client, &namespace, &hpa, min, max).await;
                    outbox.send(done(format!("{namespace}/{hpa} now scales between {min} and {max}"), result));
                });
            }
            ServingRequest::Update { namespace, deployment, image, version } => {
                tokio::spawn(async move {
                    let result =
                        servers::update(&client, &namespace, &deployment, image.as_deref(), version.as_ref()).await;
                    outbox.send(done(format!("Rolling out {namespace}/{deployment}"), result));
                });
            }
            ServingRequest::Rollback { namespace, deployment } => {
                tokio::spawn(async move {
                    let result = servers::rollback(&client, &namespace, &deployment).await;
                    let what = match &result {
                        Ok(revision) => format!("Rolling {namespace}/{deployment} back to revision {revision}"),
                        Err(_) => String::new(),
                    };
                    outbox.send(done(what, result.map(|_| ())));
                });
            }
            ServingRequest::StartCanary { namespace, server, image, version, stable, canary } => {
                tokio::spawn(async move {
                    let result = async {
                        servers::start_canary(&client, &namespace, &server, image.as_deref(), version.as_ref(), canary)
                            .await?;
                        servers::set_split(&client, &namespace, &server, stable, canary).await
                    }
                    .await;
                    let share = crate::workloads::serving::traffic_share(stable, canary);
                    outbox
                        .send(done(format!("Canary of {namespace}/{server} started: {share:.0}% of requests"), result));
                });
            }
            ServingRequest::Split { namespace, server, stable, canary } => {
                tokio::spawn(async move {
                    let result = servers::set_split(&client, &namespace, &server, stable, canary).await;
                    let share = crate::workloads::serving::traffic_share(stable, canary);
                    outbox.send(done(format!("{stable} stable : {canary} canary ({share:.0}% to the canary)"), result));
                });
            }
            ServingRequest::Promote { namespace, server } => {
                tokio::spawn(async move {
                    let result = servers::promote(&client, &namespace, &server).await;
                    outbox.send(done(format!("Promoted the canary of {namespace}/{server}"), result));
                });
            }
            ServingRequest::AbortCanary { namespace, server } => {
                tokio::spawn(async move {
                    let result = servers::abort_canary(&client, &namespace, &server).await;
                    outbox.send(done(format!("Aborted the canary of {namespace}/{server}"), result));
                });
            }
            ServingRequest::Delete { namespace, server } => {
                tokio::spawn(async move {
                    let result = servers::delete(&client, &namespace, &server).await;
                    outbox.send(done(format!("Deleted {namespace}/{server}"), result));
                });
            }
            ServingRequest::ModelStatus { namespace, server, model, port } => {
                let channels = self.channels.clone();
                tokio::spawn(async move {
                    let path = format!("/v1/models/{model}");
                    let result = send(&channels, &client, &namespace, &server, port, "GET", &path, None).await;
                    outbox.send(ServingEvent::ModelStatus(result));
                });
            }
            ServingRequest::Predict { namespace, server, model, port, body } => {
                let channels = self.channels.clone();
                tokio::spawn(async move {
                    let path = format!("/v1/models/{model}:predict");
                    let result = send(&channels, &client, &namespace, &server, port, "POST", &path, Some(&body)).await;
                    outbox.send(ServingEvent::Predicted(result));
                });
            }
            ServingRequest::LoadTest { namespace, server, model, port, body, requests, concurrency } => {
                if let Some(previous) = self.load.take() {
                    previous.abort();
                }
                self.load = Some(tokio::spawn(async move {
                    let forward = Forwarder::new(client, &namespace, Target::Server(server), port);
                    let path = format!("/v1/models/{model}:predict");
                    let progress = outbox.clone();
                    let result = crate::cluster::forward::load_test(
                        &forward,
                        "POST",
                        &path,
                        Some(&body),
                        requests,
                        concurrency,
                        move |n| progress.send(ServingEvent::LoadProgress(n)),
                    )
                    .await
                    .map(Box::new)
                    .map_err(|e| e.to_string());
                    outbox.send(ServingEvent::LoadDone(result));
                }));
            }
        }
    }
}

/// One request on the server's kept connection; a broken connection (the pod went, the forward closed) is
/// replaced once by a new one to a ready pod.
#[allow(clippy::too_many_arguments)]
async fn send(
    channels: &Channels,
    client: &kube::Client,
    namespace: &str,
    server: &str,
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<Reply, String> {
    let key = (namespace.to_string(), server.to_string(), port);
    let mut channels = channels.lock().await;
    if let Some(channel) = channels.get_mut(&key)
        && let Ok(reply) = channel.send(method, path, body).await
    {
        return Ok(reply);
    }
    channels.remove(&key);
    let forward = Forwarder::new(client.clone(), namespace, Target::Server(server.into()), port);
    let mut channel = forward.http().await.map_err(|e| e.to_string())?;
    let reply = channel.send(method, path, body).await.map_err(|e| e.to_string())?;
    channels.insert(key, channel);
    Ok(reply)
}
