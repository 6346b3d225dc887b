//! The Notebooks screen's background work: listing notebook servers and JupyterHub (`cluster::notebooks`), starting,
//! stopping and deleting Bosun's, and the port-forwards the browser opens — each a local listener kept here until
//! it is closed (`cluster::forward`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{CurrentClient, Outbox};
use crate::cluster::forward::{Forwarder, LocalForward, Target};
use crate::cluster::notebooks;
use crate::state::notebooks::ActiveForward;
use crate::state::protocol::{NotebooksEvent, NotebooksRequest};
use crate::workloads::notebook::NotebookSpec;

pub(super) struct NotebooksArea {
    client: CurrentClient,
    outbox: Outbox,
    draft: super::draft::Draft<NotebookSpec>,
    /// The open forwards, by id; dropping one stops it.
    forwards: Arc<Mutex<HashMap<u64, LocalForward>>>,
}

impl NotebooksArea {
    pub fn new(client: CurrentClient, outbox: Outbox, draft: PathBuf) -> Self {
        Self { client, outbox, draft: super::draft::Draft::new(draft), forwards: Arc::default() }
    }

    pub fn handle(&mut self, request: NotebooksRequest) {
        let outbox = self.outbox.clone();
        if let NotebooksRequest::SaveDraft(spec) = request {
            return self.draft.save(*spec);
        }
        if let NotebooksRequest::CloseForward(id) = request {
            if let Ok(mut forwards) = self.forwards.lock() {
                forwards.remove(&id);
            }
            return;
        }
        let Some(client) = self.client.get() else {
            let e = "not connected to a cluster".to_string();
            let event = match request {
                NotebooksRequest::List { .. } => NotebooksEvent::Listed(Err(e)),
                NotebooksRequest::Start(_) => NotebooksEvent::Started(Err(e)),
                NotebooksRequest::Forward { .. } => NotebooksEvent::Forwarding(Err(e)),
                _ => NotebooksEvent::Done { what: String::new(), result: Err(e) },
            };
            return outbox.send(event);
        };
        let text = |e: crate::cluster::training::JobError| e.to_string();
        match request {
            NotebooksRequest::List { namespace } => {
                tokio::spawn(async move {
                    let result = notebooks::list(&client, namespace.as_deref()).await.map_err(text);
                    outbox.send(NotebooksEvent::Listed(result));
                });
            }
            NotebooksRequest::Start(spec) => {
                tokio::spawn(async move {
                    let result = notebooks::start(&client, &spec).await.map_err(text);
                    outbox.send(NotebooksEvent::Started(result));
                });
            }
            NotebooksRequest::Scale { namespace, name, replicas } => {
                tokio::spawn(async move {
                    let result = notebooks::scale(&client, &namespace, &name, replicas).await.map_err(text);
                    let what = if replicas == 0 { "Stopped" } else { "Starting" };
                    outbox.send(NotebooksEvent::Done { what: format!("{what} {namespace}/{name}"), result });
                });
            }
            NotebooksRequest::Delete { namespace, name } => {
                tokio::spawn(async move {
                    let result = notebooks::delete(&client, &namespace, &name, false).await.map_err(text);
                    let what = format!("Deleted {namespace}/{name} (its workspace claim stays)");
                    outbox.send(NotebooksEvent::Done { what, result });
                });
            }
            NotebooksRequest::Forward { id, namespace, target, port, token_of, path } => {
                let forwards = self.forwards.clone();
                tokio::spawn(async move {
                    let result = open(&client, id, &namespace, &target, port, token_of.as_deref(), &path).await;
                    let event = match result {
                        Ok((forward, task)) => {
                            if let Ok(mut all) = forwards.lock() {
                                all.insert(id, task);
                            }
                            NotebooksEvent::Forwarding(Ok(forward))
                        }
                        Err(e) => NotebooksEvent::Forwarding(Err(e)),
                    };
                    outbox.send(event);
                });
            }
            NotebooksRequest::SaveDraft(_) | NotebooksRequest::CloseForward(_) => {}
        }
    }
}

/// Starts a local forward to `target` and says where to point the browser.
async fn open(
    client: &kube::Client,
    id: u64,
    namespace: &str,
    target: &str,
    port: u16,
    token_of: Option<&str>,
    path: &str,
) -> Result<(ActiveForward, LocalForward), String> {
    let target = Target::parse(target).map_err(|e| e.to_string())?;
    let forward = Forwarder::new(client.clone(), namespace, target.clone(), port);
    forward.check().await.map_err(|e| e.to_string())?;
    let (bound, task) = forward.listen(([127, 0, 0, 1], 0).into()).await.map_err(|e| e.to_string())?;
    let token = match token_of {
        Some(name) => notebooks::token(client, namespace, name).await.map_err(|e| e.to_string())?,
        None => None,
    };
    let query = token.map(|t| format!("?token={t}")).unwrap_or_default();
    let forward = ActiveForward {
        id,
        target: format!("{} in {namespace}", target.display()),
        local: bound.to_string(),
        url: format!("http://{bound}{path}{query}"),
    };
    Ok((forward, task))
}
